"""groundwork_env: Groundwork's state-graded episodes from Python.

`GroundworkEnv` is a client for `groundwork serve` (OpenEnv's protocol over WebSocket or HTTP):
reset to a task, step with tool calls and messages to the simulated user, and get Groundwork's
grade as the reward when the episode is done.
"""

from .client import AsyncGroundworkEnv, GroundworkEnv, http_url, ws_url
from .errors import (
    CapacityReached,
    ConnectionFailed,
    ExecutionError,
    GroundworkError,
    ProtocolError,
    SessionError,
    ValidationError,
)
from .types import Action, End, Message, Observation, State, StepResult, Termination, Tool, ToolCall, ToolResult, action_payload

__version__ = "0.1.0"

__all__ = [
    "Action",
    "AsyncGroundworkEnv",
    "CapacityReached",
    "ConnectionFailed",
    "End",
    "ExecutionError",
    "GroundworkEnv",
    "GroundworkError",
    "Message",
    "Observation",
    "ProtocolError",
    "SessionError",
    "State",
    "StepResult",
    "Termination",
    "Tool",
    "ToolCall",
    "ToolResult",
    "ValidationError",
    "action_payload",
    "http_url",
    "ws_url",
]

"""Typed views of `groundwork serve`'s wire format (its `/schema`).

Actions are what a client sends as one step; observations, step results and state are what it
gets back. Parsing is lenient about fields a newer server adds (they stay in `raw`), strict about
the fields every observation carries.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Union

JsonDict = Dict[str, Any]

__all__ = [
    "Action",
    "End",
    "JsonDict",
    "Message",
    "Observation",
    "State",
    "StepResult",
    "Termination",
    "Tool",
    "ToolCall",
    "ToolResult",
    "action_payload",
]


@dataclass(frozen=True)
class ToolCall:
    """A tool call: one step. Its result is in the next observation's `tool_results`."""

    name: str
    arguments: Union[JsonDict, str] = field(default_factory=dict)
    id: Optional[str] = None

    def to_wire(self) -> JsonDict:
        wire: JsonDict = {"type": "tool_call", "name": self.name, "arguments": self.arguments}
        if self.id is not None:
            wire["id"] = self.id
        return wire


@dataclass(frozen=True)
class Message:
    """A message to the user: one step. The simulated user's reply is in the next observation.

    `end=True` ends the conversation after this message (termination `agent_stop`).
    """

    content: str
    end: bool = False

    def to_wire(self) -> JsonDict:
        wire: JsonDict = {"type": "message", "content": self.content}
        if self.end:
            wire["end"] = True
        return wire


@dataclass(frozen=True)
class End:
    """End the conversation (termination `agent_stop`), optionally saying `content` to the user first."""

    content: Optional[str] = None

    def to_wire(self) -> JsonDict:
        wire: JsonDict = {"type": "end"}
        if self.content is not None:
            wire["content"] = self.content
        return wire


Action = Union[ToolCall, Message, End, Mapping[str, Any]]


def action_payload(action: Action) -> JsonDict:
    """The wire form of an action. Plain dicts (e.g. `{"type": "tool_call", ...}`) pass through."""
    if isinstance(action, (ToolCall, Message, End)):
        return action.to_wire()
    if isinstance(action, Mapping):
        return dict(action)
    raise TypeError(f"an action is a ToolCall, a Message, an End or a dict, not {type(action).__name__}")


@dataclass(frozen=True)
class Tool:
    """A tool the agent may call: its name, description and JSON Schema of the arguments."""

    name: str
    description: str
    parameters: JsonDict

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> "Tool":
        return cls(name=str(data["name"]), description=str(data.get("description", "")), parameters=dict(data.get("parameters") or {}))


@dataclass(frozen=True)
class ToolResult:
    """The result of one tool call (`is_error` for an unknown tool, bad arguments or a refused call)."""

    call_id: str
    name: str
    content: str
    is_error: bool

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> "ToolResult":
        return cls(call_id=str(data.get("call_id", "")), name=str(data["name"]), content=str(data.get("content", "")), is_error=bool(data.get("is_error", False)))

    def json(self) -> Any:
        """The content parsed as JSON (tool results are JSON text unless they are errors)."""
        return json.loads(self.content)


@dataclass(frozen=True)
class Termination:
    """Why the episode ended: `user_stop`, `agent_stop`, `max_steps`, `agent_error`, ..."""

    reason: str
    detail: Optional[str] = None

    @classmethod
    def from_wire(cls, data: Optional[Mapping[str, Any]]) -> Optional["Termination"]:
        if not data:
            return None
        detail = data.get("detail")
        return cls(reason=str(data["reason"]), detail=None if detail is None else str(detail))


@dataclass(frozen=True)
class Observation:
    """What the agent sees after reset and after each action.

    `events` are the new agent-visible trajectory events (user messages, tool calls and results,
    notes); `messages` the simulated user's new messages; `tool_results` the results of this step's
    tool calls. `tools` and `policy` come on reset. On done, `metadata` holds the grade, its
    components, the state diff and the audits.
    """

    session_id: str
    episode_id: str
    task_id: str
    step: int
    events: List[JsonDict]
    messages: List[str]
    tool_results: List[ToolResult]
    done: bool
    reward: Optional[float]
    metadata: JsonDict
    tools: Optional[List[Tool]] = None
    policy: Optional[str] = None
    session_token: Optional[str] = field(default=None, repr=False)
    termination: Optional[Termination] = None
    raw: JsonDict = field(default_factory=dict, repr=False, compare=False)

    def __getitem__(self, key: str) -> Any:
        """The wire field `key` (dict-style access, as OpenEnv's GenericEnvClient gives)."""
        return self.raw[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> "Observation":
        tools = data.get("tools")
        reward = data.get("reward")
        return cls(
            session_id=str(data.get("session_id", "")),
            episode_id=str(data.get("episode_id", "")),
            task_id=str(data.get("task_id", "")),
            step=int(data.get("step", 0)),
            events=[dict(e) for e in data.get("events") or []],
            messages=[str(m) for m in data.get("messages") or []],
            tool_results=[ToolResult.from_wire(r) for r in data.get("tool_results") or []],
            done=bool(data.get("done", False)),
            reward=None if reward is None else float(reward),
            metadata=dict(data.get("metadata") or {}),
            tools=None if tools is None else [Tool.from_wire(t) for t in tools],
            policy=data.get("policy"),
            session_token=data.get("session_token"),
            termination=Termination.from_wire(data.get("termination")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class StepResult:
    """OpenEnv's step result: the observation, the reward (Groundwork's grade when done, else None), done."""

    observation: Observation
    reward: Optional[float]
    done: bool

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> "StepResult":
        if not isinstance(data.get("observation"), Mapping):
            raise ValueError("a step result has an `observation` object")
        reward = data.get("reward")
        return cls(observation=Observation.from_wire(data["observation"]), reward=None if reward is None else float(reward), done=bool(data.get("done", False)))

    @property
    def metadata(self) -> JsonDict:
        """On done: run and episode ids, the grade with its components, the diff, audits."""
        return self.observation.metadata


@dataclass(frozen=True)
class State:
    """The session's state: OpenEnv's `episode_id` and `step_count` plus Groundwork's ids."""

    episode_id: Optional[str]
    step_count: int
    session_id: str
    task_id: Optional[str]
    domain: str
    split: str
    run_id: str
    done: bool
    termination: Optional[Termination] = None
    raw: JsonDict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> "State":
        return cls(
            episode_id=data.get("episode_id"),
            step_count=int(data.get("step_count", 0)),
            session_id=str(data.get("session_id", "")),
            task_id=data.get("task_id"),
            domain=str(data.get("domain", "")),
            split=str(data.get("split", "")),
            run_id=str(data.get("run_id", "")),
            done=bool(data.get("done", False)),
            termination=Termination.from_wire(data.get("termination")),
            raw=dict(data),
        )

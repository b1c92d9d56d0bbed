"""Exceptions carrying the server's error code (OpenEnv's codes, used on WebSocket and HTTP alike)."""

from __future__ import annotations

from typing import Any, List, Optional

__all__ = [
    "CapacityReached",
    "ConnectionFailed",
    "ExecutionError",
    "GroundworkError",
    "ProtocolError",
    "SessionError",
    "ValidationError",
    "error_for",
]


class GroundworkError(Exception):
    """An error reported by `groundwork serve` (or by the client about the connection).

    `code` is the server's code: `INVALID_JSON`, `UNKNOWN_TYPE`, `VALIDATION_ERROR`, `EXECUTION_ERROR`,
    `CAPACITY_REACHED`, `FACTORY_ERROR`, `SESSION_ERROR`; or the client's own `CONNECTION_ERROR` /
    `PROTOCOL_ERROR`. `errors` lists validation issues when the server gives them; `status` is the
    HTTP status over HTTP.
    """

    def __init__(self, code: str, message: str, *, errors: Optional[List[Any]] = None, status: Optional[int] = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.errors = errors or []
        self.status = status


class ValidationError(GroundworkError):
    """A malformed action or reset request. The session stays usable."""


class CapacityReached(GroundworkError):
    """The server's session cap is reached; try again later."""


class SessionError(GroundworkError):
    """No such session, a wrong token, a step before reset or after done."""


class ExecutionError(GroundworkError):
    """The environment failed to carry out a well-formed request."""


class ConnectionFailed(GroundworkError):
    """The server could not be reached, or it closed the connection."""


class ProtocolError(GroundworkError):
    """The server's reply was not what the protocol says."""


_BY_CODE = {
    "VALIDATION_ERROR": ValidationError,
    "INVALID_JSON": ValidationError,
    "UNKNOWN_TYPE": ValidationError,
    "CAPACITY_REACHED": CapacityReached,
    "SESSION_ERROR": SessionError,
    "EXECUTION_ERROR": ExecutionError,
    "FACTORY_ERROR": ExecutionError,
}


def error_for(code: str, message: str, *, errors: Optional[List[Any]] = None, status: Optional[int] = None) -> GroundworkError:
    """The exception class that fits a server error code (GroundworkError for codes it does not know)."""
    cls = _BY_CODE.get(code, GroundworkError)
    return cls(code, message, errors=errors, status=status)

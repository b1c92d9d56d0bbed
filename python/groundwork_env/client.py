"""Clients for `groundwork serve`: one episode per client, over WebSocket (default) or HTTP.

    with GroundworkEnv("http://127.0.0.1:8000") as env:
        result = env.reset(task_id="hd-test-000")
        result = env.step(ToolCall("find_person", {"query": "Esther Gallo"}))
        result = env.step(Message("Done.", end=True))
        print(result.reward, result.metadata["grade"])

WebSocket speaks OpenEnv's `/ws` messages (`reset`, `step`, `state`, `close`, `mcp`); HTTP uses
`/reset`, `/step`, `/state`, `/close` with the session token from reset in `X-Session-Token`.
Both give the same episodes and the same grades.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any, Dict, Mapping, Optional, Protocol
from urllib.parse import urlsplit, urlunsplit

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from .errors import ConnectionFailed, GroundworkError, ProtocolError, error_for
from .types import Action, JsonDict, State, StepResult, action_payload

__all__ = ["AsyncGroundworkEnv", "GroundworkEnv", "http_url", "ws_url"]

ID_HEADER = "X-Session-Id"
TOKEN_HEADER = "X-Session-Token"
DEFAULT_TIMEOUT_S = 60.0


def http_url(base_url: str) -> str:
    """`base_url` as an http(s) URL without a trailing slash (ws:// → http://, a trailing /ws dropped)."""
    parts = urlsplit(base_url.strip())
    scheme = {"ws": "http", "wss": "https", "": "http"}.get(parts.scheme, parts.scheme)
    if scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not a server URL: {base_url!r} (expected http://HOST:PORT)")
    path = parts.path.rstrip("/")
    if path.endswith("/ws"):
        path = path[: -len("/ws")]
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def ws_url(base_url: str) -> str:
    """The WebSocket endpoint (`/ws`) of the server at `base_url`."""
    http = http_url(base_url)
    return ("wss" + http[len("https") :] if http.startswith("https") else "ws" + http[len("http") :]) + "/ws"


def _reset_data(task_id: Optional[str], seed: Optional[int], episode_id: Optional[str], task_index: Optional[int], extra: Mapping[str, Any]) -> JsonDict:
    data: JsonDict = dict(extra)
    if task_id is not None:
        data["task_id"] = task_id
    if seed is not None:
        data["seed"] = seed
    if episode_id is not None:
        data["episode_id"] = episode_id
    if task_index is not None:
        data["task_index"] = task_index
    return data


class _Transport(Protocol):
    def reset(self, data: JsonDict) -> JsonDict: ...
    def step(self, action: JsonDict) -> JsonDict: ...
    def state(self) -> JsonDict: ...
    def mcp(self, request: JsonDict) -> JsonDict: ...
    def close(self) -> None: ...


def _raise_wire_error(data: Any, status: Optional[int] = None) -> None:
    """Raise the exception for an error body: WS `{message, code, errors?}` or HTTP `{detail, code, errors?}`."""
    if not isinstance(data, Mapping):
        raise ProtocolError("PROTOCOL_ERROR", f"error reply is not an object: {data!r}"[:500], status=status)
    code = str(data.get("code") or ("VALIDATION_ERROR" if status == 422 else "EXECUTION_ERROR"))
    message = data.get("message", data.get("detail", ""))
    errors = data.get("errors")
    if not isinstance(message, str):  # FastAPI-style `detail: [issues]`
        errors = errors or (message if isinstance(message, list) else None)
        message = json.dumps(message)[:500]
    raise error_for(code, message, errors=errors if isinstance(errors, list) else None, status=status)


class _WsTransport:
    """One WebSocket connection = one session (OpenEnv's `/ws`)."""

    def __init__(self, base_url: str, timeout_s: float) -> None:
        self._url = ws_url(base_url)
        self._timeout = timeout_s
        self._ws: Optional[ClientConnection] = None

    def _connection(self) -> ClientConnection:
        if self._ws is None:
            try:
                # Entered as a context manager (websockets ≥ 16 warns otherwise); close() exits it.
                self._ws = ws_connect(self._url, open_timeout=self._timeout, max_size=None, close_timeout=2).__enter__()
            except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
                raise ConnectionFailed("CONNECTION_ERROR", f"cannot connect to {self._url}: {exc}") from exc
        return self._ws

    def _call(self, message: JsonDict, expect: str) -> JsonDict:
        ws = self._connection()
        try:
            ws.send(json.dumps(message))
        except ConnectionClosed:
            pass  # a refused session (e.g. CAPACITY_REACHED) sends an error frame, then closes: read it below
        try:
            raw = ws.recv(timeout=self._timeout)
        except ConnectionClosed as exc:
            self._ws = None
            raise ConnectionFailed("CONNECTION_ERROR", f"the server closed the connection ({exc})") from exc
        except TimeoutError as exc:
            raise ConnectionFailed("CONNECTION_ERROR", f"no reply within {self._timeout}s") from exc
        try:
            reply = json.loads(raw)
        except (TypeError, ValueError) as exc:
            raise ProtocolError("PROTOCOL_ERROR", f"reply is not JSON: {str(raw)[:200]!r}") from exc
        kind = reply.get("type") if isinstance(reply, dict) else None
        if kind == "error":
            _raise_wire_error(reply.get("data"))
        data = reply.get("data") if isinstance(reply, dict) else None
        if kind != expect or not isinstance(data, dict):
            raise ProtocolError("PROTOCOL_ERROR", f"expected a {expect!r} reply, got {str(raw)[:200]!r}")
        return data

    def reset(self, data: JsonDict) -> JsonDict:
        return self._call({"type": "reset", "data": data}, "observation")

    def step(self, action: JsonDict) -> JsonDict:
        return self._call({"type": "step", "data": action}, "observation")

    def state(self) -> JsonDict:
        return self._call({"type": "state"}, "state")

    def mcp(self, request: JsonDict) -> JsonDict:
        return self._call({"type": "mcp", "data": request}, "mcp")

    def close(self) -> None:
        ws, self._ws = self._ws, None
        if ws is None:
            return
        try:
            ws.send(json.dumps({"type": "close"}))
        except ConnectionClosed:
            pass
        ws.close()


class _HttpTransport:
    """Stateful HTTP: reset creates a session; the other calls name it by `X-Session-Id` + `X-Session-Token`."""

    def __init__(self, base_url: str, timeout_s: float) -> None:
        self.base = http_url(base_url)
        self._timeout = timeout_s
        self.session_id: Optional[str] = None
        self.token: Optional[str] = None

    def request(self, method: str, path: str, body: Optional[JsonDict] = None, *, token: bool = True) -> tuple[Any, Dict[str, str]]:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if token and self.token is not None and self.session_id is not None:
            headers[ID_HEADER] = self.session_id
            headers[TOKEN_HEADER] = self.token
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self._timeout) as response:
                raw = response.read()
                reply_headers = {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                body_json = json.loads(raw)
            except ValueError:
                raise GroundworkError("EXECUTION_ERROR", f"HTTP {exc.code} from {method} {path}: {raw[:200]!r}", status=exc.code) from None
            _raise_wire_error(body_json, exc.code)
            raise  # unreachable: _raise_wire_error always raises
        except (urllib.error.URLError, OSError) as exc:
            raise ConnectionFailed("CONNECTION_ERROR", f"cannot reach {self.base}{path}: {exc}") from exc
        try:
            return (json.loads(raw) if raw else None), reply_headers
        except ValueError as exc:
            raise ProtocolError("PROTOCOL_ERROR", f"{method} {path} did not return JSON: {raw[:200]!r}") from exc

    def json_object(self, method: str, path: str, body: Optional[JsonDict] = None, *, token: bool = True) -> tuple[JsonDict, Dict[str, str]]:
        """`request`, checking that the reply is a JSON object."""
        reply, headers = self.request(method, path, body, token=token)
        if not isinstance(reply, dict):
            raise ProtocolError("PROTOCOL_ERROR", f"{method} {path} returned {type(reply).__name__}, not a JSON object")
        return reply, headers

    def reset(self, data: JsonDict) -> JsonDict:
        reply, headers = self.json_object("POST", "/reset", data)
        observation = reply.get("observation") or {}
        session_id = headers.get(ID_HEADER.lower()) or observation.get("session_id")
        token = headers.get(TOKEN_HEADER.lower()) or observation.get("session_token")
        if not session_id or not token:
            raise ProtocolError("PROTOCOL_ERROR", "reset returned no session id and token")
        self.session_id, self.token = session_id, token
        return reply

    def _need_token(self) -> None:
        if self.token is None:
            raise GroundworkError("SESSION_ERROR", "no session: call reset() first")

    def step(self, action: JsonDict) -> JsonDict:
        self._need_token()
        reply, _ = self.json_object("POST", "/step", {"action": action})
        return reply

    def state(self) -> JsonDict:
        self._need_token()
        reply, _ = self.json_object("GET", "/state")
        return reply

    def mcp(self, request: JsonDict) -> JsonDict:
        reply, _ = self.json_object("POST", "/mcp", request)
        return reply

    def close(self) -> None:
        if self.token is None:
            return
        try:
            self.request("POST", "/close", {})
        finally:
            self.session_id, self.token = None, None


class GroundworkEnv:
    """One Groundwork episode at a time, served by `groundwork serve` at `base_url`.

    `transport="ws"` (default) holds one WebSocket; `transport="http"` uses the HTTP endpoints with
    the session token. `reset` starts an episode (a second reset abandons the current one); `step`
    takes one action, a `ToolCall` or a `Message` (or the equivalent dict); on done the result's
    reward is Groundwork's grade and `metadata` carries its components, the diff and the audits.
    """

    def __init__(self, base_url: str, *, transport: str = "ws", timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        if transport not in ("ws", "http"):
            raise ValueError(f"transport is 'ws' or 'http', not {transport!r}")
        self.base_url = http_url(base_url)
        self.transport = transport
        self.timeout_s = timeout_s
        self._http = _HttpTransport(self.base_url, timeout_s)
        self._t: _Transport = _WsTransport(self.base_url, timeout_s) if transport == "ws" else self._http
        self.last: Optional[StepResult] = None

    # The episode -------------------------------------------------------------------------------

    def reset(self, task_id: Optional[str] = None, seed: Optional[int] = None, *, episode_id: Optional[str] = None, task_index: Optional[int] = None, **extra: Any) -> StepResult:
        """Start an episode: the task `task_id` (else the server's next task), with `seed` if given."""
        self.last = StepResult.from_wire(self._t.reset(_reset_data(task_id, seed, episode_id, task_index, extra)))
        return self.last

    def step(self, action: Action) -> StepResult:
        """Take one action. A malformed one raises ValidationError and leaves the session usable."""
        self.last = StepResult.from_wire(self._t.step(action_payload(action)))
        return self.last

    def state(self) -> State:
        return State.from_wire(self._t.state())

    def mcp(self, request: JsonDict) -> JsonDict:
        """Send one JSON-RPC request to the server's MCP handler (over WS: scoped to this session)."""
        return self._t.mcp(request)

    def close(self) -> None:
        """End the session; an unfinished episode is stored as abandoned."""
        self._t.close()

    @property
    def session_token(self) -> Optional[str]:
        """HTTP transport: the current session's token (a secret; send it as X-Session-Token)."""
        return self._http.token if self.transport == "http" else None

    # The server --------------------------------------------------------------------------------

    def schema(self) -> JsonDict:
        """`/schema`: the JSON Schemas of action, observation and state."""
        return self._http.json_object("GET", "/schema", token=False)[0]

    def health(self) -> JsonDict:
        return self._http.json_object("GET", "/health", token=False)[0]

    def metadata(self) -> JsonDict:
        """`/metadata`: domain, split, user, tools, run id, session cap."""
        return self._http.json_object("GET", "/metadata", token=False)[0]

    def __enter__(self) -> "GroundworkEnv":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncGroundworkEnv:
    """`GroundworkEnv` for asyncio code (verifiers, verl): the same methods as coroutines.

    Each call runs the synchronous client in a worker thread, so one instance must not be used by
    two tasks at once (one session takes one step at a time anyway).
    """

    def __init__(self, base_url: str, *, transport: str = "ws", timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.sync = GroundworkEnv(base_url, transport=transport, timeout_s=timeout_s)

    async def reset(self, task_id: Optional[str] = None, seed: Optional[int] = None, **kwargs: Any) -> StepResult:
        return await asyncio.to_thread(self.sync.reset, task_id, seed, **kwargs)

    async def step(self, action: Action) -> StepResult:
        return await asyncio.to_thread(self.sync.step, action)

    async def state(self) -> State:
        return await asyncio.to_thread(self.sync.state)

    async def mcp(self, request: JsonDict) -> JsonDict:
        return await asyncio.to_thread(self.sync.mcp, request)

    async def close(self) -> None:
        await asyncio.to_thread(self.sync.close)

    async def __aenter__(self) -> "AsyncGroundworkEnv":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


"""A Groundwork environment for TRL's ``GRPOTrainer(environment_factory=...)``.

TRL (``trl/trainer/grpo_trainer.py``, docs ``docs/source/grpo_trainer.md`` "Environments") builds one
environment instance per rollout with ``environment_factory()``, exposes every public *method* of the
instance as a tool (``inspect.getmembers(instance, inspect.ismethod)``, minus ``reset`` and
``get_reward``; the tool schema comes from the method's signature, type hints and Google-style
docstring through ``transformers.utils.get_json_schema``), calls ``reset(**row)`` with the dataset row
at the start of each rollout (a returned string is appended to the prompt), runs the tool-calling loop
until the model stops calling tools, then calls ``get_reward()`` once.

:class:`GroundworkToolEnv` follows that contract against a running ``groundwork serve``:

- one method per tool of the served domain, generated from the server's tool list (name, description,
  JSON Schema of the arguments → typed signature and docstring); calling it is one episode step;
- ``send_message_to_user(message)``: the simulated user, inside the server, answers; the reply is the
  tool's result (TRL's loop ends when the model stops calling tools, so the user is reached as a tool);
- ``reset(**row)``: starts an episode from a dataset row (``task_id``, ``seed``, ``task_index``,
  ``episode_id`` columns; other columns such as ``prompt`` are ignored) and returns the user's opening
  message (after the policy, unless ``include_policy=False``);
- ``get_reward()``: ends the episode if the model has not (termination ``agent_stop``) and returns
  Groundwork's grade (0..1) — the same grade a local run of the same trajectory gets.

TRL itself is not imported (it needs torch); the class only relies on the interface above. Use::

    from groundwork_env.trl import environment_factory
    trainer = GRPOTrainer(..., train_dataset=rows, environment_factory=environment_factory("http://127.0.0.1:8000"))

or pass the class itself and set ``GROUNDWORK_URL``. Rows look like ``{"prompt": [{"role": "user",
"content": ""}], "task_id": "hd-test-000", "seed": 1}`` (see :func:`dataset_rows`).
"""

from __future__ import annotations

import functools
import inspect
import json
import keyword
import os
import re
import types
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Optional

__all__ = [
    "GroundworkEpisode",
    "GroundworkToolEnv",
    "environment_factory",
    "dataset_rows",
    "fetch_tools",
    "render_observation",
]

SEND_MESSAGE_TOOL = "send_message_to_user"
"""The tool name the server reads as a message to the simulated user."""

_RESERVED = frozenset({"reset", "get_reward"})
_JSON_TO_PY: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "array": list,
    "object": dict,
}
ENDED = "The conversation has ended; no further actions are possible."


# ---------------------------------------------------------------------------------------------------
# Shared by the adapters (verifiers_env.py and verl.py import these).


def server_url(base_url: str | None) -> str:
    """The server's base URL: the argument, else ``$GROUNDWORK_URL``; one clear error otherwise."""
    url = base_url or os.environ.get("GROUNDWORK_URL")
    if not url:
        raise ValueError("no Groundwork server: pass base_url or set GROUNDWORK_URL (e.g. http://127.0.0.1:8000)")
    url = url.rstrip("/")
    if url.startswith("ws://"):
        url = "http://" + url[5:]
    elif url.startswith("wss://"):
        url = "https://" + url[6:]
    if url.endswith("/ws"):
        url = url[:-3]
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"Groundwork server URL must be http(s)://HOST:PORT, got {url!r}")
    return url


def fetch_tools(base_url: str | None = None, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The served domain's tools (``GET /metadata``): ``[{name, description, parameters}]``."""
    url = server_url(base_url)
    with urllib.request.urlopen(f"{url}/metadata", timeout=timeout) as response:  # noqa: S310 (http(s) checked above)
        body = json.loads(response.read().decode("utf-8"))
    tools = body.get("tools") if isinstance(body, dict) else None
    if not isinstance(tools, list):
        raise ValueError(f"{url}/metadata has no tool list; is this a `groundwork serve`?")
    return [tool for tool in tools if isinstance(tool, dict) and isinstance(tool.get("name"), str)]


def _result_parts(result: Any) -> tuple[dict[str, Any], float | None, bool]:
    """(observation, reward, done) of a client result, an object or the wire dict."""
    if isinstance(result, Mapping):
        observation = result.get("observation", {})
        reward = result.get("reward")
        done = result.get("done", False)
    else:
        observation = getattr(result, "observation", {})
        reward = getattr(result, "reward", None)
        done = getattr(result, "done", False)
    if not isinstance(observation, Mapping):
        observation = getattr(observation, "raw", None) or {}  # groundwork_env.Observation keeps the wire dict
    observation = dict(observation)
    if reward is None:
        reward = observation.get("reward")
    return observation, (float(reward) if reward is not None else None), bool(done or observation.get("done"))


def render_observation(observation: Mapping[str, Any]) -> str:
    """The text an agent reads from an observation: tool results, then the user's messages, then the end."""
    parts: list[str] = []
    for result in observation.get("tool_results") or []:
        parts.append(str(result.get("content", "")))
    for message in observation.get("messages") or []:
        parts.append(str(message))
    if observation.get("done"):
        termination = observation.get("termination") or {}
        reason = termination.get("reason") if isinstance(termination, Mapping) else None
        parts.append(f"[{ENDED}{f' ({reason})' if reason else ''}]")
    return "\n\n".join(part for part in parts if part)


def _make_client(base_url: str, transport: str) -> Any:
    from groundwork_env.client import GroundworkEnv

    return GroundworkEnv(base_url, transport=transport)


class GroundworkEpisode:
    """One served episode at a time over one client connection, as the adapters drive it.

    ``start`` resets, ``act`` sends one wire action, ``finish`` ends the conversation if it is still
    running; ``reward`` is the grade once done (else None), ``metadata`` the done metadata (grade
    components, diff, audits).
    """

    def __init__(self, base_url: str | None = None, *, client: Any = None, transport: str = "ws") -> None:
        self.base_url = server_url(base_url) if client is None else (base_url or "")
        self._client = client
        self._transport = transport
        self.observation: dict[str, Any] = {}
        self.done = False
        self.reward: float | None = None
        self.metadata: dict[str, Any] = {}
        self.task_id: str | None = None
        self.policy = ""
        self.tools: list[dict[str, Any]] = []

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _make_client(self.base_url, self._transport)
        return self._client

    def _take(self, result: Any) -> dict[str, Any]:
        observation, reward, done = _result_parts(result)
        self.observation = observation
        self.done = done
        if done:
            self.reward = reward if reward is not None else 0.0
            metadata = observation.get("metadata")
            self.metadata = dict(metadata) if isinstance(metadata, Mapping) else {}
        return observation

    def start(
        self, *, task_id: str | None = None, seed: int | None = None, task_index: int | None = None, episode_id: str | None = None
    ) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if task_id is not None:
            options["task_id"] = str(task_id)
        if seed is not None:
            options["seed"] = int(seed)
        if task_index is not None:
            options["task_index"] = int(task_index)
        if episode_id is not None:
            options["episode_id"] = str(episode_id)
        self.done = False
        self.reward = None
        self.metadata = {}
        observation = self._take(self.client.reset(**options))
        self.task_id = observation.get("task_id") or task_id
        self.policy = str(observation.get("policy") or "")
        self.tools = list(observation.get("tools") or [])
        return observation

    def act(self, action: dict[str, Any]) -> dict[str, Any]:
        if self.done:
            raise RuntimeError(ENDED)
        return self._take(self.client.step(action))

    def call_tool(self, name: str, arguments: Mapping[str, Any]) -> str:
        """One tool call; its result text (``Error: …`` for a bad call, as in a local run)."""
        if self.done:
            return ENDED
        return render_observation(self.act({"type": "tool_call", "name": name, "arguments": dict(arguments)}))

    def say(self, message: str) -> str:
        """A message to the simulated user; the user's reply (or the end of the conversation)."""
        if self.done:
            return ENDED
        return render_observation(self.act({"type": "message", "content": str(message)}))

    def finish(self, message: str = "") -> float:
        """Ends the conversation if it is still running (``agent_stop``); the grade."""
        if not self.done:
            self.act({"type": "message", "content": message, "end": True})
        return self.reward if self.reward is not None else 0.0

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            finally:
                self._client = None


def opening_text(episode: GroundworkEpisode, include_policy: bool) -> str:
    """The prompt text after a reset: the policy (optionally) and the user's opening message(s)."""
    opening = render_observation(episode.observation)
    if include_policy and episode.policy:
        return f"{episode.policy}\n\n{opening}" if opening else episode.policy
    return opening


# ---------------------------------------------------------------------------------------------------
# Tool specs → Python signatures TRL (transformers' get_json_schema) reads.


def _py_type(schema: Mapping[str, Any]) -> Any:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    if kind == "array" and isinstance(schema.get("items"), Mapping) and "type" in schema["items"]:
        return list[_py_type(schema["items"])]  # type: ignore[misc]
    if isinstance(kind, str) and kind in _JSON_TO_PY:
        return _JSON_TO_PY[kind]
    for key in ("anyOf", "oneOf"):
        options = [o for o in schema.get(key) or [] if isinstance(o, Mapping) and o.get("type") != "null"]
        if len(options) == 1:
            return _py_type(options[0])
    if "enum" in schema and all(isinstance(v, str) for v in schema["enum"]):
        return str
    return str


def _one_line(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip()


def tool_signature(spec: Mapping[str, Any]) -> tuple[inspect.Signature, str, list[str]]:
    """(signature without ``self``, Google-style docstring, required parameter names) of a wire tool."""
    name = str(spec["name"])
    parameters = spec.get("parameters") or {}
    properties: Mapping[str, Any] = parameters.get("properties") or {}
    required = [p for p in parameters.get("required") or [] if p in properties]
    ordered = required + [p for p in properties if p not in required]
    params: list[inspect.Parameter] = []
    arg_lines: list[str] = []
    for pname in ordered:
        if not pname.isidentifier() or keyword.iskeyword(pname) or pname == "self":
            raise ValueError(f"tool {name!r}: parameter name {pname!r} is not usable as a Python argument")
        pschema = properties[pname] if isinstance(properties[pname], Mapping) else {}
        annotation = _py_type(pschema)
        if pname in required:
            params.append(inspect.Parameter(pname, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation))
        else:
            optional = Optional[annotation]  # type: ignore[valid-type]  # noqa: UP045 (a runtime typing object, as transformers reads it)
            params.append(inspect.Parameter(pname, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=optional, default=None))
        description = _one_line(pschema.get("description") or pschema.get("title") or pname)
        if isinstance(pschema.get("enum"), list):
            description += f" (choices: {json.dumps(pschema['enum'])})"  # transformers turns this into the schema's enum
        arg_lines.append(f"    {pname}: {description}")
    summary = str(spec.get("description") or f"Call the {name} tool.").strip()
    doc = summary
    if arg_lines:
        doc += "\n\nArgs:\n" + "\n".join(arg_lines)
    doc += "\n\nReturns:\n    The tool's result as the agent sees it."
    return inspect.Signature(params, return_annotation=str), doc, required


def _tool_method(spec: Mapping[str, Any]) -> Callable[..., str]:
    name = str(spec["name"])
    signature, doc, required = tool_signature(spec)

    def tool(self: GroundworkToolEnv, *args: Any, **kwargs: Any) -> str:
        bound = signature.bind(*args, **kwargs)
        arguments = {k: v for k, v in bound.arguments.items() if k in required or v is not None}
        return self._episode_or_fail().call_tool(name, arguments)

    tool.__name__ = name
    tool.__qualname__ = f"GroundworkToolEnv.{name}"
    tool.__doc__ = doc
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    tool.__signature__ = signature.replace(parameters=[self_param, *signature.parameters.values()])  # type: ignore[attr-defined]
    tool.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()} | {"return": str}
    return tool


# ---------------------------------------------------------------------------------------------------


class GroundworkToolEnv:
    """TRL ``environment_factory`` environment over a ``groundwork serve`` episode (see the module doc).

    Args:
        base_url: the server (``http://HOST:PORT``); default ``$GROUNDWORK_URL``.
        include_policy: prepend the domain policy (with the task's agent notes) to the prompt text
            ``reset`` returns. Set False when the policy is already in the dataset's system prompt.
        transport: ``"ws"`` (default: one WebSocket per environment instance) or ``"http"``.
        tools: the tool list to expose (default: ``GET /metadata`` of the server).
        client: an already-built client (anything with ``reset(**kw)``, ``step(action)``, ``close()``).

    Only ``reset``, ``get_reward``, ``send_message_to_user`` and the domain's tools are public methods
    (TRL exposes every public method as a tool); everything else is a property or private.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        include_policy: bool = True,
        transport: str = "ws",
        tools: Sequence[Mapping[str, Any]] | None = None,
        client: Any = None,
    ) -> None:
        self._base_url = server_url(base_url) if client is None else base_url
        self._include_policy = include_policy
        self._transport = transport
        self._client = client
        self._episode: GroundworkEpisode | None = None
        specs = list(tools) if tools is not None else fetch_tools(self._base_url)
        self._tool_names: list[str] = []
        for spec in specs:
            name = str(spec.get("name", ""))
            if name == SEND_MESSAGE_TOOL:
                continue  # a method of the class, with the same wire meaning
            if not name.isidentifier() or name.startswith("_") or name in _RESERVED or hasattr(type(self), name):
                raise ValueError(f"tool name {name!r} cannot be a method of {type(self).__name__}")
            setattr(self, name, types.MethodType(_tool_method(spec), self))
            self._tool_names.append(name)

    # -- TRL's reserved methods -------------------------------------------------------------------

    def reset(self, **kwargs: Any) -> str:
        """Start an episode from a dataset row (task_id, seed, task_index, episode_id); the prompt text.

        A reset before the previous episode was graded abandons it (stored as ``agent_error``, "client reset").
        """
        if self._episode is None:
            self._episode = GroundworkEpisode(self._base_url, client=self._client, transport=self._transport)
        self._episode.start(
            task_id=kwargs.get("task_id"),
            seed=kwargs.get("seed"),
            task_index=kwargs.get("task_index"),
            episode_id=kwargs.get("episode_id"),
        )
        return opening_text(self._episode, self._include_policy)

    def get_reward(self) -> float:
        """Groundwork's grade of the episode (0..1); ends the conversation first if it is still running."""
        return self._episode_or_fail().finish()

    # -- tools ------------------------------------------------------------------------------------

    def send_message_to_user(self, message: str) -> str:
        """Send a message to the user and wait for their reply.

        Args:
            message: What to say to the user.

        Returns:
            The user's reply, or a note that the conversation has ended.
        """
        return self._episode_or_fail().say(message)

    # -- not tools (properties and private methods) -------------------------------------------------

    @property
    def tool_names(self) -> list[str]:
        """The domain tools bound as methods (plus ``send_message_to_user``)."""
        return [*self._tool_names, SEND_MESSAGE_TOOL]

    @property
    def done(self) -> bool:
        return self._episode is not None and self._episode.done

    @property
    def reward(self) -> float | None:
        """The grade once the episode is done, else None."""
        return None if self._episode is None else self._episode.reward

    @property
    def metadata(self) -> dict[str, Any]:
        """The done metadata: run and episode ids, grade components, diff, audits."""
        return {} if self._episode is None else self._episode.metadata

    @property
    def episode(self) -> GroundworkEpisode | None:
        return self._episode

    def _episode_or_fail(self) -> GroundworkEpisode:
        if self._episode is None or self._episode.task_id is None:
            raise RuntimeError("call reset() before using the environment")
        return self._episode

    def _close(self) -> None:
        """Frees the server session (an unfinished episode is stored as abandoned). Private: TRL would expose a public method as a tool."""
        if self._episode is not None:
            self._episode.close()
            self._episode = None


def environment_factory(base_url: str | None = None, **options: Any) -> Callable[[], GroundworkToolEnv]:
    """A picklable zero-argument factory for TRL's ``environment_factory`` (``functools.partial``)."""
    return functools.partial(GroundworkToolEnv, server_url(base_url), **options)


def dataset_rows(task_ids: Sequence[str], seeds: Sequence[int] = (1,), prompt: str = "") -> list[dict[str, Any]]:
    """Dataset rows for ``GRPOTrainer``: one per (task, seed); the prompt text comes from ``reset``."""
    return [{"prompt": [{"role": "user", "content": prompt}], "task_id": task_id, "seed": seed} for task_id in task_ids for seed in seeds]

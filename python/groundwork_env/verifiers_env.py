"""Groundwork episodes as verifiers environments.

Two verifiers APIs exist, and this module serves both:

1. **The multi-turn environment API** (``MultiTurnEnv`` in verifiers <= 0.3 as ``verifiers.MultiTurnEnv``,
   in the repository's later sources as ``verifiers.legacy.envs.multiturn_env.MultiTurnEnv``): an
   environment holds a dataset and a rubric; per rollout ``setup_state(state)`` prepares the state,
   the model answers, ``env_response(messages, state)`` returns the environment's messages, methods
   marked ``@vf.stop`` decide ``is_completed``, methods marked ``@vf.cleanup`` run at the end, then the
   rubric's reward functions score the state. :class:`GroundworkMultiTurnEnv` implements it over a served
   episode: ``setup_state`` resets the episode (task and seed from the row's ``info``) and puts the
   policy and the user's opening in the prompt; an assistant turn with tool calls is executed by the
   Groundwork server (one step per call, results as ``tool`` messages); an assistant turn without tool
   calls is a message to the server's simulated user, whose reply comes back as a ``user`` message; the
   rollout stops when the episode is done; the cleanup ends a still-running conversation
   (``agent_stop``); the rubric's only reward function is Groundwork's grade. When that API is not
   importable (verifiers 0.4, the current PyPI release, ships only ``verifiers.v1``; or verifiers is not
   installed) the class subclasses :class:`MultiTurnEnvProtocol`, a minimal stand-in with the same
   method names (``setup_state``, ``env_response``, ``is_completed``, ``cleanup``, ``rubric``).

2. **verifiers v1** (``verifiers.v1``, PyPI 0.4): its OpenEnv taskset
   (``verifiers/v1/tasksets/openenv/taskset.py``: ``OpenEnvTaskset``, ``OpenEnvConfig(base_url=...,
   resets=[...])``) speaks OpenEnv's WebSocket protocol through ``openenv.GenericEnvClient`` and sums the
   per-step rewards. ``groundwork serve`` speaks that protocol, so :func:`openenv_taskset` just points it at
   the server: one task per ``{task_id, seed}`` reset; the model's reply is the JSON action
   (``{"type": "tool_call", "name": ..., "arguments": {...}}`` or ``{"type": "message", "content": ...}``);
   the summed reward is Groundwork's grade (the server's reward is null until done).
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .trl import GroundworkEpisode, fetch_tools, opening_text, render_observation, server_url

__all__ = [
    "HAVE_MULTITURN_API",
    "GroundworkMultiTurnEnv",
    "MultiTurnEnvProtocol",
    "groundwork_grade",
    "openenv_taskset",
    "stop",
    "cleanup",
]


def _import_multiturn() -> Any:
    """verifiers' classic multi-turn module (``MultiTurnEnv``, ``Rubric``, ``stop``, ``cleanup``), or None."""
    for name in ("verifiers.legacy", "verifiers"):
        try:
            module = __import__(name, fromlist=["MultiTurnEnv"])
            if all(hasattr(module, attr) for attr in ("MultiTurnEnv", "Rubric", "stop", "cleanup")):
                return module
        except Exception:  # noqa: BLE001  (an absent or partially installed verifiers)
            continue
    return None


_vf = _import_multiturn()
HAVE_MULTITURN_API = _vf is not None


class _FallbackRubric:
    """Stand-in for ``verifiers.Rubric``: weighted reward functions of the rollout's state."""

    def __init__(self, funcs: Sequence[Callable[..., Any]] = (), weights: Sequence[float] | None = None, **kwargs: Any) -> None:
        self.funcs = list(funcs)
        self.weights = list(weights) if weights is not None else [1.0] * len(self.funcs)

    async def score_rollout(self, state: dict[str, Any]) -> float:
        total = 0.0
        for func, weight in zip(self.funcs, self.weights, strict=True):
            value = func(state=state, completion=state.get("completion"), info=state.get("info"))
            if inspect.isawaitable(value):
                value = await value
            total += weight * float(value)
        state["reward"] = total
        return total


def _mark(attr: str) -> Callable[..., Any]:
    def decorator(func: Any = None, priority: int = 0) -> Any:
        def apply(f: Any) -> Any:
            setattr(f, attr, True)
            setattr(f, f"{attr}_priority", priority)
            return f

        return apply(func) if func is not None else apply

    return decorator


class MultiTurnEnvProtocol:
    """Minimal stand-in for verifiers' ``MultiTurnEnv`` when its classic API is not importable.

    Same names as verifiers: ``dataset``, ``rubric``, ``tool_defs``, ``max_turns``, ``setup_state``,
    ``env_response`` (abstract), stop conditions marked with :func:`stop`, cleanups marked with
    :func:`cleanup`, ``is_completed`` and ``cleanup``. verifiers' own rollout loop is not reproduced; a
    caller drives the turns (see ``python/tests/test_verifiers.py``).
    """

    def __init__(
        self,
        dataset: Any = None,
        eval_dataset: Any = None,
        rubric: Any = None,
        tool_defs: Sequence[Mapping[str, Any]] | None = None,
        max_turns: int = -1,
        **kwargs: Any,
    ) -> None:
        self.dataset = dataset
        self.eval_dataset = eval_dataset
        self.rubric = rubric or _FallbackRubric()
        self.tool_defs = list(tool_defs or [])
        self.max_turns = max_turns

    async def setup_state(self, state: dict[str, Any]) -> dict[str, Any]:
        return state

    async def env_response(self, messages: list[Any], state: dict[str, Any], **kwargs: Any) -> list[Any]:
        raise NotImplementedError

    def _marked(self, attr: str) -> list[Any]:
        methods = [m for _, m in inspect.getmembers(self, predicate=inspect.ismethod) if getattr(m, attr, False)]
        return sorted(methods, key=lambda m: (-getattr(m, f"{attr}_priority", 0), m.__name__))

    async def is_completed(self, state: dict[str, Any], **kwargs: Any) -> bool:
        for condition in self._marked("stop"):
            if await condition(state):
                state["is_completed"] = True
                state["stop_condition"] = condition.__name__
                return True
        if self.max_turns > 0 and len(state.get("trajectory", [])) >= self.max_turns:
            state["is_completed"] = True
            state["stop_condition"] = "max_turns_reached"
            return True
        return False

    async def cleanup(self, state: dict[str, Any]) -> None:
        for handler in self._marked("cleanup"):
            await handler(state)


if _vf is not None:
    _Base: Any = _vf.MultiTurnEnv
    _Rubric: Any = _vf.Rubric
    stop: Any = _vf.stop
    cleanup: Any = _vf.cleanup
else:
    _Base = MultiTurnEnvProtocol
    _Rubric = _FallbackRubric
    stop = _mark("stop")
    cleanup = _mark("cleanup")


def _field(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _tool_call_parts(call: Any) -> tuple[str, str, Any]:
    """(id, name, arguments) of a tool call: verifiers' ``ToolCall`` or an OpenAI-style dict."""
    function = _field(call, "function")
    name = _field(call, "name") or (_field(function, "name") if function is not None else None)
    arguments = _field(call, "arguments")
    if arguments is None and function is not None:
        arguments = _field(function, "arguments")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError:
            pass  # the raw string goes to the server, which answers with an `Error: …` result as a local run would
    return str(_field(call, "id") or ""), str(name or ""), arguments if arguments is not None else {}


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(str(_field(part, "text", "")) for part in content)
    return str(content or "")


def _message(role: str, content: str, **extra: Any) -> Any:
    """A chat message: verifiers' message type when its classic API is installed, else the dict."""
    if _vf is not None:
        cls = {"system": "SystemMessage", "user": "UserMessage", "tool": "ToolMessage"}[role]
        return getattr(_vf, cls)(content=content, **extra)
    return {"role": role, "content": content, **extra}


async def groundwork_grade(state: Mapping[str, Any], **kwargs: Any) -> float:
    """The rubric's reward function: Groundwork's grade of the rollout's episode (0 if it never ran)."""
    return float(state.get("groundwork_reward") or 0.0)


class GroundworkMultiTurnEnv(_Base):  # type: ignore[misc,valid-type]
    """verifiers multi-turn environment over ``groundwork serve`` (see the module doc).

    Args:
        base_url: the server (default ``$GROUNDWORK_URL``).
        task_ids: the tasks, one dataset row per (task, seed); default: ``num_examples`` rows by task index.
        seeds: episode seeds per task (default: the server's seeds).
        num_examples: rows by task index when ``task_ids`` is not given.
        include_policy: put the policy (with the task's agent notes) in a system message.
        transport: ``"ws"`` or ``"http"``.
        tools: tool list override (default ``GET /metadata``).
        Other keyword arguments go to verifiers' ``MultiTurnEnv``.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        task_ids: Sequence[str] | None = None,
        seeds: Sequence[int | None] = (None,),
        num_examples: int = 1,
        include_policy: bool = True,
        transport: str = "ws",
        tools: Sequence[Mapping[str, Any]] | None = None,
        max_turns: int = -1,
        **kwargs: Any,
    ) -> None:
        self.base_url = server_url(base_url)
        self.include_policy = include_policy
        self.transport = transport
        specs = list(tools) if tools is not None else fetch_tools(self.base_url)
        tool_defs = [
            {
                "name": s["name"],
                "description": str(s.get("description") or ""),
                "parameters": s.get("parameters") or {"type": "object", "properties": {}},
            }
            for s in specs
        ]
        infos: list[dict[str, Any]] = []
        if task_ids is not None:
            infos = [{"task_id": t, **({"seed": s} if s is not None else {})} for t in task_ids for s in seeds]
        else:
            infos = [{"task_index": i, **({"seed": s} if s is not None else {})} for i in range(num_examples) for s in seeds]
        rows = [{"prompt": [{"role": "user", "content": "(the Groundwork episode opens at setup)"}], "info": info} for info in infos]
        dataset: Any = rows
        if _vf is not None:
            from datasets import Dataset  # a dependency of verifiers

            dataset = Dataset.from_list([{**row, "info": json.dumps(row["info"])} for row in rows])
        rubric = kwargs.pop("rubric", None) or _Rubric(funcs=[groundwork_grade], weights=[1.0])
        super().__init__(dataset=dataset, rubric=rubric, tool_defs=tool_defs, max_turns=max_turns, **kwargs)

    # -- the rollout ----------------------------------------------------------------------------

    async def setup_state(self, state: Any, **kwargs: Any) -> Any:
        info = state.get("info") or {}
        if isinstance(info, str):
            info = json.loads(info)
        episode = GroundworkEpisode(self.base_url, transport=self.transport)
        state["groundwork"] = episode
        state["groundwork_reward"] = None
        await asyncio.to_thread(episode.start, task_id=info.get("task_id"), seed=info.get("seed"), task_index=info.get("task_index"))
        prompt: list[Any] = []
        if self.include_policy and episode.policy:
            prompt.append(_message("system", episode.policy))
        prompt.append(_message("user", opening_text(episode, include_policy=False)))
        state["prompt"] = prompt
        return state

    async def env_response(self, messages: Any, state: Any, **kwargs: Any) -> list[Any]:
        episode: GroundworkEpisode = state["groundwork"]
        last = messages[-1] if messages else {}
        calls = _field(last, "tool_calls") or []
        replies: list[Any] = []
        if calls:
            for call in calls:
                call_id, name, arguments = _tool_call_parts(call)
                if episode.done:
                    text = render_observation({"done": True})
                else:
                    observation = await asyncio.to_thread(episode.act, {"type": "tool_call", "name": name, "arguments": arguments})
                    text = render_observation(observation)
                replies.append(_message("tool", text, tool_call_id=call_id))
        else:
            text = await asyncio.to_thread(episode.say, _text(_field(last, "content")))
            replies.append(_message("user", text))
        if episode.done:
            state["final_env_response"] = replies
        return replies

    @stop
    async def groundwork_done(self, state: Any, **kwargs: Any) -> bool:
        episode = state.get("groundwork")
        return bool(episode is not None and episode.done)

    @cleanup
    async def groundwork_finish(self, state: Any, **kwargs: Any) -> None:
        """Ends a still-running conversation (graded, stored), records the grade, frees the session."""
        episode: GroundworkEpisode | None = state.get("groundwork")
        if episode is None:
            return
        try:
            if episode.task_id is not None:
                state["groundwork_reward"] = await asyncio.to_thread(episode.finish)
                state["groundwork_metadata"] = episode.metadata
        finally:
            await asyncio.to_thread(episode.close)


def openenv_taskset(base_url: str | None = None, resets: Sequence[Mapping[str, Any]] = ({},)) -> Any:
    """verifiers v1's ``OpenEnvTaskset`` pointed at ``groundwork serve`` (needs ``verifiers>=0.4`` and ``openenv``).

    ``resets``: one task per entry, the keyword arguments of the episode's reset, e.g.
    ``[{"task_id": "hd-test-000", "seed": 1}]``.
    """
    from verifiers.v1.tasksets.openenv.taskset import OpenEnvConfig, OpenEnvTaskset

    return OpenEnvTaskset(OpenEnvConfig(base_url=server_url(base_url), resets=[dict(r) for r in resets]))

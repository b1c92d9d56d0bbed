"""Groundwork's simulated user and tools for verl's multi-turn agent loop.

verl (``verl/experimental/agent_loop/tool_agent_loop.py``) runs one rollout per dataset row: the model
generates; a turn with tool calls goes to verl *tools* (``verl/tools/base_tool.py`` ``BaseTool``:
``create``, ``execute(instance_id, parameters, agent_data=...)``, ``calc_reward``, ``release``); a turn
without tool calls goes to the row's *interaction* (``verl/interactions/base.py`` ``BaseInteraction``:
``start_interaction(instance_id, **interaction_kwargs)``, ``generate_response(instance_id, messages,
**interaction_kwargs) -> (should_terminate, user_text, turn_score, extra)``, ``calculate_score``,
``finalize_interaction``), whose text becomes the next user message. The interaction's instance id is the
rollout's ``request_id``, and verl passes ``agent_data`` (which carries that ``request_id``) to every tool
call, so both sides reach the same served episode.

- :class:`GroundworkInteraction` — the simulated user: ``start_interaction`` resets a served episode
  (``task_id``, ``seed`` from ``extra_info.interaction_kwargs``); ``generate_response`` sends the model's
  message to the server's simulated user and returns its reply; the turn score is 0 until the episode is
  done, then Groundwork's grade; ``calculate_score`` is the grade (ending the conversation if needed);
  ``finalize_interaction`` ends and forgets the episode.
- :class:`GroundworkTool` — one verl tool per domain tool (schemas from :func:`tools_config`); each call is
  one step of the rollout's episode.

When verl is installed the classes subclass verl's ``BaseInteraction`` / ``BaseTool`` and return its
``ToolResponse``; otherwise (verl needs torch, ray and a GPU stack) they subclass the minimal stand-ins
below, which have the same constructor and method names and signatures as verl's, so the adapter can
be driven (and tested) exactly as verl's agent loop drives it.

Note: verl's loop (as of the sources above) never calls ``calculate_score`` or ``finalize_interaction``;
an episode cut short by verl's turn or length limits stays open until the server reaps it (stored as
abandoned). The grade of a completed conversation is the last entry of verl's ``turn_scores``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from .trl import SEND_MESSAGE_TOOL, GroundworkEpisode, fetch_tools, server_url

__all__ = [
    "HAVE_VERL",
    "GroundworkInteraction",
    "GroundworkTool",
    "interaction_config",
    "tools_config",
    "dataset_row",
    "dataset_rows",
]

try:  # the real verl base classes when verl is installed
    from verl.interactions.base import BaseInteraction as _BaseInteraction  # type: ignore[import-not-found]
    from verl.tools.base_tool import BaseTool as _BaseTool  # type: ignore[import-not-found]
    from verl.tools.schemas import ToolResponse  # type: ignore[import-not-found]

    HAVE_VERL = True
except ImportError:  # verl is not installed: stand-ins with verl's method names and signatures
    HAVE_VERL = False

    class ToolResponse:  # type: ignore[no-redef]
        """Stand-in for ``verl.tools.schemas.ToolResponse`` (text, image, video)."""

        def __init__(self, text: str | None = None, image: list[Any] | None = None, video: list[Any] | None = None) -> None:
            self.text = text
            self.image = image
            self.video = video

    class _BaseInteraction:  # type: ignore[no-redef]
        """Stand-in for ``verl.interactions.base.BaseInteraction``."""

        def __init__(self, config: dict[str, Any]) -> None:
            self.config = config
            self.name: str = config.get("name", "interaction_agent")

        async def start_interaction(self, instance_id: str | None = None, **kwargs: Any) -> str:
            return instance_id or str(uuid.uuid4())

        async def generate_response(
            self, instance_id: str, messages: list[dict[str, Any]], **kwargs: Any
        ) -> tuple[bool, str, float, dict[str, Any]]:
            raise NotImplementedError

        async def calculate_score(self) -> float:  # verl's base has no arguments; subclasses take instance_id
            return 0.0

        async def finalize_interaction(self) -> None:
            return None

    class _BaseTool:  # type: ignore[no-redef]
        """Stand-in for ``verl.tools.base_tool.BaseTool`` (the schema is the OpenAI function dict)."""

        def __init__(self, config: dict[str, Any], tool_schema: Any) -> None:
            self.config = config
            self.tool_schema = tool_schema
            self.name = _schema_name(tool_schema)

        def get_openai_tool_schema(self) -> Any:
            return self.tool_schema

        async def create(self, instance_id: str | None = None, **kwargs: Any) -> tuple[str, ToolResponse]:
            return instance_id or str(uuid.uuid4()), ToolResponse()

        async def execute(self, instance_id: str, parameters: dict[str, Any], **kwargs: Any) -> tuple[ToolResponse, float, dict[str, Any]]:
            raise NotImplementedError

        async def calc_reward(self, instance_id: str, **kwargs: Any) -> float:
            return 0.0

        async def release(self, instance_id: str, **kwargs: Any) -> None:
            return None


def _schema_name(tool_schema: Any) -> str:
    if isinstance(tool_schema, Mapping):
        return str(tool_schema["function"]["name"])
    return str(tool_schema.function.name)


# Episodes by verl request id, shared by the interaction and the tools of one agent-loop worker process.
_EPISODES: dict[str, GroundworkEpisode] = {}
_LOCK = threading.Lock()


def _episode(instance_id: str) -> GroundworkEpisode:
    with _LOCK:
        episode = _EPISODES.get(instance_id)
    if episode is None:
        raise RuntimeError(f"no Groundwork episode for rollout {instance_id!r}: start_interaction was not called for it")
    return episode


def _last_assistant_text(messages: Sequence[Mapping[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "assistant":
            content = message.get("content")
            if isinstance(content, list):  # content parts
                return "".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
            return str(content or "")
    return ""


class GroundworkInteraction(_BaseInteraction):
    """verl interaction whose user is Groundwork's simulated user (see the module doc).

    Config (the ``config`` block of verl's interaction YAML): ``base_url`` (default ``$GROUNDWORK_URL``),
    ``transport`` (``ws`` or ``http``), ``name`` (verl injects it).
    """

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.base_url = server_url(config.get("base_url"))
        self.transport = str(config.get("transport", "ws"))
        self._checked: set[str] = set()

    async def start_interaction(
        self,
        instance_id: str | None = None,
        task_id: str | None = None,
        seed: int | None = None,
        task_index: int | None = None,
        **kwargs: Any,
    ) -> str:
        """Reset a served episode for this rollout (verl passes its request id and the row's interaction_kwargs)."""
        instance_id = instance_id or str(uuid.uuid4())
        episode = GroundworkEpisode(self.base_url, transport=self.transport)
        try:
            await asyncio.to_thread(episode.start, task_id=task_id, seed=seed, task_index=task_index)
        except BaseException:
            await asyncio.to_thread(episode.close)
            raise
        with _LOCK:
            previous = _EPISODES.pop(instance_id, None)
            _EPISODES[instance_id] = episode
        if previous is not None:
            await asyncio.to_thread(previous.close)
        return instance_id

    def opening(self, instance_id: str) -> str:
        """The user's opening message(s) of the rollout's episode (what the row's prompt should say)."""
        episode = _episode(instance_id)
        return "\n\n".join(str(m) for m in episode.observation.get("messages") or []) if episode.task_id else ""

    async def generate_response(
        self, instance_id: str, messages: list[dict[str, Any]], **kwargs: Any
    ) -> tuple[bool, str, float, dict[str, Any]]:
        """The model's last message goes to the simulated user; its reply, done, and the grade when done."""
        episode = _episode(instance_id)
        if instance_id not in self._checked:
            self._checked.add(instance_id)
            served = self.opening(instance_id)
            if served and not any(m.get("role") == "user" and served in str(m.get("content") or "") for m in messages):
                warnings.warn(
                    f"rollout {instance_id}: the prompt does not contain the served user's opening; build rows with dataset_rows()",
                    stacklevel=2,
                )
        if not episode.done:
            observation = await asyncio.to_thread(episode.act, {"type": "message", "content": _last_assistant_text(messages)})
            reply = "\n\n".join(str(m) for m in observation.get("messages") or [])
        else:
            reply = ""
        if episode.done:
            return True, reply, float(episode.reward or 0.0), {"groundwork": episode.metadata}
        return False, reply, 0.0, {}

    async def calculate_score(self, instance_id: str | None = None, **kwargs: Any) -> float:  # type: ignore[override]
        """Groundwork's grade of the rollout's episode (ends the conversation first if it is still running)."""
        if instance_id is None:
            raise TypeError("calculate_score needs the rollout's instance_id")
        episode = _episode(instance_id)
        return await asyncio.to_thread(episode.finish)

    async def finalize_interaction(self, instance_id: str | None = None, **kwargs: Any) -> None:  # type: ignore[override]
        """Ends the episode if it is still running (graded and stored) and frees its server slot."""
        if instance_id is None:
            return None
        self._checked.discard(instance_id)
        with _LOCK:
            episode = _EPISODES.pop(instance_id, None)
        if episode is None:
            return None
        try:
            if episode.task_id is not None and not episode.done:
                await asyncio.to_thread(episode.finish)
        finally:
            await asyncio.to_thread(episode.close)
        return None


class GroundworkTool(_BaseTool):
    """One domain tool as a verl tool; a call is one step of the rollout's served episode.

    verl builds one instance per entry of the tools YAML (:func:`tools_config` writes it). ``execute`` finds
    the episode by ``agent_data.request_id`` (what verl's agent loop passes) or, failing that, by the
    ``instance_id`` it is given.
    """

    def __init__(self, config: dict[str, Any], tool_schema: Any) -> None:
        super().__init__(config, tool_schema)
        self.tool_name = _schema_name(tool_schema)

    async def execute(self, instance_id: str, parameters: dict[str, Any], **kwargs: Any) -> tuple[ToolResponse, float, dict[str, Any]]:
        agent_data = kwargs.get("agent_data")
        request_id = getattr(agent_data, "request_id", None) if agent_data is not None else None
        key = request_id if request_id is not None else instance_id
        episode = _episode(str(key))
        if isinstance(parameters, str):
            parameters = json.loads(parameters)
        text = await asyncio.to_thread(episode.call_tool, self.tool_name, dict(parameters or {}))
        return ToolResponse(text=text), 0.0, {}

    async def calc_reward(self, instance_id: str, **kwargs: Any) -> float:
        """Groundwork grades the episode, not single tool calls: 0 until done, then the grade."""
        with _LOCK:
            episode = _EPISODES.get(instance_id)
        return float(episode.reward or 0.0) if episode is not None and episode.done else 0.0


def _verl_property(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON Schema property as verl's ``OpenAIFunctionPropertySchema`` accepts it (type, description, enum)."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    out: dict[str, Any] = {"type": kind if isinstance(kind, str) else "string"}
    description = schema.get("description")
    if isinstance(description, str):
        out["description"] = description
    if isinstance(schema.get("enum"), list):
        out["enum"] = [str(v) for v in schema["enum"]]
    return out


def tools_config(base_url: str | None = None, tools: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """verl's tools YAML (as a dict: dump it with yaml) for the served domain's tools.

    ``send_message_to_user`` is left out: in verl a turn without tool calls goes to the interaction.
    """
    specs = list(tools) if tools is not None else fetch_tools(base_url)
    entries = []
    for spec in specs:
        if spec["name"] == SEND_MESSAGE_TOOL:
            continue
        parameters = spec.get("parameters") or {}
        properties = parameters.get("properties") or {}
        entries.append(
            {
                "class_name": f"{__name__}.GroundworkTool",
                "config": {"type": "native"},
                "tool_schema": {
                    "type": "function",
                    "function": {
                        "name": spec["name"],
                        "description": str(spec.get("description") or spec["name"]),
                        "parameters": {
                            "type": "object",
                            "properties": {k: _verl_property(v if isinstance(v, Mapping) else {}) for k, v in properties.items()},
                            "required": [r for r in parameters.get("required") or [] if r in properties],
                        },
                    },
                },
            }
        )
    return {"tools": entries}


def interaction_config(base_url: str | None = None, name: str = "groundwork", transport: str = "ws") -> dict[str, Any]:
    """verl's interaction YAML (as a dict) naming :class:`GroundworkInteraction`."""
    return {
        "interaction": [
            {
                "name": name,
                "class_name": f"{__name__}.GroundworkInteraction",
                "config": {"base_url": server_url(base_url), "transport": transport},
            }
        ]
    }


def dataset_row(task_id: str, opening: str, *, policy: str = "", seed: int | None = None, name: str = "groundwork") -> dict[str, Any]:
    """One verl dataset row: the prompt (policy as system message, the user's opening) and the interaction kwargs.

    In verl the prompt comes from the dataset, before the interaction starts, so the row must carry the
    user's opening and the policy: :func:`dataset_rows` reads them from the server;
    ``GroundworkInteraction.opening(instance_id)`` returns what the server sent for a rollout.
    """
    prompt = ([{"role": "system", "content": policy}] if policy else []) + [{"role": "user", "content": opening}]
    kwargs: dict[str, Any] = {"name": name, "task_id": task_id}
    if seed is not None:
        kwargs["seed"] = seed
    return {"prompt": prompt, "extra_info": {"interaction_kwargs": kwargs}}


def dataset_rows(
    base_url: str | None = None,
    task_ids: Sequence[str] = (),
    seeds: Sequence[int | None] = (None,),
    *,
    name: str = "groundwork",
    transport: str = "ws",
) -> list[dict[str, Any]]:
    """verl dataset rows for (task, seed) pairs, with the policy and the user's opening read from the server.

    Each pair costs one reset on the server: that probe episode ends unplayed and is stored in the served
    run as abandoned (``agent_error``), so build datasets against a scratch ``groundwork serve --db ...``
    when the training run's store should hold only training episodes.
    """
    rows = []
    episode = GroundworkEpisode(base_url, transport=transport)
    try:
        for task_id in task_ids:
            for seed in seeds:
                observation = episode.start(task_id=task_id, seed=seed)
                opening = "\n\n".join(str(m) for m in observation.get("messages") or [])
                rows.append(dataset_row(task_id, opening, policy=episode.policy, seed=seed, name=name))
    finally:
        episode.close()
    return rows

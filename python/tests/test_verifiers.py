"""The verifiers adapters against a real `groundwork serve`.

- `GroundworkMultiTurnEnv` with verifiers' classic multi-turn API installed (verifiers 0.3.x exposes it
  as `verifiers.MultiTurnEnv`): verifiers' own `rollout()` runs the episode, with a scripted model client
  (a subclass of verifiers' `Client` answering with the oracle's turns) in place of an LLM, and its
  rubric scores the state. Without that API the adapter's stand-in base is driven the same way by hand.
- verifiers v1's OpenEnv taskset (`verifiers.v1.tasksets.openenv`), pointed at the server by
  `openenv_taskset`, runs through its own `OpenEnvEnv.run` and OpenEnv's `GenericEnvClient`, with a
  scripted player whose replies are the oracle's wire actions as JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import types
import uuid
from typing import Any
from collections.abc import AsyncIterator, Callable

import pytest

from groundwork_env import verifiers_env
from groundwork_env.verifiers_env import GroundworkMultiTurnEnv, groundwork_grade, openenv_taskset

REFUSAL = {"type": "message", "content": "I'm sorry, I can't help with that."}


def scripted_client(turns: list[dict[str, Any]], seen_tools: list[list[str]]) -> Any:
    """verifiers' Client whose 'model' answers with the given wire actions, one per turn."""
    from verifiers.legacy.clients.client import Client
    from verifiers.legacy.types import Response, ResponseMessage, ToolCall

    script = list(turns)

    class ScriptedClient(Client):  # type: ignore[misc]
        def setup_client(self, config: Any) -> Any:
            return None

        async def to_native_tool(self, tool: Any) -> Any:
            return tool

        async def to_native_prompt(self, messages: Any) -> Any:
            return messages, {}

        async def get_native_response(self, prompt: Any, model: str, sampling_args: Any, tools: Any = None, **kwargs: Any) -> Any:
            seen_tools.append([t.name for t in tools or []])
            turn = script.pop(0) if script else REFUSAL
            if turn["type"] == "tool_call":
                call = ToolCall(id=f"call-{uuid.uuid4().hex[:8]}", name=turn["name"], arguments=json.dumps(turn.get("arguments", {})))
                message = ResponseMessage(content=None, tool_calls=[call], finish_reason="tool_calls", is_truncated=False)
            else:
                message = ResponseMessage(content=turn["content"], finish_reason="stop", is_truncated=False)
            return Response(id=uuid.uuid4().hex, created=0, model=model, message=message)

        async def raise_from_native_response(self, response: Any) -> None:
            return None

        async def from_native_response(self, response: Any) -> Any:
            return response

        async def close(self) -> None:
            return None

    return ScriptedClient(None)


async def manual_rollout(env: GroundworkMultiTurnEnv, row: dict[str, Any], turns: list[dict[str, Any]]) -> dict[str, Any]:
    """The adapter's stand-in base, driven as verifiers' MultiTurnEnv.rollout drives an environment."""
    state: dict[str, Any] = {"info": row["info"], "trajectory": []}
    await env.setup_state(state)
    messages: list[Any] = list(state["prompt"])
    try:
        for turn in turns:
            if turn["type"] == "tool_call":
                call = {
                    "id": uuid.uuid4().hex[:8],
                    "type": "function",
                    "function": {"name": turn["name"], "arguments": json.dumps(turn.get("arguments", {}))},
                }
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
            else:
                messages.append({"role": "assistant", "content": turn["content"]})
            state["trajectory"].append({"completion": [messages[-1]]})
            messages.extend(await env.env_response(messages, state))
            if await env.is_completed(state):
                break
    finally:
        await env.cleanup(state)
    await env.rubric.score_rollout(state)
    return state


def rollout(env: GroundworkMultiTurnEnv, task_id: str, turns: list[dict[str, Any]]) -> tuple[dict[str, Any], list[list[str]]]:
    rows = env.dataset.to_list() if hasattr(env.dataset, "to_list") else list(env.dataset)
    row = next(r for r in rows if (json.loads(r["info"]) if isinstance(r["info"], str) else r["info"]).get("task_id") == task_id)
    seen_tools: list[list[str]] = []
    if not verifiers_env.HAVE_MULTITURN_API:
        return asyncio.run(manual_rollout(env, row, turns)), seen_tools

    async def main() -> Any:
        client = scripted_client(turns, seen_tools)
        state = await env.rollout({"prompt": row["prompt"], "example_id": 0, "info": row["info"]}, client, "scripted")
        await env.rubric.score_rollout(state)
        return state

    return asyncio.run(main()), seen_tools


def test_oracle_through_the_verifiers_env_scores_one(
    server_url: str, gold_task: str, oracle_actions: Callable[[str], list[dict[str, Any]]], reference: Any
) -> None:
    local = reference.episode(gold_task)
    turns = oracle_actions(gold_task)
    env = GroundworkMultiTurnEnv(server_url, task_ids=[gold_task], seeds=[local["seed"]], max_turns=len(turns))
    state, seen_tools = rollout(env, gold_task, turns)
    assert state["groundwork_reward"] == 1.0 == local["reward"]
    assert state["reward"] == 1.0  # the rubric's score is the grade
    assert state["groundwork_metadata"].get("grade")
    if verifiers_env.HAVE_MULTITURN_API:
        assert seen_tools and "send_message_to_user" in seen_tools[0]  # the model saw the served tools
        assert state.get("error") is None


def test_doing_nothing_in_the_verifiers_env_scores_zero(server_url: str, gold_task: str) -> None:
    env = GroundworkMultiTurnEnv(server_url, task_ids=[gold_task], seeds=[1], max_turns=8)
    state, _ = rollout(env, gold_task, [REFUSAL] * 8)
    assert state["groundwork_reward"] == 0.0
    assert state["reward"] == 0.0


def test_the_grade_function_reads_only_the_state() -> None:
    assert asyncio.run(groundwork_grade({"groundwork_reward": 1.0})) == 1.0
    assert asyncio.run(groundwork_grade({})) == 0.0


def scripted_agents(replies: list[str]) -> Any:
    """verifiers v1 `Agents` with one scripted `player`: each turn's reply is the next JSON action."""
    script = list(replies)
    seen: list[str] = []

    class Trace:
        def __init__(self) -> None:
            self.rewards: dict[str, float] = {}
            self.stopped: str | None = None

        def record_reward(self, name: str, value: float) -> None:
            self.rewards[name] = value

        def stop(self, reason: str) -> None:
            self.stopped = reason

    class Interaction:
        def __init__(self) -> None:
            self.trace = Trace()

        async def turn(self, text: str) -> Any:
            seen.append(text)
            reply = script.pop(0) if script else ""
            return types.SimpleNamespace(terminated=False, last_reply=reply)

    interaction = Interaction()

    @contextlib.asynccontextmanager
    async def open_interaction(task: Any) -> AsyncIterator[Interaction]:
        yield interaction

    player = types.SimpleNamespace(interaction=open_interaction)
    return types.SimpleNamespace(player=player), interaction, seen


def run_openenv_taskset(server_url: str, reset: dict[str, Any], actions: list[dict[str, Any]]) -> tuple[Any, list[str]]:
    try:
        from verifiers.v1.tasksets.openenv.taskset import OpenEnvEnv

        importlib.import_module("openenv")  # OpenEnvEnv.run imports GenericEnvClient from it
    except ImportError as error:  # verifiers 0.4 needs mcp 2, which openenv 0.10 does not accept: use verifiers 0.3.1
        pytest.skip(f"verifiers v1's OpenEnv taskset with OpenEnv's client is not importable: {error}")

    taskset = openenv_taskset(server_url, [reset])
    (task,) = list(taskset.load())
    agents, interaction, seen = scripted_agents([json.dumps(a) for a in actions])
    # OpenEnvEnv.run(task, agents) reads nothing from the env instance; its constructor needs a whole
    # v1 run config (harnesses, runtimes), so the bound method runs on a bare instance.
    asyncio.run(OpenEnvEnv.run(object.__new__(OpenEnvEnv), task, agents))
    return interaction.trace, seen


def test_oracle_through_verifiers_openenv_taskset_scores_one(
    server_url: str, gold_task: str, oracle_actions: Callable[[str], list[dict[str, Any]]], reference: Any
) -> None:
    local = reference.episode(gold_task)
    actions = oracle_actions(gold_task) + [{"type": "message", "content": "Done.", "end": True}]
    trace, seen = run_openenv_taskset(server_url, {"task_id": gold_task, "seed": local["seed"]}, actions)
    assert trace.rewards["openenv_reward"] == 1.0 == local["reward"]
    assert json.loads(seen[0])["observation"]["task_id"] == gold_task


def test_doing_nothing_through_verifiers_openenv_taskset_scores_zero(server_url: str, gold_task: str) -> None:
    actions = [REFUSAL] * 8 + [{"type": "message", "content": "Goodbye.", "end": True}]
    trace, _ = run_openenv_taskset(server_url, {"task_id": gold_task, "seed": 1}, actions)
    assert trace.rewards["openenv_reward"] == 0.0

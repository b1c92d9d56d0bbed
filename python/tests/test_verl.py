"""The verl adapter against a real `groundwork serve`, driven as verl's ToolAgentLoop drives it.

verl needs torch, ray and a GPU stack, so it is not installed: the adapter subclasses stand-ins with
verl's method names and signatures (groundwork_env/verl.py says so), and these tests play the loop of
verl/experimental/agent_loop/tool_agent_loop.py: `start_interaction(request_id, **interaction_kwargs)`;
a turn with tool calls → per call `tool.create()`, `tool.execute(instance_id, args, agent_data=...)`,
`tool.release()`; a turn without → `interaction.generate_response(request_id, messages, **kwargs)`, whose
text is the next user message, until it says to terminate.
"""

from __future__ import annotations

import asyncio
import types
import uuid
import warnings
from typing import Any
from collections.abc import Callable

import pytest

from groundwork_env import verl as gw_verl
from groundwork_env.verl import GroundworkInteraction, GroundworkTool, dataset_row, dataset_rows, interaction_config, tools_config

REFUSAL = {"type": "message", "content": "I'm sorry, I can't help with that."}


def build_tools(server_url: str) -> dict[str, GroundworkTool]:
    """What verl's initialize_tools_from_config builds from the tools YAML."""
    tools = {}
    for entry in tools_config(server_url)["tools"]:
        assert entry["class_name"] == "groundwork_env.verl.GroundworkTool"
        schema: Any = entry["tool_schema"]
        if gw_verl.HAVE_VERL:  # pragma: no cover - verl is not installed in CI
            from verl.tools.schemas import OpenAIFunctionToolSchema

            schema = OpenAIFunctionToolSchema.model_validate(schema)
        tool = GroundworkTool(config=entry["config"], tool_schema=schema)
        tools[tool.tool_name] = tool
    return tools


async def call_tool(tools: dict[str, GroundworkTool], agent_data: Any, name: str, args: dict[str, Any]) -> str:
    tool = tools[name]
    instance_id, _ = await tool.create(create_kwargs={})
    try:
        response, _reward, _metrics = await tool.execute(instance_id, args, agent_data=agent_data)
    finally:
        await tool.release(instance_id)
    return str(response.text)


async def verl_rollout(
    server_url: str, kwargs: dict[str, Any], turns: list[dict[str, Any]], prompt: list[dict[str, Any]] | None = None
) -> tuple[list[float], bool, GroundworkInteraction, str]:
    (config,) = interaction_config(server_url)["interaction"]
    interaction = GroundworkInteraction(config={**config["config"], "name": config["name"]})
    tools = build_tools(server_url)
    request_id = uuid.uuid4().hex
    agent_data = types.SimpleNamespace(request_id=request_id)  # verl passes its AgentData; the adapter reads request_id
    await interaction.start_interaction(request_id, **kwargs)
    messages: list[dict[str, Any]] = list(prompt) if prompt is not None else [{"role": "user", "content": interaction.opening(request_id)}]
    scores: list[float] = []
    terminated = False
    for turn in turns:
        if turn["type"] == "tool_call":
            messages.append({"role": "assistant", "content": ""})
            text = await call_tool(tools, agent_data, turn["name"], turn.get("arguments", {}))
            messages.append({"role": "tool", "content": text})
        else:
            messages.append({"role": "assistant", "content": turn["content"]})
            terminated, reply, score, _extra = await interaction.generate_response(request_id, messages, **kwargs)
            scores.append(score)
            messages.append({"role": "user", "content": reply})
            if terminated:
                break
    return scores, terminated, interaction, request_id


def test_oracle_through_the_verl_interaction_scores_one(
    server_url: str, gold_task: str, oracle_actions: Callable[[str], list[dict[str, Any]]], reference: Any
) -> None:
    local = reference.episode(gold_task)
    (row,) = dataset_rows(server_url, [gold_task], [local["seed"]])  # the prompt as verl reads it from the dataset
    assert row["prompt"][0]["role"] == "system" and row["prompt"][-1]["content"].strip()
    kwargs = row["extra_info"]["interaction_kwargs"]

    async def main() -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the row's prompt is the served opening: no mismatch warning
            scores, terminated, interaction, request_id = await verl_rollout(server_url, kwargs, oracle_actions(gold_task), row["prompt"])
        try:
            grade = await interaction.calculate_score(request_id)  # ends the conversation if the oracle's turns did not
            if terminated:
                assert scores[-1] == grade  # the last turn score is the grade
            return grade
        finally:
            await interaction.finalize_interaction(request_id)

    grade = asyncio.run(main())
    assert grade == 1.0 == local["reward"]


def test_noop_through_the_verl_interaction_scores_zero(server_url: str, gold_task: str) -> None:
    kwargs = dataset_row(gold_task, "", seed=1)["extra_info"]["interaction_kwargs"]
    refusals = [REFUSAL] * 12

    async def main() -> tuple[list[float], float]:
        scores, _terminated, interaction, request_id = await verl_rollout(server_url, kwargs, refusals)
        try:
            return scores, await interaction.calculate_score(request_id)
        finally:
            await interaction.finalize_interaction(request_id)

    scores, grade = asyncio.run(main())
    assert grade == 0.0
    assert all(score == 0.0 for score in scores)


def test_a_prompt_without_the_served_opening_warns(server_url: str, gold_task: str) -> None:
    kwargs = dataset_row(gold_task, "", seed=1)["extra_info"]["interaction_kwargs"]
    prompt = [{"role": "user", "content": "Hello, I need help with something else entirely."}]

    async def main() -> None:
        _scores, _terminated, interaction, request_id = await verl_rollout(server_url, kwargs, [REFUSAL], prompt)
        await interaction.finalize_interaction(request_id)

    with pytest.warns(UserWarning, match="opening"):
        asyncio.run(main())


def test_a_tool_call_without_an_interaction_is_refused(server_url: str) -> None:
    tools = build_tools(server_url)
    name = next(iter(tools))

    async def main() -> None:
        await call_tool(tools, types.SimpleNamespace(request_id="never-started"), name, {})

    with pytest.raises(RuntimeError, match="start_interaction"):
        asyncio.run(main())


def test_configs_name_the_adapter_classes(server_url: str) -> None:
    config = interaction_config(server_url)
    assert config["interaction"][0]["class_name"] == "groundwork_env.verl.GroundworkInteraction"
    names = [entry["tool_schema"]["function"]["name"] for entry in tools_config(server_url)["tools"]]
    assert names and "send_message_to_user" not in names  # in verl the user is the interaction
    for entry in tools_config(server_url)["tools"]:
        for prop in entry["tool_schema"]["function"]["parameters"]["properties"].values():
            assert isinstance(prop["type"], str)  # verl's OpenAIFunctionPropertySchema requires a type

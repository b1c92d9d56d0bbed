"""The TRL adapter against a real `groundwork serve`, driven as TRL's GRPOTrainer drives an environment.

TRL itself needs torch, so it is not installed: these tests follow its documented and coded contract
(trl/trainer/grpo_trainer.py): tools are `inspect.getmembers(env, inspect.ismethod)` minus `reset`,
`get_reward` and `_*`, dispatched by `tool.__name__` with the model's JSON arguments as keywords;
`reset(**row)` gets the dataset row; `get_reward()` is called once at the end. When `transformers` is
installed, the tool schemas are also generated with `transformers.utils.get_json_schema`, which is
what TRL's chat template rendering uses.
"""

from __future__ import annotations

import inspect
import pickle
from typing import Any
from collections.abc import Callable

import pytest

from groundwork_env.trl import GroundworkToolEnv, dataset_rows, environment_factory, fetch_tools


def trl_tools(env: object) -> dict[str, Callable[..., Any]]:
    """The tool dict TRL builds for one rollout (grpo_trainer.py, `_sync_tool_dicts`)."""
    methods = [
        m
        for name, m in inspect.getmembers(env, predicate=inspect.ismethod)
        if name not in ("reset", "get_reward") and not name.startswith("_")
    ]
    return {m.__name__: m for m in methods}


def play_trl(env: GroundworkToolEnv, actions: list[dict[str, Any]]) -> list[str]:
    """The oracle's wire actions as the model's tool calls, dispatched the way TRL dispatches them."""
    tools = trl_tools(env)
    results = []
    for action in actions:
        if action["type"] == "tool_call":
            results.append(tools[action["name"]](**action.get("arguments", {})))
        else:
            results.append(tools["send_message_to_user"](message=action["content"]))
        if env.done:
            break
    return results


def test_public_methods_are_the_served_tools(server_url: str) -> None:
    served = fetch_tools(server_url)
    env = GroundworkToolEnv(server_url)
    tools = trl_tools(env)
    assert sorted(tools) == sorted(tool["name"] for tool in served)
    assert "send_message_to_user" in tools
    names = {name for name, _ in inspect.getmembers(env, predicate=inspect.ismethod)}
    assert {"reset", "get_reward"} <= names
    for spec in served:
        method = tools[spec["name"]]
        params = inspect.signature(method).parameters
        properties = spec["parameters"].get("properties", {})
        assert list(params) == sorted(
            properties, key=lambda p: (p not in spec["parameters"].get("required", []), list(properties).index(p))
        )
        for name in spec["parameters"].get("required", []):
            assert params[name].default is inspect.Parameter.empty
        doc = inspect.getdoc(method) or ""
        for name in properties:
            assert f"{name}:" in doc


def test_transformers_reads_the_tool_schemas(server_url: str) -> None:
    utils = pytest.importorskip("transformers.utils", reason="transformers is not installed (TRL's schema reader)")
    served = {tool["name"]: tool for tool in fetch_tools(server_url)}
    env = GroundworkToolEnv(server_url)
    for name, method in trl_tools(env).items():
        schema = utils.get_json_schema(method)["function"]
        assert schema["name"] == name
        expected = served[name]["parameters"]
        assert set(schema["parameters"]["properties"]) == set(expected.get("properties", {}))
        assert set(schema["parameters"].get("required", [])) == set(expected.get("required", []))


@pytest.mark.parametrize("transport", ["ws", "http"])
def test_oracle_through_the_trl_environment_scores_one(
    server_url: str, gold_task: str, oracle_actions: Callable[[str], list[dict[str, Any]]], reference: Any, transport: str
) -> None:
    local = reference.episode(gold_task)
    (row,) = dataset_rows([gold_task], seeds=[local["seed"]])
    factory = pickle.loads(pickle.dumps(environment_factory(server_url, transport=transport)))  # TRL's async trainer pickles the factory
    env = factory()
    try:
        prompt = env.reset(**row)
        assert isinstance(prompt, str) and prompt.strip()
        results = play_trl(env, oracle_actions(gold_task))
        assert results and all(isinstance(r, str) for r in results)
        reward = env.get_reward()
        assert reward == 1.0
        assert reward == local["reward"]
        assert env.done and env.metadata.get("grade")
    finally:
        env._close()


def test_doing_nothing_scores_zero(server_url: str, gold_task: str) -> None:
    env = GroundworkToolEnv(server_url)
    try:
        (row,) = dataset_rows([gold_task], seeds=[1])
        env.reset(**row)
        assert env.get_reward() == 0.0
        assert env.done
    finally:
        env._close()


def test_a_bad_call_is_a_tool_error_not_a_crash(server_url: str, gold_task: str) -> None:
    env = GroundworkToolEnv(server_url)
    try:
        env.reset(task_id=gold_task, seed=1)
        name = next(n for n in trl_tools(env) if n != "send_message_to_user")
        result = env.episode.call_tool(name, {"no_such_argument": 1})  # what a model's malformed call reaches
        assert result.startswith("Error")
        assert not env.done
        env.reset(task_id=gold_task, seed=1)  # the environment is reused across rollouts
        assert not env.done and env.reward is None
    finally:
        env._close()


def test_reset_is_required_and_urls_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROUNDWORK_URL", raising=False)
    with pytest.raises(ValueError, match="GROUNDWORK_URL"):
        environment_factory(None)
    with pytest.raises(ValueError, match="http"):
        environment_factory("ftp://example")
    env = GroundworkToolEnv(
        "http://127.0.0.1:9",
        tools=[
            {
                "name": "get_ticket",
                "description": "d",
                "parameters": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
            }
        ],
    )
    with pytest.raises(RuntimeError, match="reset"):
        env.get_ticket(id="T-1")  # type: ignore[attr-defined]

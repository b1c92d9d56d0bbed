"""GroundworkEnv against a real `groundwork serve`: gold actions score 1, doing nothing 0, over WS and HTTP."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from helpers import Reference, play

from groundwork_env import (
    End,
    CapacityReached,
    GroundworkEnv,
    GroundworkError,
    Message,
    SessionError,
    StepResult,
    ToolCall,
    ValidationError,
)
from groundwork_env.types import Observation, State

TRANSPORTS = ["ws", "http"]


def play_oracle(env: GroundworkEnv, reference: Reference, task: str) -> StepResult:
    local = reference.episode(task)
    first = env.reset(task_id=task, seed=local["seed"])
    assert not first.done and first.reward is None
    assert first.observation.task_id == task
    assert first.observation.tools and first.observation.policy
    return play(env.step, reference.actions(task), lambda r: r.done)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_oracle_actions_score_1_like_the_local_run(server_url: str, reference: Reference, gold_task: str, transport: str) -> None:
    local = reference.episode(gold_task)
    assert local["reward"] == 1
    with GroundworkEnv(server_url, transport=transport) as env:
        result = play_oracle(env, reference, gold_task)
        assert result.done and result.reward == 1.0
        assert result.observation.reward == 1.0
        meta = result.metadata
        assert meta["grade"]["reward"] == 1
        assert meta["grade"]["state"] is True and meta["grade"]["collateral"] is True
        # The same grade and the same final state as the local oracle run of this task and seed.
        outcome = local["outcome"]
        assert meta["grade"]["reward"] == outcome["reward"]
        assert meta["diff"]["finalStateHash"] == local["trajectory"]["finalStateHash"]
        assert result.observation.termination is not None
        state = env.state()
        assert state.done and state.task_id == gold_task and state.step_count == result.observation.step


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_do_nothing_scores_0(server_url: str, reference: Reference, gold_task: str, transport: str) -> None:
    local = reference.episode(gold_task, "noop")
    assert local["reward"] == 0
    with GroundworkEnv(server_url, transport=transport) as env:
        env.reset(task_id=gold_task, seed=local["seed"])
        result = env.step(Message("I can't help with that.", end=True))
        assert result.done and result.reward == 0.0
        assert result.metadata["grade"]["reward"] == 0
        assert result.metadata["grade"]["state"] is False
        assert result.observation.termination is not None and result.observation.termination.reason == "agent_stop"
        assert result.metadata["diff"]["changes"] == 0


def test_ws_and_http_give_the_same_grade(server_url: str, reference: Reference, gold_task: str) -> None:
    grades: Dict[str, Any] = {}
    for transport in TRANSPORTS:
        with GroundworkEnv(server_url, transport=transport) as env:
            result = play_oracle(env, reference, gold_task)
            grades[transport] = (result.reward, result.metadata["grade"], result.metadata["diff"]["finalStateHash"], result.metadata["diff"]["changes"])
    assert grades["ws"] == grades["http"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_bad_action_is_a_validation_error_and_the_session_continues(server_url: str, gold_task: str, transport: str) -> None:
    with GroundworkEnv(server_url, transport=transport) as env:
        env.reset(task_id=gold_task)
        for bad in ({"type": "dance"}, {"type": "tool_call"}, {"type": "message", "content": 3}, {"type": "tool_call", "name": "x", "surprise": 1}):
            with pytest.raises(ValidationError) as caught:
                env.step(bad)
            assert caught.value.code == "VALIDATION_ERROR", caught.value
            if transport == "http":
                assert caught.value.status == 422
        assert env.state().step_count == 0 and not env.state().done
        # The session is still usable: a well-formed tool call runs.
        result = env.step(ToolCall("find_person", {"query": "nobody-at-all@example.invalid"}))
        assert not result.done
        assert [r.name for r in result.observation.tool_results] == ["find_person"]
        assert env.state().step_count == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_invalid_tool_call_is_an_error_result_not_a_protocol_error(server_url: str, gold_task: str, transport: str) -> None:
    with GroundworkEnv(server_url, transport=transport) as env:
        env.reset(task_id=gold_task)
        result = env.step(ToolCall("no_such_tool", {}))
        assert not result.done
        assert len(result.observation.tool_results) == 1 and result.observation.tool_results[0].is_error


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_unknown_task_and_step_before_reset_are_clear_errors(server_url: str, transport: str) -> None:
    with GroundworkEnv(server_url, transport=transport) as env:
        with pytest.raises(GroundworkError) as before:
            env.step(Message("hello"))
        # OpenEnv reports an environment's refusal as EXECUTION_ERROR; protocol.md says SESSION_ERROR.
        assert before.value.code in ("SESSION_ERROR", "EXECUTION_ERROR") and "reset" in before.value.message
        with pytest.raises(ValidationError) as unknown:
            env.reset(task_id="no-such-task")
        assert unknown.value.code == "VALIDATION_ERROR" and "no-such-task" in unknown.value.message


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_step_after_done_is_refused_and_reset_starts_again(server_url: str, gold_task: str, transport: str) -> None:
    with GroundworkEnv(server_url, transport=transport) as env:
        env.reset(task_id=gold_task)
        assert env.step(Message("Goodbye.", end=True)).done
        with pytest.raises(GroundworkError) as after:
            env.step(Message("still there?"))
        assert after.value.code in ("SESSION_ERROR", "EXECUTION_ERROR") and "over" in after.value.message
        again = env.reset(task_id=gold_task)
        assert not again.done and again.observation.step == 0


def test_message_gets_the_simulated_users_reply(server_url: str, gold_task: str) -> None:
    with GroundworkEnv(server_url) as env:
        first = env.reset(task_id=gold_task)
        assert first.observation.messages, "the user's opening message is in the first observation"
        result = env.step(Message("To verify your identity, what is your work email address?"))
        assert not result.done and result.observation.messages and result.observation.messages[0]


def test_dataclasses_match_the_servers_schema(server_url: str) -> None:
    schema = GroundworkEnv(server_url).schema()
    assert set(schema) >= {"action", "observation", "state"}
    obs_fields = set(Observation.__dataclass_fields__) - {"raw"}
    state_fields = set(State.__dataclass_fields__) - {"raw"}
    assert set(schema["observation"]["properties"]) == obs_fields
    assert set(schema["state"]["properties"]) == state_fields
    assert set(schema["observation"]["required"]) <= obs_fields
    variants = {v["properties"]["type"]["const"]: v for v in schema["action"].get("oneOf", schema["action"].get("anyOf", []))}
    # Every action type is a client dataclass, or one of OpenEnv's MCP action forms (sent as dicts).
    assert set(variants) == {"tool_call", "message", "end", "call_tool", "list_tools"}
    for action in (ToolCall("x", {}, id="c1"), Message("x", end=True), End("bye")):
        wire = action.to_wire()
        assert set(wire) <= set(variants[wire["type"]]["properties"]), wire
        assert set(variants[wire["type"]].get("required", [])) <= set(wire), wire


def test_http_session_needs_its_own_token(server_url: str, gold_task: str) -> None:
    a = GroundworkEnv(server_url, transport="http")
    b = GroundworkEnv(server_url, transport="http")
    try:
        a.reset(task_id=gold_task)
        b.reset(task_id=gold_task)
        own = a._http.token  # noqa: SLF001 - the test forges a credential on purpose
        # Session A's id with session B's token is refused.
        a._http.token = b._http.token  # noqa: SLF001
        with pytest.raises(SessionError) as forged:
            a.state()
        assert forged.value.code == "SESSION_ERROR" and forged.value.status in (401, 403, 404)
        a._http.token = own  # noqa: SLF001
        assert a.state().task_id == gold_task
    finally:
        a.close()
        b.close()


def test_health_and_metadata(server_url: str) -> None:
    env = GroundworkEnv(server_url)
    assert env.health()["status"] == "healthy"
    meta = env.metadata()
    assert meta["domain"] == "helpdesk" and meta["name"] and meta["description"]
    names: List[str] = [tool["name"] for tool in meta["tools"]]
    assert "send_message_to_user" in names or "find_person" in names


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_session_cap_gives_capacity_reached_and_frees_slots_on_close(server_url: str, gold_task: str, transport: str) -> None:
    health = GroundworkEnv(server_url).health()
    free = health["max_sessions"] - health["active_sessions"]
    assert 0 < free <= 64
    envs = [GroundworkEnv(server_url, transport=transport) for _ in range(free)]
    try:
        for env in envs:
            env.reset(task_id=gold_task)
        with GroundworkEnv(server_url, transport=transport) as extra:
            with pytest.raises(CapacityReached) as full:
                extra.reset(task_id=gold_task)
            assert full.value.code == "CAPACITY_REACHED"
            if transport == "http":
                assert full.value.status == 503
    finally:
        for env in envs:
            env.close()
    with GroundworkEnv(server_url, transport=transport) as env:
        assert not env.reset(task_id=gold_task).done


def test_end_action_ends_the_conversation(server_url: str, gold_task: str) -> None:
    with GroundworkEnv(server_url) as env:
        env.reset(task_id=gold_task)
        result = env.step(End("I have to stop here."))
        assert result.done and result.reward == 0.0
        assert result.observation.termination is not None and result.observation.termination.reason == "agent_stop"

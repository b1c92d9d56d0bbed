"""OpenEnv's own Python client and its `validate` command against `groundwork serve`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import Reference, play

openenv_core = pytest.importorskip("openenv.core", reason="OpenEnv is not installed (pip install -e 'python[openenv]')")
GenericEnvClient = openenv_core.GenericEnvClient


def test_openenv_generic_client_plays_the_oracle_to_reward_1(server_url: str, reference: Reference, gold_task: str) -> None:
    local = reference.episode(gold_task)
    with GenericEnvClient(base_url=server_url).sync() as env:
        first = env.reset(task_id=gold_task, seed=local["seed"])
        assert first.done is False and first.reward is None
        assert first.observation["task_id"] == gold_task
        result = play(env.step, reference.actions(gold_task), lambda r: r.done)
        assert result.reward == 1
        assert result.observation["metadata"]["grade"]["reward"] == 1
        assert result.observation["metadata"]["diff"]["finalStateHash"] == local["trajectory"]["finalStateHash"]
        state = env.state()
        assert state["done"] is True and state["episode_id"]


def test_openenv_client_sees_a_bad_action_as_a_validation_error_and_goes_on(server_url: str, gold_task: str) -> None:
    with GenericEnvClient(base_url=server_url).sync() as env:
        env.reset(task_id=gold_task)
        with pytest.raises(RuntimeError, match="VALIDATION_ERROR"):
            env.step({"type": "launch_rockets"})
        result = env.step({"type": "call_tool", "tool_name": "find_person", "arguments": {"query": "nobody@example.invalid"}})
        assert result.done is False
        assert [r["name"] for r in result.observation["tool_results"]] == ["find_person"]


def _openenv_cli() -> str:
    candidate = Path(sys.executable).with_name("openenv")
    found = str(candidate) if candidate.exists() else shutil.which("openenv")
    if not found:
        pytest.skip("the `openenv` command of the OpenEnv package is not installed")
    return found


def test_openenv_validate_passes(server_url: str) -> None:
    proc = subprocess.run([_openenv_cli(), "validate", "--url", server_url, "--json"], capture_output=True, text=True, timeout=120)
    report = json.loads(proc.stdout)
    failed = [c for c in report["criteria"] if not c["passed"]]
    assert proc.returncode == 0 and report["passed"] is True, f"failed criteria: {json.dumps(failed, indent=1)}\n{proc.stderr[-1000:]}"
    assert report["mode"] == "simulation"
    assert {c["id"] for c in report["criteria"]} >= {"openapi_version_available", "health_endpoint", "metadata_endpoint", "schema_endpoint", "mcp_endpoint"}

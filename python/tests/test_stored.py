"""Served episodes are stored in the server's run: `groundwork show` reads them, abandoned ones marked."""

from __future__ import annotations

import time

import pytest
from conftest import Server
from helpers import groundwork_json

from groundwork_env import GroundworkEnv, Message


def _wait_for_free_slots(env: GroundworkEnv, active: int) -> None:
    deadline = time.monotonic() + 10
    while env.health()["active_sessions"] > active and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_killed_client_leaves_a_stored_marked_episode_and_a_free_slot(groundwork_server: Server, gold_task: str) -> None:
    if not groundwork_server.run_id:
        pytest.skip("testing a server started elsewhere: its run and database are unknown")
    probe = GroundworkEnv(groundwork_server.url)
    before = probe.health()["active_sessions"]
    env = GroundworkEnv(groundwork_server.url)
    episode_id = env.reset(task_id=gold_task).observation.episode_id
    assert probe.health()["active_sessions"] == before + 1
    env._t._ws.socket.close()  # type: ignore[attr-defined]  # noqa: SLF001 - the client dies: no close message
    _wait_for_free_slots(probe, before)
    assert probe.health()["active_sessions"] == before

    episode = groundwork_json("show", groundwork_server.run_id, "--episode", episode_id, "--db", str(groundwork_server.db))
    assert episode["agent"] == "served:external"
    assert episode["termination"] == "agent_error" and episode["reward"] == 0
    assert episode["trajectory"]["termination"]["detail"] == "client disconnected"


def test_a_finished_served_episode_is_in_the_run(groundwork_server: Server, gold_task: str) -> None:
    if not groundwork_server.run_id:
        pytest.skip("testing a server started elsewhere: its run and database are unknown")
    with GroundworkEnv(groundwork_server.url, transport="http") as env:
        env.reset(task_id=gold_task)
        done = env.step(Message("Sorry, I cannot do that.", end=True))
    assert done.metadata["runId"] == groundwork_server.run_id and done.metadata["episodeId"] == done.observation.episode_id
    episode = groundwork_json("show", groundwork_server.run_id, "--episode", done.observation.episode_id, "--db", str(groundwork_server.db))
    assert episode["termination"] == "agent_stop" and episode["reward"] == done.reward

"""Fixtures: one real `groundwork serve` (helpdesk, scripted user) for the whole session, on loopback.

The tests skip, saying why, only when the server cannot be started at all (no node, no CLI, or a
CLI without `serve`); a server that starts and then misbehaves fails them.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
from helpers import CLI, DOMAIN, REPO, Reference, groundwork_json, node

START_TIMEOUT_S = 120  # the first start may compile TypeScript through tsx


@dataclass(frozen=True)
class Server:
    url: str
    ws: str
    run_id: str
    db: Path


def _start_server(db: Path) -> tuple[subprocess.Popen[str], Dict[str, Any], List[str]]:
    if node() is None:
        pytest.skip("groundwork serve is not runnable: `node` is not on PATH")
    if not CLI.exists():
        pytest.skip(f"groundwork serve is not runnable: {CLI} is missing")
    args = [node() or "node", str(CLI), "serve", "--domain", DOMAIN, "--port", "0", "--json", "--db", str(db)]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1"})
    lines: "queue.Queue[str | None]" = queue.Queue()
    stderr: List[str] = []

    def pump_stdout() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    def pump_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            stderr.append(line)

    threading.Thread(target=pump_stdout, daemon=True).start()
    threading.Thread(target=pump_stderr, daemon=True).start()
    try:
        return _wait_for_url(proc, lines, stderr)
    except BaseException:
        _stop(proc)  # never leave a server behind when the start fails
        raise


def _wait_for_url(proc: subprocess.Popen[str], lines: "queue.Queue[str | None]", stderr: List[str]) -> tuple[subprocess.Popen[str], Dict[str, Any], List[str]]:
    document = ""
    while True:
        try:
            line = lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            pytest.fail(f"groundwork serve printed no URL within {START_TIMEOUT_S}s; stderr: {''.join(stderr)[-2000:]}")
        if line is None:
            proc.wait(timeout=10)
            err = "".join(stderr)
            if "unknown command" in err and "serve" in err:
                pytest.skip("groundwork serve is not runnable: this build of the CLI has no `serve` command")
            pytest.fail(f"groundwork serve exited {proc.returncode} before listening; stderr: {err[-2000:]}")
        # `--json` prints one JSON document (possibly over several lines) once listening.
        if line.startswith("{") or document:
            document += line
            try:
                info = json.loads(document)
            except ValueError:
                continue
            document = ""
            if isinstance(info, dict) and "url" in info:
                return proc, info, stderr


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # serve closes its run and exits 0 on Ctrl-C
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(scope="session")
def groundwork_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = os.environ.get("GROUNDWORK_TEST_SERVER_URL")
    if running:  # test a server you started yourself (helpdesk domain, scripted user)
        yield Server(url=running.rstrip("/"), ws="", run_id="", db=Path(os.environ.get("GROUNDWORK_TEST_SERVER_DB", "")))
        return
    db = tmp_path_factory.mktemp("serve") / "groundwork.db"
    proc, info, stderr = _start_server(db)
    try:
        yield Server(url=str(info["url"]).rstrip("/"), ws=str(info.get("ws", "")), run_id=str(info.get("run_id", "")), db=db)
    finally:
        _stop(proc)
    if proc.returncode not in (0, None, -signal.SIGINT):
        pytest.fail(f"groundwork serve exited {proc.returncode} on shutdown; stderr: {''.join(stderr)[-2000:]}")


@pytest.fixture(scope="session")
def server_url(groundwork_server: Server) -> str:
    return groundwork_server.url


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """Local runs of the same domain (separate database), the reference for served episodes."""
    if node() is None or not CLI.exists():
        pytest.skip("the groundwork CLI is not runnable")
    return Reference(tmp_path_factory.mktemp("reference") / "reference.db")


@pytest.fixture(scope="session")
def gold_task() -> str:
    """The first task of the helpdesk test split whose grade needs a change (so doing nothing scores 0)."""
    if node() is None or not CLI.exists():
        pytest.skip("the groundwork CLI is not runnable")
    listing = groundwork_json("tasks", "list", "--domain", DOMAIN)
    for task in listing["tasks"]:
        if not task.get("noChange"):
            return str(task["id"])
    raise AssertionError("the helpdesk test split has no task that needs a change")


@pytest.fixture(scope="session")
def oracle_actions(reference: Reference) -> Callable[[str], List[Dict[str, Any]]]:
    """`oracle_actions(task_id)`: the oracle's wire actions for a task, from a local oracle run."""
    return reference.actions

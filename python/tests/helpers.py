"""Shared pieces of the Python tests: the Groundwork CLI, reference episodes from local runs, replay."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "bin" / "groundwork.js"
DOMAIN = "helpdesk"

JsonDict = Dict[str, Any]


def node() -> Optional[str]:
    return shutil.which("node")


def groundwork(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run the Groundwork CLI; raise with its stderr when it fails."""
    proc = subprocess.run([node() or "node", str(CLI), *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, env={**os.environ, "NO_COLOR": "1"})
    if proc.returncode != 0:
        raise RuntimeError(f"groundwork {' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    return proc


def groundwork_json(*args: str) -> Any:
    return json.loads(groundwork(*args, "--json").stdout)


class Reference:
    """Episodes of local runs (`groundwork run`) in a throw-away database, read back through the CLI.

    They are the reference a served episode is compared with: the oracle's actions come from the
    stored trajectory of a local oracle run, never from a hard-coded list.
    """

    def __init__(self, db: Path) -> None:
        self.db = db
        self._cache: Dict[tuple[str, str], JsonDict] = {}

    def episode(self, task_id: str, agent: str = "oracle") -> JsonDict:
        key = (task_id, agent)
        if key not in self._cache:
            run = groundwork_json("run", "--domain", DOMAIN, "--agent", agent, "--tasks", task_id, "--trials", "1", "--db", str(self.db))
            run_id = run["runId"]
            out = self.db.parent / f"{run_id}.rl.jsonl"
            groundwork("export", run_id, "--format", "rl", "--db", str(self.db), "-o", str(out))
            lines = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
            episode_id = lines[0]["metadata"]["episodeId"]
            self._cache[key] = groundwork_json("show", run_id, "--episode", episode_id, "--db", str(self.db))
        return self._cache[key]

    def actions(self, task_id: str, agent: str = "oracle") -> List[JsonDict]:
        """The agent's actions in the stored trajectory, in order, as wire actions."""
        return trajectory_actions(self.episode(task_id, agent)["trajectory"]["events"])


def trajectory_actions(events: List[JsonDict]) -> List[JsonDict]:
    actions: List[JsonDict] = []
    for event in events:
        if event.get("type") == "message" and event.get("role") == "agent":
            actions.append({"type": "message", "content": event["content"]})
        elif event.get("type") == "tool_call" and event.get("actor", "agent") == "agent":
            actions.append({"type": "tool_call", "name": event["name"], "arguments": event.get("arguments", {})})
    return actions


def play(step: Callable[[JsonDict], Any], actions: List[JsonDict], done: Callable[[Any], bool]) -> Any:
    """Send `actions` one by one until the episode is done; return the last result.

    The recorded trajectory may end with an outcome report the server does not ask for; the episode
    being done earlier is fine, running out of actions before done is not.
    """
    result = None
    for action in actions:
        result = step(action)
        if done(result):
            return result
    raise AssertionError(f"the episode was not done after all {len(actions)} recorded actions; last result: {result!r}"[:2000])

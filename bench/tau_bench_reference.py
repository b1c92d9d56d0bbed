"""Times tau-bench's own Python on gold replay + grading of its test tasks, for bench/tau-gold-replay.ts.

Usage: python3 bench/tau_bench_reference.py /path/to/tau-bench-checkout

Imports tau-bench from the given checkout (its code is never copied here). For every test task of
retail and airline it does what tau-bench does when an agent replays the gold actions: env.reset(i),
env.step(action) for each gold action, then env.calculate_reward() (which reloads the data, replays
the gold actions and compares data hashes). The user simulator is replaced by a silent one (no model
is called). Prints one JSON line per domain: tasks, passed (reward 1), ms per task.
"""

import json
import sys
import time
import types

if len(sys.argv) != 2:
    sys.exit("usage: tau_bench_reference.py TAU_BENCH_DIR")
sys.path.insert(0, sys.argv[1])
# tau_bench.envs.user imports litellm at module level; no completion is ever called here.
sys.modules.setdefault("litellm", types.SimpleNamespace(completion=None))

from tau_bench.envs import get_env  # noqa: E402


class SilentUser:
    def reset(self, instruction=None):
        return ""

    def step(self, content):
        return ""

    def get_total_cost(self):
        return 0.0


for name in ("retail", "airline"):
    env = get_env(name, user_strategy="human", user_model="none", task_split="test", task_index=0)
    env.user = SilentUser()
    passed = 0
    started = time.perf_counter()
    for index in range(len(env.tasks)):
        env.reset(task_index=index)
        for action in env.task.actions:
            env.step(action)
        if env.calculate_reward().reward == 1.0:
            passed += 1
    elapsed_ms = (time.perf_counter() - started) * 1000
    print(json.dumps({"domain": f"tau-bench/{name}", "tasks": len(env.tasks), "passed": passed, "msPerTask": elapsed_ms / len(env.tasks)}))

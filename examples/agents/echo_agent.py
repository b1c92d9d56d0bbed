#!/usr/bin/env python3
"""A trivial Groundwork agent over JSON lines (docs/external-agents.md).

Run: groundwork run --agent 'cmd:python3 examples/agents/echo_agent.py'
Policy: echo the user's request, ask for their email, then thank them and end.
"""
import json
import sys


def reply(**fields):
    print(json.dumps(fields), flush=True)  # one JSON object per line on stdout


turns = 0
for line in sys.stdin:  # ends at EOF: Groundwork closed our stdin
    msg = json.loads(line)
    if msg["type"] == "start":
        tools = [t["name"] for t in msg["context"]["tools"]]
        print(f"episode start: {len(tools)} tools", file=sys.stderr)  # logs go to stderr
    elif msg["type"] == "turn":
        turns += 1
        said = [e["content"] for e in msg["events"] if e["type"] == "message" and e["role"] == "user"]
        if turns == 1:
            reply(message=f"You said: {said[-1] if said else ''!r}. What is your email address?")
        else:
            reply(message="Thank you, noted. Goodbye!", end=True)
    elif msg["type"] == "end":
        break

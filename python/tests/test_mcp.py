"""The MCP Python SDK against `groundwork serve`'s /mcp, scoped to one episode's session."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest
from helpers import Reference

from groundwork_env import GroundworkEnv

mcp = pytest.importorskip("mcp", reason="the MCP Python SDK is not installed (pip install -e 'python[mcp]')")
httpx = pytest.importorskip("httpx")
from mcp import ClientSession  # noqa: E402

try:  # mcp >= 1.2x
    from mcp.client.streamable_http import streamable_http_client as _connect

    def _transport(url: str, headers: Dict[str, str]) -> Any:
        return _connect(url, http_client=httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(60.0)), terminate_on_close=False)
except ImportError:  # older SDKs
    from mcp.client.streamable_http import streamablehttp_client as _old_connect

    def _transport(url: str, headers: Dict[str, str]) -> Any:
        return _old_connect(url, headers=headers, timeout=60, terminate_on_close=False)


def _text(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


async def _play_over_mcp(url: str, session_id: str, token: str, actions: List[Dict[str, Any]]) -> Dict[str, Any]:
    headers = {"Mcp-Session-Id": session_id, "Authorization": f"Bearer {token}"}
    async with _transport(f"{url}/mcp", headers) as (read, write, _session_id):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = await session.list_tools()
            names = {tool.name for tool in tools.tools}
            assert "send_message_to_user" in names and "find_person" in names
            last: Dict[str, Any] = {}
            for action in actions:
                if action["type"] == "message":
                    result = await session.call_tool("send_message_to_user", {"message": action["content"]})
                else:
                    # MCP-native agents prefix tool names; the server normalises `mcp__server__tool` → `tool`.
                    result = await session.call_tool(f"mcp__groundwork__{action['name']}", action["arguments"])
                    assert not result.isError, _text(result)
                last = dict(result.structuredContent or {})
                if last.get("done"):
                    return last
            raise AssertionError(f"the episode was not done after {len(actions)} MCP calls: {last}")


def test_mcp_sdk_plays_the_same_episode_with_the_same_grade(server_url: str, reference: Reference, gold_task: str) -> None:
    local = reference.episode(gold_task)
    env = GroundworkEnv(server_url, transport="http")
    try:
        first = env.reset(task_id=gold_task, seed=local["seed"])
        assert env.session_token
        done = asyncio.run(_play_over_mcp(server_url, first.observation.session_id, env.session_token, reference.actions(gold_task)))
        assert done["reward"] == 1
        state = env.state()  # the MCP calls acted on this HTTP session's episode
        assert state.done and state.step_count > 0
    finally:
        env.close()


def test_mcp_rejects_another_sessions_token(server_url: str, gold_task: str) -> None:
    a = GroundworkEnv(server_url, transport="http")
    b = GroundworkEnv(server_url, transport="http")
    try:
        first = a.reset(task_id=gold_task)
        b.reset(task_id=gold_task)
        response = httpx.post(
            f"{server_url}/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Mcp-Session-Id": first.observation.session_id, "Authorization": f"Bearer {b.session_token}"},
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] < 0
    finally:
        a.close()
        b.close()


def test_mcp_over_websocket_is_scoped_to_the_connection(server_url: str, gold_task: str) -> None:
    with GroundworkEnv(server_url) as env:
        before = env.mcp({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert "error" in before  # no episode on this connection yet
        env.reset(task_id=gold_task)
        listed = env.mcp({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        assert {tool["name"] for tool in listed["result"]["tools"]} >= {"find_person", "send_message_to_user"}
        called = env.mcp({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "find_person", "arguments": {"query": "nobody@example.invalid"}}})
        assert called["result"]["isError"] is False
        assert env.state().step_count == 1

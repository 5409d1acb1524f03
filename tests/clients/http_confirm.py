"""A model's `confirm: true` does not replace the user's answer.

usage: http_confirm.py URL KEY

For each protocol era the SDK speaks (a 2025-11-25 session with elicitation,
2026-07-28 stateless requests with input-required rounds): create an agent,
then call smartalex_delete_agent with `confirm: true` as a model would. The
client can ask, so the server must ask; the user declines. Then check the
agent is still there. Prints one JSON report.
"""

import asyncio
import json
import sys

import httpx2
from mcp import Client, types
from mcp.client.streamable_http import streamable_http_client


def attr(obj, snake, camel):
    return getattr(obj, snake, getattr(obj, camel, None))


asked = []


async def decline(context, params):
    asked.append(params.message)
    return types.ElicitResult(action="decline")


async def era(url, key, mode, tag):
    out = {}
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30)
    client = Client(
        streamable_http_client(url, http_client=http),
        mode=mode,
        elicitation_callback=decline,
    )
    async with client as c:
        out["protocol_version"] = c.protocol_version
        agent = await c.call_tool(
            "smartalex_create_agent_advanced",
            {"name": f"Keep {tag}", "objective": "Book viewings for open houses"},
        )
        agent_id = attr(agent, "structured_content", "structuredContent")["id"]
        before = len(asked)
        deleted = await c.call_tool("smartalex_delete_agent", {"id": agent_id, "confirm": True})
        out["asked"] = len(asked) - before
        out["delete_error"] = attr(deleted, "is_error", "isError")
        out["delete_text"] = deleted.content[0].text
        still = await c.call_tool("smartalex_get_agent", {"id": agent_id})
        out["agent_still_there"] = not attr(still, "is_error", "isError")
    return out


async def main():
    url, key = sys.argv[1:3]
    report = {
        "legacy": await era(url, key, "legacy", "L"),
        "stateless": await era(url, key, "2026-07-28", "S"),
    }
    report["questions"] = asked
    print(json.dumps(report))


asyncio.run(main())

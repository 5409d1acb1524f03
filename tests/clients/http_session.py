"""Cloud mode with the official Python SDK over Streamable HTTP, API keys.

usage: http_session.py URL KEY_A KEY_B

For each protocol era the SDK speaks (the 2025-11-25 handshake with a
session, and 2026-07-28 stateless requests): connect with workspace A's key,
list the surface, create a contact, read it back through a resource template,
render a prompt, delete an agent after approving the confirmation (elicitation
on 2025-11-25, an input-required round on 2026-07-28); then connect with
workspace B's key and look for A's contact. Prints one JSON report.
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


async def approve(context, params):
    asked.append(params.message)
    return types.ElicitResult(action="accept", content={"confirm": True})


def connect(url, key, mode):
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30)
    return Client(
        streamable_http_client(url, http_client=http),
        mode=mode,
        elicitation_callback=approve,
    )


async def era(url, key_a, key_b, mode, tag):
    out = {}
    async with connect(url, key_a, mode) as a:
        out["protocol_version"] = a.protocol_version
        out["tools"] = len((await a.list_tools()).tools)
        out["resources"] = len((await a.list_resources()).resources)
        out["prompts"] = len((await a.list_prompts()).prompts)
        created = await a.call_tool(
            "smartalex_create_contact",
            {"first_name": f"Ada{tag}", "last_name": "Lovelace", "phone": "+14155550100"},
        )
        out["create_error"] = attr(created, "is_error", "isError")
        contact = attr(created, "structured_content", "structuredContent")
        out["contact_id"] = contact["id"]
        read = await a.read_resource(f"smartalex://contacts/{contact['id']}")
        out["resource_first_name"] = json.loads(read.contents[0].text)["first_name"]
        prompt = await a.get_prompt("pipeline-review", {"stage": "offer"})
        out["prompt_messages"] = len(prompt.messages)
        agent = await a.call_tool(
            "smartalex_create_agent_advanced",
            {"name": f"Temp {tag}", "objective": "Book viewings for open houses"},
        )
        agent_id = attr(agent, "structured_content", "structuredContent")["id"]
        deleted = await a.call_tool("smartalex_delete_agent", {"id": agent_id})
        out["delete_error"] = attr(deleted, "is_error", "isError")
        out["delete_text"] = deleted.content[0].text
        gone = await a.call_tool("smartalex_get_agent", {"id": agent_id})
        out["agent_gone"] = attr(gone, "is_error", "isError")
    async with connect(url, key_b, mode) as b:
        listed = await b.call_tool("smartalex_list_contacts", {"per_page": 100})
        names = [c["first_name"] for c in attr(listed, "structured_content", "structuredContent")["data"]]
        out["b_sees_a"] = f"Ada{tag}" in names
        got = await b.call_tool("smartalex_get_contact", {"id": out["contact_id"]})
        out["b_get_error"] = attr(got, "is_error", "isError")
        out["b_get_text"] = got.content[0].text
    return out


async def main():
    url, key_a, key_b = sys.argv[1:4]
    report = {
        "legacy": await era(url, key_a, key_b, "legacy", "L"),
        "stateless": await era(url, key_a, key_b, "2026-07-28", "S"),
    }
    report["asked"] = asked
    print(json.dumps(report))


asyncio.run(main())

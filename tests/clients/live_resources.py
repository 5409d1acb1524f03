"""Live resources with the official Python SDK over Streamable HTTP.

usage: live_resources.py URL KEY OTHER_KEY

For each protocol era: watch smartalex://calls/recent and
smartalex://campaigns/active (resources/subscribe in a 2025-11-25 session,
a subscriptions/listen stream on 2026-07-28), then create a campaign with
two contacts and start it (approving the confirmation); the sandbox places
its calls. Reports, per URI, the seconds from the start call's answer to the
first notifications/resources/updated, and what subscribing to a URI the
server does not serve gives. Meanwhile a session of another workspace
(OTHER_KEY) watches the same URIs: it must hear nothing. Prints one JSON
report.
"""

import asyncio
import json
import sys
import time
import warnings

import httpx2
from mcp import Client, types

from mcp.client.streamable_http import streamable_http_client

# resources/subscribe is how 2025-11-25 sessions subscribe; the SDK warns
# that 2026-07-28 removed it.
warnings.simplefilter("ignore")

WATCHED = ["smartalex://calls/recent", "smartalex://campaigns/active"]
WAIT = 10.0


def attr(obj, snake, camel):
    return getattr(obj, snake, getattr(obj, camel, None))


async def approve(context, params):
    return types.ElicitResult(action="accept", content={"confirm": True})


def connect(url, key, mode, handler=None):
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30)
    kwargs = {"mode": mode, "elicitation_callback": approve}
    if handler is not None:
        kwargs["message_handler"] = handler
    return Client(streamable_http_client(url, http_client=http), **kwargs)


async def start_campaign(client, tag):
    agents = attr(await client.call_tool("smartalex_list_agents", {}), "structured_content", "structuredContent")
    contacts = attr(
        await client.call_tool("smartalex_list_contacts", {"per_page": 2}), "structured_content", "structuredContent"
    )
    created = await client.call_tool(
        "smartalex_create_campaign", {"name": f"Live {tag}", "agent_id": agents["data"][0]["id"]}
    )
    campaign = attr(created, "structured_content", "structuredContent")["id"]
    await client.call_tool(
        "smartalex_add_contacts_to_campaign",
        {"id": campaign, "contact_ids": [c["id"] for c in contacts["data"]]},
    )
    sent = time.monotonic()
    started = await client.call_tool("smartalex_start_campaign", {"id": campaign, "confirm": True})
    if attr(started, "is_error", "isError"):
        raise RuntimeError(f"start failed: {started.content[0].text}")
    return sent, time.monotonic()


def timing(heard, sent, started):
    """Per watched URI: seconds from the start call's answer to the first
    update (0 if it came first), and whether every update came after the
    call was sent (none was left over from before)."""
    return {
        "seconds": {u: round(max(0.0, heard[u] - started), 3) for u in heard if u in WATCHED},
        "after_sent": all(heard[u] >= sent for u in heard),
    }


def uri_of(message):
    root = getattr(message, "root", message)
    if isinstance(root, types.ResourceUpdatedNotification):
        return root.params.uri
    return None


async def legacy(url, key, other_key):
    heard = {}
    other_heard = []

    async def handler(message):
        uri = uri_of(message)
        if uri is not None:
            heard.setdefault(uri, time.monotonic())

    async def other_handler(message):
        uri = uri_of(message)
        if uri is not None:
            other_heard.append(uri)

    out = {}
    async with connect(url, key, "legacy", handler) as client, connect(
        url, other_key, "legacy", other_handler
    ) as other:
        for uri in WATCHED:
            await other.subscribe_resource(uri)
        out["protocol_version"] = client.protocol_version
        for uri in WATCHED:
            await client.subscribe_resource(uri)
        try:
            await client.subscribe_resource("smartalex://nowhere")
            out["unknown_uri_error"] = None
        except Exception as e:  # the SDK raises MCPError
            out["unknown_uri_error"] = [getattr(getattr(e, "error", None), "code", None), str(e)]
        heard.clear()
        sent, started = await start_campaign(client, "L")
        deadline = time.monotonic() + WAIT
        while len(heard) < len(WATCHED) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        out.update(timing(heard, sent, started))
        # Updates of the first workspace have arrived; give any leak as long.
        await asyncio.sleep(1.0)
        out["other_workspace_heard"] = other_heard
        for uri in WATCHED:
            await client.unsubscribe_resource(uri)
    return out


async def stateless(url, key):
    out = {}
    async with connect(url, key, "2026-07-28") as client:
        out["protocol_version"] = client.protocol_version
        heard = {}
        async with client.listen(resource_subscriptions=WATCHED + ["smartalex://nowhere"]) as sub:
            out["honored"] = sorted(sub.honored.resource_subscriptions or [])

            async def drain():
                async for event in sub:
                    uri = getattr(event, "uri", None)
                    if uri is not None:
                        heard.setdefault(uri, time.monotonic())
                    if len(heard) >= len(WATCHED):
                        return

            reader = asyncio.create_task(drain())
            sent, started = await start_campaign(client, "S")
            try:
                await asyncio.wait_for(reader, WAIT)
            except asyncio.TimeoutError:
                pass
        out.update(timing(heard, sent, started))
    return out


async def main():
    url, key, other_key = sys.argv[1:4]
    report = {"legacy": await legacy(url, key, other_key), "stateless": await stateless(url, key)}
    print(json.dumps(report))


asyncio.run(main())

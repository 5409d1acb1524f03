"""A realistic session against `smartalex-mcp --sandbox`, with the official SDK.

usage: sandbox_flow.py -- COMMAND [ARGS...]

Serves a business web page and a webhook receiver on loopback, then: Quick
Setup an agent from the page, subscribe a webhook, create contacts, create a
campaign, add contacts (with a duplicate), start it (approving the
confirmation), wait for the calls, read a transcript, move a deal through
stages. Prints one JSON report, including every webhook delivery received and
whether its signature verified.
"""

import asyncio
import hashlib
import hmac
import http.server
import json
import os
import sys
import threading
import time

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client

PAGE = b"""<!DOCTYPE html><html><head><title>Harbor Realty | Homes in Portland</title>
<meta name="description" content="Harbor Realty helps families buy and sell homes in Portland, Oregon.">
</head><body><h1>Harbor Realty</h1><p>We schedule private viewings seven days a week and
know every neighbourhood from Pearl to Sellwood.</p><script>var tracking = 1;</script></body></html>"""

deliveries = []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        deliveries.append({k.lower(): v for k, v in self.headers.items()} | {"body": body.decode()})
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def attr(obj, snake, camel):
    return getattr(obj, snake, getattr(obj, camel, None))


async def approve(context, params):
    return types.ElicitResult(action="accept", content={"confirm": True})


async def main() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    command = sys.argv[sys.argv.index("--") + 1 :]
    params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    report = {}
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, elicitation_callback=approve) as session:
            await session.initialize()

            async def call(name, args):
                r = await session.call_tool(name, args)
                out = attr(r, "structured_content", "structuredContent")
                if attr(r, "is_error", "isError"):
                    raise RuntimeError(f"{name} failed: {[c.text for c in r.content]}")
                return out

            hook = await call("smartalex_create_webhook", {"url": f"{base}/hooks",
                              "event_types": ["contact.created", "campaign.started", "call.completed", "deal.stage_changed"]})
            secret = hook["signing_secret"]
            listed = await call("smartalex_list_webhooks", {})
            report["secret_shown_again"] = "signing_secret" in json.dumps(listed)

            agent = await call("smartalex_create_agent", {"website_url": f"{base}/"})
            report["agent"] = agent

            contacts = []
            for first, phone in [("Ada", "+15035550101"), ("Grace", "+15035550102"), ("Alan", "+15035550103")]:
                c = await call("smartalex_create_contact", {"first_name": first, "phone": phone, "company": "Acme"})
                contacts.append(c["id"])
            campaign = await call("smartalex_create_campaign", {"name": "Portland viewings", "agent_id": agent["id"],
                                  "objective": "Book a private viewing"})
            added = await call("smartalex_add_contacts_to_campaign",
                               {"id": campaign["id"], "contact_ids": contacts + [contacts[0]]})
            report["added"] = added
            again = await call("smartalex_add_contacts_to_campaign", {"id": campaign["id"], "contact_ids": contacts[:1]})
            report["added_again"] = again
            started = await call("smartalex_start_campaign", {"id": campaign["id"]})
            report["started_status"] = started["status"]

            calls = []
            for _ in range(150):
                page = await call("smartalex_list_calls", {"campaign_id": campaign["id"], "per_page": 100})
                calls = page["data"]
                if len(calls) >= 3 and all(c["call_status"] not in ("queued", "ringing", "in_progress") for c in calls):
                    break
                await asyncio.sleep(0.2)
            report["calls"] = calls
            done = [c for c in calls if c["call_status"] == "completed"]
            report["transcript"] = (await call("smartalex_get_call", {"id": done[0]["id"]}))["transcript"] if done else None
            report["campaign_after"] = await call("smartalex_get_campaign", {"id": campaign["id"]})

            before = await session.read_resource("smartalex://deals/pipeline")
            report["pipeline_before"] = json.loads(before.contents[0].text)
            deal = await call("smartalex_create_deal", {"deal_name": "Ada: 2-bed in Pearl", "contact_id": contacts[0], "value": 450000})
            stages = [deal["stage"]]
            for stage in ["qualified", "showing", "offer", "closed_won"]:
                stages.append((await call("smartalex_update_deal", {"id": deal["id"], "stage": stage}))["stage"])
            report["stages"] = stages
            pipeline = await session.read_resource("smartalex://deals/pipeline")
            report["pipeline"] = json.loads(pipeline.contents[0].text)

            for _ in range(100):
                events = {d.get("x-smartalex-event") for d in deliveries}
                if {"contact.created", "campaign.started", "call.completed", "deal.stage_changed"} <= events:
                    break
                await asyncio.sleep(0.1)

    verified = []
    for d in deliveries:
        ts, sig = d.get("x-smartalex-timestamp", ""), d.get("x-smartalex-signature", "")
        expected = "v1=" + hmac.new(secret.encode(), f"{ts}.{d['body']}".encode(), hashlib.sha256).hexdigest()
        verified.append({"event": d.get("x-smartalex-event"), "ok": hmac.compare_digest(expected, sig),
                         "age": abs(time.time() - int(ts or 0))})
    report["deliveries"] = verified
    print(json.dumps(report))


asyncio.run(main())

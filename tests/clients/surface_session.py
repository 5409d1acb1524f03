"""Exercise the whole MCP surface of a server with the official Python SDK.

usage: surface_session.py -- COMMAND [ARGS...]

Against a fresh sandbox: reads every resource and template, gets every prompt,
completes an argument, answers one confirmation yes and one no through
elicitation, and collects progress notifications. Prints one JSON report.
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client


def attr(obj, snake, camel):
    return getattr(obj, snake, getattr(obj, camel, None))


def text_of(result):
    return [c.text for c in result.content if getattr(c, "type", "") == "text"]


answers = []  # what the next elicitations answer: True = accept, False = decline
asked = []


async def on_elicit(context, params):
    asked.append(params.message)
    yes = answers.pop(0)
    if yes:
        return types.ElicitResult(action="accept", content={"confirm": True})
    return types.ElicitResult(action="decline")


async def main() -> None:
    command = sys.argv[sys.argv.index("--") + 1 :]
    params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    report = {}
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, elicitation_callback=on_elicit) as session:
            init = await session.initialize()
            report["capabilities"] = attr(init, "capabilities", "capabilities").model_dump(exclude_none=True)

            async def call(name, args):
                r = await session.call_tool(name, args)
                return {"isError": bool(attr(r, "is_error", "isError")), "text": text_of(r),
                        "structured": attr(r, "structured_content", "structuredContent")}

            agent = await call("smartalex_create_agent_advanced", {"name": "Ava", "objective": "Book property viewings"})
            agent_id = agent["structured"]["id"]
            contact = await call("smartalex_create_contact", {"first_name": "Ada", "phone": "+14155550123"})
            contact_id = contact["structured"]["id"]
            deal = await call("smartalex_create_deal", {"deal_name": "Flat on Elm St", "stage": "offer", "value": 250000})
            deal_id = deal["structured"]["id"]
            campaign = await call("smartalex_create_campaign", {"name": "Autumn", "agent_id": agent_id})
            campaign_id = campaign["structured"]["id"]

            resources = await session.list_resources()
            report["resources"] = {}
            for r in resources.resources:
                contents = await session.read_resource(r.uri)
                c = contents.contents[0]
                report["resources"][str(r.uri)] = {"mimeType": attr(c, "mime_type", "mimeType"), "text": c.text}
            templates = await session.list_resource_templates()
            report["templates"] = [attr(t, "uri_template", "uriTemplate") for t in templates.resource_templates]
            report["template_reads"] = {}
            for uri in [f"smartalex://contacts/{contact_id}", f"smartalex://agents/{agent_id}"]:
                contents = await session.read_resource(uri)
                report["template_reads"][uri] = json.loads(contents.contents[0].text)

            prompts = await session.list_prompts()
            report["prompts"] = {}
            fixed = {
                "campaign-strategy": {"goal": "book 20 viewings", "agent_id": agent_id},
                "lead-qualification": {"campaign_id": campaign_id, "criteria": "budget confirmed"},
                "agent-design": {"agent_id": agent_id},
                "call-analysis": {"focus": "why calls end early"},
                "pipeline-review": {"stage": "offer"},
            }
            for p in prompts.prompts:
                got = await session.get_prompt(p.name, fixed.get(p.name, {}))
                report["prompts"][p.name] = [
                    {"role": m.role, "type": m.content.type,
                     "uri": str(m.content.resource.uri) if m.content.type == "resource" else None,
                     "text": m.content.text if m.content.type == "text" else None}
                    for m in got.messages
                ]

            ref = types.PromptReference(type="ref/prompt", name="campaign-strategy")
            done = await session.complete(ref, {"name": "agent_id", "value": "av"})
            report["completion"] = done.completion.values
            tref = types.ResourceTemplateReference(type="ref/resource", uri="smartalex://contacts/{id}")
            done = await session.complete(tref, {"name": "id", "value": contact_id[:4]})
            report["template_completion"] = done.completion.values

            answers.extend([False, True])
            report["declined"] = await call("smartalex_delete_deal", {"id": deal_id})
            report["after_decline"] = await call("smartalex_list_deals", {})
            report["accepted"] = await call("smartalex_delete_deal", {"id": deal_id})
            report["after_accept"] = await call("smartalex_list_deals", {})
            report["asked"] = asked

            progress = []

            async def on_progress(value, total, message):
                progress.append({"progress": value, "total": total, "message": message})

            r = await session.call_tool(
                "smartalex_add_contacts_to_campaign",
                {"id": campaign_id, "contact_ids": [contact_id, contact_id]},
                progress_callback=on_progress,
            )
            report["progress_call"] = {"isError": bool(attr(r, "is_error", "isError")), "text": text_of(r)}
            report["progress"] = progress
            report["ids"] = {"agent": agent_id, "contact": contact_id, "deal": deal_id, "campaign": campaign_id}
    print(json.dumps(report))


asyncio.run(main())

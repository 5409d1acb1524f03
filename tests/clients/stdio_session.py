"""Drive an MCP server over stdio with the official Python `mcp` SDK.

usage: stdio_session.py PLAN_JSON -- COMMAND [ARGS...]

PLAN_JSON is a list of {"tool": name, "args": {...}} calls, made in order.
Prints one JSON object: the negotiated protocol version, server name, the
tool names from tools/list, and each call's isError + text content.
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def attr(obj, snake, camel):
    """mcp 2.x names fields in snake_case; 1.x used the wire's camelCase."""
    return getattr(obj, snake, getattr(obj, camel, None))


async def main() -> None:
    plan = json.loads(sys.argv[1])
    command = sys.argv[sys.argv.index("--") + 1 :]
    params = StdioServerParameters(command=command[0], args=command[1:], env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            listed = await session.list_tools()
            results = []
            for step in plan:
                result = await session.call_tool(step["tool"], step.get("args", {}))
                results.append(
                    {
                        "isError": bool(attr(result, "is_error", "isError")),
                        "text": [c.text for c in result.content if getattr(c, "type", "") == "text"],
                    }
                )
    print(
        json.dumps(
            {
                "protocolVersion": attr(init, "protocol_version", "protocolVersion"),
                "server": attr(init, "server_info", "serverInfo").name,
                "tools": [t.name for t in listed.tools],
                "schemas": {t.name: attr(t, "input_schema", "inputSchema") for t in listed.tools},
                "results": results,
            }
        )
    )


asyncio.run(main())

"""The official SDK's OAuth client against the sandbox's authorization server.

usage: oauth_provider.py SANDBOX_URL CONSENT_LINK CLIENT_ID CLIENT_SECRET PORT

Serves a stand-in MCP resource server on 127.0.0.1:PORT: 401 with RFC 9728
metadata naming the sandbox as its authorization server; with a token, it
introspects it at the sandbox, checks the audience is itself, exchanges it
(RFC 8693, authenticated as its provisioned client CLIENT_ID) for a gateway
token and lists contacts with that. Then lets
`mcp.client.auth.OAuthClientProvider` find its way in: discovery, dynamic
registration, the consent page (filled in here, as the operator would: the
browser has opened CONSENT_LINK, the link the sandbox printed on stderr, and
posts the form from the page), PKCE, the code exchange. Prints one JSON
report; never prints a token.
"""

import asyncio
import base64
import json
import re
import sys
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx2
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.shared.auth import OAuthClientMetadata

from oauth_support import Memory

SANDBOX, CONSENT_LINK, CLIENT_ID, CLIENT_SECRET, PORT = sys.argv[1:6]
REDIRECT = "http://localhost:3030/callback"


def post_form(path, fields, basic=None):
    body = urllib.parse.urlencode(fields).encode()
    req = urllib.request.Request(SANDBOX + path, data=body, method="POST")
    req.add_header("content-type", "application/x-www-form-urlencoded")
    if basic:
        pair = ":".join(urllib.parse.quote_plus(p) for p in basic)
        req.add_header("authorization", "Basic " + base64.b64encode(pair.encode()).decode())
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


class Resource(BaseHTTPRequestHandler):
    url = ""

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        origin = Resource.url.rsplit("/mcp", 1)[0]
        if self.path.startswith("/.well-known/oauth-protected-resource"):
            return self.reply(200, {"resource": Resource.url, "authorization_servers": [SANDBOX],
                                    "scopes_supported": ["read", "write"]})
        auth = self.headers.get("authorization", "")
        challenge = [("www-authenticate",
                      f'Bearer resource_metadata="{origin}/.well-known/oauth-protected-resource/mcp"')]
        if not auth.startswith("Bearer "):
            return self.reply(401, {"error": "unauthorized"}, challenge)
        token = auth[len("Bearer "):]
        _, seen = post_form("/oauth/introspect", {"token": token})
        if not seen.get("active") or seen.get("aud") != Resource.url:
            return self.reply(401, {"error": "invalid_token"}, challenge)
        status, exchanged = post_form("/oauth/token", {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": token,
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "resource": SANDBOX,
        }, basic=(CLIENT_ID, CLIENT_SECRET))
        if status != 200:
            return self.reply(502, {"exchange": exchanged})
        req = urllib.request.Request(SANDBOX + "/contacts")
        req.add_header("authorization", "Bearer " + exchanged["access_token"])
        with urllib.request.urlopen(req) as r:
            contacts = json.load(r)
        self.reply(200, {"introspected": {k: seen[k] for k in ("token_type", "scope", "aud", "iss")},
                         "exchanged_scope": exchanged["scope"],
                         "contacts_total": contacts["total"]})


async def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(PORT)), Resource)
    Resource.url = f"http://127.0.0.1:{server.server_address[1]}/mcp"
    threading.Thread(target=server.serve_forever, daemon=True).start()

    report = {}
    result = {}

    async def browser(authorization_url):
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorization_url).query))
        report["authorize_params"] = {k: query.get(k) for k in
                                      ("response_type", "code_challenge_method", "resource", "scope")}
        async with httpx2.AsyncClient(follow_redirects=False) as http:
            # The operator opened the consent link once: its cookie is in the jar.
            opened = await http.get(CONSENT_LINK)
            report["consent_link_status"] = opened.status_code
            page = await http.get(authorization_url)
            report["consent_status"] = page.status_code
            request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            workspace = re.search(r'<option value="([^"]+)">', page.text).group(1)
            decided = await http.post(SANDBOX + "/oauth/authorize", headers={"origin": SANDBOX}, data={
                "request_id": request_id, "csrf_token": csrf, "workspace_id": workspace,
                "decision": "approve"})
            report["decision_status"] = decided.status_code
            back = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(decided.headers["location"]).query))
            result.update(back)

    async def callback():
        return AuthorizationCodeResult(code=result["code"], state=result.get("state"), iss=result.get("iss"))

    storage = Memory()
    provider = OAuthClientProvider(
        server_url=Resource.url,
        client_metadata=OAuthClientMetadata(
            redirect_uris=[REDIRECT], client_name="Python SDK", scope="read write",
            grant_types=["authorization_code", "refresh_token"], response_types=["code"]),
        storage=storage,
        redirect_handler=browser,
        callback_handler=callback,
    )
    async with httpx2.AsyncClient(auth=provider) as http:
        r = await http.get(Resource.url)
        report["status"] = r.status_code
        report["body"] = r.json()
    report["registered_method"] = storage.client.token_endpoint_auth_method if storage.client else None
    report["token_type"] = storage.tokens.token_type if storage.tokens else None
    report["has_refresh_token"] = bool(storage.tokens and storage.tokens.refresh_token)
    server.shutdown()
    print(json.dumps(report))


asyncio.run(main())

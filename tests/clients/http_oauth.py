"""The whole OAuth flow against cloud mode, with the official Python SDK.

usage: http_oauth.py URL WORKSPACE CONSENT_LINK

The SDK's OAuthClientProvider does discovery (RFC 9728 metadata from the 401,
RFC 8414 from the authorization server), dynamic client registration
(RFC 7591), and the authorization-code flow with PKCE and a resource
indicator. Its redirect handler plays the operator: its browser has opened
CONSENT_LINK (the link the sandbox printed on stderr), so it is shown the
consent page; it picks WORKSPACE and approves from that page. Then: call tools; refresh the tokens (and check
the rotated-out refresh token is dead); call again with the new access token;
and present a token minted for another audience, which the server must
refuse. Prints one JSON report.
"""

import asyncio
import json
import sys
from urllib.parse import parse_qs, urljoin, urlparse

import httpx2
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

from oauth_support import Form, Memory

REDIRECT = "http://127.0.0.1:9/callback"


def attr(obj, snake, camel):
    return getattr(obj, snake, getattr(obj, camel, None))


class User:
    """Opens the consent page, chooses a workspace, approves."""

    def __init__(self, workspace, consent_link):
        self.workspace = workspace
        self.consent_link = consent_link
        self.result = None
        self.seen_workspaces = []
        self.authorize_urls = []

    async def redirect(self, url):
        self.authorize_urls.append(url)
        async with httpx2.AsyncClient() as http:
            opened = await http.get(self.consent_link)
            assert opened.status_code == 303, (opened.status_code, opened.text)
            page = await http.get(url)
            assert page.status_code == 200, (page.status_code, page.text)
            form = Form()
            form.feed(page.text)
            self.seen_workspaces = sorted(form.options)
            data = dict(form.hidden)
            data["workspace_id"] = form.options[self.workspace]
            data["decision"] = "approve"
            origin = "{0.scheme}://{0.netloc}".format(urlparse(url))
            done = await http.post(urljoin(url, form.action), data=data, headers={"origin": origin})
            assert done.status_code in (302, 303), (done.status_code, done.text)
            location = done.headers["location"]
            assert location.startswith(REDIRECT), location
            q = parse_qs(urlparse(location).query)
            self.result = AuthorizationCodeResult(
                code=q["code"][0], state=q.get("state", [None])[0], iss=q.get("iss", [None])[0]
            )

    async def callback(self):
        return self.result


async def tool(client, name, args):
    r = await client.call_tool(name, args)
    return attr(r, "is_error", "isError"), attr(r, "structured_content", "structuredContent"), r.content[0].text


async def main():
    url, workspace, consent_link = sys.argv[1:4]
    storage, user = Memory(), User(workspace, consent_link)
    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name="smartalex-it",
            redirect_uris=[REDIRECT],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
        ),
        storage=storage,
        redirect_handler=user.redirect,
        callback_handler=user.callback,
    )
    report = {}
    async with Client(streamable_http_client(url, http_client=httpx2.AsyncClient(auth=provider, timeout=30))) as c:
        report["protocol_version"] = c.protocol_version
        err, created, text = await tool(
            c, "smartalex_create_contact", {"first_name": "Olive", "last_name": "Oauth", "phone": "+14155550111"}
        )
        report["create"] = {"error": err, "text": text}
        err, listed, _ = await tool(c, "smartalex_list_contacts", {"per_page": 100})
        report["names"] = sorted(x["first_name"] for x in listed["data"])
    report["consent_workspaces"] = user.seen_workspaces
    authorize = parse_qs(urlparse(user.authorize_urls[0]).query)
    report["authorize"] = {
        "code_challenge_method": authorize.get("code_challenge_method"),
        "resource": authorize.get("resource"),
    }
    first = storage.tokens
    report["token_type"] = first.token_type
    report["has_refresh"] = bool(first.refresh_token)

    # Refresh: a new access token and a rotated refresh token.
    meta = provider.context.oauth_metadata
    token_endpoint = str(meta.token_endpoint)
    client_info = storage.client
    form = {
        "grant_type": "refresh_token",
        "refresh_token": first.refresh_token,
        "client_id": client_info.client_id,
        "resource": url,
    }
    if client_info.client_secret:
        form["client_secret"] = client_info.client_secret
    async with httpx2.AsyncClient() as http:
        fresh = await http.post(token_endpoint, data=form)
        report["refresh_status"] = fresh.status_code
        fresh = fresh.json()
        report["refresh_rotated"] = fresh.get("refresh_token") not in (None, first.refresh_token)
        report["access_changed"] = fresh.get("access_token") != first.access_token

    # The refreshed access token works as a plain bearer (no provider).
    bearer = httpx2.AsyncClient(headers={"Authorization": f"Bearer {fresh['access_token']}"}, timeout=30)
    async with Client(streamable_http_client(url, http_client=bearer), mode="2026-07-28") as c:
        err, listed, _ = await tool(c, "smartalex_list_contacts", {"per_page": 100})
        report["after_refresh"] = {"error": err, "names": sorted(x["first_name"] for x in listed["data"])}

    # Replaying the rotated-out refresh token is refused (and, by reuse
    # detection, revokes the family).
    async with httpx2.AsyncClient() as http:
        replay = await http.post(token_endpoint, data=form)
        report["replay"] = {"status": replay.status_code, "error": replay.json().get("error")}

    # A token for another audience (the gateway itself) is refused by the MCP server.
    other = await token_for(meta, client_info, user, resource=str(meta.issuer).rstrip("/"))
    async with httpx2.AsyncClient() as http:
        r = await http.post(
            url,
            headers={
                "Authorization": f"Bearer {other}",
                "Accept": "application/json, text/event-stream",
                "Content-Type": "application/json",
            },
            json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "it", "version": "0"}}},
        )
        report["foreign_audience"] = {"status": r.status_code, "body": r.text,
                                      "challenge": r.headers.get("www-authenticate")}
    print(json.dumps(report))


async def token_for(meta, client_info, user, resource):
    """Run the code flow by hand for `resource`; return the access token."""
    import base64
    import hashlib
    import secrets

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {
        "response_type": "code",
        "client_id": client_info.client_id,
        "redirect_uri": REDIRECT,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "s1",
        "resource": resource,
    }
    url = str(httpx2.URL(str(meta.authorization_endpoint), params=params))
    await user.redirect(url)
    form = {
        "grant_type": "authorization_code",
        "code": user.result.code,
        "redirect_uri": REDIRECT,
        "client_id": client_info.client_id,
        "code_verifier": verifier,
        "resource": resource,
    }
    if client_info.client_secret:
        form["client_secret"] = client_info.client_secret
    async with httpx2.AsyncClient() as http:
        r = await http.post(str(meta.token_endpoint), data=form)
        assert r.status_code == 200, r.text
        return r.json()["access_token"]


asyncio.run(main())

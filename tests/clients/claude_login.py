"""Claude Code's OAuth sign-in to cloud mode, as the README gives it.

usage: claude_login.py CLAUDE NAME CONSENT_LINK WORKSPACE PROJECT

Runs `CLAUDE mcp login NAME --no-browser` in directory PROJECT on a
terminal (it needs one),
reads the authorization URL it prints, plays the operator (opens
CONSENT_LINK, picks WORKSPACE on the consent page and approves), pastes the
redirect URL back, and waits for it to finish. The environment (HOME, PATH)
is the caller's. Prints one JSON report: the authorization URL's parameters,
what Claude Code printed, and its exit status.
"""

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from urllib.parse import parse_qs, urljoin, urlparse

import httpx2

from oauth_support import Form


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def read_until(fd, pattern, seen, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = ANSI.sub("", seen.decode(errors="replace")).replace("\r", "")
        found = re.search(pattern, re.sub(r"\n(?=\S)", "", text) if pattern.startswith("http") else text)
        if found:
            return found
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return None
            if not chunk:
                return None
            seen.extend(chunk)
    return None


def approve(authorize_url, consent_link, workspace):
    with httpx2.Client() as http:
        opened = http.get(consent_link)
        assert opened.status_code == 303, (opened.status_code, opened.text)
        page = http.get(authorize_url)
        assert page.status_code == 200, (page.status_code, page.text)
        form = Form()
        form.feed(page.text)
        data = dict(form.hidden)
        data["workspace_id"] = form.options[workspace]
        data["decision"] = "approve"
        origin = "{0.scheme}://{0.netloc}".format(urlparse(authorize_url))
        done = http.post(urljoin(authorize_url, form.action), data=data, headers={"origin": origin})
        assert done.status_code in (302, 303), (done.status_code, done.text)
        return done.headers["location"]


def main():
    claude, name, consent_link, workspace, project = sys.argv[1:6]
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [claude, "mcp", "login", name, "--no-browser"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        close_fds=True,
        cwd=project,
    )
    os.close(follower)
    seen = bytearray()
    report = {}
    found = read_until(leader, r"http://\S+/oauth/authorize\?\S+", seen, 60)
    if found is None:
        proc.kill()
        report["output"] = ANSI.sub("", seen.decode(errors="replace"))
        print(json.dumps(report))
        return
    authorize_url = found.group(0)
    query = parse_qs(urlparse(authorize_url).query)
    report["authorize"] = {k: v[0] for k, v in query.items() if k != "state"}
    # Wait for the prompt before pasting.
    read_until(leader, r"(?i)paste|redirect|callback", seen, 10)
    location = approve(authorize_url, consent_link, workspace)
    report["redirect_host"] = urlparse(location).netloc
    os.write(leader, (location + "\r").encode())
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
    while True:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen.extend(chunk)
    report["status"] = proc.returncode
    report["output"] = ANSI.sub("", seen.decode(errors="replace")).replace("\r", "")[-2000:]
    print(json.dumps(report))


main()

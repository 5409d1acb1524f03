"""What the OAuth client scripts share: token storage for the SDK's provider,
and the sandbox's consent form."""

import html.parser


class Memory:
    """An in-memory `mcp.client.auth.TokenStorage`."""

    def __init__(self):
        self.tokens = None
        self.client = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client

    async def set_client_info(self, client_info):
        self.client = client_info


class Form(html.parser.HTMLParser):
    """The consent form: its action, hidden fields and workspace options."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.hidden = {}
        self.options = {}
        self._option = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action")
        elif tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a.get("value", "")
        elif tag == "option":
            self._option = a.get("value")

    def handle_data(self, data):
        if self._option is not None and data.strip():
            self.options[data.strip()] = self._option

    def handle_endtag(self, tag):
        if tag == "option":
            self._option = None

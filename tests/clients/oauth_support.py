"""What the OAuth client scripts share: token storage for the SDK's provider."""


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

-- Sandbox gateway schema, version 3: the embedded sandbox's own API key.
-- `smartalex-mcp --sandbox` (and `sandbox`, `http --sandbox`) start a sandbox
-- in their process and need a key for its default workspace; desktop clients
-- start the stdio server on every health check, so minting one per start
-- piled up keys. One key per workspace is kept here and reused while its
-- api_keys row is live (not revoked, not expired); otherwise a new one
-- replaces it. Unlike every other key, its plaintext is stored: it only
-- opens this database's own data, to whoever can already read this (0600)
-- file. Keys minted by `sandbox key` are never stored here.
CREATE TABLE embedded_keys (
    workspace_id  TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    key_id        TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    api_key       TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

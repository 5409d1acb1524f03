-- Sandbox gateway schema, version 2: the OAuth 2.1 authorization server.
-- Every secret (client secret, authorization request id, code, token) is
-- stored as SHA-256 hex; the plaintext exists only in the response that
-- issued it. Times here are Unix milliseconds (INTEGER): expiries are
-- compared as numbers and RFC 7662 reports them as epoch seconds.

-- Clients registered through RFC 7591 dynamic registration. `metadata` is
-- the registered metadata as JSON (what registration echoed back).
CREATE TABLE oauth_clients (
    client_id      TEXT PRIMARY KEY,
    secret_hash    TEXT,                 -- NULL for public clients (auth method 'none')
    auth_method    TEXT NOT NULL,        -- none | client_secret_post | client_secret_basic
    redirect_uris  TEXT NOT NULL,        -- JSON array of exact URIs
    client_name    TEXT,
    metadata       TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

-- An authorization request waiting for the operator's consent.
CREATE TABLE oauth_requests (
    id_hash         TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL REFERENCES oauth_clients(client_id) ON DELETE CASCADE,
    redirect_uri    TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    scope           TEXT NOT NULL,
    resource        TEXT NOT NULL,
    state           TEXT,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER
);

-- Authorization codes. `family_id` is set when the code is redeemed: every
-- token issued from it (and from its refreshes and exchanges) shares it, so
-- a replayed code revokes them all at once.
CREATE TABLE oauth_codes (
    code_hash       TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL REFERENCES oauth_clients(client_id) ON DELETE CASCADE,
    redirect_uri    TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    scope           TEXT NOT NULL,
    resource        TEXT NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER,
    family_id       TEXT
);

-- Access and refresh tokens. `audience` is the resource the token is for
-- (RFC 8707); the gateway accepts only access tokens whose audience is its
-- own issuer URL. A refresh token is `rotated_at` once exchanged.
CREATE TABLE oauth_tokens (
    token_hash    TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    client_id     TEXT NOT NULL,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    scope         TEXT NOT NULL,
    audience      TEXT NOT NULL,
    family_id     TEXT NOT NULL,
    issued_at     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    rotated_at    INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX oauth_tokens_by_family ON oauth_tokens(family_id);

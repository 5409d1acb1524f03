-- Sandbox gateway schema, version 1.
-- Every domain row carries workspace_id: each query filters on it, so a key
-- can never read, change or delete another workspace's data.
-- Timestamps are RFC 3339 UTC text with milliseconds (sortable as text).

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    plan        TEXT NOT NULL DEFAULT 'trial',
    created_at  TEXT NOT NULL
);

-- A user's page permissions: '*' or a comma-separated list of domains
-- (contacts, agents, phone_numbers, campaigns, calls, deals, webhooks, platform).
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    email         TEXT NOT NULL,
    role          TEXT NOT NULL,
    permissions   TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

-- Keys are stored as SHA-256 hex; the plaintext exists only in the response
-- that minted it. key_prefix (e.g. 'sa_test_ab12') is for logs and listings.
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    key_hash      TEXT NOT NULL UNIQUE,
    key_prefix    TEXT NOT NULL,
    can_write     INTEGER NOT NULL,
    created_by    TEXT REFERENCES users(id) ON DELETE SET NULL,
    label         TEXT,
    created_at    TEXT NOT NULL,
    expires_at    TEXT,
    revoked_at    TEXT
);

CREATE TABLE contacts (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    first_name    TEXT NOT NULL,
    last_name     TEXT,
    email         TEXT,
    phone         TEXT,
    company       TEXT,
    tags          TEXT,            -- JSON array of strings
    notes         TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX contacts_by_workspace ON contacts(workspace_id, created_at);

CREATE TABLE agents (
    id                        TEXT PRIMARY KEY,
    workspace_id              TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name                      TEXT NOT NULL,
    language                  TEXT NOT NULL,
    status                    TEXT NOT NULL,
    direction                 TEXT NOT NULL,
    objective                 TEXT,
    voice                     TEXT,
    first_message             TEXT,
    system_prompt             TEXT,
    website_url               TEXT,
    website_summary           TEXT,    -- what Quick Setup extracted; feeds the prompt
    company_name              TEXT,
    timezone                  TEXT,
    max_call_duration_seconds INTEGER,
    voicemail_message         TEXT,
    end_call_phrases          TEXT,    -- JSON array of strings
    transfer_phone_number     TEXT,
    interruption_sensitivity  TEXT,
    background_sound          TEXT,
    temperature               REAL,
    sync_status               TEXT NOT NULL,
    synced_at                 TEXT,
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL
);
CREATE INDEX agents_by_workspace ON agents(workspace_id, created_at);

-- Each push of an agent's settings to the (simulated) voice platform.
CREATE TABLE agent_syncs (
    id            TEXT PRIMARY KEY,
    agent_id      TEXT NOT NULL,
    workspace_id  TEXT NOT NULL,
    status        TEXT NOT NULL,
    fields        TEXT NOT NULL,       -- JSON array of the settings that changed
    synced_at     TEXT NOT NULL
);
CREATE INDEX agent_syncs_by_agent ON agent_syncs(agent_id, synced_at);

CREATE TABLE phone_numbers (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    phone_number  TEXT NOT NULL,
    country       TEXT NOT NULL,
    locality      TEXT,
    monthly_cost  REAL NOT NULL,
    agent_id      TEXT,
    status        TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
-- A number can be owned by one workspace at a time.
CREATE UNIQUE INDEX phone_numbers_active ON phone_numbers(phone_number) WHERE status = 'active';
CREATE INDEX phone_numbers_by_workspace ON phone_numbers(workspace_id, created_at);

CREATE TABLE campaigns (
    id                   TEXT PRIMARY KEY,
    workspace_id         TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name                 TEXT NOT NULL,
    agent_id             TEXT NOT NULL,
    objective            TEXT,
    status               TEXT NOT NULL,
    mode                 TEXT NOT NULL,
    calling_hours_start  TEXT NOT NULL,
    calling_hours_end    TEXT NOT NULL,
    timezone             TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    started_at           TEXT,
    completed_at         TEXT
);
CREATE INDEX campaigns_by_workspace ON campaigns(workspace_id, created_at);

-- status: pending -> dialing -> called
CREATE TABLE campaign_contacts (
    campaign_id   TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    contact_id    TEXT NOT NULL,
    workspace_id  TEXT NOT NULL,
    position      INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    added_at      TEXT NOT NULL,
    PRIMARY KEY (campaign_id, contact_id)
);

CREATE TABLE calls (
    id                TEXT PRIMARY KEY,
    workspace_id      TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    campaign_id       TEXT,
    agent_id          TEXT NOT NULL,
    contact_id        TEXT,
    direction         TEXT NOT NULL,
    call_status       TEXT NOT NULL,
    duration_seconds  INTEGER,
    sentiment         TEXT,
    cost              REAL,
    summary           TEXT,
    transcript        TEXT,            -- JSON array of {role, text, offset_seconds}
    started_at        TEXT,
    ended_at          TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX calls_by_workspace ON calls(workspace_id, created_at);
CREATE INDEX calls_by_campaign ON calls(campaign_id);

CREATE TABLE deals (
    id                   TEXT PRIMARY KEY,
    workspace_id         TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    deal_name            TEXT NOT NULL,
    stage                TEXT NOT NULL,
    value                REAL,
    currency             TEXT NOT NULL,
    contact_id           TEXT,
    notes                TEXT,
    expected_close_date  TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE INDEX deals_by_workspace ON deals(workspace_id, created_at);

CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    event_types     TEXT NOT NULL,     -- JSON array
    description     TEXT,
    active          INTEGER NOT NULL,
    signing_secret  TEXT NOT NULL,     -- needed to sign; never returned after create
    created_at      TEXT NOT NULL
);
CREATE INDEX webhooks_by_workspace ON webhooks(workspace_id, created_at);

-- The delivery outbox: written in the same transaction as the change that
-- caused the event, so an acknowledged change always gets its deliveries.
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    webhook_id       TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    workspace_id     TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL,    -- pending | delivered | failed
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    lease_until      TEXT,
    last_status      INTEGER,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    delivered_at     TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);

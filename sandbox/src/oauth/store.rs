//! The authorization server's SQL (tables from `migrations/0002_oauth.sql`).
//!
//! Every lookup is by SHA-256 hash: request ids, codes, tokens and client
//! secrets never reach the database in plaintext. The rules (expiry,
//! single use, rotation) are decided by the callers from the rows returned
//! here, inside the same write transaction, so two concurrent redemptions of
//! one code cannot both succeed. Times are Unix milliseconds.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::errors::ApiError;

/// How a client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthMethod {
    /// A public client: `client_id` only (PKCE is its proof).
    None,
    ClientSecretPost,
    ClientSecretBasic,
}

impl AuthMethod {
    pub(crate) const ALL: [AuthMethod; 3] = [
        AuthMethod::None,
        AuthMethod::ClientSecretPost,
        AuthMethod::ClientSecretBasic,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<AuthMethod> {
        AuthMethod::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// A registered client.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub(crate) client_id: String,
    pub(crate) secret_hash: Option<String>,
    pub(crate) auth_method: AuthMethod,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) client_name: Option<String>,
}

/// An authorization request waiting for consent.
#[derive(Debug, Clone)]
pub(crate) struct PendingRequest {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) code_challenge: String,
    pub(crate) scope: String,
    pub(crate) resource: String,
    pub(crate) state: Option<String>,
    pub(crate) expires_at: i64,
}

/// What an authorization code stands for.
#[derive(Debug, Clone)]
pub(crate) struct Code {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) code_challenge: String,
    pub(crate) workspace_id: String,
    pub(crate) scope: String,
    pub(crate) resource: String,
    pub(crate) expires_at: i64,
    pub(crate) used_at: Option<i64>,
    /// The token family, once redeemed.
    pub(crate) family_id: Option<String>,
}

/// `access` or `refresh`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Access,
    Refresh,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Access => "access",
            Kind::Refresh => "refresh",
        }
    }
}

/// An issued token's row.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) client_id: String,
    pub(crate) workspace_id: String,
    pub(crate) scope: String,
    pub(crate) audience: String,
    pub(crate) family_id: String,
    pub(crate) issued_at: i64,
    pub(crate) expires_at: i64,
    pub(crate) rotated_at: Option<i64>,
    pub(crate) revoked_at: Option<i64>,
}

pub(crate) fn insert_client(
    tx: &Transaction<'_>,
    client: &Client,
    metadata: &serde_json::Value,
    now: i64,
) -> rusqlite::Result<()> {
    write_client(tx, client, metadata, now, "")
}

fn write_client(
    tx: &Transaction<'_>,
    client: &Client,
    metadata: &serde_json::Value,
    now: i64,
    on_conflict: &str,
) -> rusqlite::Result<()> {
    tx.execute(
        &format!(
            "INSERT INTO oauth_clients (client_id, secret_hash, auth_method, redirect_uris, client_name, metadata, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) {on_conflict}"
        ),
        params![
            client.client_id,
            client.secret_hash,
            client.auth_method.name(),
            serde_json::Value::from(client.redirect_uris.clone()).to_string(),
            client.client_name,
            metadata.to_string(),
            now
        ],
    )?;
    Ok(())
}

pub(crate) fn client(conn: &Connection, client_id: &str) -> rusqlite::Result<Option<Client>> {
    conn.prepare_cached(
        "SELECT client_id, secret_hash, auth_method, redirect_uris, client_name
         FROM oauth_clients WHERE client_id = ?1",
    )?
    .query_row([client_id], |r| {
        let method: String = r.get(2)?;
        let uris: String = r.get(3)?;
        Ok(Client {
            client_id: r.get(0)?,
            secret_hash: r.get(1)?,
            // Only this module writes the column, from `AuthMethod::name`.
            auth_method: AuthMethod::parse(&method).unwrap_or(AuthMethod::ClientSecretBasic),
            redirect_uris: serde_json::from_str(&uris).unwrap_or_default(),
            client_name: r.get(4)?,
        })
    })
    .optional()
}

/// Every workspace, as (id, name), by name: the operator owns them all.
pub(crate) fn workspaces(conn: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    conn.prepare_cached("SELECT id, name FROM workspaces ORDER BY name")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

pub(crate) fn workspace_exists(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM workspaces WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

pub(crate) fn insert_request(
    tx: &Transaction<'_>,
    id_hash: &str,
    req: &PendingRequest,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO oauth_requests (id_hash, client_id, redirect_uri, code_challenge, scope, resource, state, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            id_hash,
            req.client_id,
            req.redirect_uri,
            req.code_challenge,
            req.scope,
            req.resource,
            req.state,
            req.expires_at
        ],
    )?;
    Ok(())
}

/// Claim a pending request: it must exist, be unexpired and unused, and is
/// used from now on.
pub(crate) fn take_request(
    tx: &Transaction<'_>,
    id_hash: &str,
    now: i64,
) -> rusqlite::Result<Option<PendingRequest>> {
    let found = tx
        .prepare_cached(
            "SELECT client_id, redirect_uri, code_challenge, scope, resource, state, expires_at
             FROM oauth_requests WHERE id_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
        )?
        .query_row(params![id_hash, now], |r| {
            Ok(PendingRequest {
                client_id: r.get(0)?,
                redirect_uri: r.get(1)?,
                code_challenge: r.get(2)?,
                scope: r.get(3)?,
                resource: r.get(4)?,
                state: r.get(5)?,
                expires_at: r.get(6)?,
            })
        })
        .optional()?;
    if found.is_some() {
        tx.execute(
            "UPDATE oauth_requests SET used_at = ?2 WHERE id_hash = ?1",
            params![id_hash, now],
        )?;
    }
    Ok(found)
}

pub(crate) fn insert_code(
    tx: &Transaction<'_>,
    code_hash: &str,
    code: &Code,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO oauth_codes (code_hash, client_id, redirect_uri, code_challenge, workspace_id, scope, resource, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            code_hash,
            code.client_id,
            code.redirect_uri,
            code.code_challenge,
            code.workspace_id,
            code.scope,
            code.resource,
            code.expires_at
        ],
    )?;
    Ok(())
}

pub(crate) fn code(tx: &Transaction<'_>, code_hash: &str) -> rusqlite::Result<Option<Code>> {
    tx.prepare_cached(
        "SELECT client_id, redirect_uri, code_challenge, workspace_id, scope, resource, expires_at, used_at, family_id
         FROM oauth_codes WHERE code_hash = ?1",
    )?
    .query_row([code_hash], |r| {
        Ok(Code {
            client_id: r.get(0)?,
            redirect_uri: r.get(1)?,
            code_challenge: r.get(2)?,
            workspace_id: r.get(3)?,
            scope: r.get(4)?,
            resource: r.get(5)?,
            expires_at: r.get(6)?,
            used_at: r.get(7)?,
            family_id: r.get(8)?,
        })
    })
    .optional()
}

/// Mark a code used (whether or not the redemption succeeds: a code is
/// good for one attempt), remembering the family its tokens will carry.
pub(crate) fn use_code(
    tx: &Transaction<'_>,
    code_hash: &str,
    family_id: &str,
    now: i64,
) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE oauth_codes SET used_at = ?2, family_id = ?3 WHERE code_hash = ?1",
        params![code_hash, now, family_id],
    )?;
    Ok(())
}

pub(crate) fn insert_token(
    tx: &Transaction<'_>,
    token_hash: &str,
    kind: Kind,
    token: &Token,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO oauth_tokens (token_hash, kind, client_id, workspace_id, scope, audience, family_id, issued_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            token_hash,
            kind.name(),
            token.client_id,
            token.workspace_id,
            token.scope,
            token.audience,
            token.family_id,
            token.issued_at,
            token.expires_at
        ],
    )?;
    Ok(())
}

fn token_row(r: &Row<'_>) -> rusqlite::Result<Token> {
    Ok(Token {
        client_id: r.get(0)?,
        workspace_id: r.get(1)?,
        scope: r.get(2)?,
        audience: r.get(3)?,
        family_id: r.get(4)?,
        issued_at: r.get(5)?,
        expires_at: r.get(6)?,
        rotated_at: r.get(7)?,
        revoked_at: r.get(8)?,
    })
}

/// A token of `kind` by hash, whatever its state (the caller judges).
pub(crate) fn token(
    conn: &Connection,
    token_hash: &str,
    kind: Kind,
) -> rusqlite::Result<Option<Token>> {
    conn.prepare_cached(
        "SELECT client_id, workspace_id, scope, audience, family_id, issued_at, expires_at, rotated_at, revoked_at
         FROM oauth_tokens WHERE token_hash = ?1 AND kind = ?2",
    )?
    .query_row(params![token_hash, kind.name()], token_row)
    .optional()
}

/// An access token that is unrevoked and unexpired at `now`, any audience.
pub(crate) fn active_access_token(
    conn: &Connection,
    token_hash: &str,
    now: i64,
) -> Result<Option<Token>, ApiError> {
    Ok(token(conn, token_hash, Kind::Access)?
        .filter(|t| t.revoked_at.is_none() && t.expires_at > now))
}

/// A refresh token has been exchanged for a new one.
pub(crate) fn rotate(tx: &Transaction<'_>, token_hash: &str, now: i64) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE oauth_tokens SET rotated_at = ?2 WHERE token_hash = ?1",
        params![token_hash, now],
    )?;
    Ok(())
}

/// Revoke every token of a family; returns how many were still live.
pub(crate) fn revoke_family(
    tx: &Transaction<'_>,
    family_id: &str,
    now: i64,
) -> rusqlite::Result<usize> {
    tx.execute(
        "UPDATE oauth_tokens SET revoked_at = ?2 WHERE family_id = ?1 AND revoked_at IS NULL",
        params![family_id, now],
    )
}

/// Delete authorization requests, codes and tokens that expired before
/// `now`; returns how many rows went.
pub(crate) fn purge_expired(tx: &Transaction<'_>, now: i64) -> rusqlite::Result<usize> {
    let mut deleted = 0;
    for table in ["oauth_requests", "oauth_codes", "oauth_tokens"] {
        deleted += tx.execute(
            &format!("DELETE FROM {table} WHERE expires_at <= ?1"),
            [now],
        )?;
    }
    Ok(deleted)
}

/// The metadata field that lists the subject-token audiences a client may
/// exchange. Server-owned: dynamic registration drops it.
pub(crate) const EXCHANGE_AUDIENCES: &str = "exchange_audiences";

/// The audiences `client_id` may exchange tokens of (none for a client that
/// was registered rather than provisioned).
pub(crate) fn exchange_audiences(
    conn: &Connection,
    client_id: &str,
) -> rusqlite::Result<Vec<String>> {
    let metadata: Option<String> = conn
        .prepare_cached("SELECT metadata FROM oauth_clients WHERE client_id = ?1")?
        .query_row([client_id], |r| r.get(0))
        .optional()?;
    let metadata: serde_json::Value = metadata
        .and_then(|m| serde_json::from_str(&m).ok())
        .unwrap_or_default();
    Ok(metadata[EXCHANGE_AUDIENCES]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// Create or replace a provisioned exchange client (its secret, method and
/// audiences); its codes and tokens, if any, are kept.
pub(crate) fn upsert_client(
    tx: &Transaction<'_>,
    client: &Client,
    metadata: &serde_json::Value,
    now: i64,
) -> rusqlite::Result<()> {
    write_client(
        tx,
        client,
        metadata,
        now,
        "ON CONFLICT (client_id) DO UPDATE SET secret_hash = excluded.secret_hash,
             auth_method = excluded.auth_method, redirect_uris = excluded.redirect_uris,
             client_name = excluded.client_name, metadata = excluded.metadata",
    )
}

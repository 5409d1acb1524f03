//! API keys and who they speak for.
//!
//! A key is `sa_test_` followed by 48 hex characters of OS randomness. Only
//! its SHA-256 is stored; the plaintext exists once, in what minted it —
//! except the embedded sandbox's own key ([`embedded_key`]), kept so that
//! every start on a database reuses it instead of minting another. A
//! key belongs to one workspace, has read or read+write permission, and
//! carries the user who created it (`created_by`): it inherits that user's
//! page permissions, and a key with no user is refused on permission-gated
//! routes with `User principal required for this operation`.
//!
//! OAuth access tokens (`sa_oat_…`, issued by [`crate::oauth`]) are accepted
//! too, but only those whose audience is this gateway: a token minted for
//! another resource (the MCP server) must be exchanged first, never passed
//! through. They speak for the sandbox operator, who owns every workspace,
//! so they carry all page permissions; `write` scope is `can_write`.
//!
//! The order of checks is the gateway's: 401 (who are you) before 429
//! (keyed by workspace) before 403 (may you) before 400/404 (what you
//! asked). This module must never log a key — only [`display_prefix`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::clock;
use crate::credentials::{ACCESS_TOKEN_PREFIX, KEY_PREFIX, scope_allows_write};
use crate::db::Store;
use crate::errors::ApiError;
use crate::ids::{self, hex, sha256_hex};
use crate::oauth::store as oauth_store;
use crate::operations::{Access, DOMAINS};

/// A permission domain: one of the spec's tags (`DOMAINS`); a user's
/// page permissions name these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Domain(&'static str);

impl Domain {
    /// The domain whose operations no page permission gates (platform status).
    const UNGATED: &str = "platform";

    fn name(self) -> &'static str {
        self.0
    }

    pub fn parse(name: &str) -> Option<Domain> {
        DOMAINS
            .iter()
            .find(|d| **d == name.trim())
            .map(|d| Domain(d))
    }
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub(crate) workspace_id: String,
    pub(crate) can_write: bool,
    /// The creating user's page permissions; `None` when the key has no user.
    user_permissions: Option<Permissions>,
}

#[derive(Debug, Clone)]
enum Permissions {
    All,
    Only(Vec<String>),
}

impl Permissions {
    fn parse(text: &str) -> Permissions {
        if text.trim() == "*" {
            Permissions::All
        } else {
            Permissions::Only(
                text.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect(),
            )
        }
    }

    fn allows(&self, domain: Domain) -> bool {
        match self {
            Permissions::All => true,
            Permissions::Only(list) => list.iter().any(|d| d == domain.name()),
        }
    }
}

impl Principal {
    /// The workspace to act on, if this caller may do `access` in `domain`.
    pub(crate) fn authorize(&self, domain: Domain, access: Access) -> Result<&str, ApiError> {
        if access == Access::Write && !self.can_write {
            return Err(ApiError::ReadOnlyKey);
        }
        if domain.0 != Domain::UNGATED {
            match &self.user_permissions {
                None => return Err(ApiError::NoUserPrincipal),
                Some(p) if !p.allows(domain) => return Err(ApiError::InsufficientPermissions),
                Some(_) => {}
            }
        }
        Ok(&self.workspace_id)
    }
}

/// A new key's plaintext.
fn generate_key() -> String {
    format!("{KEY_PREFIX}{}", hex(&ids::random_bytes::<24>()))
}

/// What may appear in logs: `sa_test_ab12…`.
pub(crate) fn display_prefix(key: &str) -> String {
    let shown: String = key.chars().take(KEY_PREFIX.len() + 4).collect();
    format!("{shown}…")
}

/// Who a key is for.
#[derive(Debug, Clone)]
pub struct KeySpec {
    /// Workspace name; created (with an owner user) if absent.
    pub workspace: String,
    pub read_only: bool,
    pub user: KeyUser,
    /// Free-form note stored with the key (e.g. `embedded`).
    pub label: Option<String>,
}

/// The `created_by` of a new key.
#[derive(Debug, Clone)]
pub enum KeyUser {
    /// The workspace owner (all page permissions).
    Owner,
    /// No user: the key is refused on permission-gated routes.
    None,
    /// A new member user with only these domains' page permissions.
    Restricted(Vec<Domain>),
}

impl KeySpec {
    pub fn owner(workspace: &str) -> Self {
        KeySpec {
            workspace: workspace.to_owned(),
            read_only: false,
            user: KeyUser::Owner,
            label: None,
        }
    }
}

/// The workspace named `name`, created with an owner user if absent.
pub(crate) fn ensure_workspace(tx: &Transaction<'_>, name: &str) -> rusqlite::Result<String> {
    if let Some(id) = tx
        .query_row("SELECT id FROM workspaces WHERE name = ?1", [name], |r| {
            r.get::<_, String>(0)
        })
        .optional()?
    {
        return Ok(id);
    }
    let id = ids::new_id();
    let now = clock::now_str();
    tx.execute(
        "INSERT INTO workspaces (id, name, plan, created_at) VALUES (?1, ?2, 'trial', ?3)",
        params![id, name, now],
    )?;
    let slug: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    tx.execute(
        "INSERT INTO users (id, workspace_id, email, role, permissions, created_at) VALUES (?1, ?2, ?3, 'owner', '*', ?4)",
        params![ids::new_id(), id, format!("owner@{}.example", if slug.is_empty() { "workspace" } else { &slug }), now],
    )?;
    Ok(id)
}

/// The label of the key [`embedded_key`] mints.
const EMBEDDED_LABEL: &str = "embedded";

/// Mint a key; returns the plaintext (the only time it exists).
pub(crate) fn mint(tx: &Transaction<'_>, spec: &KeySpec) -> rusqlite::Result<String> {
    insert_key(tx, spec).map(|(_, key)| key)
}

/// The embedded sandbox's key for `workspace` (created if absent): the one
/// kept for it while that key is live — not revoked, not expired, still
/// read+write with a user — or else a new owner key, labelled
/// [`EMBEDDED_LABEL`], that replaces it. A server that starts the sandbox on
/// every health check thus holds one key per database and workspace.
pub(crate) fn embedded_key(tx: &Transaction<'_>, workspace: &str) -> rusqlite::Result<String> {
    let workspace_id = ensure_workspace(tx, workspace)?;
    let kept: Option<(String, String)> = tx
        .query_row(
            "SELECT e.api_key, k.key_hash FROM embedded_keys e
             JOIN api_keys k ON k.id = e.key_id AND k.workspace_id = e.workspace_id
             WHERE e.workspace_id = ?1 AND k.revoked_at IS NULL
               AND (k.expires_at IS NULL OR k.expires_at > ?2)
               AND k.can_write = 1 AND k.created_by IS NOT NULL",
            params![workspace_id, clock::now_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((key, hash)) = kept
        && sha256_hex(&key) == hash
    {
        tracing::debug!(key = %display_prefix(&key), workspace, "reusing the embedded sandbox API key");
        return Ok(key);
    }
    let spec = KeySpec {
        label: Some(EMBEDDED_LABEL.into()),
        ..KeySpec::owner(workspace)
    };
    let (key_id, key) = insert_key(tx, &spec)?;
    tx.execute(
        "INSERT INTO embedded_keys (workspace_id, key_id, api_key, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (workspace_id) DO UPDATE
         SET key_id = excluded.key_id, api_key = excluded.api_key, created_at = excluded.created_at",
        params![workspace_id, key_id, key, clock::now_str()],
    )?;
    Ok(key)
}

/// Insert a new key for `spec`; its row id and plaintext.
fn insert_key(tx: &Transaction<'_>, spec: &KeySpec) -> rusqlite::Result<(String, String)> {
    let workspace_id = ensure_workspace(tx, &spec.workspace)?;
    let now = clock::now_str();
    let user_id: Option<String> = match &spec.user {
        KeyUser::None => None,
        KeyUser::Owner => tx
            .query_row(
                "SELECT id FROM users WHERE workspace_id = ?1 AND role = 'owner' ORDER BY created_at LIMIT 1",
                [&workspace_id],
                |r| r.get(0),
            )
            .optional()?,
        KeyUser::Restricted(domains) => {
            let id = ids::new_id();
            let permissions: Vec<&str> = domains.iter().map(|d| d.name()).collect();
            tx.execute(
                "INSERT INTO users (id, workspace_id, email, role, permissions, created_at) VALUES (?1, ?2, ?3, 'member', ?4, ?5)",
                params![id, workspace_id, format!("member-{}@workspace.example", &id[..8]), permissions.join(","), now],
            )?;
            Some(id)
        }
    };
    let key = generate_key();
    let key_id = ids::new_id();
    tx.execute(
        "INSERT INTO api_keys (id, workspace_id, key_hash, key_prefix, can_write, created_by, label, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            key_id,
            workspace_id,
            sha256_hex(&key),
            key.chars().take(KEY_PREFIX.len() + 4).collect::<String>(),
            !spec.read_only,
            user_id,
            spec.label,
            now
        ],
    )?;
    tracing::info!(key = %display_prefix(&key), workspace = %spec.workspace, read_only = spec.read_only, "minted sandbox API key");
    Ok((key_id, key))
}

/// The principal behind an API key's hash, if the key is live.
pub(crate) fn lookup(conn: &Connection, hash: &str) -> rusqlite::Result<Option<Principal>> {
    let now = clock::now_str();
    conn.prepare_cached(
        "SELECT k.workspace_id, k.can_write, k.created_by, u.permissions
         FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
         WHERE k.key_hash = ?1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?2)",
    )?
    .query_row(params![hash, now], |r| {
        let user: Option<String> = r.get(2)?;
        let permissions: Option<String> = r.get(3)?;
        Ok(Principal {
            workspace_id: r.get(0)?,
            can_write: r.get(1)?,
            user_permissions: user.map(|_| Permissions::parse(permissions.as_deref().unwrap_or(""))),
        })
    })
    .optional()
}

/// Authenticates requests; remembers verified keys for a few seconds so a
/// busy client does not cost a query per request.
pub(crate) struct Authenticator {
    store: Store,
    /// The audience an OAuth access token must carry to be accepted here.
    audience: String,
    cache: Mutex<HashMap<String, Cached>>,
}

/// A verified credential, remembered until `until` (never past a token's expiry).
struct Cached {
    principal: Principal,
    until: Instant,
}

const CACHE_TTL: Duration = Duration::from_secs(10);
const CACHE_MAX: usize = 10_000;

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").finish_non_exhaustive()
    }
}

impl Authenticator {
    /// `audience`: this gateway's resource identifier (its issuer URL).
    pub(crate) fn new(store: Store, audience: String) -> Self {
        Authenticator {
            store,
            audience,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Forget every remembered credential: called when OAuth tokens are
    /// revoked, so a revoked token stops working at once.
    pub(crate) fn forget_cached(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.clear();
        }
    }

    /// The principal behind the request's bearer token.
    pub(crate) async fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, ApiError> {
        let token = bearer(headers)?;
        let is_oauth = token.starts_with(ACCESS_TOKEN_PREFIX);
        if !is_oauth && !token.starts_with(KEY_PREFIX) {
            return Err(ApiError::InvalidToken);
        }
        let hash = sha256_hex(token);
        if let Some(p) = self.cached(&hash) {
            return Ok(p);
        }
        let (principal, until) = if is_oauth {
            self.lookup_access_token(hash.clone()).await?
        } else {
            let key_hash = hash.clone();
            let found = self
                .store
                .read(move |conn| Ok(lookup(conn, &key_hash)?))
                .await?;
            (found, Instant::now() + CACHE_TTL)
        };
        let principal = principal.ok_or(ApiError::InvalidToken)?;
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_MAX {
                let now = Instant::now();
                cache.retain(|_, c| c.until > now);
            }
            cache.insert(
                hash,
                Cached {
                    principal: principal.clone(),
                    until,
                },
            );
        }
        Ok(principal)
    }

    /// An active OAuth access token for this gateway's audience, and how
    /// long it may be remembered.
    async fn lookup_access_token(
        &self,
        hash: String,
    ) -> Result<(Option<Principal>, Instant), ApiError> {
        let now_ms = clock::unix_millis();
        let found = self
            .store
            .read(move |conn| oauth_store::active_access_token(conn, &hash, now_ms))
            .await?;
        let Some(grant) = found.filter(|g| g.audience == self.audience) else {
            return Ok((None, Instant::now()));
        };
        let left = Duration::from_millis((grant.expires_at - now_ms).max(0) as u64);
        let principal = Principal {
            workspace_id: grant.workspace_id,
            can_write: scope_allows_write(&grant.scope),
            user_permissions: Some(Permissions::All),
        };
        Ok((Some(principal), Instant::now() + left.min(CACHE_TTL)))
    }

    fn cached(&self, hash: &str) -> Option<Principal> {
        let cache = self.cache.lock().ok()?;
        let c = cache.get(hash)?;
        (Instant::now() < c.until).then(|| c.principal.clone())
    }
}

fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or(ApiError::MissingAuth)?;
    let text = value.to_str().map_err(|_| ApiError::InvalidToken)?.trim();
    let (scheme, token) = text.split_once(' ').ok_or(ApiError::MissingAuth)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::MissingAuth);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(ApiError::MissingAuth);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_prefix_and_enough_entropy() {
        let key = generate_key();
        assert!(key.starts_with("sa_test_"));
        assert_eq!(key.len(), 8 + 48);
        assert_ne!(key, generate_key());
        assert_eq!(display_prefix("sa_test_abcdef0123"), "sa_test_abcd…");
    }

    #[test]
    fn the_embedded_key_is_kept_until_it_is_revoked_or_expires() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = crate::Db::Path(dir.path().join("k.db"));
        let (store, _) = Store::open(&db).expect("open");
        let embedded = || {
            store
                .write_blocking(|tx| Ok(embedded_key(tx, "default")?))
                .expect("key")
        };
        let live = |key: &str| {
            let hash = sha256_hex(key);
            store
                .write_blocking(move |tx| Ok(lookup(tx, &hash)?.is_some()))
                .expect("lookup")
        };
        let count = |sql: &'static str| -> i64 {
            store
                .write_blocking(move |tx| Ok(tx.query_row(sql, [], |r| r.get(0))?))
                .expect("count")
        };

        let first = embedded();
        assert!(live(&first));
        assert_eq!(embedded(), first, "reused");
        // A key minted for someone (`sandbox key`) is another key, never kept.
        let minted = store
            .write_blocking(|tx| Ok(mint(tx, &KeySpec::owner("default"))?))
            .expect("mint");
        assert_ne!(minted, first);
        assert_eq!(embedded(), first);
        assert_eq!(
            count("SELECT COUNT(*) FROM api_keys WHERE label = 'embedded'"),
            1
        );
        assert_eq!(count("SELECT COUNT(*) FROM embedded_keys"), 1);

        // Revoked: a new one replaces it.
        store
            .write_blocking(|tx| {
                Ok(tx.execute("UPDATE api_keys SET revoked_at = '2026-01-01T00:00:00.000Z' WHERE label = 'embedded'", [])?)
            })
            .expect("revoke");
        let second = embedded();
        assert_ne!(second, first);
        assert!(live(&second) && !live(&first));
        assert_eq!(embedded(), second);
        // Expired: likewise.
        store
            .write_blocking(|tx| {
                Ok(tx.execute("UPDATE api_keys SET expires_at = '2000-01-01T00:00:00.000Z' WHERE label = 'embedded' AND revoked_at IS NULL", [])?)
            })
            .expect("expire");
        let third = embedded();
        assert!(third != second && third != first);
        assert_eq!(
            count("SELECT COUNT(*) FROM api_keys WHERE label = 'embedded'"),
            3
        );
        assert_eq!(count("SELECT COUNT(*) FROM embedded_keys"), 1);
        // Each workspace has its own.
        let other = store
            .write_blocking(|tx| Ok(embedded_key(tx, "acme")?))
            .expect("key");
        assert_ne!(other, third);
        assert_eq!(embedded(), third);
    }

    fn domain(name: &str) -> Domain {
        Domain::parse(name).expect("a tag of the spec")
    }

    #[test]
    fn every_tag_is_a_domain() {
        for name in DOMAINS {
            assert_eq!(domain(name).name(), *name);
        }
        assert!(DOMAINS.contains(&Domain::UNGATED));
        assert_eq!(Domain::parse("billing"), None);
    }

    #[test]
    fn authorize_checks_write_then_user_then_page() {
        let ro = Principal {
            workspace_id: "w".into(),
            can_write: false,
            user_permissions: None,
        };
        assert!(matches!(
            ro.authorize(domain("contacts"), Access::Write),
            Err(ApiError::ReadOnlyKey)
        ));
        assert!(matches!(
            ro.authorize(domain("contacts"), Access::Read),
            Err(ApiError::NoUserPrincipal)
        ));
        assert!(ro.authorize(domain("platform"), Access::Read).is_ok());
        let member = Principal {
            workspace_id: "w".into(),
            can_write: true,
            user_permissions: Some(Permissions::parse("contacts,deals")),
        };
        assert!(member.authorize(domain("deals"), Access::Write).is_ok());
        assert!(matches!(
            member.authorize(domain("agents"), Access::Read),
            Err(ApiError::InsufficientPermissions)
        ));
    }
}

//! 2025-11-25 sessions shared through Redis, so that any process behind a
//! load balancer answers any session (`--redis-url`).
//!
//! rmcp keeps a session's live part — its worker, its open streams, a
//! question awaiting its answer — in the process that runs it, and offers a
//! [`SessionStore`]: after a handshake it stores the client's `initialize`
//! parameters, and a process that gets a request for a session it does not
//! hold loads them and replays the handshake, transparently. This is that
//! store, in the Redis the rate limits already use, with what rmcp does not
//! know: the [`Subject`] that opened the session, which [`super::sessions`]
//! checks. Without the owner in the same record, another process would have
//! to refuse every session it did not open — or, worse, let in anyone
//! holding the id.
//!
//! - **Keys**: `smartalex-mcp:session:<hex SHA-256 of the session id>`, a
//!   hash of `owner` (the opener's [`Subject`], itself a digest: no
//!   credential is stored) and `state` (rmcp's `SessionState` as JSON, at
//!   most 64 KiB; a larger one is not shared and its session lives in its
//!   process only). The id itself, a bearer secret, is not stored either.
//! - **Lifetime**: a key expires `--session-ttl` (1 hour) after its owner
//!   last used it through any process. A DELETE through any process removes
//!   it, and every process then answers the id 404 (one that still holds the
//!   session closes it when it next sees the id).
//! - **One round trip per request naming a session**: a Lua script reads the
//!   owner and refreshes the expiry only when it is the caller; another
//!   caller's request changes nothing and gets the unknown-session 404.
//! - **When Redis fails**: every call is bounded ([`CALL_TIMEOUT`]) and a
//!   failed connection is reopened in the background, at most once a
//!   second. Meanwhile a process keeps serving the sessions it holds to
//!   their owners (it knows whose they are), answers 503 with `Retry-After`
//!   for a session it does not hold (it cannot tell whose it is, so it lets
//!   nobody in), and new sessions live in the process that opened them.
//!   Failures are logged without session ids, and never handed to rmcp,
//!   whose own messages about them would name the id.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use rmcp::transport::streamable_http_server::session::store::{
    SessionState, SessionStore, SessionStoreError,
};
use sha2::{Digest, Sha256};

use crate::caller::Subject;

/// How long an unused session stays in the store.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60 * 60);
/// Every Redis call this store makes answers within this, or counts as failed.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(1);
const PREFIX: &str = "smartalex-mcp:session:";
/// The largest stored `initialize` (a client's capabilities and `_meta`
/// are its own to fill).
const MAX_STATE_BYTES: usize = 64 * 1024;
/// At most one reconnection attempt per this.
const RECONNECT_EVERY: Duration = Duration::from_secs(1);

/// Create the record unless the key exists: owner, state, expiry.
const CREATE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'state', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
";

/// 0: no such session; 1: someone else's; 2: the caller's (expiry refreshed).
const CHECK: &str = r"
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then return 0 end
if owner ~= ARGV[1] then return 1 end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 2
";

tokio::task_local! {
    /// The caller of the request rmcp is handling, for [`RedisSessions::store`]:
    /// rmcp hands the store a session id and its `initialize`, not who sent it.
    static OPENER: Opener;
}

/// Who sent the request now in rmcp's hands, and whether a session it
/// opened made it into the shared store.
#[derive(Debug, Clone)]
pub(super) struct Opener {
    pub(super) subject: Subject,
    stored: Arc<AtomicBool>,
}

impl Opener {
    pub(super) fn new(subject: Subject) -> Self {
        Opener {
            subject,
            stored: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Run `handle` (rmcp's handling of the request) as this caller's.
    pub(super) async fn scope<F: Future>(&self, handle: F) -> F::Output {
        OPENER.scope(self.clone(), handle).await
    }

    /// Did the session this request opened reach the shared store?
    pub(super) fn shared(&self) -> bool {
        self.stored.load(Ordering::SeqCst)
    }
}

/// Why the session store could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot use Redis at {url} for sessions: {source}")]
pub struct ConnectError {
    url: String,
    source: redis::RedisError,
}

/// Whose a stored session is, from the asking caller's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Owner {
    /// The caller's; its expiry is refreshed.
    Caller,
    /// Someone else's.
    Other,
    /// Not stored: never was, deleted, or expired.
    Gone,
}

/// Redis could not answer (already logged).
#[derive(Debug)]
pub(super) struct Unreachable;

/// The shared session store.
pub(super) struct RedisSessions {
    client: redis::Client,
    connection: Arc<RwLock<MultiplexedConnection>>,
    reconnecting: Arc<AtomicBool>,
    ttl_secs: u64,
    create: redis::Script,
    check: redis::Script,
}

impl std::fmt::Debug for RedisSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSessions")
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

/// The key of session `id`: its digest, never the id.
fn key(id: &str) -> String {
    format!(
        "{PREFIX}{}",
        crate::hex::encode(&Sha256::digest(id.as_bytes()))
    )
}

fn owner(subject: &Subject) -> String {
    crate::hex::encode(subject.as_bytes())
}

impl RedisSessions {
    /// Connect (and ping) now, so that a wrong URL stops start-up.
    pub(super) async fn connect(url: &str, ttl: Duration) -> Result<Self, ConnectError> {
        let fail = |source| ConnectError {
            url: smartalex_serve::ratelimit::redact_url(url),
            source,
        };
        let (client, connection) = smartalex_serve::ratelimit::connect_redis(url)
            .await
            .map_err(fail)?;
        Ok(RedisSessions {
            client,
            connection: Arc::new(RwLock::new(connection)),
            reconnecting: Arc::new(AtomicBool::new(false)),
            ttl_secs: ttl.as_secs().max(1),
            create: redis::Script::new(CREATE),
            check: redis::Script::new(CHECK),
        })
    }

    /// Whose session `id` is, for `subject`; refreshes its expiry if it is
    /// `subject`'s.
    pub(super) async fn owner_of(&self, id: &str, subject: &Subject) -> Result<Owner, Unreachable> {
        let mut connection = self.connection();
        let verdict: i64 = self
            .bounded(
                "check a session's owner",
                self.check
                    .key(key(id))
                    .arg(owner(subject))
                    .arg(self.ttl_secs)
                    .invoke_async(&mut connection),
            )
            .await?;
        Ok(match verdict {
            2 => Owner::Caller,
            1 => Owner::Other,
            _ => Owner::Gone,
        })
    }

    fn connection(&self) -> MultiplexedConnection {
        self.connection
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// `call` within [`CALL_TIMEOUT`]; a failure is logged (without the
    /// session id) and starts a reconnection.
    async fn bounded<T>(
        &self,
        what: &'static str,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, Unreachable> {
        let error = match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {} ms", CALL_TIMEOUT.as_millis()),
        };
        tracing::warn!(%error, "session store: cannot {what}");
        self.reconnect();
        Err(Unreachable)
    }

    /// Open a fresh connection in the background (at most one attempt per
    /// [`RECONNECT_EVERY`]): a multiplexed connection that lost Redis stays
    /// lost.
    fn reconnect(&self) {
        if self.reconnecting.swap(true, Ordering::SeqCst) {
            return;
        }
        let client = self.client.clone();
        let slot = Arc::clone(&self.connection);
        let flag = Arc::clone(&self.reconnecting);
        tokio::spawn(async move {
            let fresh =
                tokio::time::timeout(CALL_TIMEOUT, client.get_multiplexed_async_connection()).await;
            if let Ok(Ok(connection)) = fresh {
                *slot.write().unwrap_or_else(|e| e.into_inner()) = connection;
            }
            tokio::time::sleep(RECONNECT_EVERY).await;
            flag.store(false, Ordering::SeqCst);
        });
    }
}

/// What rmcp calls. Failures are logged here and not returned: rmcp would
/// log them again with the session id (and answer 500 where 404 is right).
#[async_trait::async_trait]
impl SessionStore for RedisSessions {
    async fn load(&self, session_id: &str) -> Result<Option<SessionState>, SessionStoreError> {
        let mut connection = self.connection();
        let state: Option<String> = match self
            .bounded(
                "load a session",
                redis::cmd("HGET")
                    .arg(key(session_id))
                    .arg("state")
                    .query_async(&mut connection),
            )
            .await
        {
            Ok(state) => state,
            Err(Unreachable) => return Ok(None),
        };
        let Some(state) = state.filter(|s| s.len() <= MAX_STATE_BYTES) else {
            return Ok(None);
        };
        match serde_json::from_str(&state) {
            Ok(state) => Ok(Some(state)),
            Err(error) => {
                tracing::warn!(%error, "session store: a stored session is not rmcp's state");
                Ok(None)
            }
        }
    }

    async fn store(&self, session_id: &str, state: &SessionState) -> Result<(), SessionStoreError> {
        let Ok(opener) = OPENER.try_with(Opener::clone) else {
            // Every request reaches rmcp through the gate, which sets it.
            tracing::warn!("session store: a session opened outside the gate is not shared");
            return Ok(());
        };
        let state = match serde_json::to_string(state) {
            Ok(state) if state.len() <= MAX_STATE_BYTES => state,
            Ok(state) => {
                tracing::warn!(
                    bytes = state.len(),
                    "session store: an initialize over 64 KiB is not shared; its session lives in this process only"
                );
                return Ok(());
            }
            Err(error) => {
                tracing::warn!(%error, "session store: cannot encode a session");
                return Ok(());
            }
        };
        let mut connection = self.connection();
        let created: Result<i64, _> = self
            .bounded(
                "store a new session (it lives in this process only)",
                self.create
                    .key(key(session_id))
                    .arg(owner(&opener.subject))
                    .arg(state)
                    .arg(self.ttl_secs)
                    .invoke_async(&mut connection),
            )
            .await;
        match created {
            Ok(1) => opener.stored.store(true, Ordering::SeqCst),
            Ok(_) => tracing::warn!("session store: a new session's key is taken; not shared"),
            Err(Unreachable) => {}
        }
        Ok(())
    }

    async fn delete(&self, session_id: &str) -> Result<(), SessionStoreError> {
        let mut connection = self.connection();
        let _: Result<i64, _> = self
            .bounded(
                "delete a session (it stays restorable until it expires)",
                redis::cmd("DEL")
                    .arg(key(session_id))
                    .query_async(&mut connection),
            )
            .await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_a_digest_of_the_id_never_the_id() {
        let id = "6f1c1d3e-0000-4000-8000-000000000000";
        let k = key(id);
        assert!(k.starts_with("smartalex-mcp:session:"), "{k}");
        assert_eq!(k.len(), PREFIX.len() + 64);
        assert!(!k.contains(id) && !k.contains("6f1c1d3e"));
        assert_eq!(k, key(id));
        assert_ne!(k, key("6f1c1d3e-0000-4000-8000-000000000001"));
    }
}

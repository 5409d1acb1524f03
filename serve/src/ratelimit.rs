//! Rate limits, as the error reference documents them, for both HTTP
//! servers of the workspace: cloud mode (`smartalex-mcp http`) and the sandbox
//! gateway.
//!
//! Authenticated requests count against their workspace (100 a minute by
//! default), everything else against the caller's IP (30 a minute). Cloud
//! mode counts a well-formed credential it has not verified yet against a
//! separate per-IP verification budget (30 a minute by default), so that
//! anonymous requests from a shared address cannot starve it. A window
//! opens with its first request and lasts 60 seconds, so `X-RateLimit-Reset`
//! and `Retry-After` are the seconds left in it.
//!
//! Counts live in this process, or (cloud mode, `--redis-url`) in Redis, so
//! that several `smartalex-mcp http` processes behind one load balancer share
//! one budget per workspace. Redis gets one round trip per request: a Lua
//! script increments the counter, starts its expiry on the first hit and
//! returns the time left, atomically. If Redis cannot be reached the request
//! is let through (and the failure logged): an outage of the limiter must not
//! become an outage of the product.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

const WINDOW: Duration = Duration::from_secs(60);
/// Past this many live windows in memory, expired ones are swept.
const MAX_WINDOWS: usize = 100_000;

/// Requests per minute. `0` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_workspace: u32,
    pub per_ip: u32,
    /// Cloud mode: unverified credentials per IP (each may cost an
    /// introspection).
    pub per_ip_verify: u32,
}

impl Default for Limits {
    /// The documented limits: 100/min per workspace, 30/min per IP, and
    /// 30/min unverified credentials per IP.
    fn default() -> Self {
        Limits {
            per_workspace: 100,
            per_ip: 30,
            per_ip_verify: 30,
        }
    }
}

/// What a request counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Bucket {
    Workspace(String),
    Ip(IpAddr),
    /// Unverified credentials from this IP.
    Verify(IpAddr),
}

impl Bucket {
    #[cfg(feature = "redis")]
    fn redis_key(&self) -> String {
        match self {
            Bucket::Workspace(id) => format!("smartalex-mcp:rl:ws:{id}"),
            Bucket::Ip(ip) => format!("smartalex-mcp:rl:ip:{ip}"),
            Bucket::Verify(ip) => format!("smartalex-mcp:rl:verify:{ip}"),
        }
    }
}

/// The verdict, and the numbers for the `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// `0` when unlimited (then no headers are sent).
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window resets (at least 1).
    pub reset_secs: u64,
}

impl Decision {
    fn unlimited() -> Self {
        Decision {
            allowed: true,
            limit: 0,
            remaining: 0,
            reset_secs: 0,
        }
    }

    fn from_count(limit: u32, count: u64, left: Duration) -> Self {
        let reset_secs = (left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1);
        Decision {
            allowed: count <= u64::from(limit),
            limit,
            remaining: u32::try_from(u64::from(limit).saturating_sub(count)).unwrap_or(0),
            reset_secs,
        }
    }

    /// Add `X-RateLimit-Limit`, `-Remaining` and `-Reset`.
    pub fn apply(&self, headers: &mut HeaderMap) {
        if self.limit == 0 {
            return;
        }
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset_secs));
    }

    /// The documented 429: `Retry-After` and the JSON body of the error
    /// reference, word for word.
    pub fn rejection(&self) -> Response {
        let body = serde_json::json!({
            "error": "Too many requests",
            "message": format!(
                "Rate limit exceeded. Please try again in {} seconds.",
                self.reset_secs
            ),
            "retryAfter": self.reset_secs,
        });
        let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from(self.reset_secs));
        self.apply(response.headers_mut());
        response
    }
}

/// Why the Redis limiter could not start.
#[cfg(feature = "redis")]
#[derive(Debug, thiserror::Error)]
#[error("cannot use Redis at {url} for rate limits: {source}")]
pub struct RedisError {
    url: String,
    source: redis::RedisError,
}

/// Counts requests per bucket, in memory or in Redis.
pub struct RateLimiter {
    limits: Limits,
    store: Store,
}

enum Store {
    Memory(Mutex<HashMap<Bucket, (Instant, u64)>>),
    #[cfg(feature = "redis")]
    Redis {
        connection: redis::aio::MultiplexedConnection,
        script: redis::Script,
    },
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let store = match self.store {
            Store::Memory(_) => "memory",
            #[cfg(feature = "redis")]
            Store::Redis { .. } => "redis",
        };
        f.debug_struct("RateLimiter")
            .field("limits", &self.limits)
            .field("store", &store)
            .finish()
    }
}

/// INCR, start the window on the first hit, return the count and the
/// milliseconds left. Atomic: Redis runs a script alone.
#[cfg(feature = "redis")]
const HIT: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); left = tonumber(ARGV[1]) end
return {count, left}
";

impl RateLimiter {
    /// Counts in this process.
    pub fn in_memory(limits: Limits) -> Self {
        RateLimiter {
            limits,
            store: Store::Memory(Mutex::new(HashMap::new())),
        }
    }

    /// Counts in the Redis at `url` (`redis://127.0.0.1:6379/0`), shared by
    /// every process that points at it. Connects (and pings) now, so a wrong
    /// URL stops start-up instead of silently disabling limits.
    #[cfg(feature = "redis")]
    pub async fn redis(url: &str, limits: Limits) -> Result<Self, RedisError> {
        let fail = |source| RedisError {
            url: redact_url(url),
            source,
        };
        let (_, connection) = connect_redis(url).await.map_err(fail)?;
        Ok(RateLimiter {
            limits,
            store: Store::Redis {
                connection,
                script: redis::Script::new(HIT),
            },
        })
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Count one request against `bucket`.
    pub async fn check(&self, bucket: &Bucket) -> Decision {
        let limit = match bucket {
            Bucket::Workspace(_) => self.limits.per_workspace,
            Bucket::Ip(_) => self.limits.per_ip,
            Bucket::Verify(_) => self.limits.per_ip_verify,
        };
        if limit == 0 {
            return Decision::unlimited();
        }
        match &self.store {
            Store::Memory(windows) => memory_hit(windows, bucket, limit, Instant::now()),
            #[cfg(feature = "redis")]
            Store::Redis { connection, script } => {
                let mut connection = connection.clone();
                let hit: redis::RedisResult<(u64, i64)> = script
                    .key(bucket.redis_key())
                    .arg(WINDOW.as_millis() as u64)
                    .invoke_async(&mut connection)
                    .await;
                match hit {
                    Ok((count, left_ms)) => Decision::from_count(
                        limit,
                        count,
                        Duration::from_millis(left_ms.max(0) as u64),
                    ),
                    Err(e) => {
                        tracing::error!(error = %e, "rate limit store unreachable; letting the request through");
                        Decision::from_count(limit, 0, WINDOW)
                    }
                }
            }
        }
    }
}

fn memory_hit(
    windows: &Mutex<HashMap<Bucket, (Instant, u64)>>,
    bucket: &Bucket,
    limit: u32,
    now: Instant,
) -> Decision {
    // A poisoned lock only means another request panicked mid-count; the
    // counts themselves are still whole numbers.
    let mut windows = windows.lock().unwrap_or_else(|e| e.into_inner());
    if windows.len() >= MAX_WINDOWS {
        windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
    }
    let entry = match windows.get_mut(bucket) {
        Some(entry) => entry,
        None => windows.entry(bucket.clone()).or_insert((now, 0)),
    };
    if now.duration_since(entry.0) >= WINDOW {
        *entry = (now, 0);
    }
    // Refused requests are not counted: a client hammering through its 429s
    // still gets its budget back when the window ends.
    let count = if entry.1 < u64::from(limit) {
        entry.1 += 1;
        entry.1
    } else {
        u64::from(limit) + 1
    };
    let left = WINDOW.saturating_sub(now.duration_since(entry.0));
    Decision::from_count(limit, count, left)
}

/// Open `url` and check it answers (`PING`) within 5 s: cloud mode's
/// Redis, for rate limits and sessions alike.
#[cfg(feature = "redis")]
pub async fn connect_redis(
    url: &str,
) -> Result<(redis::Client, redis::aio::MultiplexedConnection), redis::RedisError> {
    let client = redis::Client::open(url)?;
    let mut connection = tokio::time::timeout(
        Duration::from_secs(5),
        client.get_multiplexed_async_connection(),
    )
    .await
    .map_err(|_| {
        redis::RedisError::from(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "no answer within 5 s",
        ))
    })??;
    let _: String = redis::cmd("PING").query_async(&mut connection).await?;
    Ok((client, connection))
}

/// `redis://user:password@host` without the password, for messages.
#[cfg(feature = "redis")]
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_refuses_then_resets() {
        let windows = Mutex::new(HashMap::new());
        let ws = Bucket::Workspace("w".into());
        let t0 = Instant::now();
        let hit = |at| memory_hit(&windows, &ws, 3, at);
        assert_eq!(hit(t0).remaining, 2);
        assert_eq!(hit(t0).remaining, 1);
        let last = hit(t0);
        assert!(last.allowed);
        assert_eq!(last.remaining, 0);
        let refused = hit(t0 + Duration::from_millis(15_500));
        assert!(!refused.allowed);
        assert_eq!(refused.reset_secs, 45);
        let other = memory_hit(&windows, &Bucket::Ip([127, 0, 0, 1].into()), 3, t0);
        assert_eq!(other.remaining, 2, "another bucket has its own window");
        assert!(hit(t0 + WINDOW).allowed, "a new window starts after 60 s");
    }

    #[test]
    fn rejection_is_the_documented_429() {
        let d = Decision::from_count(100, 101, Duration::from_millis(44_200));
        assert!(!d.allowed);
        let r = d.rejection();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()["retry-after"], "45");
        assert_eq!(r.headers()["x-ratelimit-limit"], "100");
        assert_eq!(r.headers()["x-ratelimit-remaining"], "0");
        assert_eq!(r.headers()["x-ratelimit-reset"], "45");
    }

    #[cfg(feature = "redis")]
    #[test]
    fn redis_urls_lose_their_password_in_messages() {
        assert_eq!(
            redact_url("redis://:hunter2@127.0.0.1:6379/0"),
            "redis://:***@127.0.0.1:6379/0"
        );
        assert_eq!(redact_url("redis://127.0.0.1/"), "redis://127.0.0.1/");
    }
}

//! Fixed-window rate limits, as the gateway documents them.
//!
//! Authenticated requests count against their workspace (default 100 a
//! minute); requests without a valid key count against the caller's IP at
//! the public onboarding rate, which keeps the documented 30:100 ratio to
//! the configured limit (30 a minute by default). A window starts with its
//! first request and lasts 60 seconds, so `X-RateLimit-Reset` and
//! `Retry-After` are simply the seconds left in it.
//!
//! State is in memory: a restart forgets counts, which a sandbox can afford.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
const MAX_BUCKETS: usize = 50_000;

/// What a request counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Bucket {
    Workspace(String),
    Ip(IpAddr),
}

/// The verdict and the numbers for the `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window resets (at least 1 while it is open).
    pub reset_secs: u64,
}

#[derive(Debug)]
pub struct RateLimiter {
    workspace_limit: u32,
    public_limit: u32,
    windows: Mutex<HashMap<Bucket, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(per_min: u32) -> Self {
        let workspace_limit = per_min.max(1);
        let public_limit = (u64::from(workspace_limit) * 30).div_ceil(100).max(1) as u32;
        RateLimiter {
            workspace_limit,
            public_limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Count one request against `bucket`.
    pub fn check(&self, bucket: Bucket) -> Decision {
        self.check_at(bucket, Instant::now())
    }

    fn check_at(&self, bucket: Bucket, now: Instant) -> Decision {
        let limit = match bucket {
            Bucket::Workspace(_) => self.workspace_limit,
            Bucket::Ip(_) => self.public_limit,
        };
        let Ok(mut windows) = self.windows.lock() else {
            // A poisoned lock only means another request panicked mid-count.
            return Decision {
                allowed: true,
                limit,
                remaining: limit,
                reset_secs: WINDOW.as_secs(),
            };
        };
        if windows.len() >= MAX_BUCKETS {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = windows.entry(bucket).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        let left = WINDOW.saturating_sub(now.duration_since(entry.0));
        let reset_secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        let reset_secs = reset_secs.max(1);
        if entry.1 >= limit {
            return Decision {
                allowed: false,
                limit,
                remaining: 0,
                reset_secs,
            };
        }
        entry.1 += 1;
        Decision {
            allowed: true,
            limit,
            remaining: limit - entry.1,
            reset_secs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_refuses_then_resets() {
        let rl = RateLimiter::new(3);
        let t0 = Instant::now();
        let ws = || Bucket::Workspace("w".into());
        assert_eq!(rl.check_at(ws(), t0).remaining, 2);
        assert_eq!(rl.check_at(ws(), t0).remaining, 1);
        assert_eq!(rl.check_at(ws(), t0).remaining, 0);
        let refused = rl.check_at(ws(), t0 + Duration::from_millis(15_500));
        assert!(!refused.allowed);
        assert_eq!(refused.reset_secs, 45);
        // Another workspace has its own window.
        assert!(rl.check_at(Bucket::Workspace("other".into()), t0).allowed);
        assert!(rl.check_at(ws(), t0 + WINDOW).allowed);
    }

    #[test]
    fn public_limit_keeps_the_documented_ratio() {
        assert_eq!(RateLimiter::new(100).public_limit, 30);
        assert_eq!(RateLimiter::new(1).public_limit, 1);
        assert_eq!(RateLimiter::new(10_000).public_limit, 3_000);
    }
}

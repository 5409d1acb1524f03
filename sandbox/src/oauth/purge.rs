//! Expired authorization requests, codes and tokens are deleted, so the
//! tables hold what is live (and what reuse detection still needs), not
//! everything ever issued.
//!
//! Deletion is opportunistic: the OAuth endpoints call [`maybe`] and it runs
//! one `DELETE` per table when the last run is older than the interval
//! (`SandboxOptions::oauth_purge_interval`, a minute by default). A rotated
//! or revoked refresh token stays until it would have expired, because
//! presenting it again must still revoke its family; a used code likewise
//! stays until its five minutes are up.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::store;
use crate::{SharedApp, clock};

/// When the last purge ran.
#[derive(Debug)]
pub(crate) struct Schedule {
    interval: Duration,
    last: Mutex<Option<Instant>>,
}

impl Schedule {
    pub(crate) fn new(interval: Duration) -> Self {
        Schedule {
            interval,
            last: Mutex::new(None),
        }
    }

    /// Claim the next run if it is due.
    fn claim(&self) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if last.is_some_and(|at| now.duration_since(at) < self.interval) {
            return false;
        }
        *last = Some(now);
        true
    }
}

/// Delete expired OAuth rows if a purge is due. Failures are logged, not
/// passed on: the request that happened to trigger the purge goes ahead.
pub(crate) async fn maybe(app: &SharedApp) {
    if !app.oauth_purge.claim() {
        return;
    }
    let now = clock::unix_millis();
    match app
        .store
        .write(move |tx| Ok(store::purge_expired(tx, now)?))
        .await
    {
        Ok(0) => {}
        Ok(deleted) => tracing::info!(deleted, "purged expired OAuth requests, codes and tokens"),
        Err(e) => tracing::warn!(error = %e, "could not purge expired OAuth rows"),
    }
}

//! The feed of platform changes this process hears, and how often
//! subscribed resources are polled.
//!
//! Live resources ([`crate::live`]) tell subscribers when a resource
//! changes. What they hear comes from one place per process: the gateway's
//! webhook events, published here as [`Change`]s (the embedded sandbox's
//! through a [`Publisher`], cloud mode's by its webhook receiver), and the
//! poll interval that covers what no event does. The registry holds
//! the [`Live`] feed, so everything that serves its tools reaches the same
//! one; the watch loops that turn changes into resource updates sit above
//! the registry, in [`crate::live`]. This module is the part below it: it
//! knows changes, not tools or resources, so the registry can own it without
//! depending on what is built on the registry.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::broadcast;

use crate::gateway::Gateway;

/// The shortest poll interval.
pub const MIN_POLL: Duration = Duration::from_secs(1);
/// The poll interval unless configured.
pub const DEFAULT_POLL: Duration = Duration::from_secs(30);
/// Changes a slow watcher may fall behind before it skips some (and then
/// treats everything it watches as updated).
const BACKLOG: usize = 1024;

/// A change the gateway reported: its webhook event and record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The workspace it happened in.
    pub workspace: String,
    /// The webhook event type, e.g. `call.completed`.
    pub event: String,
    /// The changed record's id, when it has one.
    pub id: Option<String>,
}

/// What arranges for the gateway to push a workspace's changes when its
/// first subscriber comes (cloud mode registers a webhook,
/// `crate::http`'s receiver).
pub trait PushSource: Send + Sync + std::fmt::Debug {
    /// Changes of `workspace` are wanted; `gateway` acts for it. Resolves
    /// once they will be pushed, or once that failed (polls remain).
    fn want<'a>(
        &'a self,
        workspace: &'a str,
        gateway: &'a Arc<Gateway>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;
}

/// The feed of changes every watcher of this process hears, and the poll
/// interval.
#[derive(Debug)]
pub struct Live {
    changes: broadcast::Sender<Change>,
    /// Milliseconds; 0 is off.
    poll_ms: AtomicU64,
    push: OnceLock<Arc<dyn PushSource>>,
}

impl Default for Live {
    fn default() -> Self {
        Self {
            changes: broadcast::channel(BACKLOG).0,
            poll_ms: AtomicU64::new(DEFAULT_POLL.as_millis() as u64),
            push: OnceLock::new(),
        }
    }
}

impl Change {
    /// Anything may have changed (a source fell behind).
    const ANYTHING: &str = "*";

    fn anything() -> Self {
        Self {
            workspace: Self::ANYTHING.to_owned(),
            event: Self::ANYTHING.to_owned(),
            id: None,
        }
    }

    pub(crate) fn is_anything(&self) -> bool {
        self.event == Self::ANYTHING
    }
}

/// A handle that publishes to a [`Live`] feed from elsewhere (a task
/// forwarding the gateway's events).
#[derive(Debug, Clone)]
pub struct Publisher(broadcast::Sender<Change>);

impl Publisher {
    /// Tell every watcher about `change`.
    pub fn publish(&self, change: Change) {
        // No watcher is not an error.
        let _ = self.0.send(change);
    }

    /// The source skipped `_missed` changes: every watcher re-reads all it
    /// watches.
    pub fn lagged(&self, _missed: u64) {
        let _ = self.0.send(Change::anything());
    }
}

impl Live {
    /// Tell every watcher about `change`.
    pub fn publish(&self, change: Change) {
        self.publisher().publish(change);
    }

    /// A handle to publish with.
    pub fn publisher(&self) -> Publisher {
        Publisher(self.changes.clone())
    }

    /// Poll subscribed resources every `every` (at least [`MIN_POLL`]), or
    /// never (`None`).
    pub fn set_poll(&self, every: Option<Duration>) {
        let ms = every.map_or(0, |d| d.max(MIN_POLL).as_millis() as u64);
        self.poll_ms.store(ms, Ordering::Relaxed);
    }

    /// Ask `source` to arrange pushes for workspaces as subscribers come.
    pub fn set_push_source(&self, source: Arc<dyn PushSource>) {
        let _ = self.push.set(source);
    }

    /// A subscriber of `workspace` (`None`: this process's own gateway, on
    /// stdio), acting through `gateway`, is about to watch: have the
    /// workspace's changes pushed, if there is a way to.
    pub async fn want(&self, workspace: Option<&str>, gateway: &Arc<Gateway>) {
        if let (Some(push), Some(workspace)) = (self.push.get(), workspace) {
            push.want(workspace, gateway).await;
        }
    }

    /// Hear every change published from now on (a watch loop's feed).
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// The poll interval, if polls are on.
    pub fn poll(&self) -> Option<Duration> {
        match self.poll_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_intervals_are_bounded_below() {
        let live = Live::default();
        assert_eq!(live.poll(), Some(DEFAULT_POLL));
        live.set_poll(Some(Duration::from_millis(10)));
        assert_eq!(live.poll(), Some(MIN_POLL));
        live.set_poll(None);
        assert_eq!(live.poll(), None);
    }
}

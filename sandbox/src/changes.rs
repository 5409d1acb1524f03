//! The sandbox's changes, heard in-process.
//!
//! Every change that raises a webhook event also goes to listeners in the
//! same process — the MCP server's live resources ([`subscribe`]) — whether
//! or not the workspace registered a webhook. A change is published only
//! once the transaction that made it has committed, so a listener that reads
//! on hearing it sees the change: `record` holds it on the writing thread,
//! and the store's write path `publish`es or `discard`s what was held.

use std::cell::RefCell;
use std::sync::OnceLock;

use serde_json::Value;
use tokio::sync::broadcast;

/// How many changes a slow listener may fall behind before it skips some
/// (it is told how many, and can re-read everything).
const BACKLOG: usize = 1024;

/// One committed change: its webhook event and the record it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub workspace_id: String,
    /// The webhook event type, e.g. `call.completed`.
    pub event: String,
    /// The changed record's id, when it has one.
    pub id: Option<String>,
}

fn channel() -> &'static broadcast::Sender<Change> {
    static CHANNEL: OnceLock<broadcast::Sender<Change>> = OnceLock::new();
    CHANNEL.get_or_init(|| broadcast::channel(BACKLOG).0)
}

thread_local! {
    static HELD: RefCell<Vec<Change>> = const { RefCell::new(Vec::new()) };
}

/// Hear every change committed from now on, in this process.
pub fn subscribe() -> broadcast::Receiver<Change> {
    channel().subscribe()
}

/// Hold a change made by the transaction running on this thread.
pub(crate) fn record(workspace_id: &str, event: &str, data: &Value) {
    let change = Change {
        workspace_id: workspace_id.to_owned(),
        event: event.to_owned(),
        id: data.get("id").and_then(Value::as_str).map(str::to_owned),
    };
    HELD.with(|held| held.borrow_mut().push(change));
}

/// The transaction committed: send what it held.
pub(crate) fn publish() {
    let held = HELD.with(|held| std::mem::take(&mut *held.borrow_mut()));
    for change in held {
        // No listener is not an error.
        let _ = channel().send(change);
    }
}

/// The transaction did not commit: forget what it held.
pub(crate) fn discard() {
    HELD.with(|held| held.borrow_mut().clear());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_committed_changes_are_heard() {
        let mut rx = subscribe();
        record("w1", "deal.created", &json!({"id": "d1"}));
        discard();
        record("w1", "call.completed", &json!({"id": "c1"}));
        publish();
        let heard = rx.try_recv().unwrap();
        assert_eq!(heard.event, "call.completed");
        assert_eq!(heard.id.as_deref(), Some("c1"));
        assert!(rx.try_recv().is_err());
    }
}

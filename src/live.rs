//! Live resources: a client subscribes to a resource and hears when it
//! changes, so an assistant can wait on the platform ("tell me when the
//! campaign's calls finish") instead of polling it.
//!
//! Each era subscribes its own way — `resources/subscribe` and
//! `resources/unsubscribe` in a 2025-11-25 session, one `subscriptions/listen`
//! stream per request on 2026-07-28 ([`crate::server`]) — and both end here,
//! in a [`watch`] loop that sends `notifications/resources/updated` for a
//! subscribed URI when:
//!
//! - **the gateway says so**: its webhook events (the embedded sandbox hands
//!   them over in-process once committed) are [`Change`]s, published to the
//!   registry's [`Live`] feed. A change names its event and record, which
//!   name the resources it updates: the fixed resources of the event's
//!   domain (`call.completed` → `smartalex://calls/recent`) and the record's
//!   own template URI (`smartalex://calls/<id>`), derived from the generated
//!   tables. A subscriber hears only its own workspace's changes;
//! - **or a poll sees it**: every [`Live::poll`] interval (bounded below by
//!   [`MIN_POLL`]; configurable, or off) each subscribed resource is read
//!   again and compared with the last reading — for resources no event
//!   covers (`smartalex://platform/status`) and gateways that push nothing.
//!
//! An update is a hint to read again; it carries no data, so it cannot leak
//! any. A session holds at most [`MAX_SUBSCRIPTIONS`].

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

// The feed every watch loop hears, below the registry that holds it; named
// here too, where subscribers and the binary have always found it.
pub use crate::changes::{Change, DEFAULT_POLL, Live, MIN_POLL, Publisher, PushSource};
use crate::gateway::Gateway;
use crate::registry::Registry;
use crate::surface::ResourceSource;
use crate::tools;

/// The most resources one session (or one listen stream) may watch.
pub const MAX_SUBSCRIPTIONS: usize = 32;

/// Why a URI cannot be watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchError {
    /// No served resource has this URI.
    NotFound(String),
    /// [`MAX_SUBSCRIPTIONS`] are watched already.
    TooMany,
}

/// Whether `uri` names a served resource: a fixed one, or a template's.
pub fn is_served(registry: &Registry, uri: &str) -> bool {
    registry.resource_specs().any(|r| r.uri == uri)
        || registry
            .template_specs()
            .any(|t| t.matches(uri).is_some_and(|v| !v.is_empty()))
}

/// The URIs `change` updates: the fixed resources read from its domain's
/// tools, and its record's template URI.
pub fn updated_uris(registry: &Registry, change: &Change) -> Vec<String> {
    let Some(domain) = domain_of(&change.event) else {
        return Vec::new();
    };
    let of_domain = |tool: &str| tools::find(tool).is_some_and(|t| t.domain == domain);
    let mut uris: Vec<String> = registry
        .resource_specs()
        .filter(|r| matches!(r.source, ResourceSource::Tool { tool, .. } if of_domain(tool)))
        .map(|r| r.uri.to_owned())
        .collect();
    if let Some(id) = &change.id {
        for t in registry.template_specs().filter(|t| of_domain(t.tool)) {
            if let Some((head, _)) = t.uri_template.split_once('{') {
                uris.push(format!("{head}{id}"));
            }
        }
    }
    uris
}

/// The spec's domain (tag) of a webhook event: `call.completed` → `calls`.
fn domain_of(event: &str) -> Option<&'static str> {
    let noun = event.split('.').next()?;
    tools::DOMAINS
        .iter()
        .copied()
        .find(|d| d.strip_suffix('s') == Some(noun) || *d == noun)
}

/// A set of watched URIs; dropping it stops its [`watch`] loop.
#[derive(Debug)]
pub struct Subscriptions {
    uris: Arc<Mutex<BTreeSet<String>>>,
    stop: CancellationToken,
}

impl Default for Subscriptions {
    fn default() -> Self {
        Self {
            uris: Arc::default(),
            stop: CancellationToken::new(),
        }
    }
}

impl Drop for Subscriptions {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl Subscriptions {
    /// Watch `uri` too. `Ok(true)` when it is the first URI (start the loop).
    pub fn add(&self, registry: &Registry, uri: &str) -> Result<bool, WatchError> {
        if !is_served(registry, uri) {
            return Err(WatchError::NotFound(uri.to_owned()));
        }
        let mut uris = self.uris.lock().unwrap_or_else(PoisonError::into_inner);
        if uris.len() >= MAX_SUBSCRIPTIONS && !uris.contains(uri) {
            return Err(WatchError::TooMany);
        }
        let first = uris.is_empty();
        uris.insert(uri.to_owned());
        Ok(first)
    }

    /// Stop watching `uri` (watching it or not).
    pub fn remove(&self, uri: &str) {
        self.uris
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(uri);
    }

    /// What a [`watch`] loop reads: the URIs as they change, and a token
    /// cancelled when this set is dropped. The loop holds no strong
    /// reference to the set, so dropping its owner (a session's server)
    /// ends the loop.
    pub fn watched(&self) -> Watched {
        Watched {
            uris: Arc::clone(&self.uris),
            dropped: self.stop.clone(),
        }
    }
}

/// A [`Subscriptions`] seen from its watch loop.
#[derive(Debug, Clone)]
pub struct Watched {
    uris: Arc<Mutex<BTreeSet<String>>>,
    dropped: CancellationToken,
}

impl Watched {
    fn snapshot(&self) -> BTreeSet<String> {
        self.uris
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Where a watcher's updates go; `false` once nobody listens.
pub trait Notify: Send + Sync {
    fn updated(&self, uri: String) -> impl Future<Output = bool> + Send;
}

/// What a watch loop watches, for whom.
#[derive(Debug, Clone)]
pub struct Watcher {
    pub registry: Arc<Registry>,
    /// The subscriber's gateway, for polls.
    pub gateway: Arc<Gateway>,
    /// The subscriber's workspace; `None`: every change of this process's
    /// gateway is its own (stdio).
    pub workspace: Option<String>,
}

/// Send updates of `subs` through `out` until its [`Subscriptions`] is
/// dropped, `stop` fires or `out` goes away.
pub async fn watch<N: Notify>(watcher: Watcher, subs: Watched, out: N, stop: CancellationToken) {
    let mut changes = watcher.registry.live().subscribe();
    let poll = watcher.registry.live().poll();
    let mut ticks =
        poll.map(|every| tokio::time::interval_at(tokio::time::Instant::now() + every, every));
    let mut seen: HashMap<String, u64> = HashMap::new();
    if poll.is_some() {
        // The baseline each poll compares with.
        for uri in subs.snapshot() {
            if let Some(h) = reading(&watcher, &uri).await {
                seen.insert(uri, h);
            }
        }
    }
    let dropped = subs.dropped.clone();
    loop {
        let updated: Vec<String> = tokio::select! {
            () = stop.cancelled() => return,
            () = dropped.cancelled() => return,
            change = changes.recv() => match change {
                Ok(change) if change.is_anything() => subs.snapshot().into_iter().collect(),
                Ok(change) => {
                    if watcher.workspace.as_ref().is_some_and(|w| *w != change.workspace) {
                        continue;
                    }
                    let watched = subs.snapshot();
                    updated_uris(&watcher.registry, &change)
                        .into_iter()
                        .filter(|u| watched.contains(u))
                        .collect()
                }
                // Fell behind: anything may have changed.
                Err(broadcast::error::RecvError::Lagged(_)) => subs.snapshot().into_iter().collect(),
                Err(broadcast::error::RecvError::Closed) => return,
            },
            () = tick(&mut ticks) => {
                let mut updated = Vec::new();
                for uri in subs.snapshot() {
                    let Some(now) = reading(&watcher, &uri).await else { continue };
                    if seen.insert(uri.clone(), now).is_some_and(|before| before != now) {
                        updated.push(uri);
                    }
                }
                updated
            }
        };
        for uri in updated {
            if !out.updated(uri).await {
                return;
            }
        }
    }
}

async fn tick(ticks: &mut Option<tokio::time::Interval>) {
    match ticks {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// A hash of `uri`'s contents now, or `None` if it could not be read.
async fn reading(watcher: &Watcher, uri: &str) -> Option<u64> {
    let contents = watcher
        .registry
        .read_resource(&watcher.gateway, uri)
        .await
        .ok()?;
    let text = serde_json::to_string(&contents).ok()?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    Some(h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::Selection;

    fn registry() -> Registry {
        Registry::new(&Selection::default(), Gateway::from_env())
    }

    #[test]
    fn a_change_updates_its_domain_and_its_record() {
        let r = registry();
        let change = |event: &str, id: Option<&str>| Change {
            workspace: "w".into(),
            event: event.into(),
            id: id.map(str::to_owned),
        };
        assert_eq!(
            updated_uris(&r, &change("call.completed", Some("c1"))),
            ["smartalex://calls/recent", "smartalex://calls/c1"]
        );
        assert_eq!(
            updated_uris(&r, &change("deal.stage_changed", Some("d1"))),
            ["smartalex://deals/pipeline"]
        );
        assert_eq!(
            updated_uris(&r, &change("campaign.started", None)),
            ["smartalex://campaigns/active"]
        );
        assert!(updated_uris(&r, &change("unknown.thing", Some("x"))).is_empty());
    }

    #[test]
    fn only_served_resources_can_be_watched_and_only_so_many() {
        let r = registry();
        let subs = Subscriptions::default();
        assert_eq!(subs.add(&r, "smartalex://calls/recent"), Ok(true));
        assert_eq!(subs.add(&r, "smartalex://calls/recent"), Ok(false));
        assert_eq!(
            subs.add(&r, "test://watched-resource"),
            Err(WatchError::NotFound("test://watched-resource".into()))
        );
        assert_eq!(
            subs.add(&r, "smartalex://calls/"),
            Err(WatchError::NotFound("smartalex://calls/".into()))
        );
        for i in 1..MAX_SUBSCRIPTIONS {
            assert!(subs.add(&r, &format!("smartalex://calls/{i}")).is_ok());
        }
        assert_eq!(
            subs.add(&r, "smartalex://calls/one-too-many"),
            Err(WatchError::TooMany)
        );
        subs.remove("smartalex://calls/1");
        assert!(subs.add(&r, "smartalex://calls/one-more").is_ok());
    }
}

//! Cloud mode's webhook receiver: the gateway's changes, pushed to live
//! resources ([`crate::live`]).
//!
//! When the first subscriber of a workspace comes, this process registers a
//! webhook in that workspace, with the subscriber's own credential, for
//! every event type the spec lists, delivered to
//! `<public origin>/hooks/<token>`: a random token per registration, so a
//! delivery names its registration and nothing else. The gateway signs each
//! delivery with the secret it returned for that webhook
//! (`X-SmartAlex-Signature: v1=<HMAC-SHA256(secret, "<timestamp>.<body>")>`);
//! a delivery is accepted only with a valid signature and a timestamp
//! within [`MAX_SKEW`], then published as a [`Change`] of the registration's
//! workspace. Each process registers its own webhooks, so whichever process
//! holds a subscriber hears the change. They are deleted when the process
//! shuts down. A registration that fails (webhooks not served, the
//! credential may not create them) is retried after [`RETRY_AFTER`]; until
//! then the workspace's subscribers are served by polls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;

use super::Shared;
use crate::changes::{Change, PushSource};
use crate::gateway::Gateway;
use crate::registry::{Approval, Registry};

/// The oldest (or most future) delivery timestamp accepted.
const MAX_SKEW: Duration = Duration::from_secs(300);
/// How long after a failed registration the next subscriber tries again.
const RETRY_AFTER: Duration = Duration::from_secs(60);
/// The most workspaces one process registers webhooks for.
const MAX_WORKSPACES: usize = 10_000;
/// How long a subscriber waits for its workspace's registration.
const REGISTER_TIMEOUT: Duration = Duration::from_secs(10);

const CREATE: &str = "smartalex_create_webhook";
const DELETE: &str = "smartalex_delete_webhook";

/// The receiver and its registrations.
#[derive(Debug)]
pub(super) struct Hooks {
    /// `<public origin>/hooks/`.
    base: String,
    registry: Arc<Registry>,
    state: Mutex<Registrations>,
    /// Serializes registrations, so one workspace registers once.
    registering: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct Registrations {
    by_token: HashMap<String, Registered>,
    by_workspace: HashMap<String, Status>,
}

#[derive(Debug, Clone)]
struct Registered {
    workspace: String,
    secret: String,
    webhook_id: String,
    gateway: Arc<Gateway>,
}

#[derive(Debug, Clone, Copy)]
enum Status {
    Registered,
    Failed(Instant),
}

impl Hooks {
    pub(super) fn new(public_origin: &str, registry: Arc<Registry>) -> Self {
        Self {
            base: format!("{}/hooks/", public_origin.trim_end_matches('/')),
            registry,
            state: Mutex::default(),
            registering: tokio::sync::Mutex::new(()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, Registrations> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `workspace` needs a registration now.
    fn needs(&self, workspace: &str) -> bool {
        let state = self.state();
        match state.by_workspace.get(workspace) {
            Some(Status::Registered) => false,
            Some(Status::Failed(at)) => at.elapsed() >= RETRY_AFTER,
            None => state.by_workspace.len() < MAX_WORKSPACES,
        }
    }

    async fn register(&self, workspace: &str, gateway: &Arc<Gateway>) {
        let _one_at_a_time = self.registering.lock().await;
        if !self.needs(workspace) {
            return;
        }
        let mut token = [0u8; 16];
        if getrandom::fill(&mut token).is_err() {
            // No unguessable token, no registration: polls serve.
            self.state()
                .by_workspace
                .insert(workspace.to_owned(), Status::Failed(Instant::now()));
            return;
        }
        let token = crate::hex::encode(&token);
        let mut args = Map::new();
        args.insert("url".into(), Value::String(format!("{}{token}", self.base)));
        args.insert("event_types".into(), json!(event_types()));
        args.insert(
            "description".into(),
            Value::String("smartalex-mcp: live resources".into()),
        );
        let created = self.registry.fetch_on(gateway, CREATE, args).await;
        let registered = created.ok().and_then(|output| {
            let body = output.body();
            Some(Registered {
                workspace: workspace.to_owned(),
                secret: body.get("signing_secret")?.as_str()?.to_owned(),
                webhook_id: body.get("id")?.as_str()?.to_owned(),
                gateway: Arc::clone(gateway),
            })
        });
        let mut state = self.state();
        match registered {
            Some(r) => {
                tracing::info!(webhook = %r.webhook_id, "webhook registered for live resources");
                state
                    .by_workspace
                    .insert(workspace.to_owned(), Status::Registered);
                state.by_token.insert(token, r);
            }
            None => {
                tracing::warn!(
                    "could not register a webhook for live resources; subscribers are served by polls"
                );
                state
                    .by_workspace
                    .insert(workspace.to_owned(), Status::Failed(Instant::now()));
            }
        }
    }

    /// A delivery to `token`: the change it reports, if it is genuine.
    fn verify(&self, token: &str, headers: &HeaderMap, body: &[u8]) -> Result<Change, StatusCode> {
        let registered = self
            .state()
            .by_token
            .get(token)
            .cloned()
            .ok_or(StatusCode::NOT_FOUND)?;
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let timestamp: u64 = header("x-smartalex-timestamp")
            .and_then(|t| t.parse().ok())
            .ok_or(StatusCode::UNAUTHORIZED)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        if now.abs_diff(timestamp) > MAX_SKEW.as_secs() {
            return Err(StatusCode::UNAUTHORIZED);
        }
        let signature = header("x-smartalex-signature")
            .and_then(|s| s.strip_prefix("v1="))
            .filter(|hex| hex.len() <= 128)
            .and_then(crate::hex::decode)
            .ok_or(StatusCode::UNAUTHORIZED)?;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(registered.secret.as_bytes())
            .map_err(|_| StatusCode::UNAUTHORIZED)?;
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&signature)
            .map_err(|_| StatusCode::UNAUTHORIZED)?;
        let event: Value = serde_json::from_slice(body).map_err(|_| StatusCode::BAD_REQUEST)?;
        let kind = event
            .get("type")
            .and_then(Value::as_str)
            .ok_or(StatusCode::BAD_REQUEST)?;
        Ok(Change {
            workspace: registered.workspace,
            event: kind.to_owned(),
            id: event
                .pointer("/data/id")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }

    /// Delete every webhook this process registered (at shutdown).
    pub(super) async fn unregister_all(&self) {
        let registered: Vec<Registered> = {
            let mut state = self.state();
            state.by_workspace.clear();
            state.by_token.drain().map(|(_, r)| r).collect()
        };
        for r in registered {
            let mut args = Map::new();
            args.insert("id".into(), Value::String(r.webhook_id.clone()));
            let deleted = self
                .registry
                .call_on(&r.gateway, DELETE, Some(args), Approval::Granted)
                .await;
            if !matches!(deleted, Ok(crate::registry::Outcome::Ok(_))) {
                tracing::warn!(webhook = %r.webhook_id, "could not delete a live-resources webhook");
            }
        }
    }
}

impl PushSource for Hooks {
    fn want<'a>(
        &'a self,
        workspace: &'a str,
        gateway: &'a Arc<Gateway>,
    ) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        Box::pin(async move {
            if self.needs(workspace) {
                let _ =
                    tokio::time::timeout(REGISTER_TIMEOUT, self.register(workspace, gateway)).await;
            }
        })
    }
}

/// `POST /hooks/{token}`: 204 for a genuine delivery, 401 for a bad
/// signature or an old timestamp, 404 for a token this process did not
/// issue.
pub(super) async fn receive(
    State(shared): State<Arc<Shared>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Some(hooks) = &shared.hooks else {
        return StatusCode::NOT_FOUND;
    };
    match hooks.verify(&token, &headers, &body) {
        Ok(change) => {
            hooks.registry.live().publish(change);
            StatusCode::NO_CONTENT
        }
        Err(status) => status,
    }
}

/// The event types the spec lets a webhook subscribe to (the create tool's
/// `event_types` enum).
fn event_types() -> Vec<String> {
    crate::tools::find(CREATE)
        .and_then(|t| serde_json::from_str::<Value>(t.input_schema).ok())
        .and_then(|schema| {
            schema
                .pointer("/properties/event_types/items/enum")
                .and_then(Value::as_array)
                .map(|values| {
                    values
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_of_the_spec_is_asked_for() {
        let types = event_types();
        assert!(types.contains(&"call.completed".to_owned()), "{types:?}");
        assert!(types.len() >= 8, "{types:?}");
    }

    fn signed(secret: &str, ts: u64, body: &str) -> HeaderMap {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{ts}.{body}").as_bytes());
        let mut h = HeaderMap::new();
        h.insert("x-smartalex-timestamp", ts.to_string().parse().unwrap());
        h.insert(
            "x-smartalex-signature",
            format!("v1={}", crate::hex::encode(&mac.finalize().into_bytes()))
                .parse()
                .unwrap(),
        );
        h
    }

    #[test]
    fn only_signed_fresh_deliveries_to_an_issued_token_count() {
        let registry = Arc::new(Registry::new(
            &crate::tools::Selection::default(),
            Gateway::from_env(),
        ));
        let hooks = Hooks::new("http://127.0.0.1:1", registry);
        hooks.state().by_token.insert(
            "tok".into(),
            Registered {
                workspace: "w1".into(),
                secret: "whsec_1".into(),
                webhook_id: "h1".into(),
                gateway: Arc::new(Gateway::from_env()),
            },
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let body = r#"{"id":"d1","type":"call.completed","data":{"id":"c1"}}"#;
        let change = hooks
            .verify("tok", &signed("whsec_1", now, body), body.as_bytes())
            .unwrap();
        assert_eq!(change.workspace, "w1");
        assert_eq!(change.event, "call.completed");
        assert_eq!(change.id.as_deref(), Some("c1"));
        for (token, headers, status) in [
            ("nope", signed("whsec_1", now, body), StatusCode::NOT_FOUND),
            (
                "tok",
                signed("whsec_2", now, body),
                StatusCode::UNAUTHORIZED,
            ),
            (
                "tok",
                signed("whsec_1", now - 600, body),
                StatusCode::UNAUTHORIZED,
            ),
            ("tok", HeaderMap::new(), StatusCode::UNAUTHORIZED),
        ] {
            assert_eq!(
                hooks.verify(token, &headers, body.as_bytes()).unwrap_err(),
                status
            );
        }
        // A signature over another body.
        let other = r#"{"id":"d1","type":"deal.created","data":{"id":"x"}}"#;
        assert_eq!(
            hooks
                .verify("tok", &signed("whsec_1", now, body), other.as_bytes())
                .unwrap_err(),
            StatusCode::UNAUTHORIZED
        );
    }
}

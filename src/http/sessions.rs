//! A 2025-11-25 session belongs to the credential that opened it.
//!
//! rmcp's session manager knows session ids, not callers: whoever holds an
//! `Mcp-Session-Id` could attach to its stream, delete it, or answer its
//! pending elicitation — which then runs with the opener's credential. So the
//! gate records, from the `initialize` response that carries a new id, the
//! [`Subject`] of the caller that created it, and lets a later request with
//! that id through only for the same subject. Anyone else gets exactly what
//! an unknown session gets (`404`, `Not Found: Session not found`), so a
//! foreign id cannot even be told apart from a made-up one. A binding is
//! forgotten when its session is deleted or rmcp answers 404 for it; like
//! rmcp's own session table (which keeps idle-expired sessions until they
//! are deleted), it is otherwise as long-lived as the process: one small
//! entry per session rmcp already holds.
//!
//! With `--redis-url` the owner is stored with the session, in Redis
//! ([`super::session_store`]), and that record is the truth: every request
//! naming a session asks it, so a process that did not open the session
//! admits its owner (and rmcp restores the session there), refuses anyone
//! else with the same 404, and answers 404 to a session deleted or expired
//! through any process — closing its own copy. The binding here then only
//! serves while Redis cannot be reached: the process keeps serving the
//! sessions it holds to their owners, and answers `503` for a session it
//! does not hold rather than guess whose it is.
//!
//! Session ids are bearer secrets: nothing here logs them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use rmcp::transport::streamable_http_server::session::SessionManager;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;

use super::session_store::{Opener, Owner, RedisSessions, Unreachable};
use super::transport_errors::transport_error;
use crate::caller::Subject;

const SESSION_HEADER: &str = "mcp-session-id";
/// rmcp's text for an unknown session, which the gate re-shapes into this.
const UNKNOWN_SESSION: &str = "Not Found: Session not found";

/// Which subject opened which live session.
#[derive(Debug, Default)]
pub(super) struct Sessions {
    owners: Mutex<HashMap<String, Binding>>,
    /// With `--redis-url`: the shared record of every session, and rmcp's
    /// sessions in this process (to close one that ended elsewhere).
    shared: Option<(Arc<RedisSessions>, Arc<LocalSessionManager>)>,
}

#[derive(Debug, Clone, Copy)]
struct Binding {
    owner: Subject,
    /// In the shared store, which then decides (else: this process only).
    shared: bool,
}

impl Sessions {
    /// Bindings in this process; with `shared`, the store decides.
    pub(super) fn new(shared: Option<(Arc<RedisSessions>, Arc<LocalSessionManager>)>) -> Self {
        Sessions {
            owners: Mutex::default(),
            shared,
        }
    }

    fn owners(&self) -> std::sync::MutexGuard<'_, HashMap<String, Binding>> {
        self.owners.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The session this request names, if it is `subject`'s; otherwise the
    /// answer to send instead of running the request.
    pub(super) async fn admit(
        &self,
        headers: &HeaderMap,
        subject: &Subject,
    ) -> Result<Option<String>, Refused> {
        // rmcp reads the first header as text and ignores one that is not.
        let Some(id) = headers.get(SESSION_HEADER).and_then(|v| v.to_str().ok()) else {
            return Ok(None);
        };
        let local = self.owners().get(id).copied();
        let owned_here = |binding: Option<Binding>| match binding {
            Some(b) if b.owner == *subject => Ok(Some(id.to_owned())),
            _ => Err(Refused::UnknownSession),
        };
        let Some((store, manager)) = &self.shared else {
            return owned_here(local);
        };
        if local.is_some_and(|b| !b.shared) {
            return owned_here(local);
        }
        match store.owner_of(id, subject).await {
            Ok(Owner::Caller) => {
                self.owners().entry(id.to_owned()).or_insert(Binding {
                    owner: *subject,
                    shared: true,
                });
                Ok(Some(id.to_owned()))
            }
            Ok(Owner::Other) => Err(Refused::UnknownSession),
            Ok(Owner::Gone) => {
                // Deleted or expired through any process: gone here too.
                if self.owners().remove(id).is_some() {
                    let manager = Arc::clone(manager);
                    let id: rmcp::transport::streamable_http_server::session::SessionId = id.into();
                    tokio::spawn(async move {
                        let _ = manager.close_session(&id).await;
                    });
                }
                Err(Refused::UnknownSession)
            }
            // Whose a session is that this process does not hold cannot be
            // told now: nobody gets in.
            Err(Unreachable) if local.is_none() => Err(Refused::StoreUnavailable),
            Err(Unreachable) => owned_here(local),
        }
    }

    /// After rmcp answered a request that named `claimed` (or none): bind a
    /// session it just created to its opener, forget one that ended.
    pub(super) fn settle(
        &self,
        method: &Method,
        claimed: Option<&str>,
        opener: &Opener,
        response: &Response,
    ) {
        match claimed {
            None => {
                let created = response
                    .headers()
                    .get(SESSION_HEADER)
                    .and_then(|v| v.to_str().ok());
                if let (Some(id), true) = (created, response.status().is_success()) {
                    let binding = Binding {
                        owner: opener.subject,
                        shared: opener.shared(),
                    };
                    self.owners().insert(id.to_owned(), binding);
                }
            }
            Some(id) => {
                let deleted = *method == Method::DELETE && response.status().is_success();
                if deleted || response.status() == StatusCode::NOT_FOUND {
                    self.owners().remove(id);
                }
            }
        }
    }
}

/// A request naming a session it may not use.
#[derive(Debug)]
pub(super) enum Refused {
    /// What rmcp answers (and the gate re-shapes) for a session it does not
    /// know.
    UnknownSession,
    /// The shared store cannot say whose the session is.
    StoreUnavailable,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::UnknownSession => transport_error(StatusCode::NOT_FOUND, UNKNOWN_SESSION),
            Refused::StoreUnavailable => {
                let mut response = transport_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service Unavailable: the session store cannot be reached; retry in a few seconds",
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
                response
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::caller::Caller;
    use crate::gateway::{Gateway, KeyState};
    use smartalex::{ApiKey, Timeouts};

    fn caller(workspace: &str, key: &str) -> Caller {
        let key = KeyState::Valid(ApiKey::parse(key).unwrap());
        Caller {
            workspace: workspace.to_owned(),
            gateway: Arc::new(Gateway::new("http://127.0.0.1:1", key, Timeouts::default())),
        }
    }

    fn with_session(id: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(SESSION_HEADER, HeaderValue::from_str(id).unwrap());
        h
    }

    fn created(id: &str) -> Response {
        let mut r = Response::new(axum::body::Body::empty());
        r.headers_mut()
            .insert(SESSION_HEADER, HeaderValue::from_str(id).unwrap());
        r
    }

    #[tokio::test]
    async fn a_session_admits_only_its_opener() {
        let key_a = format!("sa_test_{}", "a".repeat(32));
        let key_b = format!("sa_test_{}", "b".repeat(32));
        let a = Subject::of(&caller("ws_a", &key_a));
        let a2 = Subject::of(&caller("ws_a", &key_b));
        let b = Subject::of(&caller("ws_b", &key_a));
        assert!(a != a2 && a != b && a == Subject::of(&caller("ws_a", &key_a)));

        let sessions = Sessions::default();
        assert_eq!(sessions.admit(&HeaderMap::new(), &a).await.unwrap(), None);
        let opener = Opener::new(a);
        sessions.settle(&Method::POST, None, &opener, &created("s1"));
        assert_eq!(
            sessions
                .admit(&with_session("s1"), &a)
                .await
                .unwrap()
                .as_deref(),
            Some("s1")
        );
        for (headers, who) in [
            (with_session("s1"), &a2),
            (with_session("s1"), &b),
            (with_session("s2"), &a),
        ] {
            let refused = sessions
                .admit(&headers, who)
                .await
                .unwrap_err()
                .into_response();
            assert_eq!(refused.status(), StatusCode::NOT_FOUND);
        }
        // A deleted session is forgotten.
        let mut gone = Response::new(axum::body::Body::empty());
        *gone.status_mut() = StatusCode::ACCEPTED;
        sessions.settle(&Method::DELETE, Some("s1"), &opener, &gone);
        assert!(sessions.admit(&with_session("s1"), &a).await.is_err());
    }
}

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
//! Session ids are bearer secrets: nothing here logs them.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::credentials::Caller;
use crate::gateway::KeyState;

const SESSION_HEADER: &str = "mcp-session-id";
/// rmcp's text for an unknown session, which the gate re-shapes into this.
const UNKNOWN_SESSION: &str = "Not Found: Session not found";

/// Who a caller is, as an opaque digest: its workspace and its credential.
///
/// An API key is its own subject, so a second key — even of the same
/// workspace — is someone else. An OAuth access token is refreshed and
/// re-exchanged during a session, and the introspection answer names only
/// the workspace, so OAuth callers are told apart by workspace.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Subject([u8; 32]);

impl std::fmt::Debug for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Subject(…)")
    }
}

impl Subject {
    pub fn of(caller: &Caller) -> Subject {
        let mut digest = Sha256::new();
        let mut field = |bytes: &[u8]| {
            digest.update((bytes.len() as u64).to_be_bytes());
            digest.update(bytes);
        };
        field(b"smartalex-mcp/subject/v1");
        field(caller.workspace.as_bytes());
        match caller.gateway.key() {
            KeyState::Valid(key) => {
                field(b"api-key");
                field(key.expose().as_bytes());
            }
            KeyState::Token(_) => field(b"oauth"),
            // The resolver never builds these for a caller.
            KeyState::Missing | KeyState::Malformed(_) => field(b"none"),
        }
        Subject(digest.finalize().into())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Which subject opened which live session.
#[derive(Debug, Default)]
pub(super) struct Sessions {
    owners: Mutex<HashMap<String, Subject>>,
}

impl Sessions {
    /// The session this request names, if it is `subject`'s; otherwise the
    /// unknown-session answer to send instead of running the request.
    pub(super) fn admit(
        &self,
        headers: &HeaderMap,
        subject: &Subject,
    ) -> Result<Option<String>, UnknownSession> {
        // rmcp reads the first header as text and ignores one that is not.
        let Some(id) = headers.get(SESSION_HEADER).and_then(|v| v.to_str().ok()) else {
            return Ok(None);
        };
        let owners = self.owners.lock().unwrap_or_else(|e| e.into_inner());
        match owners.get(id) {
            Some(owner) if owner == subject => Ok(Some(id.to_owned())),
            _ => Err(UnknownSession),
        }
    }

    /// After rmcp answered a request that named `claimed` (or none): bind a
    /// session it just created to `subject`, forget one that ended.
    pub(super) fn settle(
        &self,
        method: &Method,
        claimed: Option<&str>,
        subject: Subject,
        response: &Response,
    ) {
        let mut owners = self.owners.lock().unwrap_or_else(|e| e.into_inner());
        match claimed {
            None => {
                let created = response
                    .headers()
                    .get(SESSION_HEADER)
                    .and_then(|v| v.to_str().ok());
                if let (Some(id), true) = (created, response.status().is_success()) {
                    owners.insert(id.to_owned(), subject);
                }
            }
            Some(id) => {
                let deleted = *method == Method::DELETE && response.status().is_success();
                if deleted || response.status() == StatusCode::NOT_FOUND {
                    owners.remove(id);
                }
            }
        }
    }
}

/// What rmcp answers (and the gate re-shapes) for a session it does not know.
#[derive(Debug)]
pub(super) struct UnknownSession;

impl IntoResponse for UnknownSession {
    fn into_response(self) -> Response {
        super::gate::transport_error(StatusCode::NOT_FOUND, UNKNOWN_SESSION)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::auth::{ApiKey, Timeouts};
    use crate::gateway::Gateway;
    use axum::http::HeaderValue;

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

    #[test]
    fn a_session_admits_only_its_opener() {
        let key_a = format!("sa_test_{}", "a".repeat(32));
        let key_b = format!("sa_test_{}", "b".repeat(32));
        let a = Subject::of(&caller("ws_a", &key_a));
        let a2 = Subject::of(&caller("ws_a", &key_b));
        let b = Subject::of(&caller("ws_b", &key_a));
        assert!(a != a2 && a != b && a == Subject::of(&caller("ws_a", &key_a)));

        let sessions = Sessions::default();
        assert_eq!(sessions.admit(&HeaderMap::new(), &a).unwrap(), None);
        sessions.settle(&Method::POST, None, a, &created("s1"));
        assert_eq!(
            sessions.admit(&with_session("s1"), &a).unwrap().as_deref(),
            Some("s1")
        );
        for (headers, who) in [
            (with_session("s1"), &a2),
            (with_session("s1"), &b),
            (with_session("s2"), &a),
        ] {
            let refused = sessions.admit(&headers, who).unwrap_err().into_response();
            assert_eq!(refused.status(), StatusCode::NOT_FOUND);
        }
        // A deleted session is forgotten.
        let mut gone = Response::new(axum::body::Body::empty());
        *gone.status_mut() = StatusCode::ACCEPTED;
        sessions.settle(&Method::DELETE, Some("s1"), a, &gone);
        assert!(sessions.admit(&with_session("s1"), &a).is_err());
    }
}

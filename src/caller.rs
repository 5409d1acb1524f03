//! Who one MCP request acts for, when a transport serves many callers.
//!
//! The HTTP transport ([`crate::http`]) resolves each request's credential
//! to a [`Caller`] and puts it in the request's extensions; the MCP server
//! ([`crate::server`]) reads it there to reach the gateway as that caller and
//! to bind confirmations to it, and the transport binds sessions to its
//! [`Subject`]. Both sides need these two types, and neither should depend on
//! the other for them: the server handles the protocol whatever the
//! transport, and the transport only hands it data. So they live here, below
//! both, knowing nothing but the gateway handle.
//!
//! On stdio there is one user and one credential, so there is no caller: the
//! module exists only with the `http` feature, and the server falls back to
//! its registry's gateway and a fixed subject.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::gateway::{Gateway, KeyState};

/// The caller of one MCP request: put in the request's extensions by the
/// HTTP layer, read by the server to reach the gateway as this caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The workspace every call of this request acts in.
    pub workspace: String,
    /// The gateway, with this caller's credential.
    pub gateway: Arc<Gateway>,
}

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

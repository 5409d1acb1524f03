//! RFC 8414 authorization server metadata: how a client (the MCP SDKs
//! among them) discovers every other endpoint from the issuer alone.
//!
//! Everything is derived from the issuer, which is the sandbox's bound
//! address, so the document is right whatever port the sandbox got.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::store::AuthMethod;
use super::{SCOPES, TOKEN_EXCHANGE_GRANT, pkce};
use crate::SharedApp;

/// The metadata document for `issuer`.
fn document(issuer: &str) -> Value {
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "registration_endpoint": format!("{issuer}/oauth/register"),
        "introspection_endpoint": format!("{issuer}/oauth/introspect"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", TOKEN_EXCHANGE_GRANT],
        "code_challenge_methods_supported": [pkce::METHOD],
        "token_endpoint_auth_methods_supported":
            AuthMethod::ALL.iter().map(|m| m.name()).collect::<Vec<_>>(),
        "scopes_supported": SCOPES,
        "authorization_response_iss_parameter_supported": true,
    })
}

/// `GET /.well-known/oauth-authorization-server`
pub(crate) async fn serve(State(app): State<SharedApp>) -> Json<Value> {
    Json(document(&app.issuer))
}

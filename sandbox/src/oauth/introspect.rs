//! RFC 7662 token introspection (`POST /oauth/introspect`): how a resource
//! server — the MCP server's HTTP transport — learns what an opaque token
//! stands for.
//!
//! It answers for OAuth access tokens (any audience; the caller checks the
//! `aud` it expects) and for sandbox API keys, so a resource server can
//! accept either. Refresh tokens, expired, revoked and unknown tokens are
//! all just `{"active": false}`: the answer must not help anyone tell them
//! apart. Introspection is unauthenticated — a documented sandbox
//! simplification (see [`super`]).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::bounds::LimitedBody;
use super::{OAuthError, Params, no_store, store};
use crate::auth;
use crate::credentials::{ACCESS_TOKEN_PREFIX, KEY_PREFIX};
use crate::ids::sha256_hex;
use crate::{SharedApp, clock};

/// `POST /oauth/introspect`
pub(crate) async fn serve(State(app): State<SharedApp>, body: LimitedBody) -> Response {
    let form = Params::parse(&body.0);
    let token = match form.one("token") {
        Ok(Some(token)) => token.to_owned(),
        Ok(None) => {
            return OAuthError::InvalidRequest("token is required".into()).into_response();
        }
        Err(why) => return OAuthError::InvalidRequest(why).into_response(),
    };
    // `token_type_hint` is only a hint (RFC 7662 §2.1): the prefix decides.
    match describe(&app, &token).await {
        Ok(answer) => no_store(StatusCode::OK, answer),
        Err(e) => e.into_response(),
    }
}

async fn describe(app: &SharedApp, token: &str) -> Result<Value, OAuthError> {
    let inactive = json!({"active": false});
    let hash = sha256_hex(token);
    if token.starts_with(ACCESS_TOKEN_PREFIX) {
        let now = clock::unix_millis();
        let found = app
            .store
            .read(move |c| store::active_access_token(c, &hash, now))
            .await?;
        return Ok(match found {
            Some(t) => json!({
                "active": true,
                "token_type": "access_token",
                "client_id": t.client_id,
                "workspace_id": t.workspace_id,
                "scope": t.scope,
                "aud": t.audience,
                "exp": t.expires_at / 1000,
                "iat": t.issued_at / 1000,
                "iss": app.issuer,
            }),
            None => inactive,
        });
    }
    if token.starts_with(KEY_PREFIX) {
        let found = app.store.read(move |c| Ok(auth::lookup(c, &hash)?)).await?;
        return Ok(match found {
            Some(p) => json!({
                "active": true,
                "token_type": "api_key",
                "workspace_id": p.workspace_id,
                "scope": if p.can_write { "read write" } else { "read" },
            }),
            None => inactive,
        });
    }
    Ok(inactive)
}

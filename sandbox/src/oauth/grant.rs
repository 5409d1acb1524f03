//! What every grant of the token endpoint shares: how it answers
//! ([`Outcome`], [`Refused`]), how it reads its form ([`field`],
//! [`required`]), and how it issues tokens ([`issue`]).
//!
//! The endpoint ([`super::token`]) dispatches to the grants, and one grant,
//! the token exchange, lives in its own file ([`super::exchange`]); both
//! build on this module, so neither has to reach into the other.

use axum::response::Response;
use serde_json::{Value, json};

use super::store::{self, Kind, Token};
use super::{OAuthError, Params, REFRESH_TOKEN_TTL, new_token};
use crate::credentials::{ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX};
use crate::ids::sha256_hex;

/// Why the token endpoint answers with an error.
pub(super) enum Refused {
    Error(OAuthError),
    /// 429, ready to send.
    TooMany(Response),
}

impl From<OAuthError> for Refused {
    fn from(e: OAuthError) -> Self {
        Refused::Error(e)
    }
}

/// A grant's result, and whether it revoked tokens (so the gateway's
/// credential cache must forget them now).
pub(super) struct Outcome {
    pub(super) result: Result<Value, OAuthError>,
    pub(super) revoked: bool,
}

impl Outcome {
    pub(super) fn is_ok(&self) -> bool {
        self.result.is_ok()
    }
    pub(super) fn ok(answer: Value) -> Self {
        Outcome {
            result: Ok(answer),
            revoked: false,
        }
    }
    pub(super) fn refuse(e: OAuthError) -> Self {
        Outcome {
            result: Err(e),
            revoked: false,
        }
    }
    pub(super) fn refuse_and_revoke(e: OAuthError) -> Self {
        Outcome {
            result: Err(e),
            revoked: true,
        }
    }
}

pub(super) fn field<'a>(form: &'a Params, name: &str) -> Result<Option<&'a str>, OAuthError> {
    form.one(name).map_err(OAuthError::InvalidRequest)
}

pub(super) fn required<'a>(form: &'a Params, name: &str) -> Result<&'a str, OAuthError> {
    field(form, name)?.ok_or_else(|| OAuthError::InvalidRequest(format!("{name} is required")))
}

pub(super) fn ttl_ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

/// Issue an access token (and a refresh token, if `refresh_scope` is
/// given) in `family`; returns the token response.
#[allow(clippy::too_many_arguments)]
pub(super) fn issue(
    tx: &rusqlite::Transaction<'_>,
    client_id: &str,
    workspace_id: &str,
    audience: &str,
    family_id: &str,
    scope: &str,
    access_expires_at: i64,
    refresh_scope: Option<&str>,
    now: i64,
) -> rusqlite::Result<Value> {
    let access = new_token(ACCESS_TOKEN_PREFIX);
    let row = |scope: &str, expires_at: i64| Token {
        client_id: client_id.to_owned(),
        workspace_id: workspace_id.to_owned(),
        scope: scope.to_owned(),
        audience: audience.to_owned(),
        family_id: family_id.to_owned(),
        issued_at: now,
        expires_at,
        rotated_at: None,
        revoked_at: None,
    };
    store::insert_token(
        tx,
        &sha256_hex(&access),
        Kind::Access,
        &row(scope, access_expires_at),
    )?;
    let mut answer = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": (access_expires_at - now).max(0) / 1000,
        "scope": scope,
    });
    if let Some(refresh_scope) = refresh_scope {
        let refresh = new_token(REFRESH_TOKEN_PREFIX);
        store::insert_token(
            tx,
            &sha256_hex(&refresh),
            Kind::Refresh,
            &row(refresh_scope, now + ttl_ms(REFRESH_TOKEN_TTL)),
        )?;
        answer["refresh_token"] = json!(refresh);
    }
    Ok(answer)
}

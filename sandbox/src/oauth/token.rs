//! The token endpoint (`POST /oauth/token`): three grants, one transaction
//! each.
//!
//! - `authorization_code`: redeems a code once, checking client, redirect
//!   URI, PKCE verifier and resource. A second redemption is treated as a
//!   stolen code (OAuth 2.1 §4.1.3): it fails and revokes every token the
//!   first one produced.
//! - `refresh_token`: rotates — each refresh token works once. Presenting a
//!   rotated-out one again means two parties hold it, so the whole family
//!   (every access and refresh token descended from the code) is revoked.
//! - token exchange (RFC 8693), in [`super::exchange`]: a provisioned
//!   confidential client (the MCP server) turns an access token minted for
//!   it into one for this gateway, never wider.
//!
//! What the grants share — their outcome, form fields and token issuing —
//! is in [`super::grant`]; client authentication in [`super::client_auth`].
//! Every grant but the exchange counts against the caller's IP
//! ([`super::bounds`]). The check and the effect (marking used, rotating,
//! revoking) happen in one write transaction, so concurrent replays cannot
//! both win; refusals that revoke are committed, not rolled back, which is
//! why the transaction returns `Ok(Err(refusal))` for them.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::bounds::{self, LimitedBody};
use super::client_auth::authenticate_client;
use super::grant::{Outcome, Refused, field, issue, required, ttl_ms};
use super::store::{self, Client, Kind};
use super::{
    OAuthError, Params, TOKEN_EXCHANGE_GRANT, exchange, narrow_scope, no_store, parse_scope, pkce,
    purge,
};
use crate::ids::{self, sha256_hex};
use crate::{SharedApp, clock};
use smartalex_serve::ratelimit::Bucket;

/// `POST /oauth/token`
pub(crate) async fn serve(
    State(app): State<SharedApp>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: LimitedBody,
) -> Response {
    purge::maybe(&app).await;
    let form = Params::parse(&body.0);
    let is_exchange = form.one("grant_type") == Ok(Some(TOKEN_EXCHANGE_GRANT));
    if !is_exchange && let Err(too_many) = bounds::count(&app, &Bucket::Ip(peer.ip())).await {
        return too_many;
    }
    match handle(&app, &headers, &form, peer.ip()).await {
        Ok(answer) => no_store(StatusCode::OK, answer),
        Err(Refused::Error(e)) => e.into_response(),
        Err(Refused::TooMany(response)) => response,
    }
}

async fn handle(
    app: &SharedApp,
    headers: &HeaderMap,
    form: &Params,
    ip: IpAddr,
) -> Result<Value, Refused> {
    if let Some(kind) = headers.get(header::CONTENT_TYPE) {
        let kind = kind.to_str().unwrap_or_default();
        if !kind.starts_with("application/x-www-form-urlencoded") {
            return Err(OAuthError::InvalidRequest(
                "the token endpoint takes application/x-www-form-urlencoded".into(),
            )
            .into());
        }
    }
    let grant = required(form, "grant_type")?;
    let outcome = match grant {
        "authorization_code" => {
            let client = authenticate_client(app, headers, form).await?;
            authorization_code(app, client, form).await?
        }
        "refresh_token" => {
            let client = authenticate_client(app, headers, form).await?;
            refresh(app, client, form).await?
        }
        TOKEN_EXCHANGE_GRANT => exchange::grant(app, headers, form, ip).await?,
        other => {
            return Err(OAuthError::UnsupportedGrantType(format!(
                "grant_type {other:?} is not supported; supported: authorization_code, refresh_token, {TOKEN_EXCHANGE_GRANT}"
            ))
            .into());
        }
    };
    if outcome.revoked {
        app.auth.forget_cached();
        tracing::warn!(
            grant,
            "OAuth credential replayed; its token family is revoked"
        );
    }
    Ok(outcome.result?)
}

async fn authorization_code(
    app: &SharedApp,
    client: Client,
    form: &Params,
) -> Result<Outcome, OAuthError> {
    let code_hash = sha256_hex(required(form, "code")?);
    let redirect_uri = required(form, "redirect_uri")?.to_owned();
    let verifier = required(form, "code_verifier")?.to_owned();
    let resource = field(form, "resource")?.map(str::to_owned);
    let ttl = ttl_ms(app.access_token_ttl);
    Ok(app
        .store
        .write(move |tx| {
            let now = clock::unix_millis();
            let Some(code) = store::code(tx, &code_hash)? else {
                return Ok(Outcome::refuse(OAuthError::InvalidGrant(
                    "unknown authorization code".into(),
                )));
            };
            if code.used_at.is_some() {
                if let Some(family) = &code.family_id {
                    store::revoke_family(tx, family, now)?;
                }
                return Ok(Outcome::refuse_and_revoke(OAuthError::InvalidGrant(
                    "authorization code was already used; the tokens issued from it are revoked"
                        .into(),
                )));
            }
            let refusal = if code.expires_at <= now {
                Some(OAuthError::InvalidGrant(
                    "authorization code has expired".into(),
                ))
            } else if code.client_id != client.client_id {
                Some(OAuthError::InvalidGrant(
                    "authorization code was issued to another client".into(),
                ))
            } else if code.redirect_uri != redirect_uri {
                Some(OAuthError::InvalidGrant(
                    "redirect_uri does not match the authorization request".into(),
                ))
            } else if resource.as_ref().is_some_and(|r| *r != code.resource) {
                Some(OAuthError::InvalidTarget(
                    "resource does not match the authorization request".into(),
                ))
            } else {
                match pkce::verify(&verifier, &code.code_challenge) {
                    Err(e) => Some(OAuthError::InvalidRequest(e.to_string())),
                    Ok(false) => Some(OAuthError::InvalidGrant(
                        "code_verifier does not match the code_challenge".into(),
                    )),
                    Ok(true) => None,
                }
            };
            if let Some(refusal) = refusal {
                return Ok(Outcome::refuse(refusal));
            }
            let family = ids::new_id();
            store::use_code(tx, &code_hash, &family, now)?;
            Ok(Outcome::ok(issue(
                tx,
                &client.client_id,
                &code.workspace_id,
                &code.resource,
                &family,
                &code.scope,
                now + ttl,
                Some(&code.scope),
                now,
            )?))
        })
        .await?)
}

async fn refresh(app: &SharedApp, client: Client, form: &Params) -> Result<Outcome, OAuthError> {
    let token_hash = sha256_hex(required(form, "refresh_token")?);
    let scope = field(form, "scope")?
        .map(|s| parse_scope(Some(s)).map_err(OAuthError::InvalidScope))
        .transpose()?;
    let resource = field(form, "resource")?.map(str::to_owned);
    let ttl = ttl_ms(app.access_token_ttl);
    Ok(app
        .store
        .write(move |tx| {
            let now = clock::unix_millis();
            let Some(old) = store::token(tx, &token_hash, Kind::Refresh)? else {
                return Ok(Outcome::refuse(OAuthError::InvalidGrant(
                    "unknown refresh token".into(),
                )));
            };
            if old.client_id != client.client_id {
                return Ok(Outcome::refuse(OAuthError::InvalidGrant(
                    "refresh token was issued to another client".into(),
                )));
            }
            if old.revoked_at.is_some() {
                return Ok(Outcome::refuse(OAuthError::InvalidGrant(
                    "refresh token has been revoked".into(),
                )));
            }
            if old.rotated_at.is_some() {
                store::revoke_family(tx, &old.family_id, now)?;
                return Ok(Outcome::refuse_and_revoke(OAuthError::InvalidGrant(
                    "refresh token was already used; every token of this grant is revoked".into(),
                )));
            }
            if old.expires_at <= now {
                return Ok(Outcome::refuse(OAuthError::InvalidGrant(
                    "refresh token has expired".into(),
                )));
            }
            let scope = match narrow_scope(scope, &old.scope, "the original grant") {
                Ok(scope) => scope,
                Err(e) => return Ok(Outcome::refuse(e)),
            };
            if resource.as_ref().is_some_and(|r| *r != old.audience) {
                return Ok(Outcome::refuse(OAuthError::InvalidTarget(
                    "resource does not match the original grant".into(),
                )));
            }
            store::rotate(tx, &token_hash, now)?;
            Ok(Outcome::ok(issue(
                tx,
                &old.client_id,
                &old.workspace_id,
                &old.audience,
                &old.family_id,
                &scope,
                now + ttl,
                Some(&old.scope),
                now,
            )?))
        })
        .await?)
}

//! RFC 8693 token exchange, and the clients allowed to perform it.
//!
//! An MCP server's HTTP transport receives access tokens minted for itself
//! (audience: its public URL) and must never forward them; it exchanges
//! each for a token whose audience is this gateway. Only that server may do
//! so, and only for its own tokens, or the audience binding would mean
//! nothing: anyone holding a token for some other resource could turn it
//! into a gateway token. So the exchange:
//! - authenticates the acting client (`client_secret_basic` or
//!   `client_secret_post`; `401 invalid_client` otherwise);
//! - requires a client **provisioned** for exchange, with the subject-token
//!   audiences it may exchange (`RunningSandbox::provision_exchange_client`,
//!   `smartalex-mcp sandbox client`, or `smartalex-mcp http --sandbox`,
//!   which provisions itself). Dynamic registration cannot grant this: a
//!   registered client gets `400 unauthorized_client`;
//! - takes only an active access token whose audience is one of those
//!   (`invalid_grant` otherwise), and issues one for this gateway only
//!   (`invalid_target` for any other `resource`/`audience`), never wider:
//!   same workspace, scope ⊆, expiry ≤.
//!
//! Exchanges count against the acting client's budget, not its IP's.

use std::net::IpAddr;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use serde_json::json;

use super::bounds;
use super::client_auth::authenticate_client;
use super::grant::{Outcome, Refused, field, issue, required, ttl_ms};
use super::store::{self, AuthMethod, Client};
use super::{
    ACCESS_TOKEN_TYPE, OAuthError, Params, TOKEN_EXCHANGE_GRANT, narrow_scope, parse_scope,
};
use crate::db::Store;
use crate::ids::sha256_hex;
use crate::{ExchangeClient, SandboxError, SharedApp, clock};
use smartalex_serve::ratelimit::Bucket;

/// Resource URLs compare equal up to a trailing slash.
fn same_resource(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// The token-exchange grant.
pub(super) async fn grant(
    app: &SharedApp,
    headers: &HeaderMap,
    form: &Params,
    ip: IpAddr,
) -> Result<Outcome, Refused> {
    let anonymous = headers.get(AUTHORIZATION).is_none() && form.one("client_id") == Ok(None);
    let authenticated = if anonymous {
        Err(OAuthError::InvalidClient(
            "token exchange requires client authentication".into(),
        ))
    } else {
        authenticate_client(app, headers, form).await
    };
    let client = match authenticated {
        Ok(client) => client,
        Err(e) => {
            // Failed authentications pay from the IP's budget.
            bounds::count(app, &Bucket::Ip(ip))
                .await
                .map_err(Refused::TooMany)?;
            return Err(e.into());
        }
    };
    bounds::count(
        app,
        &Bucket::Workspace(format!("oauth-client:{}", client.client_id)),
    )
    .await
    .map_err(Refused::TooMany)?;
    if client.auth_method == AuthMethod::None {
        return Err(OAuthError::UnauthorizedClient(
            "token exchange needs a confidential client (client_secret_basic or client_secret_post)"
                .into(),
        )
        .into());
    }
    let allowed = {
        let id = client.client_id.clone();
        app.store
            .read(move |c| Ok(store::exchange_audiences(c, &id)?))
            .await
            .map_err(OAuthError::from)?
    };
    if allowed.is_empty() {
        return Err(OAuthError::UnauthorizedClient(
            "this client is not provisioned for token exchange".into(),
        )
        .into());
    }
    Ok(exchange(app, &client, allowed, form).await?)
}

async fn exchange(
    app: &SharedApp,
    client: &Client,
    allowed: Vec<String>,
    form: &Params,
) -> Result<Outcome, OAuthError> {
    let subject_hash = sha256_hex(required(form, "subject_token")?);
    if required(form, "subject_token_type")? != ACCESS_TOKEN_TYPE {
        return Err(OAuthError::InvalidRequest(format!(
            "subject_token_type must be {ACCESS_TOKEN_TYPE}"
        )));
    }
    if field(form, "requested_token_type")?.is_some_and(|t| t != ACCESS_TOKEN_TYPE) {
        return Err(OAuthError::InvalidRequest(format!(
            "requested_token_type must be {ACCESS_TOKEN_TYPE}"
        )));
    }
    let issuer = app.issuer.clone();
    let resource = field(form, "resource")?.ok_or_else(|| {
        OAuthError::InvalidTarget(format!("resource is required and must be {issuer}"))
    })?;
    let audience_ok = field(form, "audience")?.is_none_or(|a| a == issuer);
    if resource != issuer || !audience_ok {
        return Err(OAuthError::InvalidTarget(format!(
            "tokens can only be exchanged for this gateway ({issuer})"
        )));
    }
    let scope = field(form, "scope")?
        .map(|s| parse_scope(Some(s)).map_err(OAuthError::InvalidScope))
        .transpose()?;
    let ttl = ttl_ms(app.access_token_ttl);
    let actor = client.client_id.clone();
    let outcome = app
        .store
        .write(move |tx| {
            let now = clock::unix_millis();
            let Some(subject) = store::active_access_token(tx, &subject_hash, now)? else {
                return Ok(Outcome::refuse(OAuthError::InvalidGrant(
                    "subject_token is not an active access token".into(),
                )));
            };
            if !allowed.iter().any(|a| same_resource(a, &subject.audience)) {
                return Ok(Outcome::refuse(OAuthError::InvalidGrant(
                    "subject_token was not issued for a resource this client may exchange".into(),
                )));
            }
            let scope = match narrow_scope(scope, &subject.scope, "the subject token's") {
                Ok(scope) => scope,
                Err(e) => return Ok(Outcome::refuse(e)),
            };
            let mut answer = issue(
                tx,
                &subject.client_id,
                &subject.workspace_id,
                &issuer,
                &subject.family_id,
                &scope,
                (now + ttl).min(subject.expires_at),
                None,
                now,
            )?;
            answer["issued_token_type"] = json!(ACCESS_TOKEN_TYPE);
            Ok(Outcome::ok(answer))
        })
        .await?;
    if outcome.is_ok() {
        tracing::info!(client_id = %actor, "token exchanged for the gateway");
    }
    Ok(outcome)
}

/// The row and metadata of a provisioned exchange client.
fn provisioned(client: &ExchangeClient) -> (Client, serde_json::Value) {
    let row = Client {
        client_id: client.client_id.clone(),
        secret_hash: Some(sha256_hex(&client.client_secret)),
        auth_method: AuthMethod::ClientSecretBasic,
        redirect_uris: Vec::new(),
        client_name: Some("token exchange (provisioned)".into()),
    };
    let metadata = json!({
        "grant_types": [TOKEN_EXCHANGE_GRANT],
        "token_endpoint_auth_method": AuthMethod::ClientSecretBasic.name(),
        store::EXCHANGE_AUDIENCES: client.audiences,
    });
    (row, metadata)
}

fn check(client: &ExchangeClient) -> Result<(), SandboxError> {
    if client.client_id.is_empty() || client.client_secret.len() < 16 {
        return Err(SandboxError::Setup(
            "an exchange client needs a client_id and a secret of at least 16 characters".into(),
        ));
    }
    if let Some(bad) = client
        .audiences
        .iter()
        .find(|a| super::authorize::check_resource(a).is_err())
    {
        return Err(SandboxError::Setup(format!(
            "exchange audience {bad:?} is not an absolute http(s) URL"
        )));
    }
    Ok(())
}

/// See [`crate::RunningSandbox::provision_exchange_client`].
pub(crate) async fn provision(store: &Store, client: &ExchangeClient) -> Result<(), SandboxError> {
    check(client)?;
    let (row, metadata) = provisioned(client);
    let now = clock::unix_millis();
    Ok(store
        .write(move |tx| Ok(store::upsert_client(tx, &row, &metadata, now)?))
        .await?)
}

/// [`provision`] for synchronous callers (the CLI).
pub(crate) fn provision_blocking(
    store: &Store,
    client: &ExchangeClient,
) -> Result<(), SandboxError> {
    check(client)?;
    let (row, metadata) = provisioned(client);
    let now = clock::unix_millis();
    Ok(store.write_blocking(move |tx| Ok(store::upsert_client(tx, &row, &metadata, now)?))?)
}

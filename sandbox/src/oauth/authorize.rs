//! The authorization endpoint: `GET /oauth/authorize` checks the request and
//! shows the consent page; `POST /oauth/authorize` records the decision and
//! sends the browser back to the client with a code or `access_denied`.
//!
//! The rule that shapes this file (RFC 6749 §4.1.2.1, OAuth 2.1 §4.1.2.1):
//! until the client and its redirect URI are verified, errors are shown to
//! the person as a 400 page and never redirected — redirecting to an
//! unverified URI would make the sandbox an open redirector that leaks
//! codes. Once verified, every other error goes back to the client as
//! `error`, `error_description`, `state` and `iss` (RFC 9207).
//!
//! Only the operator ([`super::operator`]) sees the consent page: anyone
//! else gets a page saying how to get the consent link, and nothing is
//! stored for them. The decision (`POST`) must come from the consent page
//! itself — same origin, the operator's cookie, and the CSRF token bound to
//! that pending request — or it is refused with a 403 page.
//!
//! A pending request lives 10 minutes and is decided once; a code lives 5
//! minutes, is redeemed once, and is bound to the client, redirect URI,
//! PKCE challenge, workspace, scope and resource. Both are stored hashed.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::bounds::{LimitedBody, MAX_QUERY};
use super::consent::{self, Consent};
use super::store::{self, Client, Code, PendingRequest};
use super::{Params, new_secret, parse_scope, pkce, purge};
use crate::ids::sha256_hex;
use crate::{SharedApp, clock};

const REQUEST_TTL_MS: i64 = 10 * 60 * 1000;
const CODE_TTL_MS: i64 = 5 * 60 * 1000;

/// Where an authorization request stops.
#[derive(Debug)]
enum Refusal {
    /// Shown to the person (400 HTML): the redirect URI is not trusted.
    Page(String),
    /// Sent back to the client's verified redirect URI.
    Redirect {
        redirect_uri: String,
        error: &'static str,
        description: String,
        state: Option<String>,
    },
}

/// `GET /oauth/authorize`
pub(crate) async fn request(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    if query.len() > MAX_QUERY {
        return consent::error_page(
            StatusCode::BAD_REQUEST,
            &format!("the authorization request is longer than {MAX_QUERY} bytes"),
        );
    }
    purge::maybe(&app).await;
    let params = Params::parse(query.as_bytes());
    match check(&app, &params, &headers, &query).await {
        Ok(response) => response,
        Err(Refusal::Page(message)) => consent::error_page(StatusCode::BAD_REQUEST, &message),
        Err(Refusal::Redirect {
            redirect_uri,
            error,
            description,
            state,
        }) => {
            let mut pairs = vec![
                ("error", error),
                ("error_description", description.as_str()),
            ];
            if let Some(state) = &state {
                pairs.push(("state", state));
            }
            pairs.push(("iss", &app.issuer));
            redirect(&redirect_uri, &pairs)
        }
    }
}

async fn check(
    app: &SharedApp,
    params: &Params,
    headers: &HeaderMap,
    query: &str,
) -> Result<Response, Refusal> {
    // 1. The client and its redirect URI: until both check out, no redirect.
    let client_id = params
        .one("client_id")
        .map_err(Refusal::Page)?
        .ok_or_else(|| Refusal::Page("client_id is required".into()))?
        .to_owned();
    let client = {
        let id = client_id.clone();
        app.store
            .read(move |c| Ok(store::client(c, &id)?))
            .await
            .map_err(|_| Refusal::Page("the sandbox could not read its database".into()))?
            .ok_or_else(|| Refusal::Page("unknown client_id".into()))?
    };
    let redirect_uri =
        chosen_redirect(&client, params.one("redirect_uri").map_err(Refusal::Page)?)?;

    // 2. Everything else goes back to the client.
    let state = params.one("state").ok().flatten().map(str::to_owned);
    let refuse = |error: &'static str, description: String| Refusal::Redirect {
        redirect_uri: redirect_uri.clone(),
        error,
        description,
        state: state.clone(),
    };
    let one = |name: &str| {
        params
            .one(name)
            .map_err(|why| refuse("invalid_request", why))
    };
    match one("response_type")? {
        None => {
            return Err(refuse(
                "invalid_request",
                "response_type is required".into(),
            ));
        }
        Some("code") => {}
        Some(_) => {
            return Err(refuse(
                "unsupported_response_type",
                "only response_type=code is supported".into(),
            ));
        }
    }
    let challenge = one("code_challenge")?;
    pkce::check_challenge(challenge, one("code_challenge_method")?)
        .map_err(|e| refuse("invalid_request", e.to_string()))?;
    let scope = parse_scope(one("scope")?).map_err(|why| refuse("invalid_scope", why))?;
    let resource = one("resource")?
        .ok_or_else(|| refuse("invalid_target", "resource is required (RFC 8707)".into()))?;
    check_resource(resource).map_err(|why| refuse("invalid_target", why.into()))?;

    // 3. Only the operator may see workspaces and decide; anyone else is
    //    told how to become the operator, and nothing is stored for them.
    let Some(operator) = app.operator.as_ref().filter(|op| op.recognises(headers)) else {
        return Ok(consent::operator_required(Some(&format!(
            "/oauth/authorize?{query}"
        ))));
    };

    // 4. Remember the request and ask the operator.
    let request_id = new_secret();
    let pending = PendingRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        code_challenge: challenge.unwrap_or_default().to_owned(),
        scope: scope.clone(),
        resource: resource.to_owned(),
        state: state.clone(),
        expires_at: clock::unix_millis() + REQUEST_TTL_MS,
    };
    let id_hash = sha256_hex(&request_id);
    let workspaces = app
        .store
        .write(move |tx| {
            store::insert_request(tx, &id_hash, &pending)?;
            Ok(store::workspaces(tx)?)
        })
        .await
        .map_err(|_| {
            refuse(
                "server_error",
                "the sandbox could not store the request".into(),
            )
        })?;
    let name = client.client_name.as_deref().unwrap_or(&client.client_id);
    Ok(consent::page(&Consent {
        client_name: name,
        scope: &scope,
        resource,
        redirect_uri: &redirect_uri,
        request_id: &request_id,
        csrf_token: &operator.csrf_token(&request_id),
        workspaces: &workspaces,
    }))
}

/// The redirect URI to use: the one given, if registered exactly; or the
/// client's only one.
fn chosen_redirect(client: &Client, given: Option<&str>) -> Result<String, Refusal> {
    match given {
        Some(uri) if client.redirect_uris.iter().any(|r| r == uri) => Ok(uri.to_owned()),
        Some(_) => Err(Refusal::Page(
            "redirect_uri does not match any URI registered for this client".into(),
        )),
        None => match client.redirect_uris.as_slice() {
            [only] => Ok(only.clone()),
            _ => Err(Refusal::Page(
                "redirect_uri is required: this client registered more than one".into(),
            )),
        },
    }
}

/// An RFC 8707 resource: an absolute http(s) URL without a fragment.
pub(crate) fn check_resource(resource: &str) -> Result<(), &'static str> {
    let url = url::Url::parse(resource).map_err(|_| "resource must be an absolute URL")?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("resource must be an http or https URL");
    }
    if url.fragment().is_some() || resource.contains('#') {
        return Err("resource must not contain a fragment");
    }
    Ok(())
}

/// `POST /oauth/authorize` (the consent form): same origin, the operator's
/// cookie and the request's CSRF token, or 403.
pub(crate) async fn decide(
    State(app): State<SharedApp>,
    headers: HeaderMap,
    body: LimitedBody,
) -> Response {
    let forbidden = |why: &str| consent::error_page(StatusCode::FORBIDDEN, why);
    let bad = |why: &str| consent::error_page(StatusCode::BAD_REQUEST, why);
    if let Err(why) = smartalex_serve::origin::same_origin(&headers) {
        tracing::warn!(
            reason = why,
            "refused a consent decision from another origin"
        );
        return forbidden(why);
    }
    let Some(operator) = app.operator.as_ref().filter(|op| op.recognises(&headers)) else {
        tracing::warn!("refused a consent decision without the operator's cookie");
        return consent::operator_required(None);
    };
    let form = Params::parse(&body.0);
    let field = |name: &str| form.one(name).ok().flatten().map(str::to_owned);
    let Some(request_id) = field("request_id") else {
        return bad("request_id is required");
    };
    if !field("csrf_token").is_some_and(|t| operator.csrf_ok(&request_id, &t)) {
        tracing::warn!("refused a consent decision with a missing or wrong CSRF token");
        return forbidden(
            "the consent form's CSRF token is missing or wrong; reload the consent page",
        );
    }
    let approve = match field("decision").as_deref() {
        Some("approve") => true,
        Some("deny") => false,
        _ => return bad("decision must be approve or deny"),
    };
    let workspace_id = field("workspace_id").unwrap_or_default();
    if approve {
        let id = workspace_id.clone();
        match app
            .store
            .read(move |c| Ok(store::workspace_exists(c, &id)?))
            .await
        {
            Ok(true) => {}
            Ok(false) => return bad("unknown workspace"),
            Err(_) => return bad("the sandbox could not read its database"),
        }
    }

    let code = new_secret();
    let code_hash = sha256_hex(&code);
    let id_hash = sha256_hex(&request_id);
    let now = clock::unix_millis();
    let decided = app
        .store
        .write(move |tx| {
            let Some(req) = store::take_request(tx, &id_hash, now)? else {
                return Ok(None);
            };
            if approve {
                let grant = Code {
                    client_id: req.client_id.clone(),
                    redirect_uri: req.redirect_uri.clone(),
                    code_challenge: req.code_challenge.clone(),
                    workspace_id,
                    scope: req.scope.clone(),
                    resource: req.resource.clone(),
                    expires_at: now + CODE_TTL_MS,
                    used_at: None,
                    family_id: None,
                };
                store::insert_code(tx, &code_hash, &grant)?;
            }
            Ok(Some(req))
        })
        .await;
    let req = match decided {
        Ok(Some(req)) => req,
        Ok(None) => {
            return bad("this authorization request is unknown, expired or already decided");
        }
        Err(_) => return bad("the sandbox could not store the decision"),
    };
    let mut pairs: Vec<(&str, &str)> = if approve {
        vec![("code", &code)]
    } else {
        vec![
            ("error", "access_denied"),
            ("error_description", "the operator denied the request"),
        ]
    };
    if let Some(state) = &req.state {
        pairs.push(("state", state));
    }
    pairs.push(("iss", &app.issuer));
    tracing::info!(client_id = %req.client_id, approved = approve, "OAuth authorization decided");
    redirect(&req.redirect_uri, &pairs)
}

/// 303 to `uri` with `pairs` added to its query.
fn redirect(uri: &str, pairs: &[(&str, &str)]) -> Response {
    let location = match url::Url::parse(uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            url.to_string()
        }
        // Registered URIs were parsed at registration; this cannot happen.
        Err(_) => {
            return consent::error_page(
                StatusCode::BAD_REQUEST,
                "the registered redirect_uri is invalid",
            );
        }
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    match HeaderValue::from_str(&location) {
        Ok(value) => {
            headers.insert(header::LOCATION, value);
        }
        Err(_) => {
            return consent::error_page(
                StatusCode::BAD_REQUEST,
                "the registered redirect_uri is invalid",
            );
        }
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(uris: &[&str]) -> Client {
        Client {
            client_id: "c".into(),
            secret_hash: None,
            auth_method: store::AuthMethod::None,
            redirect_uris: uris.iter().map(|u| u.to_string()).collect(),
            client_name: None,
        }
    }

    #[test]
    fn redirect_uri_must_match_exactly_or_be_the_only_one() {
        let one = client(&["http://127.0.0.1:5000/cb"]);
        assert_eq!(
            chosen_redirect(&one, None).ok().as_deref(),
            Some("http://127.0.0.1:5000/cb")
        );
        assert!(chosen_redirect(&one, Some("http://127.0.0.1:5000/cb")).is_ok());
        for other in [
            "http://127.0.0.1:5000/cb/",
            "http://127.0.0.1:5000/cb?x=1",
            "http://127.0.0.1:5001/cb",
        ] {
            assert!(
                matches!(chosen_redirect(&one, Some(other)), Err(Refusal::Page(_))),
                "{other}"
            );
        }
        let two = client(&["https://a.example/cb", "https://b.example/cb"]);
        assert!(matches!(chosen_redirect(&two, None), Err(Refusal::Page(_))));
        assert!(chosen_redirect(&two, Some("https://b.example/cb")).is_ok());
    }

    #[test]
    fn resources_are_absolute_http_urls_without_fragment() {
        assert_eq!(check_resource("http://127.0.0.1:9/mcp"), Ok(()));
        assert_eq!(check_resource("https://api.example"), Ok(()));
        assert!(check_resource("/mcp").is_err());
        assert!(check_resource("urn:example:thing").is_err());
        assert!(check_resource("https://api.example/#x").is_err());
    }

    #[test]
    fn redirects_keep_the_registered_query() {
        let r = redirect(
            "https://a.example/cb?x=1",
            &[("code", "abc"), ("state", "s t")],
        );
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            r.headers()[header::LOCATION],
            "https://a.example/cb?x=1&code=abc&state=s+t"
        );
    }
}

//! RFC 7591 dynamic client registration (`POST /oauth/register`).
//!
//! MCP clients register themselves the first time they meet a server, so
//! registration is open (no initial access token). What it must get right
//! is the redirect URIs: they are where codes are sent, so each must be an
//! absolute `https` URL, or `http` on a loopback host (native apps, RFC 8252
//! §7.3), with no fragment — and later requests must match one *exactly*.
//!
//! Unknown metadata (`client_uri`, `logo_uri`, `software_id`, …) is
//! accepted and echoed, and `null` counts as absent: the official SDKs send
//! both. A confidential client's secret is returned once and stored hashed.
//!
//! Open registration is bounded ([`super::bounds`]): a 16 KiB body, at most
//! 32 fields, 10 redirect URIs, 32 items per array, 2 KiB per top-level
//! string — and a per-IP rate.
//! It can never make a client that may exchange tokens (see
//! [`super::exchange`]).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::bounds::{LimitedBody, MAX_FIELDS, MAX_REDIRECT_URIS, MAX_STRING};
use super::store::{self, AuthMethod, Client};
use super::{OAuthError, TOKEN_EXCHANGE_GRANT, new_secret, no_store, parse_scope, purge};
use crate::ids::{self, sha256_hex};
use crate::{SharedApp, clock};

/// Grant types a client may register.
const GRANT_TYPES: [&str; 3] = ["authorization_code", "refresh_token", TOKEN_EXCHANGE_GRANT];
const DEFAULT_GRANT_TYPES: [&str; 2] = ["authorization_code", "refresh_token"];

/// Fields the server owns: never taken from the request.
const SERVER_OWNED: [&str; 7] = [
    "client_id",
    "client_secret",
    "client_id_issued_at",
    "client_secret_expires_at",
    "registration_access_token",
    "registration_client_uri",
    store::EXCHANGE_AUDIENCES,
];

/// `POST /oauth/register`
pub(crate) async fn serve(
    State(app): State<SharedApp>,
    body: LimitedBody,
) -> Result<Response, OAuthError> {
    purge::maybe(&app).await;
    let request: Value = serde_json::from_slice(&body.0).map_err(|e| {
        OAuthError::InvalidClientMetadata(format!("the body must be a JSON object: {e}"))
    })?;
    let Value::Object(request) = request else {
        return Err(OAuthError::InvalidClientMetadata(
            "the body must be a JSON object".into(),
        ));
    };
    let registered = validate(request)?;

    let client_id = ids::new_id();
    let secret = (registered.auth_method != AuthMethod::None).then(new_secret);
    let client = Client {
        client_id: client_id.clone(),
        secret_hash: secret.as_deref().map(sha256_hex),
        auth_method: registered.auth_method,
        redirect_uris: registered.redirect_uris,
        client_name: registered.client_name,
    };
    let now = clock::unix_millis();
    let mut metadata = registered.metadata;
    {
        let stored = client.clone();
        let metadata = Value::Object(metadata.clone());
        app.store
            .write(move |tx| Ok(store::insert_client(tx, &stored, &metadata, now)?))
            .await?;
    }
    tracing::info!(client_id = %client_id, method = client.auth_method.name(), "registered OAuth client");

    metadata.insert("client_id".into(), json!(client_id));
    metadata.insert("client_id_issued_at".into(), json!(now / 1000));
    if let Some(secret) = secret {
        metadata.insert("client_secret".into(), json!(secret));
        metadata.insert("client_secret_expires_at".into(), json!(0));
    }
    Ok(no_store(StatusCode::CREATED, Value::Object(metadata)))
}

/// What a valid registration request amounts to.
#[derive(Debug)]
struct Registered {
    redirect_uris: Vec<String>,
    auth_method: AuthMethod,
    client_name: Option<String>,
    /// The metadata to store and echo (normalised, nulls and server-owned fields dropped).
    metadata: Map<String, Value>,
}

/// Field counts and string lengths, before anything else is looked at.
fn check_size(request: &Map<String, Value>) -> Result<(), OAuthError> {
    let bad = |text: String| Err(OAuthError::InvalidClientMetadata(text));
    if request.len() > MAX_FIELDS {
        return bad(format!("at most {MAX_FIELDS} metadata fields are accepted"));
    }
    if let Some(Value::Array(uris)) = request.get("redirect_uris")
        && uris.len() > MAX_REDIRECT_URIS
    {
        return bad(format!(
            "at most {MAX_REDIRECT_URIS} redirect_uris are accepted"
        ));
    }
    for (name, value) in request {
        if name.len() > MAX_STRING {
            return bad(format!(
                "metadata field names are at most {MAX_STRING} bytes"
            ));
        }
        let too_long = |v: &Value| v.as_str().is_some_and(|s| s.len() > MAX_STRING);
        match value {
            Value::Array(items) if items.len() > MAX_FIELDS => {
                return bad(format!("{name} has more than {MAX_FIELDS} items"));
            }
            Value::Array(items) if items.iter().any(too_long) => {
                return bad(format!("{name} has an item longer than {MAX_STRING} bytes"));
            }
            v if too_long(v) => {
                return bad(format!("{name} is longer than {MAX_STRING} bytes"));
            }
            _ => {}
        }
    }
    Ok(())
}

fn validate(mut request: Map<String, Value>) -> Result<Registered, OAuthError> {
    request.retain(|k, v| !v.is_null() && !SERVER_OWNED.contains(&k.as_str()));
    check_size(&request)?;
    let bad = |text: &str| OAuthError::InvalidClientMetadata(text.to_owned());

    let redirect_uris = match request.get("redirect_uris") {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<String>>>()
            .ok_or_else(|| bad("redirect_uris must be an array of strings"))?,
        Some(Value::Array(_)) => return Err(bad("redirect_uris must not be empty")),
        Some(_) => return Err(bad("redirect_uris must be an array of strings")),
        None => return Err(bad("redirect_uris is required")),
    };
    for uri in &redirect_uris {
        check_redirect_uri(uri)
            .map_err(|why| OAuthError::InvalidRedirectUri(format!("redirect_uri {uri:?} {why}")))?;
    }

    let auth_method = match request.get("token_endpoint_auth_method") {
        None => AuthMethod::None,
        Some(v) => v.as_str().and_then(AuthMethod::parse).ok_or_else(|| {
            bad("token_endpoint_auth_method must be none, client_secret_post or client_secret_basic")
        })?,
    };

    let grant_types = strings(&request, "grant_types")?
        .unwrap_or_else(|| DEFAULT_GRANT_TYPES.map(String::from).to_vec());
    if let Some(unknown) = grant_types
        .iter()
        .find(|g| !GRANT_TYPES.contains(&g.as_str()))
    {
        return Err(OAuthError::InvalidClientMetadata(format!(
            "unsupported grant type {unknown:?}; supported: {}",
            GRANT_TYPES.join(", ")
        )));
    }
    let response_types =
        strings(&request, "response_types")?.unwrap_or_else(|| vec!["code".to_owned()]);
    if response_types.iter().any(|r| r != "code") {
        return Err(bad("response_types may only contain \"code\""));
    }

    let client_name = match request.get("client_name") {
        None => None,
        Some(Value::String(name)) => Some(name.clone()),
        Some(_) => return Err(bad("client_name must be a string")),
    };
    match request.get("scope") {
        None => {}
        Some(Value::String(scope)) => {
            let canonical = parse_scope(Some(scope))
                .map_err(|why| OAuthError::InvalidClientMetadata(format!("scope: {why}")))?;
            request.insert("scope".into(), json!(canonical));
        }
        Some(_) => return Err(bad("scope must be a space-separated string")),
    }

    request.insert("redirect_uris".into(), json!(redirect_uris));
    request.insert(
        "token_endpoint_auth_method".into(),
        json!(auth_method.name()),
    );
    request.insert("grant_types".into(), json!(grant_types));
    request.insert("response_types".into(), json!(response_types));
    Ok(Registered {
        redirect_uris,
        auth_method,
        client_name,
        metadata: request,
    })
}

/// An optional array of strings.
fn strings(request: &Map<String, Value>, field: &str) -> Result<Option<Vec<String>>, OAuthError> {
    match request.get(field) {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| {
                OAuthError::InvalidClientMetadata(format!("{field} must be an array of strings"))
            }),
        Some(_) => Err(OAuthError::InvalidClientMetadata(format!(
            "{field} must be an array of strings"
        ))),
    }
}

/// Why `uri` cannot be a redirect URI (the text completes "redirect_uri … ").
fn check_redirect_uri(uri: &str) -> Result<(), &'static str> {
    let parsed = url::Url::parse(uri).map_err(|_| "is not an absolute URL")?;
    if parsed.fragment().is_some() || uri.contains('#') {
        return Err("must not contain a fragment");
    }
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(()),
        "https" => Err("has no host"),
        "http" if is_loopback(&parsed) => Ok(()),
        "http" => Err("must use https (http is only allowed on 127.0.0.1, localhost or [::1])"),
        _ => Err("must use https, or http on a loopback host"),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(url::Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_must_be_https_or_loopback_http_without_fragment() {
        for ok in [
            "https://app.example/callback",
            "https://app.example/cb?x=1",
            "http://127.0.0.1:33418/callback",
            "http://localhost/cb",
            "http://[::1]:8080/cb",
        ] {
            assert_eq!(check_redirect_uri(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("/callback", "is not an absolute URL"),
            ("https://app.example/cb#frag", "must not contain a fragment"),
            ("http://127.0.0.1/cb#", "must not contain a fragment"),
            (
                "http://app.example/cb",
                "must use https (http is only allowed on 127.0.0.1, localhost or [::1])",
            ),
            (
                "http://127.0.0.2/cb",
                "must use https (http is only allowed on 127.0.0.1, localhost or [::1])",
            ),
            (
                "http://localhost.evil.example/cb",
                "must use https (http is only allowed on 127.0.0.1, localhost or [::1])",
            ),
            (
                "javascript:alert(1)",
                "must use https, or http on a loopback host",
            ),
            (
                "com.example.app:/cb",
                "must use https, or http on a loopback host",
            ),
        ] {
            assert_eq!(check_redirect_uri(bad), Err(why), "{bad}");
        }
    }

    #[test]
    fn registration_defaults_and_accepts_sdk_extras() {
        let request = json!({
            "redirect_uris": ["http://localhost:3030/callback"],
            "client_name": "Demo",
            "client_uri": "https://demo.example",
            "scope": "write read",
            "logo_uri": null,
            "client_id": "chosen-by-client",
            "exchange_audiences": ["http://127.0.0.1:9/mcp"],
        });
        let Value::Object(map) = request else {
            unreachable!()
        };
        let r = validate(map).expect("valid");
        assert_eq!(r.auth_method, AuthMethod::None);
        assert_eq!(r.metadata["grant_types"], json!(DEFAULT_GRANT_TYPES));
        assert_eq!(r.metadata["response_types"], json!(["code"]));
        assert_eq!(r.metadata["scope"], json!("read write"));
        assert_eq!(r.metadata["client_uri"], json!("https://demo.example"));
        assert!(!r.metadata.contains_key("logo_uri"));
        assert!(!r.metadata.contains_key("client_id"));
        assert!(!r.metadata.contains_key(store::EXCHANGE_AUDIENCES));
    }

    #[test]
    fn registration_refuses_bad_metadata() {
        let cases = [
            (json!({}), "invalid_client_metadata"),
            (json!({"redirect_uris": []}), "invalid_client_metadata"),
            (
                json!({"redirect_uris": ["http://evil.example/cb"]}),
                "invalid_redirect_uri",
            ),
            (
                json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "private_key_jwt"}),
                "invalid_client_metadata",
            ),
            (
                json!({"redirect_uris": ["https://a.example/cb"], "grant_types": ["implicit"]}),
                "invalid_client_metadata",
            ),
            (
                json!({"redirect_uris": ["https://a.example/cb"], "response_types": ["token"]}),
                "invalid_client_metadata",
            ),
            (
                json!({"redirect_uris": vec!["https://a.example/cb"; 11]}),
                "invalid_client_metadata",
            ),
            (
                json!({"redirect_uris": [format!("https://a.example/{}", "x".repeat(2048))]}),
                "invalid_client_metadata",
            ),
            (
                json!({"redirect_uris": ["https://a.example/cb"], "client_name": "n".repeat(2049)}),
                "invalid_client_metadata",
            ),
        ];
        for (request, code) in cases {
            let Value::Object(map) = request.clone() else {
                unreachable!()
            };
            let e = validate(map).expect_err(&request.to_string());
            assert_eq!(e.code(), code, "{request}");
        }
    }
}

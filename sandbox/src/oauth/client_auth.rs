//! Client authentication at the token endpoint, the way each client
//! registered: `client_secret_basic` (HTTP Basic), `client_secret_post`
//! (`client_secret` in the form) or `none` (a public client, `client_id`
//! only — PKCE is its proof of possession).
//!
//! A client is held to its registered method: a confidential client that
//! sends no secret, or sends it the other way, is refused like a wrong
//! secret (401 `invalid_client`), and a public client that sends a secret is
//! refused too, so a misconfigured client fails loudly rather than
//! authenticating by accident. Secrets are compared as SHA-256 digests and
//! never logged.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::store::{self, AuthMethod, Client};
use super::{OAuthError, Params};
use crate::SharedApp;
use crate::ids::sha256_hex;

fn field<'a>(form: &'a Params, name: &str) -> Result<Option<&'a str>, OAuthError> {
    form.one(name).map_err(OAuthError::InvalidRequest)
}

/// The client, authenticated the way it registered.
pub(crate) async fn authenticate_client(
    app: &SharedApp,
    headers: &HeaderMap,
    form: &Params,
) -> Result<Client, OAuthError> {
    let basic = basic_credentials(headers)?;
    let form_id = field(form, "client_id")?;
    let form_secret = field(form, "client_secret")?;
    if basic.is_some() && form_secret.is_some() {
        return Err(OAuthError::InvalidRequest(
            "use one client authentication method, not both Basic and client_secret".into(),
        ));
    }
    let client_id = match (&basic, form_id) {
        (Some((id, _)), Some(f)) if f != id => {
            return Err(OAuthError::InvalidRequest(
                "client_id does not match the HTTP Basic credentials".into(),
            ));
        }
        (Some((id, _)), _) => id.clone(),
        (None, Some(f)) => f.to_owned(),
        (None, None) => {
            return Err(OAuthError::InvalidRequest("client_id is required".into()));
        }
    };
    let client = app
        .store
        .read(move |c| Ok(store::client(c, &client_id)?))
        .await?
        .ok_or_else(|| OAuthError::InvalidClient("unknown client".into()))?;
    let presented = match client.auth_method {
        AuthMethod::None => {
            if basic.is_some() || form_secret.is_some() {
                return Err(OAuthError::InvalidClient(
                    "this client is public (token_endpoint_auth_method none) and has no secret"
                        .into(),
                ));
            }
            return Ok(client);
        }
        AuthMethod::ClientSecretBasic => basic.map(|(_, secret)| secret).ok_or_else(|| {
            OAuthError::InvalidClient(
                "this client authenticates with HTTP Basic (client_secret_basic)".into(),
            )
        })?,
        AuthMethod::ClientSecretPost => form_secret.map(str::to_owned).ok_or_else(|| {
            OAuthError::InvalidClient(
                "this client authenticates with client_secret in the form (client_secret_post)"
                    .into(),
            )
        })?,
    };
    // Comparing digests, not secrets: timing can reveal at most a prefix
    // of a SHA-256, which does not help guess the secret.
    if client.secret_hash.as_deref() != Some(sha256_hex(&presented).as_str()) {
        return Err(OAuthError::InvalidClient(
            "client authentication failed".into(),
        ));
    }
    Ok(client)
}

/// `Authorization: Basic` credentials, form-decoded (RFC 6749 §2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || OAuthError::InvalidClient("malformed HTTP Basic credentials".into());
    let text = value.to_str().map_err(|_| malformed())?.trim();
    let Some((scheme, encoded)) = text.split_once(' ') else {
        return Err(malformed());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    Ok(Some((form_decode(id), form_decode(secret))))
}

/// Undo `application/x-www-form-urlencoded` on one value. Literal `&` and
/// `=` are escaped first so the form parser sees a single key.
fn form_decode(text: &str) -> String {
    let escaped = text.replace('&', "%26").replace('=', "%3D");
    url::form_urlencoded::parse(escaped.as_bytes())
        .next()
        .map(|(k, _)| k.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(raw: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            format!("Basic {}", STANDARD.encode(raw))
                .parse()
                .expect("header"),
        );
        h
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        assert_eq!(
            basic_credentials(&basic("abc-1:s3cr%2Bt+x")).ok().flatten(),
            Some(("abc-1".to_owned(), "s3cr+t x".to_owned()))
        );
        assert_eq!(
            basic_credentials(&basic("id:a=b&c")).ok().flatten(),
            Some(("id".to_owned(), "a=b&c".to_owned()))
        );
        assert_eq!(basic_credentials(&HeaderMap::new()).ok(), Some(None));
        assert!(basic_credentials(&basic("no-colon")).is_err());
        let mut bearer = HeaderMap::new();
        bearer.insert(header::AUTHORIZATION, "Bearer x".parse().expect("header"));
        assert!(basic_credentials(&bearer).is_err());
    }
}

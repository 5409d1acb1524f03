//! From tool name to gateway call, and from gateway answer to [`Reply`].
//!
//! The `match` itself is generated: one arm per operation, each pulling the
//! SDK's typed parameters and body out of the arguments (as the progenitor
//! method would take them) and building the request with [`request`]. The
//! answer's bytes are not deserialized here: [`send`] returns them as they
//! came, and the registry checks them against the tool's output schema and
//! writes the result in one pass ([`crate::shape`]). What [`send`] does
//! decide is every way a call can fail, as a typed [`CallError`] keeping
//! the status, the gateway's `error` text and `Retry-After`, so the message
//! at the edge can be exact.

use bytes::Bytes;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{ACCEPT, HeaderName, HeaderValue, RETRY_AFTER};

use crate::error::{CallError, GatewayError, snippet};
use smartalex::types;

mod generated {
    include!(concat!(env!("OUT_DIR"), "/dispatch.rs"));
}

pub(crate) use generated::{dispatch, explain};

/// The most of an unexpected body we read to describe it.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A successful gateway answer, unparsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Bytes,
}

/// A request to `path` with the headers every SDK request carries.
pub(crate) fn request(
    client: &crate::Client,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    let mut url = String::with_capacity(client.baseurl().len() + path.len());
    url.push_str(client.baseurl());
    url.push_str(path);
    client
        .client()
        .request(method, url)
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .header(
            HeaderName::from_static("api-version"),
            HeaderValue::from_static(crate::Client::api_version()),
        )
}

/// Send `request` through the SDK's hooks (so the same size bound applies)
/// and sort the answer: the success status's bytes, or a [`CallError`].
/// `success` is the operation's success status; `documented` are the error
/// statuses the spec lists for it.
pub(crate) async fn send(
    client: &crate::Client,
    request: reqwest::RequestBuilder,
    success: u16,
    documented: &[u16],
) -> Result<Reply, CallError> {
    let request = request.build().map_err(|e| transport(&e))?;
    let info = OperationInfo {
        operation_id: "mcp",
    };
    let response = client
        .exec(request, &info)
        .await
        .map_err(|e| transport(&e))?;
    let status = response.status().as_u16();
    let header_retry = retry_after(response.headers());
    if status == success {
        let body = response.bytes().await.map_err(|e| transport(&e))?;
        return Ok(Reply { status, body });
    }
    if !documented.contains(&status) {
        return Err(unexpected(response).await);
    }
    let bytes = response.bytes().await.map_err(|e| transport(&e))?;
    match serde_json::from_slice::<types::Error>(&bytes) {
        Ok(body) => Err(gateway_error(status, body, header_retry)),
        Err(e) => {
            let trimmed = bytes.iter().find(|b| !b.is_ascii_whitespace());
            if matches!(trimmed, Some(b'{') | Some(b'[')) {
                Err(CallError::BadPayload(e.to_string()))
            } else {
                Err(CallError::NonJson {
                    status: None,
                    snippet: snippet(&bytes),
                })
            }
        }
    }
}

/// A status the spec does not list for this operation (a proxy's 502, the
/// gateway's `No route found` 404 on a route it lacks, ...).
async fn unexpected(mut response: reqwest::Response) -> CallError {
    let status = response.status().as_u16();
    let header_retry = retry_after(response.headers());
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() >= MAX_ERROR_BODY {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => return transport(&e),
        }
    }
    match serde_json::from_slice::<types::Error>(&body) {
        Ok(err) => gateway_error(status, err, header_retry),
        Err(_) if status < 300 => CallError::BadPayload(format!("unexpected status {status}")),
        Err(_) => CallError::NonJson {
            status: Some(status),
            snippet: snippet(&body),
        },
    }
}

/// The gateway's own error answer; its `retryAfter` wins over the header.
fn gateway_error(status: u16, body: types::Error, header_retry: Option<u64>) -> CallError {
    CallError::Gateway(GatewayError {
        status,
        error: body.error,
        message: body.message,
        retry_after: body
            .retry_after
            .and_then(|s| u64::try_from(s).ok())
            .or(header_retry),
    })
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()
}

fn transport(e: &reqwest::Error) -> CallError {
    if crate::is_too_large(e) {
        return CallError::TooLarge {
            limit: crate::MAX_RESPONSE_BYTES,
        };
    }
    if e.is_timeout() {
        return CallError::Timeout { seconds: 0 };
    }
    if e.is_connect() {
        let origin = e
            .url()
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|| "the configured URL".to_owned());
        return CallError::Unreachable { origin };
    }
    // reqwest's Display for a request error includes the URL, which has no
    // secret (the key travels in a header); the source chain says why.
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    CallError::Transport(detail)
}

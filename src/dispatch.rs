//! From tool name to gateway call, and from gateway answer to [`Reply`].
//!
//! The `match` itself is generated (one arm per operation, each calling the
//! progenitor method); [`finish`] is the one hand-written place that turns
//! every way progenitor can answer into either a reply or a typed
//! [`CallError`], keeping the status, the gateway's `error` text and
//! `Retry-After` so the message at the edge can be exact.

use progenitor_client::{Error as ClientError, ResponseValue};
use reqwest::header::RETRY_AFTER;
use serde::Serialize;
use serde_json::Value;

use crate::client::types;
use crate::error::{CallError, GatewayError, snippet};

mod generated {
    include!(concat!(env!("OUT_DIR"), "/dispatch.rs"));
}

pub(crate) use generated::dispatch;

/// The most of an unexpected body we read to describe it.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A successful gateway answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

/// Turn a progenitor result into a [`Reply`] or a [`CallError`].
pub(crate) async fn finish<T: Serialize>(
    result: Result<ResponseValue<T>, ClientError<types::Error>>,
) -> Result<Reply, CallError> {
    match result {
        Ok(rv) => {
            let status = rv.status().as_u16();
            serde_json::to_value(rv.into_inner())
                .map(|body| Reply { status, body })
                .map_err(|e| CallError::BadPayload(e.to_string()))
        }
        Err(ClientError::ErrorResponse(rv)) => {
            let status = rv.status().as_u16();
            let header_retry = retry_after(rv.headers());
            let body = rv.into_inner();
            Err(CallError::Gateway(GatewayError {
                status,
                error: body.error,
                message: body.message,
                retry_after: body
                    .retry_after
                    .and_then(|s| u64::try_from(s).ok())
                    .or(header_retry),
            }))
        }
        Err(ClientError::UnexpectedResponse(response)) => Err(unexpected(response).await),
        Err(ClientError::InvalidResponsePayload(bytes, e)) => {
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
        Err(ClientError::CommunicationError(e) | ClientError::ResponseBodyError(e))
        | Err(ClientError::InvalidUpgrade(e)) => Err(transport(&e)),
        Err(ClientError::InvalidRequest(m) | ClientError::Custom(m)) => {
            Err(CallError::Transport(m))
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
        Ok(err) => CallError::Gateway(GatewayError {
            status,
            error: err.error,
            message: err.message,
            retry_after: err
                .retry_after
                .and_then(|s| u64::try_from(s).ok())
                .or(header_retry),
        }),
        Err(_) if status < 300 => CallError::BadPayload(format!("unexpected status {status}")),
        Err(_) => CallError::NonJson {
            status: Some(status),
            snippet: snippet(&body),
        },
    }
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

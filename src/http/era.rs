//! What each protocol era gets on the wire.
//!
//! rmcp answers every request of a 2025 session as an event stream, and
//! opens every stream with an SSE "priming" event (empty `data`, an `id`
//! and a `retry`), a 2025-11-25 feature (SEP-1699). Clients of earlier
//! revisions choke on it: the TypeScript SDK that 2025-06-18 clients such
//! as Gemini CLI ship parses the empty event as JSON-RPC, fails with
//! `Unexpected end of JSON input` and drops the server. So this layer,
//! between the gate and rmcp:
//!
//! - answers a request whose first message is its response (no progress
//!   was reported and nothing was asked of the user before it) as
//!   `application/json`, in every era — the transport lets a server pick
//!   either, and one JSON body is what every client parses most simply;
//! - streams the rest as rmcp wrote them, minus events with no data for a
//!   client below 2025-11-25, on POST streams and on the GET stream alike.
//!
//! The era is the request's `MCP-Protocol-Version` header, which clients
//! send on every request after `initialize` (its absence means 2025-03-26,
//! as the specification says); for `initialize` itself, the version the
//! server's answer agreed.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Frame;

/// The first revision whose clients expect priming events.
const PRIMING_SINCE: &str = "2025-11-25";
/// What a request without `MCP-Protocol-Version` speaks.
const UNVERSIONED: &str = "2025-03-26";
/// The most of a stream held while waiting for its first message (the
/// largest tool result is 256 KiB, and its text block doubles it).
const MAX_FIRST_EVENT: usize = 16 * 1024 * 1024;

/// The middleware.
pub(super) async fn layer(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let declared = request
        .headers()
        .get("mcp-protocol-version")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let opens_session = !request.headers().contains_key("mcp-session-id");
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || !is_event_stream(&response) {
        return response;
    }
    if method == Method::GET {
        let primes = primes(declared.as_deref().unwrap_or(UNVERSIONED));
        return if primes {
            response
        } else {
            let (parts, body) = response.into_parts();
            Response::from_parts(
                parts,
                Body::new(resume(Bytes::new(), Bytes::new(), body, false)),
            )
        };
    }
    if method != Method::POST {
        return response;
    }
    let (mut parts, mut body) = response.into_parts();
    let mut buffered = BytesMut::new();
    // Events seen before the first message: priming, keep-alives.
    let mut preamble = 0;
    let first = loop {
        if let Some(end) = event_end(&buffered[preamble..]) {
            let event = &buffered[preamble..preamble + end];
            if let Some(data) = data_of(event) {
                break Some((preamble, preamble + end, data));
            }
            preamble += end;
            continue;
        }
        if buffered.len() > MAX_FIRST_EVENT {
            break None;
        }
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    buffered.extend_from_slice(&data);
                }
            }
            Some(Err(e)) => {
                tracing::warn!("reading a response stream failed: {e}");
                break None;
            }
            None => break None,
        }
    };
    let buffered = buffered.freeze();
    let Some((start, end, data)) = first else {
        // No message at all (the call was cancelled) or an oversized one:
        // pass on what there is.
        return Response::from_parts(parts, Body::new(resume(Bytes::new(), buffered, body, true)));
    };
    let era = match (&declared, opens_session) {
        (Some(v), _) => v.clone(),
        (None, true) => agreed_version(&data).unwrap_or_else(|| UNVERSIONED.to_owned()),
        (None, false) => UNVERSIONED.to_owned(),
    };
    if is_response(&data) {
        parts
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        parts.headers.remove(TRANSFER_ENCODING);
        parts.headers.remove(CONTENT_LENGTH);
        parts.headers.remove(CACHE_CONTROL);
        parts.headers.remove("x-accel-buffering");
        return Response::from_parts(parts, Body::from(data));
    }
    let primes = primes(&era);
    let head = if primes {
        buffered.slice(..end)
    } else {
        buffered.slice(start..end)
    };
    let rest = buffered.slice(end..);
    Response::from_parts(parts, Body::new(resume(head, rest, body, primes)))
}

/// Whether a client of revision `era` expects priming events.
fn primes(era: &str) -> bool {
    // Revisions are dates: they order as strings.
    era >= PRIMING_SINCE
}

fn is_event_stream(response: &Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/event-stream"))
}

/// `head`, then `rest`, then the remaining frames of `body` (without
/// events that carry no data unless `primes`).
fn resume(head: Bytes, rest: Bytes, body: Body, primes: bool) -> Resumed {
    Resumed {
        ready: [rest, head].into_iter().filter(|b| !b.is_empty()).collect(),
        body,
        primes,
    }
}

/// A stream's body after the part this layer had to read.
struct Resumed {
    /// Read already, last first.
    ready: Vec<Bytes>,
    body: Body,
    primes: bool,
}

impl hyper::body::Body for Resumed {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Some(bytes) = this.ready.pop() {
            return Poll::Ready(Some(Ok(Frame::data(bytes))));
        }
        loop {
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    if this.primes {
                        return Poll::Ready(Some(Ok(frame)));
                    }
                    if let Some(frame) = drop_empty(frame) {
                        return Poll::Ready(Some(Ok(frame)));
                    }
                }
                other => return other,
            }
        }
    }
}

/// Frames rmcp writes are whole events: drop one that carries no data
/// (a priming event). Keep-alive comments and messages pass.
fn drop_empty(frame: Frame<Bytes>) -> Option<Frame<Bytes>> {
    match frame.data_ref() {
        Some(data)
            if event_end(data) == Some(data.len())
                && data_of(data).is_none()
                && !is_comment(data) =>
        {
            None
        }
        _ => Some(frame),
    }
}

fn is_comment(event: &[u8]) -> bool {
    event.first() == Some(&b':')
}

/// The length of the first complete event in `bytes` (through its blank
/// line), if one is complete.
fn event_end(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(n) = memchr(b'\n', &bytes[i..]) {
        let at = i + n;
        // A line ends with \n (rmcp never writes \r); an empty line ends the event.
        if at + 1 < bytes.len() && bytes[at + 1] == b'\n' {
            return Some(at + 2);
        }
        i = at + 1;
    }
    None
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// The event's data (its `data:` lines joined by `\n`), or `None` when it
/// has none or only empty data.
fn data_of(event: &[u8]) -> Option<Bytes> {
    let mut data = BytesMut::new();
    let mut any = false;
    for line in event.split(|&b| b == b'\n') {
        let Some(value) = line.strip_prefix(b"data:") else {
            continue;
        };
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if any {
            data.extend_from_slice(b"\n");
        }
        data.extend_from_slice(value);
        any = true;
    }
    (!data.is_empty()).then(|| data.freeze())
}

/// Whether a JSON-RPC message is a response or an error (has an `id` and
/// no `method`). rmcp writes `jsonrpc` first and `id` before `result` or
/// `error`; anything shaped otherwise is treated as not final, and streamed.
fn is_response(message: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        method: Option<serde::de::IgnoredAny>,
        id: Option<serde::de::IgnoredAny>,
    }
    // The answer text dominates a message; the members that tell are all
    // before it, so look at them without scanning it when the shape is
    // rmcp's own.
    const HEAD: &[u8] = br#"{"jsonrpc":"2.0","#;
    if let Some(rest) = message.strip_prefix(HEAD) {
        if rest.starts_with(br#""method""#) {
            return false;
        }
        if let Some(after_id) = rest.strip_prefix(br#""id":"#) {
            let after = skip_id(after_id);
            if let Some(after) = after {
                return after.starts_with(br#","result""#) || after.starts_with(br#","error""#);
            }
        }
    }
    serde_json::from_slice::<Probe>(message).is_ok_and(|p| p.method.is_none() && p.id.is_some())
}

/// Skip a JSON-RPC id (a number, or a string without escapes).
fn skip_id(bytes: &[u8]) -> Option<&[u8]> {
    match bytes.first()? {
        b'"' => {
            let close = memchr(b'"', &bytes[1..])?;
            if bytes[1..1 + close].contains(&b'\\') {
                return None;
            }
            Some(&bytes[close + 2..])
        }
        b'-' | b'0'..=b'9' => {
            let end = bytes
                .iter()
                .position(|b| !matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))?;
            Some(&bytes[end..])
        }
        _ => None,
    }
}

/// The `protocolVersion` an `initialize` result agreed.
fn agreed_version(message: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Message {
        result: Option<Agreed>,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Agreed {
        protocol_version: Option<String>,
    }
    serde_json::from_slice::<Message>(message)
        .ok()?
        .result?
        .protocol_version
}

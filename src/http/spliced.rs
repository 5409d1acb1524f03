//! Tool answers spliced into the MCP endpoint's response bodies.
//!
//! rmcp writes each JSON-RPC message of a response, with the placeholders a
//! spliced tool result carries ([`crate::splice`]); this layer puts the
//! answers in as the body leaves. A JSON response is one message, already
//! in memory: it is spliced whole and its `Content-Length` set anew. An
//! event stream is spliced frame by frame — rmcp writes every event, so
//! every message, as one frame.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;

/// The most of a JSON response this layer holds to splice (the largest
/// tool result is 256 KiB; its text block doubles it).
const MAX_JSON_BODY: usize = 16 * 1024 * 1024;

/// Splice every response of the route it wraps.
pub(super) async fn layer(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if content_type.starts_with("application/json") {
        if !crate::splice::waiting() {
            return response;
        }
        let (mut parts, body) = response.into_parts();
        let bytes = match axum::body::to_bytes(body, MAX_JSON_BODY).await {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::error!("reading a response to splice failed: {e}");
                return Response::from_parts(parts, Body::empty());
            }
        };
        let spliced = crate::splice::splice(bytes.to_vec());
        parts.headers.remove(CONTENT_LENGTH);
        return Response::from_parts(parts, Body::from(spliced));
    }
    if content_type.starts_with("text/event-stream") {
        let (parts, body) = response.into_parts();
        let body = body.map_frame(|frame| match frame.into_data() {
            Ok(data) if crate::splice::waiting() => {
                hyper::body::Frame::data(bytes::Bytes::from(crate::splice::splice(data.to_vec())))
            }
            Ok(data) => hyper::body::Frame::data(data),
            Err(frame) => frame,
        });
        return Response::from_parts(parts, Body::new(body));
    }
    response
}

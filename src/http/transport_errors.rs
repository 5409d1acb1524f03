//! The JSON-RPC shape of transport-level errors: what the MCP endpoint
//! answers when a request never reaches the server, or rmcp refuses it.
//!
//! Clients of the Streamable HTTP transport parse JSON-RPC, and the error
//! reference documents its bodies (a -32000 error object with no id, as for
//! 406). The gate's own refusals ([`super::gate`]), the session owner check's
//! 404 and 503 ([`super::sessions`]) and the endpoint's 404 for other paths
//! build them here; rmcp answers its transport errors (bad JSON, oversized
//! bodies, unknown sessions) in plain text, and [`as_json_rpc`] re-shapes
//! those into the same form. One module, below every part that answers, so
//! they all say it the same way.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A transport-level error in the shape the error reference documents for
/// 406: a JSON-RPC error object with code -32000 and no id.
pub(super) fn transport_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "error": { "code": -32000, "message": message },
    });
    (status, axum::Json(body)).into_response()
}

/// rmcp answers transport errors (bad JSON, oversized bodies, unknown
/// sessions) in plain text; clients parse JSON-RPC. Re-shape them, and call
/// a body that is not JSON what it is: a -32700 parse error.
pub(super) async fn as_json_rpc(response: Response) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| ct.starts_with("text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return response;
    }
    let text = match axum::body::to_bytes(response.into_body(), 64 * 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => String::new(),
    };
    if text.starts_with("fail to deserialize request body") {
        let detail = text
            .trim_start_matches("fail to deserialize request body")
            .trim();
        let error = if is_data_error(detail) {
            serde_json::json!({ "code": -32600, "message": format!("Invalid Request: the body is JSON but not a JSON-RPC request ({detail})") })
        } else {
            serde_json::json!({ "code": -32700, "message": format!("Parse error: the body is not a JSON-RPC message ({detail})") })
        };
        let body = serde_json::json!({ "jsonrpc": "2.0", "id": null, "error": error });
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("Error").to_owned()
    } else {
        text
    };
    transport_error(status, &message)
}

/// Did serde read the body as JSON and then find it is not a message (a data
/// error, in serde's standard words), rather than fail to read JSON at all?
fn is_data_error(detail: &str) -> bool {
    [
        "invalid type",
        "invalid value",
        "invalid length",
        "unknown variant",
        "unknown field",
        "missing field",
        "duplicate field",
        "data did not match",
        // rmcp's own word for JSON that is no message kind it knows.
        "unrecognized JSON-RPC message",
    ]
    .iter()
    .any(|phrase| detail.starts_with(phrase))
}

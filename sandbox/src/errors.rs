//! What a client of the sandbox sees when something goes wrong.
//!
//! The gateway's error bodies are a public contract: the MCP server turns
//! them into the hints an AI model reads, and `mcp-error-reference.txt` pins
//! every message word for word. So every failure inside the sandbox becomes
//! one [`ApiError`] variant, and only [`IntoResponse`] turns it into a status
//! and a JSON body. The fixed messages are here; the two kinds that carry
//! details are worded where the details are known: request-body problems
//! by `validate.rs` (`ApiError::body`, `ApiError::field`), and business
//! rules by the handler that enforces them.
//!
//! [`ApiError::Internal`] carries its cause for the log, never for the
//! client: the body is always `{"error":"Internal server error"}`. This
//! module must never put a key, a secret or a SQL text into a response.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// `Contact` for `contacts`: a domain's records, one of them, as the
/// gateway's `<Resource> not found` names it.
fn resource_label(domain: &str) -> String {
    let one = domain.strip_suffix('s').unwrap_or(domain).replace('_', " ");
    let mut chars = one.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// Every way a gateway request can fail, with the text the client sees.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// 400: the message is complete (`Invalid request body: …`, `Invalid UUID format`, …).
    #[error("{0}")]
    BadRequest(String),
    /// 400 `Invalid UUID format`.
    #[error("Invalid UUID format")]
    InvalidUuid,
    /// 401: no `Authorization: Bearer` header.
    #[error("Authorization required")]
    MissingAuth,
    /// 401: a key that is unknown, expired or not a sandbox key.
    #[error("Invalid or expired token.")]
    InvalidToken,
    /// 403: the key's user lacks the page permission for this domain.
    #[error("Insufficient permissions")]
    InsufficientPermissions,
    /// 403: the key was created without a `created_by` user.
    #[error("User principal required for this operation")]
    NoUserPrincipal,
    /// 403: a read-only key tried to write.
    #[error("API key does not have write permission")]
    ReadOnlyKey,
    /// 404 `<Resource> not found`, also for another workspace's resource:
    /// the domain (the spec's tag) whose record it is.
    #[error("{} not found", resource_label(.0))]
    NotFound(&'static str),
    /// 404 for a method and path the gateway does not serve.
    #[error("No route found for {method} {path}")]
    NoRoute { method: String, path: String },
    /// 422 schema validation, `<field>: <problem>`.
    #[error("{0}")]
    Validation(String),
    /// 429.
    #[error("Too many requests")]
    TooManyRequests { retry_after: u64 },
    /// 500; the cause is logged, never sent.
    #[error("Internal server error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// A 500 from any error, kept for the log.
    pub(crate) fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError::Internal(e.into())
    }

    /// `Invalid request body: <detail>` (400).
    pub(crate) fn body(detail: impl std::fmt::Display) -> Self {
        ApiError::BadRequest(format!("Invalid request body: {detail}"))
    }

    /// `Invalid query parameter: <detail>` (400).
    pub(crate) fn query(detail: impl std::fmt::Display) -> Self {
        ApiError::BadRequest(format!("Invalid query parameter: {detail}"))
    }

    /// `<field>: <problem>` (422).
    pub(crate) fn field(field: &str, problem: impl std::fmt::Display) -> Self {
        ApiError::Validation(format!("{field}: {problem}"))
    }

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::InvalidUuid => StatusCode::BAD_REQUEST,
            ApiError::MissingAuth | ApiError::InvalidToken => StatusCode::UNAUTHORIZED,
            ApiError::InsufficientPermissions
            | ApiError::NoUserPrincipal
            | ApiError::ReadOnlyKey => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::NoRoute { .. } => StatusCode::NOT_FOUND,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The JSON body, exactly as documented.
    pub(crate) fn body_json(&self) -> Value {
        match self {
            ApiError::TooManyRequests { retry_after } => json!({
                "error": "Too many requests",
                "message": format!("Rate limit exceeded. Please try again in {retry_after} seconds."),
                "retryAfter": retry_after,
            }),
            _ => json!({"error": self.to_string()}),
        }
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = %cause, "sandbox request failed");
        }
        let mut response = (self.status(), axum::Json(self.body_json())).into_response();
        if let ApiError::TooManyRequests { retry_after } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_the_error_reference() {
        let cases = [
            (
                ApiError::MissingAuth,
                401,
                json!({"error": "Authorization required"}),
            ),
            (
                ApiError::InvalidToken,
                401,
                json!({"error": "Invalid or expired token."}),
            ),
            (
                ApiError::InsufficientPermissions,
                403,
                json!({"error": "Insufficient permissions"}),
            ),
            (
                ApiError::NoUserPrincipal,
                403,
                json!({"error": "User principal required for this operation"}),
            ),
            (
                ApiError::ReadOnlyKey,
                403,
                json!({"error": "API key does not have write permission"}),
            ),
            (
                ApiError::InvalidUuid,
                400,
                json!({"error": "Invalid UUID format"}),
            ),
            (
                ApiError::body("first_name is required"),
                400,
                json!({"error": "Invalid request body: first_name is required"}),
            ),
            (
                ApiError::NotFound("contacts"),
                404,
                json!({"error": "Contact not found"}),
            ),
            (
                ApiError::NoRoute {
                    method: "GET".into(),
                    path: "/unknown-path".into(),
                },
                404,
                json!({"error": "No route found for GET /unknown-path"}),
            ),
            (
                ApiError::field("name", "String must contain at least 1 character(s)"),
                422,
                json!({"error": "name: String must contain at least 1 character(s)"}),
            ),
            (
                ApiError::TooManyRequests { retry_after: 45 },
                429,
                json!({"error": "Too many requests", "message": "Rate limit exceeded. Please try again in 45 seconds.", "retryAfter": 45}),
            ),
            (
                ApiError::internal("disk on fire"),
                500,
                json!({"error": "Internal server error"}),
            ),
        ];
        for (error, status, body) in cases {
            assert_eq!(error.status().as_u16(), status, "{error:?}");
            assert_eq!(error.body_json(), body, "{error:?}");
        }
    }
}

//! How much the authorization server takes from anyone: body sizes, field
//! counts and lengths, and requests per minute.
//!
//! Registration is open and authorization requests are stored before anyone
//! approves them, so without bounds one client could fill the database or
//! the memory of the process. Every OAuth endpoint reads its body through
//! [`LimitedBody`] (16 KiB, `413` past it); `/oauth/register`,
//! `/oauth/authorize` and `/oauth/consent` count against the caller's IP
//! ([`per_ip`]); the token endpoint counts per IP too, except a confidential
//! client's token exchange, which counts against that client (see
//! [`super::exchange`]) so that one MCP server fronting many users is not
//! throttled as if it were one anonymous caller.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::OAuthError;
use crate::SharedApp;
use smartalex_serve::ratelimit::Bucket;

/// Largest body of any OAuth request.
const MAX_BODY: usize = 16 * 1024;
/// Longest query string of an authorization request.
pub(crate) const MAX_QUERY: usize = 8 * 1024;
/// Registration: at most this many redirect URIs…
pub(crate) const MAX_REDIRECT_URIS: usize = 10;
/// …each at most this long, like every other string in the metadata.
pub(crate) const MAX_STRING: usize = 2048;
/// Registration: at most this many metadata fields, and items per array.
pub(crate) const MAX_FIELDS: usize = 32;

/// A request body of at most [`MAX_BODY`] bytes; a longer one is refused
/// with `413` and an RFC 6749 error body before it is read any further.
#[derive(Debug)]
pub(crate) struct LimitedBody(pub(crate) Bytes);

impl<S: Send + Sync> FromRequest<S> for LimitedBody {
    type Rejection = Response;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        axum::body::to_bytes(req.into_body(), MAX_BODY)
            .await
            .map(LimitedBody)
            .map_err(|_| {
                OAuthError::TooLarge(format!("the request body is larger than {MAX_BODY} bytes"))
                    .into_response()
            })
    }
}

/// The caller's IP (loopback if the server was built without connect info).
fn client_ip(req_extensions: &axum::http::Extensions) -> IpAddr {
    req_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

/// Middleware: count the request against its IP's OAuth budget; `429` (the
/// documented body and `Retry-After`) past it.
pub(crate) async fn per_ip(State(app): State<SharedApp>, req: Request, next: Next) -> Response {
    let bucket = Bucket::Ip(client_ip(req.extensions()));
    match count(&app, &bucket).await {
        Ok(()) => next.run(req).await,
        Err(rejection) => rejection,
    }
}

/// Count one request against `bucket`: `Err` is the 429 to send.
pub(crate) async fn count(app: &SharedApp, bucket: &Bucket) -> Result<(), Response> {
    let decision = app.oauth_limiter.check(bucket).await;
    if decision.allowed {
        Ok(())
    } else {
        tracing::warn!(?bucket, "OAuth rate limit exceeded");
        Err(decision.rejection())
    }
}

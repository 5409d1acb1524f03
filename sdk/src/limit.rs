//! A hard bound on how much of a gateway answer the client reads.
//!
//! progenitor's runtime reads a whole response body into memory before it
//! parses it. A gateway (or anything answering in its place: a proxy, a
//! misrouted URL, an attacker on the path) that sends 200 MiB would make
//! every SDK user — and the MCP server — hold 200 MiB, then more for the
//! parsed value. So every response body the generated client reads goes
//! through [`http_body_util::Limited`]: past [`MAX_RESPONSE_BYTES`] the read
//! fails with [`LengthLimitError`], which the caller can recognise with
//! [`is_too_large`] and report as exactly that, not as a broken connection.
//!
//! This is the only place the limit is enforced; it hooks progenitor's
//! `exec` (the one call every generated method makes), so no generated code
//! has to know about it.

use http_body_util::{LengthLimitError, Limited};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::ResponseBuilderExt;

use crate::client::Client;

/// The most bytes of one gateway answer the client reads: far above a full
/// page of 100 records at their maximum sizes, far below what would hurt.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

impl ClientHooks for Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let response = self.client().execute(request).await?;
        Ok(bounded(response, MAX_RESPONSE_BYTES))
    }
}

/// `response` with a body that fails once more than `limit` bytes arrive.
fn bounded(response: reqwest::Response, limit: usize) -> reqwest::Response {
    let url = response.url().clone();
    let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    let mut rebuilt = http::Response::builder()
        .status(parts.status)
        .version(parts.version)
        .url(url)
        .body(reqwest::Body::wrap(Limited::new(body, limit)))
        .expect("status and version come from a valid response");
    *rebuilt.headers_mut() = parts.headers;
    reqwest::Response::from(rebuilt)
}

/// Did reading a body fail because it was over [`MAX_RESPONSE_BYTES`]?
pub fn is_too_large(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(e) = source {
        if e.is::<LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_over_the_limit_fails_as_too_large_and_one_under_reads_whole() {
        let ok = http::Response::builder()
            .status(200)
            .body(reqwest::Body::from(vec![b'x'; 100]))
            .unwrap();
        let read = bounded(reqwest::Response::from(ok), 100).bytes().await;
        assert_eq!(read.unwrap().len(), 100);

        let big = http::Response::builder()
            .status(200)
            .body(reqwest::Body::from(vec![b'x'; 101]))
            .unwrap();
        let err = bounded(reqwest::Response::from(big), 100)
            .bytes()
            .await
            .unwrap_err();
        assert!(is_too_large(&err), "{err:?}");
        let other = std::io::Error::other("reset");
        assert!(!is_too_large(&other));
    }
}

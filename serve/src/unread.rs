//! Request bodies a server answered without reading, and the connection
//! they would otherwise cost.
//!
//! Many answers come before the body is read: a refused credential (401), a
//! spent rate limit (429), a wrong `Content-Type` (415). hyper then tries
//! once to read what is left of the body, and if that is not all of it,
//! closes the connection after the answer without saying so. The client
//! learns it only when its next request on that keep-alive connection fails
//! with a reset: a rate-limited client sending a 100 KB body got its 429,
//! then a broken pipe instead of its next answer, and a POST is not retried
//! by HTTP clients on their own.
//!
//! So the router reads each request body through a [`Lent`] one, and what it
//! drops unread comes back to the connection, which reads and discards it
//! ([`Unread::finish`]) within [`DRAIN_BYTES`] and [`DRAIN_TIME`]. A body that ends
//! within them leaves the connection open for the next request; one that
//! does not is answered with `Connection: close`, so the client opens a new
//! connection for its next request instead of failing on the old one.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Bytes, HttpBody};
use axum::http::{HeaderValue, Response, header};
use hyper::body::{Frame, Incoming, SizeHint};
use tokio::sync::oneshot;

/// The most of an unread body read only to be discarded.
pub const DRAIN_BYTES: u64 = 1024 * 1024;

/// The longest an answer waits while an unread body is discarded.
pub const DRAIN_TIME: Duration = Duration::from_millis(500);

/// A request body lent to the router: if the router drops it before its
/// end, it goes back to the connection through [`Unread`].
#[derive(Debug)]
pub struct Lent {
    body: Option<Incoming>,
    back: Option<oneshot::Sender<Incoming>>,
}

/// What comes back of a [`Lent`] body the router did not read to its end.
#[derive(Debug)]
pub struct Unread(oneshot::Receiver<Incoming>);

/// Lend `body` to the router.
pub fn lend(body: Incoming) -> (Lent, Unread) {
    let (back, unread) = oneshot::channel();
    let lent = Lent {
        body: Some(body),
        back: Some(back),
    };
    (lent, Unread(unread))
}

impl Unread {
    /// Before `response` goes out: discard what the router left unread of
    /// its request's body, and if that cannot be done within the bounds,
    /// say the connection closes after it.
    pub async fn finish<B>(mut self, mut response: Response<B>) -> Response<B> {
        // Nothing when the body was read to its end, or the router still
        // holds it (and reads it as it likes).
        let Ok(body) = self.0.try_recv() else {
            return response;
        };
        if !discard(body).await {
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

impl HttpBody for Lent {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.body.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.body
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint)
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        if let (Some(body), Some(back)) = (self.body.take(), self.back.take())
            && !body.is_end_stream()
        {
            // The connection may be gone already, and the body's use with it.
            let _ = back.send(body);
        }
    }
}

/// Read `body` to its end and drop what it says, within the bounds: whether
/// it ended.
async fn discard(mut body: Incoming) -> bool {
    if body.size_hint().lower() > DRAIN_BYTES {
        return false;
    }
    let mut left = DRAIN_BYTES;
    let reading = async {
        loop {
            let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
            match frame {
                None => return true,
                Some(Err(_)) => return false,
                Some(Ok(frame)) => {
                    let n = frame.data_ref().map_or(0, |d| d.len() as u64);
                    let Some(rest) = left.checked_sub(n) else {
                        return false;
                    };
                    left = rest;
                }
            }
        }
    };
    tokio::time::timeout(DRAIN_TIME, reading)
        .await
        .unwrap_or(false)
}

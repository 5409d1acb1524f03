//! A plain-HTTP/1.1 connection to the gateway, for tool calls.
//!
//! reqwest is the SDK's client and stays the server's client for every
//! gateway it cannot reach more cheaply. But on a tool call against a
//! plain-HTTP gateway (the embedded sandbox every user starts on, a loopback
//! gateway or proxy) its layers were a quarter of the server's CPU per call:
//! the redirect layer parsing the URL again on the way out and once more on
//! the way back, the retry and timeout layers, the pool, the proxy matcher,
//! and hyper's connection task, which every request and response crosses
//! through channels and a task wake-up. The gateway speaks HTTP/1.1 JSON
//! with a known length, so this module writes the request in one buffer,
//! reads the answer on the caller's own task and hands back its body bytes.
//!
//! What it keeps of reqwest's behaviour, so that nothing a caller sees
//! changes: connections kept alive and reused (an idle one the gateway has
//! closed is noticed before it is used, and an idempotent request that meets
//! a closed connection anyway is sent again, on another kept connection or a
//! new one); the connect and whole-request timeouts; the 8 MiB bound on an answer
//! ([`smartalex::MAX_RESPONSE_BYTES`]); `Content-Length`, chunked and
//! close-delimited bodies; the default `User-Agent` and bearer credential.
//!
//! It is used only for `http://` bases and only when no proxy is configured
//! in the environment; TLS, proxies and anything else stay with reqwest
//! ([`Plain::new`] decides).

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER, USER_AGENT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::CallError;
use smartalex::Timeouts;

/// The largest response head read (status line and headers).
const MAX_HEAD: usize = 64 * 1024;

/// The most headers a response head may have.
const MAX_HEADERS: usize = 100;

/// The most idle connections kept (cloud mode serves many callers at once).
const MAX_IDLE: usize = 64;

/// How long an idle connection is kept, as reqwest's pool keeps one.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Environment variables that route plain-HTTP requests through a proxy in
/// reqwest; with any of them set, reqwest keeps the call.
const PROXY_VARS: [&str; 4] = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

/// A kept connection: when it fell idle, and the thread that opened it.
///
/// A socket is registered with the runtime of the task that opened it, and
/// its readiness wakes that runtime's thread. Cloud mode serves on one
/// single-threaded runtime per processor, so a call takes a connection its
/// own thread opened when there is one: used from another runtime, every
/// answer would wake a second thread.
type Idle = (TcpStream, Instant, ThreadId);

/// Keep-alive connections to one plain-HTTP gateway.
pub(crate) struct Plain {
    /// What `TcpStream::connect` takes (an IPv6 address without brackets).
    host: String,
    port: u16,
    /// `Host` as the URL spells it, with the port when the URL gives one.
    authority: HeaderValue,
    origin: String,
    authorization: Option<HeaderValue>,
    timeouts: Timeouts,
    /// Idle connections, oldest first, with when each fell idle and the
    /// thread that opened it.
    idle: Mutex<Vec<Idle>>,
    /// How long a connection may sit idle before it is closed.
    idle_timeout: Duration,
    /// The last answer's size, so the next read buffer fits it at once.
    last_size: AtomicUsize,
}

impl fmt::Debug for Plain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the credential.
        f.debug_struct("Plain")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// A gateway answer as it came: its status, `Retry-After`, and body (cut
/// short when the caller asked only for the first bytes).
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub body: Bytes,
}

/// How much of a body to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// All of it, failing with [`CallError::TooLarge`] past this many bytes.
    All(usize),
    /// At most this many bytes; the rest is not read.
    Prefix(usize),
}

impl Want {
    /// The most bytes read, and whether more than that fails the call
    /// (rather than cutting the body short).
    fn bound(self) -> (usize, bool) {
        match self {
            Want::All(limit) => (limit, true),
            Want::Prefix(most) => (most, false),
        }
    }
}

/// Why one exchange on one connection failed.
#[derive(Debug)]
enum Failure {
    /// The connection was closed or reset before any of the answer came:
    /// on a reused connection, the gateway had closed it while it was idle.
    Closed(String),
    Broken(String),
    TooLarge(usize),
}

impl Plain {
    /// The connection for `base`, or `None` where reqwest must keep the call:
    /// not `http://`, not a URL, or a proxy configured in the environment.
    pub(crate) fn new(base: &str, bearer: Option<&str>, timeouts: Timeouts) -> Option<Self> {
        if PROXY_VARS
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
        {
            return None;
        }
        Self::direct(base, bearer, timeouts)
    }

    /// [`Plain::new`] without the look at the environment.
    pub(crate) fn direct(base: &str, bearer: Option<&str>, timeouts: Timeouts) -> Option<Self> {
        let url = url::Url::parse(base).ok()?;
        if url.scheme() != "http" || !url.username().is_empty() || url.password().is_some() {
            return None;
        }
        let host = match url.host()? {
            url::Host::Domain(d) => d.to_owned(),
            url::Host::Ipv4(a) => a.to_string(),
            url::Host::Ipv6(a) => a.to_string(),
        };
        let mut authority = url.host_str()?.to_owned();
        if let Some(port) = url.port() {
            authority.push(':');
            authority.push_str(itoa::Buffer::new().format(port));
        }
        let authorization = match bearer {
            Some(token) => Some(smartalex::authorization(token)?),
            None => None,
        };
        Some(Self {
            host,
            port: url.port_or_known_default()?,
            authority: HeaderValue::from_str(&authority).ok()?,
            origin: url.origin().ascii_serialization(),
            authorization,
            timeouts,
            idle: Mutex::new(Vec::new()),
            idle_timeout: IDLE_TIMEOUT,
            last_size: AtomicUsize::new(0),
        })
    }

    /// The request's bytes: request line, headers, body. `None` for a body
    /// that is not in memory (a stream), which reqwest must send.
    pub(crate) fn message(&self, request: &reqwest::Request) -> Option<Vec<u8>> {
        let body = match request.body() {
            Some(body) => Some(body.as_bytes()?),
            None => None,
        };
        let url = request.url();
        let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
        let headers = request.headers();
        let mut out = Vec::with_capacity(256 + body.map_or(0, <[u8]>::len));
        out.extend_from_slice(request.method().as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(target.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
        out.extend_from_slice(self.authority.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in headers {
            header(&mut out, name.as_str(), value);
        }
        // The client's defaults, where the request has not set its own.
        if !headers.contains_key(USER_AGENT) {
            header(
                &mut out,
                "user-agent",
                &HeaderValue::from_static(smartalex::USER_AGENT),
            );
        }
        if let Some(auth) = &self.authorization
            && !headers.contains_key(AUTHORIZATION)
        {
            header(&mut out, "authorization", auth);
        }
        let method = request.method();
        if body.is_some()
            || [
                reqwest::Method::POST,
                reqwest::Method::PUT,
                reqwest::Method::PATCH,
            ]
            .contains(method)
        {
            out.extend_from_slice(b"content-length: ");
            out.extend_from_slice(
                itoa::Buffer::new()
                    .format(body.map_or(0, <[u8]>::len))
                    .as_bytes(),
            );
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        if let Some(body) = body {
            out.extend_from_slice(body);
        }
        Some(out)
    }

    /// Send `message` and read the answer, `want(status)` of its body, within
    /// the request timeout. `idempotent` requests are sent again, on another
    /// kept connection or a new one, when a reused one turns out closed.
    pub(crate) async fn send(
        &self,
        message: &[u8],
        idempotent: bool,
        want: impl Fn(u16) -> Want,
    ) -> Result<Answer, CallError> {
        let work = async {
            loop {
                let (mut stream, home, reused) = match self.take() {
                    Some((stream, home)) => (stream, home, true),
                    None => (self.connect().await?, std::thread::current().id(), false),
                };
                match self.exchange(&mut stream, message, &want).await {
                    Ok((answer, keep)) => {
                        if keep {
                            self.put(stream, home);
                        }
                        return Ok(answer);
                    }
                    Err(Failure::Closed(_)) if reused && idempotent => continue,
                    Err(Failure::Closed(detail) | Failure::Broken(detail)) => {
                        return Err(CallError::Transport(detail));
                    }
                    Err(Failure::TooLarge(limit)) => return Err(CallError::TooLarge { limit }),
                }
            }
        };
        tokio::time::timeout(self.timeouts.request, work)
            .await
            .unwrap_or(Err(CallError::Timeout { seconds: 0 }))
    }

    async fn connect(&self) -> Result<TcpStream, CallError> {
        let connecting = TcpStream::connect((self.host.as_str(), self.port));
        match tokio::time::timeout(self.timeouts.connect, connecting).await {
            Err(_) => Err(CallError::Timeout { seconds: 0 }),
            Ok(Err(_)) => Err(CallError::Unreachable {
                origin: self.origin.clone(),
            }),
            Ok(Ok(stream)) => {
                // As reqwest's client did: the request goes out in one write.
                let _ = stream.set_nodelay(true);
                Ok(stream)
            }
        }
    }

    /// An idle connection the gateway has not closed, if there is one, and
    /// the thread that opened it: the newest this thread opened, else the
    /// newest of all.
    fn take(&self) -> Option<(TcpStream, ThreadId)> {
        let now = Instant::now();
        let here = std::thread::current().id();
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let at = idle
                .iter()
                .rposition(|(_, _, home)| *home == here)
                .or_else(|| idle.len().checked_sub(1))?;
            let (stream, since, home) = idle.remove(at);
            // An open, quiet connection has nothing to read; end of stream,
            // a reset or stray bytes all mean it cannot carry a request.
            let quiet = matches!(stream.try_read(&mut [0u8; 1]), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
            if quiet && now.duration_since(since) < self.idle_timeout {
                return Some((stream, home));
            }
        }
    }

    /// Keep `stream`, opened on thread `home`, for the next call. The idle
    /// list is oldest first (a call takes the newest), so connections idle
    /// too long are at its front.
    fn put(&self, stream: TcpStream, home: ThreadId) {
        let now = Instant::now();
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let expired = idle
            .iter()
            .take_while(|(_, since, _)| now.duration_since(*since) >= self.idle_timeout)
            .count();
        idle.drain(..expired);
        if idle.len() < MAX_IDLE {
            idle.push((stream, now, home));
        }
    }

    /// One request and its answer on `stream`; the flag says whether the
    /// connection can carry another.
    async fn exchange(
        &self,
        stream: &mut TcpStream,
        message: &[u8],
        want: &impl Fn(u16) -> Want,
    ) -> Result<(Answer, bool), Failure> {
        stream
            .write_all(message)
            .await
            .map_err(|e| Failure::Closed(e.to_string()))?;
        let hint = self.last_size.load(Ordering::Relaxed).clamp(4096, 1 << 20);
        let mut buf = BytesMut::with_capacity(hint + 512);
        let head = loop {
            if let Some(head) = parse_head(&buf)? {
                if (100..200).contains(&head.status) {
                    if head.status == 101 {
                        return Err(Failure::Broken("the gateway switched protocols".into()));
                    }
                    // An interim answer (100 Continue): the real one follows.
                    buf.advance(head.len);
                    continue;
                }
                break head;
            }
            if buf.len() >= MAX_HEAD {
                return Err(Failure::Broken(format!(
                    "the response head is over {} KiB",
                    MAX_HEAD / 1024
                )));
            }
            fill(stream, &mut buf, true).await?;
        };
        buf.advance(head.len);
        let want = want(head.status);
        let (body, complete) = match head.framing {
            Framing::None => (Bytes::new(), true),
            Framing::Length(n) => read_length(stream, buf, n, want).await?,
            Framing::Chunked => read_chunked(stream, buf, want).await?,
            Framing::Close => (read_to_end(stream, buf, want).await?, false),
        };
        self.last_size.store(body.len(), Ordering::Relaxed);
        let answer = Answer {
            status: head.status,
            retry_after: head.retry_after,
            body,
        };
        Ok((answer, complete && head.keep_alive))
    }
}

fn header(out: &mut Vec<u8>, name: &str, value: &HeaderValue) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Whether a request may be sent twice: a retried GET changes nothing.
pub(crate) fn idempotent(method: &reqwest::Method) -> bool {
    use reqwest::Method;
    [
        Method::GET,
        Method::HEAD,
        Method::PUT,
        Method::DELETE,
        Method::OPTIONS,
    ]
    .contains(method)
}

/// Read more of the answer into `buf`. At the start of the answer
/// (`first`), an end of stream or a reset means the connection was closed.
async fn fill(stream: &mut TcpStream, buf: &mut BytesMut, first: bool) -> Result<(), Failure> {
    if buf.capacity() - buf.len() < 1024 {
        buf.reserve(buf.len().max(8192));
    }
    let closed = first && buf.is_empty();
    match stream.read_buf(buf).await {
        Ok(0) if closed => Err(Failure::Closed(INCOMPLETE.into())),
        Ok(0) => Err(Failure::Broken(INCOMPLETE.into())),
        Ok(_) => Ok(()),
        Err(e) if closed => Err(Failure::Closed(e.to_string())),
        Err(e) => Err(Failure::Broken(e.to_string())),
    }
}

/// hyper's words for an answer cut short, which reqwest reported.
const INCOMPLETE: &str = "connection closed before message completed";

/// How the body's end is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    None,
    Length(usize),
    Chunked,
    /// Read until the gateway closes the connection.
    Close,
}

#[derive(Debug)]
struct Head {
    len: usize,
    status: u16,
    framing: Framing,
    keep_alive: bool,
    retry_after: Option<u64>,
}

/// The response head at the start of `buf`, once all of it is there.
fn parse_head(buf: &[u8]) -> Result<Option<Head>, Failure> {
    if buf.is_empty() {
        return Ok(None);
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let len = match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(Failure::Broken(format!("invalid HTTP response: {e}"))),
    };
    let status = response.code.unwrap_or_default();
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut coded = false;
    let mut close = response.version == Some(0);
    let mut retry_after = None;
    for h in response.headers.iter() {
        let value = std::str::from_utf8(h.value).unwrap_or("").trim();
        if h.name.eq_ignore_ascii_case("content-length") {
            let n: usize = value
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| value.parse().ok())
                .flatten()
                .ok_or_else(|| Failure::Broken("invalid Content-Length".into()))?;
            if length.is_some_and(|m| m != n) {
                return Err(Failure::Broken("conflicting Content-Length".into()));
            }
            length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            coded = true;
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"));
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                if token.eq_ignore_ascii_case("close") {
                    close = true;
                } else if token.eq_ignore_ascii_case("keep-alive") && response.version == Some(0) {
                    close = false;
                }
            }
        } else if h.name.eq_ignore_ascii_case(RETRY_AFTER.as_str()) {
            retry_after = value.parse().ok();
        }
    }
    let framing = if matches!(status, 204 | 304) || (100..200).contains(&status) {
        Framing::None
    } else if coded {
        // Transfer-Encoding wins over Content-Length (RFC 9112, 6.3), and
        // a message with both may be a smuggling attempt: its connection
        // is not used again.
        if length.is_some() {
            close = true;
        }
        if chunked {
            Framing::Chunked
        } else {
            Framing::Close
        }
    } else {
        length.map_or(Framing::Close, Framing::Length)
    };
    Ok(Some(Head {
        len,
        status,
        framing,
        keep_alive: !close,
        retry_after,
    }))
}

/// A body of `n` bytes, `buf` holding its first bytes. The flag says
/// whether exactly the body was read (the connection can be reused).
async fn read_length(
    stream: &mut TcpStream,
    mut buf: BytesMut,
    n: usize,
    want: Want,
) -> Result<(Bytes, bool), Failure> {
    let (limit, strict) = want.bound();
    if strict && n > limit {
        return Err(Failure::TooLarge(limit));
    }
    let take = n.min(limit);
    if buf.capacity() < take {
        buf.reserve(take - buf.len());
    }
    while buf.len() < take {
        fill(stream, &mut buf, false).await?;
    }
    let exact = take == n && buf.len() == n;
    buf.truncate(take);
    Ok((buf.freeze(), exact))
}

/// A chunked body; `buf` holds what came after the head.
async fn read_chunked(
    stream: &mut TcpStream,
    mut buf: BytesMut,
    want: Want,
) -> Result<(Bytes, bool), Failure> {
    let (limit, strict) = want.bound();
    let mut body = BytesMut::new();
    loop {
        let (used, size) = loop {
            match httparse::parse_chunk_size(&buf) {
                Ok(httparse::Status::Complete((used, size))) => break (used, size),
                Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {
                    fill(stream, &mut buf, false).await?;
                }
                _ => return Err(Failure::Broken("invalid chunk size line".into())),
            }
        };
        buf.advance(used);
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if size == 0 {
            break;
        }
        let room = limit - body.len();
        if size > room && strict {
            return Err(Failure::TooLarge(limit));
        }
        // The chunk's bytes go into the body as they arrive, so what is
        // held is the body and one read, however large the chunk says it is.
        let mut left = size.min(room);
        while left > 0 {
            if buf.is_empty() {
                fill(stream, &mut buf, false).await?;
            }
            let n = left.min(buf.len());
            body.extend_from_slice(&buf[..n]);
            buf.advance(n);
            left -= n;
        }
        if size > room {
            return Ok((body.freeze(), false));
        }
        while buf.len() < 2 {
            fill(stream, &mut buf, false).await?;
        }
        if &buf[..2] != b"\r\n" {
            return Err(Failure::Broken("invalid chunk".into()));
        }
        buf.advance(2);
    }
    // Trailer fields, if any, then the empty line.
    loop {
        match buf.windows(2).position(|w| w == b"\r\n") {
            Some(0) => {
                buf.advance(2);
                break;
            }
            Some(end) => buf.advance(end + 2),
            None if buf.len() < MAX_HEAD => fill(stream, &mut buf, false).await?,
            None => return Err(Failure::Broken("invalid chunk trailer".into())),
        }
    }
    Ok((body.freeze(), buf.is_empty()))
}

/// A body that ends when the gateway closes the connection.
async fn read_to_end(
    stream: &mut TcpStream,
    mut buf: BytesMut,
    want: Want,
) -> Result<Bytes, Failure> {
    let (limit, strict) = want.bound();
    loop {
        if buf.len() > limit {
            if strict {
                return Err(Failure::TooLarge(limit));
            }
            buf.truncate(limit);
            return Ok(buf.freeze());
        }
        if buf.capacity() - buf.len() < 1024 {
            buf.reserve(buf.len().max(8192));
        }
        match stream.read_buf(&mut buf).await {
            Ok(0) => return Ok(buf.freeze()),
            Ok(_) => {}
            Err(e) => return Err(Failure::Broken(e.to_string())),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::VecDeque;
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A loopback gateway that answers each request it reads with the next
    /// canned bytes, closing the connection after those marked so (and
    /// answering nothing once they run out), and keeps every request it read.
    pub(crate) struct Canned {
        pub url: String,
        pub seen: Arc<Mutex<Vec<Vec<u8>>>>,
        pub accepted: Arc<AtomicUsize>,
    }

    pub(crate) async fn canned(answers: Vec<(Vec<u8>, bool)>) -> Canned {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let answers = Arc::new(Mutex::new(VecDeque::from(answers)));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let accepted = Arc::new(AtomicUsize::new(0));
        let (s, a) = (seen.clone(), accepted.clone());
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                a.fetch_add(1, Ordering::SeqCst);
                let (answers, seen) = (answers.clone(), s.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    loop {
                        let Some(request) = read_request(&mut conn, &mut buf).await else {
                            return;
                        };
                        seen.lock().unwrap().push(request);
                        let next = answers.lock().unwrap().pop_front();
                        let Some((bytes, close)) = next else {
                            // Nothing left to say: hold the connection, silent.
                            return std::future::pending().await;
                        };
                        if conn.write_all(&bytes).await.is_err() || close {
                            return;
                        }
                    }
                });
            }
        });
        Canned {
            url,
            seen,
            accepted,
        }
    }

    /// One request (head and `Content-Length` body) off `conn`.
    async fn read_request(conn: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .map_or(0, |n| n.trim().parse().unwrap());
                if buf.len() >= end + 4 + length {
                    return Some(buf.drain(..end + 4 + length).collect());
                }
            }
            let mut chunk = [0u8; 4096];
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    pub(crate) fn ok(body: &str) -> (Vec<u8>, bool) {
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        ([head.as_bytes(), body.as_bytes()].concat(), false)
    }

    fn plain(url: &str) -> Plain {
        let timeouts = Timeouts {
            connect: Duration::from_secs(2),
            request: Duration::from_millis(500),
        };
        Plain::direct(url, Some("sa_test_abcdefgh1234"), timeouts).unwrap()
    }

    fn get(plain: &Plain) -> Vec<u8> {
        let http = smartalex::http_client().build().unwrap();
        let request = http
            .get(format!("{}/contacts?page=2", plain.origin))
            .build()
            .unwrap();
        plain.message(&request).unwrap()
    }

    async fn call(plain: &Plain, message: &[u8], idempotent: bool) -> Result<Answer, CallError> {
        plain.send(message, idempotent, |_| Want::All(1024)).await
    }

    #[tokio::test]
    async fn every_framing_reads_the_body_and_keeps_the_connection_when_it_can() {
        let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n3;x=y\r\n1}\n\r\n0\r\nx-trailer: 1\r\n\r\n".to_vec();
        let gw = canned(vec![
            ok("{\"n\":1}"),
            (chunked, false),
            (
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n".to_vec(),
                false,
            ),
            (
                b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}".to_vec(),
                true,
            ),
            (
                b"HTTP/1.0 503 Busy\r\nretry-after: 9\r\n\r\nno length".to_vec(),
                true,
            ),
            ok("[]"),
        ])
        .await;
        let plain = plain(&gw.url);
        let message = get(&plain);
        let bodies: Vec<(u16, Bytes)> = {
            let mut v = Vec::new();
            for _ in 0..6 {
                let a = call(&plain, &message, true).await.unwrap();
                v.push((a.status, a.body));
            }
            v
        };
        assert_eq!(
            bodies,
            [
                (200, Bytes::from_static(b"{\"n\":1}")),
                (200, Bytes::from_static(b"{\"a\":1}\n")),
                (204, Bytes::new()),
                (200, Bytes::from_static(b"{}")),
                (503, Bytes::from_static(b"no length")),
                (200, Bytes::from_static(b"[]")),
            ]
        );
        // One connection for the first four; `connection: close` and the
        // close-delimited body each end one.
        assert_eq!(gw.accepted.load(Ordering::SeqCst), 3);
        let first = String::from_utf8(gw.seen.lock().unwrap()[0].clone()).unwrap();
        let host = gw.url.trim_start_matches("http://");
        assert!(
            first.starts_with(&format!(
                "GET /contacts?page=2 HTTP/1.1\r\nhost: {host}\r\n"
            )),
            "{first}"
        );
        assert!(
            first.contains("\r\nauthorization: Bearer sa_test_abcdefgh1234\r\n"),
            "{first}"
        );
        assert!(first.contains(&format!("\r\nuser-agent: {}\r\n", smartalex::USER_AGENT)));
        assert!(!format!("{plain:?}").contains("sa_test"), "{plain:?}");
    }

    #[tokio::test]
    async fn a_body_past_the_bound_is_refused_or_cut() {
        let big = "x".repeat(2000);
        let chunked = format!(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n7d0\r\n{big}\r\n0\r\n\r\n"
        );
        let gw = canned(vec![
            ok(&big),
            (chunked.clone().into_bytes(), false),
            ok(&big),
            (chunked.into_bytes(), false),
        ])
        .await;
        let plain = plain(&gw.url);
        let message = get(&plain);
        for _ in 0..2 {
            let e = call(&plain, &message, true).await.unwrap_err();
            assert!(matches!(e, CallError::TooLarge { limit: 1024 }), "{e:?}");
        }
        for _ in 0..2 {
            let a = plain
                .send(&message, true, |_| Want::Prefix(100))
                .await
                .unwrap();
            assert_eq!(a.body, big.as_bytes()[..100]);
        }
        // A cut answer leaves its connection unusable: each call opened one.
        assert_eq!(gw.accepted.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn chunks_longer_than_a_read_are_taken_as_they_arrive() {
        // Three chunks of 100 KB, each many reads long, and one cut short
        // by the prefix bound half-way through a chunk.
        let parts: Vec<String> = (0..3u8)
            .map(|n| char::from(b'a' + n).to_string().repeat(100_000))
            .collect();
        let mut chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
        for part in &parts {
            chunked.extend(format!("{:x}\r\n{part}\r\n", part.len()).bytes());
        }
        chunked.extend(b"0\r\n\r\n");
        let gw = canned(vec![(chunked.clone(), false), (chunked, false)]).await;
        let plain = plain(&gw.url);
        let message = get(&plain);
        let whole = plain
            .send(&message, true, |_| Want::All(1 << 20))
            .await
            .unwrap();
        assert_eq!(whole.body, parts.concat().as_bytes());
        let cut = plain
            .send(&message, true, |_| Want::Prefix(150_000))
            .await
            .unwrap();
        assert_eq!(cut.body, parts.concat().as_bytes()[..150_000]);
        // The whole answer was read exactly, so its connection was reused.
        assert_eq!(gw.accepted.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_connection_the_gateway_closed_is_not_used_and_a_get_is_sent_again() {
        // The first answer, then the gateway drops the connection without a
        // word while the client holds it idle.
        let gw = canned(vec![
            (ok("{}").0, true),
            ok("{\"again\":1}"),
            // Read, then closed without an answer: a GET goes again.
            (Vec::new(), true),
            ok("{\"third\":1}"),
            (Vec::new(), true),
        ])
        .await;
        let plain = plain(&gw.url);
        let message = get(&plain);
        call(&plain, &message, true).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let again = call(&plain, &message, true).await.unwrap();
        assert_eq!(again.body, &b"{\"again\":1}"[..]);
        let third = call(&plain, &message, true).await.unwrap();
        assert_eq!(third.body, &b"{\"third\":1}"[..]);
        // A request that must not be sent twice reports the closed connection.
        let post = call(&plain, &message, false).await.unwrap_err();
        assert!(
            matches!(&post, CallError::Transport(d) if d == INCOMPLETE),
            "{post:?}"
        );
    }

    /// The credential goes to the configured gateway and nowhere else: a
    /// redirect is an answer like any other, never followed.
    #[tokio::test]
    async fn a_redirect_is_not_followed_so_the_key_goes_nowhere_else() {
        let elsewhere = canned(vec![ok("{}")]).await;
        let redirect = format!(
            "HTTP/1.1 302 Found\r\nlocation: {}/steal\r\ncontent-length: 0\r\n\r\n",
            elsewhere.url
        );
        let gw = canned(vec![(redirect.into_bytes(), false)]).await;
        let plain = plain(&gw.url);
        let answer = call(&plain, &get(&plain), true).await.unwrap();
        assert_eq!((answer.status, answer.body.len()), (302, 0));
        assert_eq!(gw.seen.lock().unwrap().len(), 1);
        assert_eq!(elsewhere.accepted.load(Ordering::SeqCst), 0);
    }

    /// A call takes the newest connection its own thread opened, and one
    /// another thread opened only when there is none of its own.
    #[tokio::test]
    async fn a_call_takes_a_connection_of_its_own_thread_first() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let plain = plain(&format!("http://{addr}"));
        let here = std::thread::current().id();
        let there = std::thread::spawn(|| std::thread::current().id())
            .join()
            .unwrap();
        let mut held = Vec::new();
        let mut ports = Vec::new();
        for home in [here, there] {
            let stream = TcpStream::connect(addr).await.unwrap();
            held.push(listener.accept().await.unwrap().0);
            ports.push(stream.local_addr().unwrap().port());
            plain.put(stream, home);
        }
        // The other thread's is the newest, yet this thread's goes first.
        let (first, home) = plain.take().unwrap();
        assert_eq!((first.local_addr().unwrap().port(), home), (ports[0], here));
        let (second, home) = plain.take().unwrap();
        assert_eq!(
            (second.local_addr().unwrap().port(), home),
            (ports[1], there)
        );
        assert!(plain.take().is_none());
    }

    #[tokio::test]
    async fn a_connection_idle_too_long_is_closed_not_used() {
        let gw = canned(vec![ok("{}"), ok("{}"), ok("{}")]).await;
        let mut plain = plain(&gw.url);
        plain.idle_timeout = Duration::from_millis(100);
        let message = get(&plain);
        call(&plain, &message, true).await.unwrap();
        call(&plain, &message, true).await.unwrap();
        assert_eq!(gw.accepted.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(150)).await;
        call(&plain, &message, true).await.unwrap();
        assert_eq!(gw.accepted.load(Ordering::SeqCst), 2);
        assert_eq!(plain.idle.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn garbage_silence_and_a_closed_port_each_say_what_happened() {
        let gw = canned(vec![(b"HELLO THERE\r\n\r\n".to_vec(), true)]).await;
        let plain_gw = plain(&gw.url);
        let e = call(&plain_gw, &get(&plain_gw), true).await.unwrap_err();
        assert!(
            matches!(&e, CallError::Transport(d) if d.starts_with("invalid HTTP response")),
            "{e:?}"
        );

        // Accepts, reads, never answers.
        let silent = canned(Vec::new()).await;
        let plain_silent = plain(&silent.url);
        let started = std::time::Instant::now();
        let e = call(&plain_silent, &get(&plain_silent), true)
            .await
            .unwrap_err();
        assert!(matches!(e, CallError::Timeout { .. }), "{e:?}");
        assert!(started.elapsed() < Duration::from_secs(2));

        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let plain_closed = plain(&format!("http://{closed}"));
        let e = call(&plain_closed, &get(&plain_closed), true)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, CallError::Unreachable { origin } if *origin == format!("http://{closed}")),
            "{e:?}"
        );
    }

    #[test]
    fn a_head_is_read_strictly() {
        let head =
            |text: &str| parse_head(text.as_bytes()).map(|h| h.map(|h| (h.framing, h.keep_alive)));
        let broken = |text: &str| matches!(head(text), Err(Failure::Broken(_)));
        assert!(broken("HTTP/1.1 200 OK\r\ncontent-length: +5\r\n\r\n"));
        assert!(broken(
            "HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\n"
        ));
        assert!(broken("HTTP/1.1 200 OK\r\ncontent-length: 5 5\r\n\r\n"));
        assert!(matches!(
            head("HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 5\r\n\r\n"),
            Ok(Some((Framing::Length(5), true)))
        ));
        // Both framings: chunked wins, and the connection is not reused.
        assert!(matches!(
            head("HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n"),
            Ok(Some((Framing::Chunked, false)))
        ));
        assert!(matches!(
            head("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n"),
            Ok(Some((Framing::Close, true)))
        ));
        assert!(matches!(
            head("HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n"),
            Ok(Some((Framing::Length(0), true)))
        ));
        assert!(matches!(
            head("HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n"),
            Ok(Some((_, false)))
        ));
        assert!(matches!(
            head("HTTP/1.1 304 Not Modified\r\ncontent-length: 9\r\n\r\n"),
            Ok(Some((Framing::None, true)))
        ));
        assert!(matches!(head("HTTP/1.1 200 OK\r\ncontent-len"), Ok(None)));
    }

    #[test]
    fn only_plain_http_without_credentials_in_the_url_is_taken() {
        let t = Timeouts::default();
        assert!(Plain::direct("http://127.0.0.1:8080", None, t).is_some());
        assert!(Plain::direct("http://[::1]:8080/v1", None, t).is_some());
        assert!(Plain::direct("http://localhost", None, t).is_some());
        assert!(Plain::direct("https://api.smartalex.io/v1", None, t).is_none());
        assert!(Plain::direct("http://user:pw@127.0.0.1:8080", None, t).is_none());
        assert!(Plain::direct("not a url", None, t).is_none());
        let v6 = Plain::direct("http://[::1]:8080/v1", None, t).unwrap();
        assert_eq!(
            (v6.host.as_str(), v6.port, v6.authority.to_str().unwrap()),
            ("::1", 8080, "[::1]:8080")
        );
        let default_port = Plain::direct("http://localhost/", None, t).unwrap();
        assert_eq!(
            (default_port.port, default_port.authority.to_str().unwrap()),
            (80, "localhost")
        );
    }
}

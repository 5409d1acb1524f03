//! Accepting and keeping HTTP connections, for both servers of the workspace:
//! cloud mode (`smartalex-mcp http`) and the sandbox gateway.
//!
//! `axum::serve` keeps every connection for as long as the client likes: a
//! client that sends half a request head, or opens a keep-alive connection
//! and goes quiet, holds a socket (and a file descriptor) forever, and
//! enough of them exhaust the process. This accept loop bounds all three:
//!
//! - **Connection cap** ([`ConnectionLimits::max_connections`]): beyond it
//!   the loop stops accepting, so new connections wait in the kernel's listen
//!   backlog (the client sees a slow connect, not a refusal) and are served
//!   in order as slots free. Nothing is accepted only to be dropped.
//! - **Header timeout**: a request head must arrive whole within this time,
//!   counted from its first byte — and, on a new connection, from the accept:
//!   a connection that never says anything is closed after it too.
//! - **Idle timeout**: a keep-alive connection with no request in flight is
//!   closed after this long. A request is in flight from its head until its
//!   response body has been sent, so an SSE stream (a GET stream, a streamed
//!   POST answer) that sends nothing for minutes is *not* idle and is never
//!   cut.
//!
//! hyper has a `header_read_timeout` of its own, but its timer also runs
//! while a keep-alive connection waits for its next request, which would
//! make it an idle timeout too (the shorter of the two would win). So it is
//! off, and both are measured here, from what the connection reads and what
//! requests it has in flight.
//!
//! **One runtime per processor** ([`Cores`], cloud mode): tokio's
//! work-stealing scheduler wakes a parked worker (an `eventfd` write and a
//! futex wake-up) whenever a task is spawned or woken while another worker
//! sleeps, and rmcp spawns tasks for every request. Under 64 callers on two
//! cores, those wake-ups were 15% of cloud mode's CPU. [`serve_on`]
//! instead hands each accepted connection to one of a set of single-threaded
//! runtimes, round-robin, where the connection and every task its requests
//! spawn stay: what one thread wakes is its own. Each also keeps a timer
//! ahead of every deadline its requests arm ([`TICK`]), so arming one does
//! not wake its driver either.
//!
//! **Answers before the body** ([`crate::unread`]): what the router leaves
//! unread of a request body is read and discarded within bounds before the
//! answer goes out, or the answer says `Connection: close`; hyper alone
//! would close the connection without saying so.
//!
//! Graceful shutdown: [`serve`]'s `shutdown` future stops accepting and asks
//! each connection to finish (hyper completes the request in progress and
//! closes; idle ones close at once); `serve` returns when all are closed.
//! Closing long streams is the caller's business (cloud mode cancels its
//! sessions after a grace period).
//!
//! This module never reads or logs request contents: only byte counts and
//! timings.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::service::Service as _;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::time::Instant;

use crate::unread;

/// Bounds on the connections of one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Longest a request head may take to arrive, from its first byte (on a
    /// new connection, from the accept).
    pub header_timeout: Duration,
    /// Longest a connection may stay open with no request in flight.
    pub idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    /// 1024 connections, 10 s for a request head, 60 s idle.
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

impl ConnectionLimits {
    /// At least one connection and one millisecond each; at most what the
    /// semaphore can count.
    fn sane(self) -> Self {
        let floor = Duration::from_millis(1);
        ConnectionLimits {
            max_connections: self
                .max_connections
                .clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize)),
            header_timeout: self.header_timeout.max(floor),
            idle_timeout: self.idle_timeout.max(floor),
        }
    }
}

/// Serve `router` on `listener` within `limits` until `shutdown` resolves
/// and every connection has closed. Requests carry
/// [`ConnectInfo<SocketAddr>`] (the socket peer), as with
/// `into_make_service_with_connect_info`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    serve_on(listener, router, limits, shutdown, None).await
}

/// [`serve`], with each connection served on one of `cores`' runtimes
/// (round-robin) instead of the caller's.
pub async fn serve_on(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
    cores: Option<&Cores>,
) -> io::Result<()> {
    let limits = limits.sane();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(());
    let service = TowerToHyperService::new(router);
    let mut shutdown = pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = shutdown.as_mut() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
            () = shutdown.as_mut() => break,
        };
        let service = service.clone();
        let stopping = stopping.clone();
        let Some(core) = cores.map(Cores::next) else {
            tokio::spawn(async move {
                connection(stream, peer, service, limits, stopping).await;
                drop(slot);
            });
            continue;
        };
        // The socket moves to the runtime that serves it: registered with
        // that runtime's driver, its readiness wakes that thread alone.
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(e) => {
                tracing::debug!(%peer, error = %e, "could not hand a connection over");
                continue;
            }
        };
        core.spawn(async move {
            match TcpStream::from_std(stream) {
                Ok(stream) => connection(stream, peer, service, limits, stopping).await,
                Err(e) => tracing::debug!(%peer, error = %e, "could not take a connection over"),
            }
            drop(slot);
        });
    }
    drop(listener);
    // Every connection holds a slot until it closes: all slots back means
    // all connections closed.
    let _ = stop.send(());
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    Ok(())
}

/// Errors of one connection (the client gave up during the handshake) are
/// nobody's business; running out of file descriptors is, and retrying at
/// once would spin.
async fn accept_failed(e: &io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed; pausing accepts for 100 ms");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// How often each of [`Cores`]' runtimes wakes on its own: never later
/// than any deadline a request arms (the shortest, the header timeout, is
/// 10 s by default), so tokio's timer, which wakes its driver whenever a new
/// deadline is the earliest it holds, does not on every request. The price is
/// one wake-up a second per runtime while idle.
pub const TICK: Duration = Duration::from_secs(1);

/// Single-threaded runtimes, one per processor, that [`serve_on`] spreads
/// connections over (see the module docs). Dropping it stops them: what
/// still runs on them is dropped.
#[derive(Debug)]
pub struct Cores {
    handles: Vec<tokio::runtime::Handle>,
    next: AtomicUsize,
    /// Dropped, they end the runtimes' threads.
    _stops: Vec<tokio::sync::oneshot::Sender<()>>,
}

impl Cores {
    /// `n` runtimes (at least one), each on a thread of its own.
    pub fn start(n: usize) -> io::Result<Self> {
        let n = n.max(1);
        let mut handles = Vec::with_capacity(n);
        let mut stops = Vec::with_capacity(n);
        for i in 0..n {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            handles.push(runtime.handle().clone());
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            stops.push(stop);
            std::thread::Builder::new()
                .name(format!("smartalex-core-{i}"))
                .spawn(move || {
                    runtime.block_on(async move {
                        tokio::spawn(async {
                            loop {
                                tokio::time::sleep(TICK).await;
                            }
                        });
                        let _ = stopped.await;
                    });
                })?;
        }
        Ok(Cores {
            handles,
            next: AtomicUsize::new(0),
            _stops: stops,
        })
    }

    /// How many runtimes there are.
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Never: there is at least one runtime.
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// The runtime the next connection goes to.
    fn next(&self) -> &tokio::runtime::Handle {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len();
        &self.handles[i]
    }
}

type RouterService = TowerToHyperService<Router>;

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    service: RouterService,
    limits: ConnectionLimits,
    mut stopping: watch::Receiver<()>,
) {
    let track = Arc::new(Track::new(limits));
    let io = TokioIo::new(Watched {
        stream,
        track: Arc::clone(&track),
    });
    let per_request = {
        let track = Arc::clone(&track);
        hyper::service::service_fn(move |request: Request<Incoming>| {
            let active = Active::begin(&track);
            let (parts, body) = request.into_parts();
            let (body, unread) = unread::lend(body);
            let mut request = Request::from_parts(parts, body);
            request.extensions_mut().insert(ConnectInfo(peer));
            let response = service.call(request);
            async move {
                let response: Response<Body> = response.await?;
                let response = unread.finish(response).await;
                Ok::<_, Infallible>(response.map(|inner| Tracked {
                    inner,
                    _active: active,
                }))
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    // Measured by `Track` instead (see the module docs).
    builder.header_read_timeout(None);
    let mut conn = pin!(builder.serve_connection(io, per_request));
    let mut closing = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            _ = stopping.changed(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
            // Once closing, hyper closes an idle connection itself; a head
            // that never completes still has to be cut.
            expired = track.expired(!closing) => match expired {
                // Nothing in flight: closes at once, unless a request head
                // slipped in, which is then answered first.
                Expired::Idle => {
                    tracing::debug!(%peer, "closing an idle connection");
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                }
                Expired::Head => {
                    tracing::debug!(%peer, "closing a connection that did not send a request head in time");
                    return;
                }
            },
        }
    }
}

/// What a connection is doing, as far as the timeouts care.
#[derive(Debug)]
struct Track {
    state: Mutex<State>,
    changed: Notify,
    limits: ConnectionLimits,
}

#[derive(Debug)]
struct State {
    /// Requests whose response has not been sent completely.
    in_flight: usize,
    /// When the last request finished (or the connection was accepted).
    idle_since: Instant,
    /// With nothing in flight, when the first byte of the next request head
    /// arrived.
    head_since: Option<Instant>,
}

enum Expired {
    Idle,
    Head,
}

impl Track {
    fn new(limits: ConnectionLimits) -> Self {
        let now = Instant::now();
        Track {
            state: Mutex::new(State {
                in_flight: 0,
                idle_since: now,
                // A new connection owes its first request head from the start.
                head_since: Some(now),
            }),
            changed: Notify::new(),
            limits,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is three plain numbers; a panic elsewhere cannot leave
        // them half-written.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The connection read `n` bytes.
    fn read(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut state = self.lock();
        if state.in_flight == 0 && state.head_since.is_none() {
            state.head_since = Some(Instant::now());
            drop(state);
            self.changed.notify_one();
        }
    }

    /// Resolves when a timeout has run out (the idle one only if `idle`).
    async fn expired(&self, idle: bool) -> Expired {
        loop {
            let changed = self.changed.notified();
            let deadline = {
                let state = self.lock();
                if state.in_flight > 0 {
                    None
                } else if let Some(since) = state.head_since {
                    Some((since + self.limits.header_timeout, Expired::Head))
                } else if idle {
                    Some((state.idle_since + self.limits.idle_timeout, Expired::Idle))
                } else {
                    None
                }
            };
            match deadline {
                Some((at, why)) if at <= Instant::now() => return why,
                Some((at, _)) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }
}

/// One request in flight, from its head until its response body is done
/// (or dropped).
#[derive(Debug)]
struct Active(Arc<Track>);

impl Active {
    fn begin(track: &Arc<Track>) -> Self {
        let mut state = track.lock();
        state.in_flight += 1;
        state.head_since = None;
        drop(state);
        track.changed.notify_one();
        Active(Arc::clone(track))
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 {
            state.idle_since = Instant::now();
            state.head_since = None;
        }
        drop(state);
        self.0.changed.notify_one();
    }
}

/// A response body that keeps its request in flight until hyper has sent
/// it all (hyper drops a body once it has ended).
struct Tracked {
    inner: Body,
    _active: Active,
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The socket, reporting the bytes it reads to the connection's [`Track`].
struct Watched {
    stream: TcpStream,
    track: Arc<Track>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            self.track.read(buf.filled().len() - before);
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The command-line flags for [`ConnectionLimits`], shared by `http` and
/// `sandbox`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectionArgs {
    /// Connections served at once; more wait until one closes.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_connections: usize,
    /// Close a connection whose request head has not fully arrived this many
    /// seconds after its first byte (or after connecting).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = seconds)]
    pub header_timeout: Duration,
    /// Close a keep-alive connection with no request in flight (open streams
    /// count as in flight) after this many seconds.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = seconds)]
    pub idle_timeout: Duration,
}

impl ConnectionArgs {
    pub fn limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: self.max_connections,
            header_timeout: self.header_timeout,
            idle_timeout: self.idle_timeout,
        }
    }
}

/// Seconds, fractions allowed (`0.5`), more than zero.
fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| format!("expected a number of seconds above 0, got {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_parse() {
        assert_eq!(seconds("10"), Ok(Duration::from_secs(10)));
        assert_eq!(seconds("0.25"), Ok(Duration::from_millis(250)));
        for bad in ["0", "-1", "x", "inf", "NaN", ""] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn limits_are_made_sane() {
        let sane = ConnectionLimits {
            max_connections: 0,
            header_timeout: Duration::ZERO,
            idle_timeout: Duration::ZERO,
        }
        .sane();
        assert_eq!(sane.max_connections, 1);
        assert!(sane.header_timeout > Duration::ZERO && sane.idle_timeout > Duration::ZERO);
        let huge = ConnectionLimits {
            max_connections: usize::MAX,
            ..ConnectionLimits::default()
        };
        assert!(huge.sane().max_connections <= Semaphore::MAX_PERMITS);
    }

    /// Each connection is served on one of the cores' threads, round-robin,
    /// and stays there; shutdown still waits for every connection.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connections_are_spread_over_the_cores_and_stay() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let router = Router::new().route(
            "/",
            axum::routing::get(|| async {
                std::thread::current()
                    .name()
                    .unwrap_or("unnamed")
                    .to_owned()
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cores = Cores::start(2).unwrap();
        assert_eq!(cores.len(), 2);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            serve_on(
                listener,
                router,
                ConnectionLimits::default(),
                shutdown,
                Some(&cores),
            )
            .await
        });
        // The thread that answered each of two requests on each connection.
        let mut seen = Vec::new();
        for _ in 0..4 {
            let mut conn = TcpStream::connect(addr).await.unwrap();
            let mut threads = Vec::new();
            for _ in 0..2 {
                conn.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
                    .await
                    .unwrap();
                let mut buf = vec![0u8; 1024];
                let n = conn.read(&mut buf).await.unwrap();
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                assert!(text.starts_with("HTTP/1.1 200"), "{text}");
                threads.push(text.rsplit("\r\n").next().unwrap().to_owned());
            }
            assert_eq!(threads[0], threads[1], "a connection moved between threads");
            seen.push(threads.remove(0));
        }
        assert_eq!(
            seen,
            [
                "smartalex-core-0",
                "smartalex-core-1",
                "smartalex-core-0",
                "smartalex-core-1"
            ]
        );
        stop.send(()).unwrap();
        let served = tokio::time::timeout(Duration::from_secs(5), server).await;
        assert!(matches!(served, Ok(Ok(Ok(())))), "{served:?}");
    }
}

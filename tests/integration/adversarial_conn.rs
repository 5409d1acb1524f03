//! Hostile connections and shared addresses, against real servers on
//! loopback: `smartalex-mcp http` and `smartalex-mcp sandbox` as child
//! processes, driven with raw TCP where the point is what happens to the
//! socket, and with reqwest otherwise.
//!
//! One test per guarantee: a request head that never completes is cut at
//! the header timeout (both servers); an idle keep-alive connection is cut
//! at the idle timeout but an SSE stream is not; connections beyond the cap
//! wait until one frees; behind a trusted proxy the per-IP budget belongs to
//! the forwarded client, and from anyone else the header is ignored;
//! anonymous traffic cannot starve a valid key; a refused key is
//! introspected once per negative-cache window; an answer given before the
//! request's body is read keeps the connection, or says it closes.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::common::TEST_KEY;
use crate::common::http::{McpHttp, call_stateless, client, mcp_post, open_session};
use crate::sandbox_harness;

/// `host:port` of an `http://host:port/…` URL.
fn addr_of(url: &str) -> SocketAddr {
    let rest = url.trim_start_matches("http://");
    rest.split('/').next().unwrap().parse().unwrap()
}

/// Read until the peer closes (EOF or reset); how long that took, or
/// `None` if it is still open after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + within;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

/// Read one response with a `Content-Length` body; its head.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            if let Some(end) = find(&data, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&data[..end]).to_string();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                if data.len() >= end + 4 + length {
                    return head;
                }
            }
            let n = stream.read(&mut buf).await.expect("read");
            assert!(
                n > 0,
                "closed mid-response: {:?}",
                String::from_utf8_lossy(&data)
            );
            data.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("a response within 10 s")
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/// A keep-alive connection that has been answered one request (`/healthz`:
/// 200 from cloud mode, 401 from the sandbox, which has no such route
/// outside authentication).
async fn served_connection(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(HEALTHZ).await.unwrap();
    let head = read_response(&mut stream).await;
    assert!(
        head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.1 401"),
        "{head}"
    );
    stream
}

/// A sandbox, and `smartalex-mcp http ARGS…` in front of it (its gateway
/// and authorization server).
async fn cloud(args: &[&str]) -> (sandbox_harness::Sandbox, McpHttp) {
    let sb = sandbox_harness::start().await;
    let server = McpHttp::start(args, &[("SMARTALEX_API_URL", &sb.base)]).await;
    (sb, server)
}

/// `smartalex-mcp sandbox --listen 127.0.0.1:0 --db :memory: ARGS…`.
struct SandboxProcess {
    addr: SocketAddr,
    _child: Child,
}

async fn sandbox_process(args: &[&str]) -> SandboxProcess {
    let mut child = Command::new(crate::common::bin())
        .args(["sandbox", "--listen", "127.0.0.1:0", "--db", ":memory:"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn sandbox");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(rest) = line.split("gateway on ").nth(1) {
                return rest.split_whitespace().next().unwrap_or("").to_owned();
            }
        }
        panic!("the sandbox exited before announcing its address");
    })
    .await
    .expect("the sandbox starts within 30 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    SandboxProcess {
        addr: addr_of(&url),
        _child: child,
    }
}

/// A partial request head on the sandbox gateway, then on cloud mode, is
/// cut at `--header-timeout` (1 s); so is a connection that sends nothing.
/// A complete request on a fresh connection is still served.
#[tokio::test]
async fn conn_partial_headers_are_cut_at_the_header_timeout_on_both_servers() {
    let sandbox = sandbox_process(&["--header-timeout", "1", "--idle-timeout", "30"]).await;
    let (_sb, mcp) = cloud(&["--header-timeout", "1", "--idle-timeout", "30"]).await;
    for (server, addr) in [("sandbox", sandbox.addr), ("http", addr_of(&mcp.url))] {
        let mut partial = TcpStream::connect(addr).await.unwrap();
        let mut silent = TcpStream::connect(addr).await.unwrap();
        // Trickle a head that never ends, a byte every 200 ms.
        let trickle = async {
            for b in b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " {
                if partial.write_all(&[*b]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        };
        let _ = tokio::time::timeout(Duration::from_millis(600), trickle).await;
        let cut = closed_within(&mut partial, Duration::from_secs(5)).await;
        let cut =
            cut.unwrap_or_else(|| panic!("{server}: a partial head kept its connection for 5 s"));
        assert!(cut < Duration::from_secs(3), "{server}: cut after {cut:?}");
        let silent_cut = closed_within(&mut silent, Duration::from_secs(5)).await;
        assert!(
            silent_cut.is_some(),
            "{server}: a silent connection stayed open"
        );
        // The server still serves whoever sends a whole request.
        served_connection(addr).await;
    }
}

/// A POST of `body_len` bytes with no credential (refused before its body is
/// read), of which `send` bytes are sent.
fn refused_post(path: &str, body_len: usize, send: usize) -> Vec<u8> {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nContent-Length: {body_len}\r\n\r\n"
    )
    .into_bytes();
    let mut body = format!(r#"{{"note":"{}"}}"#, "x".repeat(body_len - 11)).into_bytes();
    assert_eq!(body.len(), body_len);
    body.truncate(send);
    request.extend_from_slice(&body);
    request
}

/// On both servers, a request answered before its body is read (401 here)
/// does not cost its keep-alive connection: a 200 KB body is read and
/// discarded, and the next request on the same connection is answered. A
/// body over 1 MiB, or one that does not arrive within half a second, is not
/// waited for: its answer says `Connection: close`, and the connection
/// closes, so the client knows to open another.
#[tokio::test]
async fn conn_an_answer_before_the_body_is_read_keeps_or_closes_the_connection_openly() {
    let sandbox = sandbox_process(&["--idle-timeout", "30"]).await;
    let (_sb, mcp) = cloud(&["--idle-timeout", "30"]).await;
    let closes = |head: &str| {
        head.lines()
            .any(|l| l.to_ascii_lowercase().replace(' ', "") == "connection:close")
    };
    for (server, addr, path) in [
        ("sandbox", sandbox.addr, "/v1/contacts"),
        ("http", addr_of(&mcp.url), "/mcp"),
    ] {
        let mut stream = served_connection(addr).await;
        stream
            .write_all(&refused_post(path, 200 * 1024, 200 * 1024))
            .await
            .unwrap();
        let head = read_response(&mut stream).await;
        assert!(head.starts_with("HTTP/1.1 401"), "{server}: {head}");
        assert!(!closes(&head), "{server}: {head}");
        stream.write_all(HEALTHZ).await.unwrap();
        let next = read_response(&mut stream).await;
        assert!(
            next.starts_with("HTTP/1.1 200") || next.starts_with("HTTP/1.1 401"),
            "{server}: {next}"
        );

        for (what, request) in [
            ("a 2 MiB body", refused_post(path, 2 << 20, 1000)),
            ("a body that stops", refused_post(path, 1000, 10)),
        ] {
            let mut stream = served_connection(addr).await;
            let sent = Instant::now();
            stream.write_all(&request).await.unwrap();
            let head = read_response(&mut stream).await;
            assert!(head.starts_with("HTTP/1.1 401"), "{server}, {what}: {head}");
            assert!(closes(&head), "{server}, {what}: {head}");
            assert!(
                sent.elapsed() < Duration::from_secs(3),
                "{server}, {what}: answered after {:?}",
                sent.elapsed()
            );
            let closed = closed_within(&mut stream, Duration::from_secs(5)).await;
            assert!(
                closed.is_some(),
                "{server}, {what}: the connection stayed open"
            );
        }
    }
}

/// With `--idle-timeout 1`, a keep-alive connection that has been answered
/// and sends nothing more is closed after about a second; an SSE stream held
/// for three seconds with nothing sent either way is not.
#[tokio::test]
async fn conn_idle_keep_alive_is_cut_but_an_open_sse_stream_is_not() {
    let (sb, server) = cloud(&["--idle-timeout", "1", "--header-timeout", "10"]).await;
    let addr = addr_of(&server.url);

    let mut idle = served_connection(addr).await;
    let cut = closed_within(&mut idle, Duration::from_secs(5))
        .await
        .expect("an idle keep-alive connection stayed open for 5 s");
    assert!(cut >= Duration::from_millis(700), "cut too early: {cut:?}");

    // A 2025-11-25 session, then its GET stream over a raw socket.
    let http = client();
    let session = open_session(&http, &server.url, &sb.key).await;

    let mut stream = TcpStream::connect(addr).await.unwrap();
    let get = format!(
        "GET /mcp HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\
         Authorization: Bearer {}\r\nMcp-Session-Id: {session}\r\n\
         Mcp-Protocol-Version: 2025-11-25\r\n\r\n",
        sb.key
    );
    stream.write_all(get.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while find(&head, b"\r\n\r\n").is_none() {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("stream head within 5 s")
            .unwrap();
        assert!(n > 0, "closed before the stream opened");
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    assert_eq!(
        closed_within(&mut stream, Duration::from_secs(3)).await,
        None,
        "an open SSE stream was cut as idle"
    );
    // And the server is still serving it: ending the session ends the stream.
    let r = http
        .delete(&server.url)
        .bearer_auth(&sb.key)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(
        closed_within(&mut stream, Duration::from_secs(5))
            .await
            .is_some(),
        "the stream outlived its session"
    );
}

/// With `--max-connections 2` and two connections held open, a third is
/// not served (it waits in the backlog) until one of the two closes.
#[tokio::test]
async fn conn_connections_beyond_the_cap_wait_until_one_frees() {
    let (_sb, server) = cloud(&["--max-connections", "2", "--idle-timeout", "30"]).await;
    let addr = addr_of(&server.url);
    let first = served_connection(addr).await;
    let _second = served_connection(addr).await;

    let mut third = TcpStream::connect(addr).await.unwrap();
    third.write_all(HEALTHZ).await.unwrap();
    let mut buf = [0u8; 64];
    let early = tokio::time::timeout(Duration::from_millis(1500), third.read(&mut buf)).await;
    assert!(early.is_err(), "the third connection was served: {early:?}");

    let freed = Instant::now();
    drop(first);
    let head = read_response(&mut third).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        freed.elapsed() < Duration::from_secs(3),
        "{:?}",
        freed.elapsed()
    );
}

/// POST a `ping` to /mcp with `bearer` and one `extra` header; the status
/// (401 for a refused credential, 429 past the budget).
async fn ping(
    http: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
    extra: Option<(&str, &str)>,
) -> u16 {
    let mut req =
        mcp_post(http, url, bearer).json(&json!({"jsonrpc":"2.0","id":1,"method":"ping"}));
    if let Some((name, value)) = extra {
        req = req.header(name, value);
    }
    req.send().await.unwrap().status().as_u16()
}

/// Behind a trusted proxy (loopback here) the public per-IP budget belongs
/// to the forwarded client: two clients get two budgets, and the access log
/// names them. From a peer that is not trusted, the same header is ignored:
/// every spoofed address shares the peer's one budget.
#[tokio::test]
async fn conn_per_ip_budgets_follow_forwarded_clients_only_from_trusted_proxies() {
    let sb = sandbox_harness::start().await;
    let http = client();

    let behind = McpHttp::start(
        &[
            "--public-rate-limit",
            "2",
            "--trusted-proxy",
            "10.0.0.0/8,127.0.0.1/32",
        ],
        &[("SMARTALEX_API_URL", &sb.base)],
    )
    .await;
    let xff = |client| Some(("x-forwarded-for", client));
    for _ in 0..2 {
        assert_eq!(
            ping(
                &http,
                &behind.url,
                None,
                xff("1.1.1.1, 203.0.113.7, 10.0.0.9")
            )
            .await,
            401
        );
    }
    assert_eq!(
        ping(&http, &behind.url, None, xff("203.0.113.7")).await,
        429
    );
    assert_eq!(
        ping(&http, &behind.url, None, xff("203.0.113.8")).await,
        401
    );
    assert_eq!(
        ping(&http, &behind.url, None, xff("203.0.113.8")).await,
        401
    );
    assert_eq!(
        ping(&http, &behind.url, None, xff("203.0.113.8")).await,
        429
    );
    // Forwarded (RFC 7239) is not the configured header: the proxy's own budget.
    assert_eq!(
        ping(
            &http,
            &behind.url,
            None,
            Some(("forwarded", "for=198.51.100.1"))
        )
        .await,
        401
    );
    let log = behind.stderr();
    assert!(log.contains("ip=203.0.113.7"), "{log}");
    assert!(log.contains("ip=203.0.113.8"), "{log}");
    assert!(
        !log.contains("ip=1.1.1.1"),
        "a client-written hop was believed: {log}"
    );

    let rfc = McpHttp::start(
        &[
            "--public-rate-limit",
            "1",
            "--trusted-proxy",
            "127.0.0.1",
            "--forwarded-header",
            "forwarded",
        ],
        &[("SMARTALEX_API_URL", &sb.base)],
    )
    .await;
    let fwd = |client| Some(("forwarded", client));
    assert_eq!(
        ping(
            &http,
            &rfc.url,
            None,
            fwd("for=\"[2001:db8::1]:443\";proto=https")
        )
        .await,
        401
    );
    assert_eq!(
        ping(&http, &rfc.url, None, fwd("for=\"[2001:db8::1]:443\"")).await,
        429
    );
    assert_eq!(ping(&http, &rfc.url, None, fwd("for=192.0.2.1")).await, 401);

    let direct = McpHttp::start(
        &["--public-rate-limit", "2", "--trusted-proxy", "10.0.0.0/8"],
        &[("SMARTALEX_API_URL", &sb.base)],
    )
    .await;
    for (i, spoofed) in ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
        .iter()
        .enumerate()
    {
        let status = ping(&http, &direct.url, None, xff(spoofed)).await;
        assert_eq!(status, if i < 2 { 401 } else { 429 }, "{spoofed}");
    }
    let log = direct.stderr();
    assert!(
        !log.contains("ip=203.0.113."),
        "a spoofed address was believed: {log}"
    );
    assert!(log.contains("ip=127.0.0.1"), "{log}");
}

/// 35 anonymous requests (and malformed bearers) spend the shared IP's
/// public budget; a valid key seen for the first time is still served.
#[tokio::test]
async fn conn_anonymous_traffic_cannot_starve_a_fresh_valid_key() {
    let (sb, server) = cloud(&["--public-rate-limit", "30"]).await;
    let http = client();
    let mut refused = 0;
    for i in 0..35 {
        // Alternately no credential and a malformed one.
        let bearer = (i % 2 == 1).then_some("garbage");
        let status = ping(&http, &server.url, bearer, None).await;
        assert!(matches!(status, 401 | 429), "{status}");
        refused += usize::from(status == 429);
    }
    assert_eq!(refused, 5, "the public budget is 30");
    let (status, h, body) = call_stateless(
        &http,
        &server.url,
        Some(&sb.key),
        1,
        "tools/list",
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        h["x-ratelimit-limit"], "100",
        "counted against the workspace"
    );
    assert!(
        body["result"]["tools"]
            .as_array()
            .is_some_and(|t| !t.is_empty()),
        "{body}"
    );
}

/// An authorization server that calls every bearer inactive and counts the
/// introspections it answers.
async fn refusing_authorization_server() -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&count);
    let app = axum::Router::new().route(
        "/oauth/introspect",
        axum::routing::post(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { axum::Json(json!({"active": false})) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (url, count)
}

/// A key the authorization server calls inactive, sent 12 times, costs one
/// introspection; every answer is the same 401. Another bad key costs one
/// more.
#[tokio::test]
async fn conn_a_refused_key_is_introspected_once_per_negative_window() {
    let (auth, introspections) = refusing_authorization_server().await;
    let server = McpHttp::start(&[], &[("SMARTALEX_API_URL", &auth)]).await;
    let http = client();
    let send = |key: &'static str| {
        mcp_post(&http, &server.url, Some(key))
            .json(&json!({"jsonrpc":"2.0","id":1,"method":"ping"}))
            .send()
    };
    for _ in 0..12 {
        let r = send(TEST_KEY).await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(
            r.text().await.unwrap(),
            r#"{"error":"Invalid or expired token."}"#
        );
    }
    assert_eq!(introspections.load(Ordering::SeqCst), 1);
    let r = send("sa_test_another0bad0key0000").await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(introspections.load(Ordering::SeqCst), 2);
    assert!(!server.stderr().contains(TEST_KEY), "a key was logged");
}

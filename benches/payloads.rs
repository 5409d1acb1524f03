//! The server's cost on the answers users actually fetch.
//!
//! `cargo bench --bench payloads` (the bench profile: release with
//! whole-program LTO, as shipped). Set `SMARTALEX_MCP_BIN`
//! to measure another build of the binary (an older commit, say) with the
//! very same harness and gateway.
//!
//! A loopback gateway on its own thread answers with fixed, realistic bytes
//! (`support/payloads.rs`): contact pages of 2, 25 and 100 contacts with
//! every field, one call with a 40-turn transcript, and a 404; and a call
//! the server refuses before the gateway (its arguments do not fit), which
//! is what every call costs it with no exchange and no answer to check.
//! For each, over stdio, one request in flight, [`CALLS`] calls after
//! [`WARMUP`]:
//!
//! - p50/p99 of the `tools/call` round trip, and of a direct keep-alive GET
//!   of the same route on the same gateway (a raw-socket client, the
//!   leanest possible, so the overhead figure includes reqwest's own cost);
//! - the overhead (call minus direct GET) at p50 and p99;
//! - the server's CPU time per call: the sum of its threads' on-CPU time
//!   from `/proc/<pid>/task/*/schedstat` (nanoseconds), across the run,
//!   and how much of it was the kernel's (split by the ratio of the run's
//!   `utime` and `stime` ticks in `/proc/<pid>/stat`);
//! - the bytes the gateway sent and the bytes of the request and answer line;
//! - peak RSS (VmHWM) after the run, each payload in a fresh process, and
//!   how much of the RSS is the process's own memory (`RssAnon`; the rest is
//!   pages of its executable and libraries).
//!
//! Then overhead growth per KB of gateway answer (2 → 100 contacts), cold
//! start (spawn → `initialize` result), and cloud mode (`smartalex-mcp http`,
//! stateless 2026-07-28 calls, API key, rate limits off): one client per
//! payload as above, then 64 clients on the 25-contact page for a few
//! seconds, with calls/s, p50/p99 and CPU per call.
//!
//! Beside each figure, its floor on this machine: a zero-work relay of the
//! same bytes ([`relay`]: what any stdio server of these answers costs
//! before doing anything with them), a bare rmcp server on the server's own
//! stdio transport answering the refused call at once ([`rmcp_floor`]:
//! what any server built this way costs per call), serde_json merely
//! checking the page is JSON, a bare reqwest GET, and 64 clients on the
//! gateway with no server in between.
//!
//! Clients, server and gateway share the machine's cores.
//!
//! Before/after: this machine's speed drifts by tens of percent from one
//! run to the next, more than most changes move a figure, so two builds
//! are compared in one run, side by side. `SMARTALEX_BENCH_VS=<other
//! binary>` measures every payload on both binaries at once, over stdio and
//! then over HTTP with one client: [`ROUNDS`] rounds, each a block of calls
//! on one server then a block on the other (the order alternating), and
//! prints each build's CPU per call and call p50, with the median of the
//! per-round ratios `B/A` (A is `SMARTALEX_MCP_BIN`, or this checkout's
//! build). Before those, and unpinned as in a full run, it puts the 64-client
//! load on each in turn ([`paired_load`]). Where a process lands
//! matters as much as the drift (a server sharing a core with the gateway
//! pays differently), so with two or more processors and `taskset` (util-linux)
//! the servers run on the last processor and the harness on the first.
//!
//! On a machine whose processors are shared with others, even a paired run
//! reads a build against itself as 5-10% apart. `SMARTALEX_BENCH_COUNT=1`
//! counts instead of timing ([`counted`]): the instructions the stdio server
//! executes per call of each payload, in user space, under valgrind's
//! callgrind. The count does not move with the machine, so a change of 1%
//! shows; it says nothing of the kernel's share, of caches or of waiting,
//! which only the timed runs see. With `SMARTALEX_BENCH_VS` too, both builds
//! are counted.

#![allow(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[path = "support/payloads.rs"]
mod payloads;

const CALLS: usize = 2_000;
const WARMUP: usize = 200;
const SPAWNS: usize = 30;
const CLIENTS: usize = 64;
const LOAD_WARMUP: Duration = Duration::from_millis(500);
const LOAD_RUN: Duration = Duration::from_secs(4);
const KEY: &str = "sa_test_benchmarkbenchmark0001";
/// Set in the relay's environment: `<gateway> <route> <answer length>`.
const RELAY_ENV: &str = "SMARTALEX_BENCH_RELAY";
/// Set in a bare rmcp server's environment ([`rmcp_floor`]): the length of
/// the text it answers every call with.
const RMCP_ENV: &str = "SMARTALEX_BENCH_RMCP";
/// The fewest clock ticks a run must have for its CPU to be split into user
/// and system time ([`cpu_ticks`]): 100 ms, where one tick more or less on
/// either side moves the split by a tenth at most.
const SPLIT_TICKS: u64 = 10;
/// The relay's route for a call that reads none: it sends no GET.
const NO_ROUTE: &str = "-";
/// A second binary to measure against the first, round by round.
const VS_ENV: &str = "SMARTALEX_BENCH_VS";
/// Count instructions instead of timing ([`counted`]).
const COUNT_ENV: &str = "SMARTALEX_BENCH_COUNT";
/// The calls of the two counted processes per payload: the difference of
/// their counts is what the calls between cost.
const COUNT_CALLS: [usize; 2] = [100, 400];
/// Rounds of a paired run; each server gets `CALLS / ROUNDS` calls a round.
const ROUNDS: usize = 20;
/// Rounds of the paired 64-client load, and each round's warm-up and
/// measured time on each server.
const LOAD_ROUNDS: usize = 10;
const LOAD_ROUND_WARMUP: Duration = Duration::from_millis(250);
const LOAD_ROUND: Duration = Duration::from_secs(1);

/// One measured payload: the tool call and the gateway route behind it.
struct Case {
    label: &'static str,
    tool: &'static str,
    arguments: String,
    /// The gateway route the call reads; `None` for a call the server
    /// refuses before the gateway.
    route: Option<String>,
    /// A string every answer must contain.
    expect: &'static str,
    is_error: bool,
}

fn cases() -> Vec<Case> {
    let page = |n: usize, label| Case {
        label,
        tool: "smartalex_list_contacts",
        arguments: format!(r#"{{"per_page":{n}}}"#),
        route: Some(format!("/contacts?per_page={n}")),
        expect: "Lovelace",
        is_error: false,
    };
    vec![
        page(2, "2 contacts"),
        page(25, "25 contacts"),
        Case {
            label: "25, ms stamps",
            tool: "smartalex_list_contacts",
            arguments: r#"{"page":2,"per_page":25}"#.to_owned(),
            route: Some("/contacts?page=2&per_page=25".to_owned()),
            expect: "Lovelace",
            is_error: false,
        },
        page(100, "100 contacts"),
        Case {
            label: "call + 40 turns",
            tool: "smartalex_get_call",
            arguments: r#"{"id":"c0ffee00-1111-4222-8333-444455556666"}"#.to_owned(),
            route: Some("/calls/c0ffee00-1111-4222-8333-444455556666".to_owned()),
            expect: "valuation",
            is_error: false,
        },
        Case {
            label: "404 error",
            tool: "smartalex_get_contact",
            arguments: format!(r#"{{"id":"{}"}}"#, payloads::MISSING_CONTACT),
            route: Some(format!("/contacts/{}", payloads::MISSING_CONTACT)),
            expect: "not_found",
            is_error: true,
        },
        // What every call costs the server before any gateway: the line,
        // rmcp's request handling, the arguments checked and the answer
        // written, with no exchange and no scan.
        Case {
            label: "refused, no GET",
            tool: "smartalex_get_contact",
            arguments: r#"{"id":"not-a-uuid"}"#.to_owned(),
            route: None,
            expect: "Nothing was sent to SmartAlex",
            is_error: true,
        },
    ]
}

/// The loopback gateway: realistic fixed answers, on its own thread and
/// runtime so it never shares the server's.
fn start_gateway() -> SocketAddr {
    use axum::extract::{Path, Query};
    use axum::http::StatusCode;
    use axum::routing::{get, post};

    #[derive(serde::Deserialize)]
    struct PageQuery {
        page: Option<usize>,
        per_page: Option<usize>,
    }
    const JSON: [(&str, &str); 1] = [("content-type", "application/json")];

    let pages: Arc<Vec<String>> = Arc::new((0..=100).map(payloads::contact_page).collect());
    // Page 2 of 25: the same contacts with millisecond timestamps.
    let millis: &'static str = Box::leak(payloads::contact_page_millis(25).into_boxed_str());
    let call: &'static str = Box::leak(payloads::call_detail(40).into_boxed_str());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let app = axum::Router::new()
                .route(
                    "/oauth/introspect",
                    post(|| async {
                        (
                            JSON,
                            r#"{"active":true,"token_type":"api_key","workspace_id":"bench","scope":"read write"}"#,
                        )
                    }),
                )
                .route(
                    "/contacts",
                    get(move |Query(q): Query<PageQuery>| {
                        let pages = pages.clone();
                        async move {
                            let per_page = q.per_page.unwrap_or(25).min(100);
                            if q.page == Some(2) && per_page == 25 {
                                return (JSON, millis.to_owned());
                            }
                            (JSON, pages[per_page].clone())
                        }
                    }),
                )
                .route(
                    "/contacts/{id}",
                    get(|Path(_id): Path<String>| async {
                        (StatusCode::NOT_FOUND, JSON, payloads::not_found())
                    }),
                )
                .route("/calls/{id}", get(move || async move { (JSON, call) }));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

fn binary() -> String {
    std::env::var("SMARTALEX_MCP_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_smartalex-mcp").to_owned())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The middle of `values` (the upper one of an even count).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Nanoseconds on CPU of every live thread of `pid`.
fn cpu_ns(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// The user and the system time of process `pid` so far, in clock ticks,
/// every thread's, live or ended (`utime` and `stime` of
/// `/proc/<pid>/stat`). Coarse (a tick is 10 ms, and the kernel charges
/// each to whichever side it lands on), so only their ratio over a whole
/// run is used, to split [`cpu_ns`]'s exact total, and only when the run
/// had [`SPLIT_TICKS`] of them.
fn cpu_ticks(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields from the third (the state) on follow the command's name,
    // which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse().ok()).unwrap_or(0);
    (field(14), field(15))
}

/// Nanoseconds on CPU of the calling thread.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The floor under any server built on the same HTTP client: the CPU one
/// thread spends on a bare reqwest keep-alive GET of `route` (current-thread
/// runtime, like the stdio server's), with nothing else done per call.
fn reqwest_floor(addr: SocketAddr, route: &str) -> f64 {
    let url = format!("http://{addr}{route}");
    std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let client = smartalex::http_client()
                    .tcp_nodelay(true)
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap();
                let get = || async {
                    let r = client.get(&url).bearer_auth(KEY).send().await.unwrap();
                    r.bytes().await.unwrap().len()
                };
                for _ in 0..WARMUP {
                    get().await;
                }
                let cpu0 = thread_cpu_ns();
                for _ in 0..CALLS {
                    get().await;
                }
                (thread_cpu_ns() - cpu0) as f64 / 1e3 / CALLS as f64
            })
        })
        .join()
        .unwrap()
    })
}

/// [`Figures::sys_us`] for a table: µs, or a dash for a run too short.
fn sys_column(sys_us: Option<f64>) -> String {
    sys_us.map_or_else(|| "—".to_owned(), |us| format!("{us:.1}µs"))
}

/// How overhead and CPU grow per KB of gateway answer, from the smallest
/// page to the largest: `(gateway bytes, overhead p50 µs, CPU µs)` each.
fn print_growth(label: &str, pages: &[(usize, f64, f64)]) {
    if let (Some(small), Some(large)) = (pages.first(), pages.last()) {
        let kb = (large.0 - small.0) as f64 / 1024.0;
        println!(
            "  {label} 2 -> 100 contacts: overhead {:+.2} µs/KB, CPU {:+.2} µs/KB",
            (large.1 - small.1) / kb,
            (large.2 - small.2) / kb
        );
    }
}

/// CPU µs of the calling thread to parse `json` once as a `T`.
fn parse_floor<T: serde::de::DeserializeOwned>(json: &str) -> f64 {
    for _ in 0..WARMUP {
        std::hint::black_box(serde_json::from_str::<T>(json).unwrap());
    }
    let cpu0 = thread_cpu_ns();
    for _ in 0..CALLS {
        std::hint::black_box(serde_json::from_str::<T>(std::hint::black_box(json)).unwrap());
    }
    (thread_cpu_ns() - cpu0) as f64 / 1e3 / CALLS as f64
}

fn peak_rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmHWM:")
}

/// A `kB` field of `/proc/<pid>/status`.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// One keep-alive HTTP/1.1 connection over a raw socket.
struct Conn {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
    body: Vec<u8>,
}

impl Conn {
    fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        Conn {
            stream,
            reader,
            body: Vec::new(),
        }
    }

    /// Round trip; returns the status. The body is left in `self.body`.
    fn send(&mut self, request: &[u8]) -> u16 {
        self.stream.write_all(request).unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
        let (mut len, mut chunked) = (0usize, false);
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
            if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
            if line == "\r\n" {
                break;
            }
        }
        self.body.clear();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line).unwrap();
                let size = usize::from_str_radix(line.trim(), 16).unwrap();
                let start = self.body.len();
                self.body.resize(start + size + 2, 0);
                self.reader.read_exact(&mut self.body[start..]).unwrap();
                self.body.truncate(start + size);
                if size == 0 {
                    break;
                }
            }
        } else {
            self.body.resize(len, 0);
            self.reader.read_exact(&mut self.body).unwrap();
        }
        status
    }
}

fn get_request(addr: SocketAddr, route: &str) -> Vec<u8> {
    format!("GET {route} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {KEY}\r\nAccept: application/json\r\n\r\n").into_bytes()
}

/// [`direct`] for `case`: the GET's p50 and p99 and the body's size; all
/// zero for a call that reads no route.
fn baseline(addr: SocketAddr, case: &Case) -> (Duration, Duration, usize) {
    match &case.route {
        None => (Duration::ZERO, Duration::ZERO, 0),
        Some(route) => {
            let (base, bytes) = direct(addr, route);
            (percentile(&base, 0.5), percentile(&base, 0.99), bytes)
        }
    }
}

/// Sequential keep-alive GETs of `route`; the latencies and the body size.
fn direct(addr: SocketAddr, route: &str) -> (Vec<Duration>, usize) {
    let mut conn = Conn::open(addr);
    let request = get_request(addr, route);
    for _ in 0..WARMUP {
        conn.send(&request);
    }
    let mut out = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let t = Instant::now();
        conn.send(&request);
        out.push(t.elapsed());
    }
    out.sort();
    (out, conn.body.len())
}

fn call_line(id: usize, case: &Case) -> String {
    format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"tools/call\",\"params\":{{\"name\":\"{}\",\"arguments\":{}}}}}\n",
        case.tool, case.arguments
    )
}

fn check(reply: &[u8], case: &Case) {
    let text = String::from_utf8_lossy(reply);
    assert!(text.contains(case.expect), "{text}");
    assert_eq!(text.contains("\"isError\":true"), case.is_error, "{text}");
}

/// The stdio server, one request in flight.
struct Stdio_ {
    child: Child,
    /// `None` once closed ([`Stdio_::finish`]).
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Stdio_ {
    fn spawn(gateway: SocketAddr) -> Self {
        Self::spawn_binary(&binary(), gateway)
    }

    fn spawn_binary(binary: &str, gateway: SocketAddr) -> Self {
        Self::serving(pinned(binary), gateway)
    }

    /// `server` (the binary, or a command that runs it) on `gateway`.
    fn serving(mut server: Command, gateway: SocketAddr) -> Self {
        server
            .env("SMARTALEX_API_URL", format!("http://{gateway}"))
            .env("SMARTALEX_API_KEY", KEY)
            .env_remove("SMARTALEX_LOG");
        Self::start(server)
    }

    /// The zero-work relay (this benchmark's own binary, see [`relay`])
    /// for `case`, answering every line with `answer_len` bytes.
    fn relay(gateway: SocketAddr, case: &Case, answer_len: usize) -> Self {
        let mut relay = Command::new(std::env::current_exe().unwrap());
        let route = case.route.as_deref().unwrap_or(NO_ROUTE);
        relay.env(RELAY_ENV, format!("{gateway} {route} {answer_len}"));
        Self::start(relay)
    }

    /// A bare rmcp server ([`rmcp_floor`]) answering with `len` bytes of text.
    fn rmcp(len: usize) -> Self {
        let mut server = Command::new(std::env::current_exe().unwrap());
        server.env(RMCP_ENV, len.to_string());
        Self::start(server)
    }

    fn start(mut command: Command) -> Self {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Self {
            child,
            stdin,
            stdout,
        }
    }

    fn roundtrip(&mut self, line: &str) -> String {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.flush().unwrap();
        let mut reply = String::new();
        self.stdout.read_line(&mut reply).unwrap();
        reply
    }

    /// `initialize`, then `notifications/initialized` and a `ping`, as a
    /// client opens a session.
    fn open_session(&mut self) {
        self.initialize();
        self.roundtrip("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n");
    }

    fn initialize(&mut self) -> String {
        self.roundtrip("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"bench\",\"version\":\"0\"}}}\n")
    }

    /// Close stdin, as a client that is done does, and wait for the
    /// server to end: whether it ended well.
    fn finish(&mut self) -> bool {
        self.stdin = None;
        self.child.wait().unwrap().success()
    }
}

impl Drop for Stdio_ {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one payload cost.
struct Figures {
    p50: Duration,
    p99: Duration,
    cpu_us: f64,
    /// The part of `cpu_us` spent in the kernel, by the ratio of the run's
    /// ticks ([`cpu_ticks`]); `None` if the run had too few to say.
    sys_us: Option<f64>,
    bytes_in: usize,
    bytes_out: usize,
    rss_kib: u64,
    /// The process's own memory (heap, stacks) at the end of the run; the
    /// rest of its RSS is pages of its executable and libraries.
    anon_kib: u64,
}

fn stdio_case(gateway: SocketAddr, case: &Case) -> Figures {
    measure(ready(Stdio_::spawn(gateway), case), case)
}

/// `s` initialized and warmed up on `case`.
fn ready(mut s: Stdio_, case: &Case) -> Stdio_ {
    s.open_session();
    for i in 0..WARMUP {
        check(s.roundtrip(&call_line(10 + i, case)).as_bytes(), case);
    }
    s
}

/// The user-space instructions `binary`'s stdio server executes per call
/// of `case`: two processes under callgrind make [`COUNT_CALLS`] calls each
/// after the same start, and the difference of their totals is divided by
/// the difference of their calls, so start-up, the first connection and
/// everything built once cancel out.
fn counted(binary: &str, gateway: SocketAddr, case: &Case) -> f64 {
    let mut totals = [0u64; 2];
    for (total, calls) in totals.iter_mut().zip(COUNT_CALLS) {
        let file = std::env::temp_dir().join(format!(
            "smartalex-bench-{}-{calls}.callgrind",
            std::process::id()
        ));
        let mut valgrind = Command::new("valgrind");
        valgrind
            .args(["--tool=callgrind", "--quiet"])
            .arg(format!("--callgrind-out-file={}", file.display()))
            .arg(binary);
        let mut s = Stdio_::serving(valgrind, gateway);
        let init = s.initialize();
        assert!(init.contains("\"protocolVersion\""), "{init}");
        for i in 0..calls {
            check(s.roundtrip(&call_line(10 + i, case)).as_bytes(), case);
        }
        // The server ends at the end of its input; callgrind writes its
        // totals as the process exits.
        assert!(s.finish(), "the server under valgrind failed");
        let text = std::fs::read_to_string(&file).unwrap();
        let _ = std::fs::remove_file(&file);
        *total = text
            .lines()
            .find_map(|l| l.strip_prefix("summary: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no `summary:` line in {}", file.display()));
    }
    (totals[1] - totals[0]) as f64 / (COUNT_CALLS[1] - COUNT_CALLS[0]) as f64
}

/// Instructions per call of every payload, of one build or two.
fn count(gateway: SocketAddr, cases: &[Case], other: Option<&str>) {
    if let Err(e) = Command::new("valgrind").arg("--version").output() {
        panic!("{COUNT_ENV} runs the server under valgrind: {e}");
    }
    let a = binary();
    println!("smartalex-mcp instructions per stdio call (callgrind, user space)");
    println!("  A = {a}");
    if let Some(b) = other {
        println!("  B = {b}");
    }
    for case in cases {
        let ia = counted(&a, gateway, case);
        match other {
            None => println!("  {:<16} {:>10.0}", case.label, ia),
            Some(b) => {
                let ib = counted(b, gateway, case);
                println!(
                    "  {:<16} A {:>10.0}  B {:>10.0}  B/A {:.3}",
                    case.label,
                    ia,
                    ib,
                    ib / ia
                );
            }
        }
    }
}

/// The processor a paired run's servers are pinned to, once the harness
/// is pinned to the first: `None` for an unpinned run.
static PINNED: std::sync::OnceLock<usize> = std::sync::OnceLock::new();

fn pinned_cpu() -> Option<usize> {
    PINNED.get().copied()
}

/// A command running `binary` on the paired run's processor, if any.
fn pinned(binary: &str) -> Command {
    match pinned_cpu() {
        Some(cpu) => {
            let mut taskset = Command::new("taskset");
            taskset.args(["-c", &cpu.to_string(), binary]);
            taskset
        }
        None => Command::new(binary),
    }
}

/// Pin every thread of this process to processor 0 and reserve the last
/// one for the servers, if there are two and `taskset` can do it.
fn pin_harness() -> Option<usize> {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let pinned = cpus >= 2
        && Command::new("taskset")
            .args(["-a", "-p", "-c", "0", &std::process::id().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    let cpu = pinned.then_some(cpus - 1)?;
    PINNED.set(cpu).ok()?;
    Some(cpu)
}

/// Two builds on every payload, round by round (see the module docs): over
/// stdio, then over HTTP with one client.
fn paired(gateway: SocketAddr, cases: &[Case], other: &str) {
    let per_round = CALLS / ROUNDS;
    println!(
        "paired run, {ROUNDS} rounds of {per_round} calls on each server, one request in flight"
    );
    println!("  A = {}\n  B = {other}", binary());
    match pin_harness() {
        Some(cpu) => println!("  servers on processor {cpu}, gateway and clients on processor 0"),
        None => println!("  unpinned (one processor, or no `taskset`): expect more spread"),
    }
    let header = || {
        println!(
            "  {:<16} {:>10} {:>10} {:>8} {:>10} {:>10} {:>8}",
            "payload", "A CPU/call", "B CPU/call", "B/A", "A p50", "B p50", "B/A"
        );
    };
    println!("stdio");
    header();
    for case in cases {
        let mut servers = [
            ready(Stdio_::spawn(gateway), case),
            ready(Stdio_::spawn_binary(other, gateway), case),
        ];
        let pids = [servers[0].child.id(), servers[1].child.id()];
        alternate(case, pids, |k, n| {
            servers[k].roundtrip(&call_line(1_000_000 + n, case));
        });
    }
    println!("http (stateless 2026-07-28, API key), 1 client");
    header();
    for case in cases {
        let (servers, request, mut conns) = http_pair(gateway, other, case, WARMUP);
        let pids = [servers[0].0.id(), servers[1].0.id()];
        alternate(case, pids, |k, _| {
            conns[k].send(&request[k]);
        });
    }
}

/// This checkout's build (or `SMARTALEX_MCP_BIN`) and `other` in cloud
/// mode, each with its request for `case` and a connection on which
/// `warmup` calls were answered and checked.
fn http_pair(
    gateway: SocketAddr,
    other: &str,
    case: &Case,
    warmup: usize,
) -> ([Http; 2], [Vec<u8>; 2], [Conn; 2]) {
    let servers = [
        start_http_binary(&binary(), gateway),
        start_http_binary(other, gateway),
    ];
    let requests = [http_call(servers[0].1, case), http_call(servers[1].1, case)];
    let mut conns = [Conn::open(servers[0].1), Conn::open(servers[1].1)];
    for (conn, request) in conns.iter_mut().zip(&requests) {
        for _ in 0..warmup {
            assert_eq!(conn.send(request), 200);
            check(&conn.body, case);
        }
    }
    (servers, requests, conns)
}

/// Two builds under the 64-client load on `case`, unpinned as in a full
/// run (before [`paired`] pins anything): [`LOAD_ROUNDS`] rounds, each a
/// short load on one server then on the other (which goes first
/// alternating); prints each build's median calls/s, p99 and CPU per call
/// over the rounds, and the medians of the per-round ratios B/A.
fn paired_load(gateway: SocketAddr, case: &Case, other: &str) {
    let (servers, requests, _) = http_pair(gateway, other, case, 1);
    /// One round on one server: calls/s, p99 in ms, CPU µs per call.
    type Round = (f64, f64, f64);
    let mut figures: [Vec<Round>; 2] = Default::default();
    for round in 0..LOAD_ROUNDS {
        for k in [round % 2, 1 - round % 2] {
            let (rate, _, p99, cpu) = load_for(
                servers[k].1,
                &requests[k],
                CLIENTS,
                servers[k].0.id(),
                LOAD_ROUND_WARMUP,
                LOAD_ROUND,
            );
            figures[k].push((rate, us(p99) / 1e3, cpu));
        }
    }
    let of = |k: usize, pick: fn(&Round) -> f64| median(figures[k].iter().map(pick).collect());
    let ratio = |pick: fn(&Round) -> f64| {
        let rounds = figures[0].iter().zip(&figures[1]);
        median(rounds.map(|(a, b)| pick(b) / pick(a)).collect())
    };
    println!(
        "paired load, {LOAD_ROUNDS} rounds of {} ms on each server, {CLIENTS} clients, {}, unpinned",
        LOAD_ROUND.as_millis(),
        case.label
    );
    println!("  A = {}\n  B = {other}", binary());
    println!("  {:<10} {:>12} {:>12} {:>8}", "median", "A", "B", "B/A");
    /// A figure's label, where it is in a round's figures, and how it prints.
    type Row = (&'static str, fn(&Round) -> f64, fn(f64) -> String);
    let rows: [Row; 3] = [
        ("calls/s", |f| f.0, |v| format!("{v:.0}")),
        ("p99", |f| f.1, |v| format!("{v:.2}ms")),
        ("CPU/call", |f| f.2, |v| format!("{v:.1}µs")),
    ];
    for (label, pick, show) in rows {
        println!(
            "  {label:<10} {:>12} {:>12} {:>8.3}",
            show(of(0, pick)),
            show(of(1, pick)),
            ratio(pick)
        );
    }
}

/// [`ROUNDS`] rounds of a block of calls on each of two servers (`call(k,
/// n)` makes call `n` on server `k`), which goes first alternating; prints
/// each one's CPU per call and call p50, and the medians of the per-round
/// ratios B/A.
fn alternate(case: &Case, pids: [u32; 2], mut call: impl FnMut(usize, usize)) {
    let per_round = CALLS / ROUNDS;
    let mut cpu = [0u64; 2];
    let mut lat: [Vec<Duration>; 2] = Default::default();
    let (mut cpu_ratios, mut p50_ratios) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let mut this = [(0u64, Duration::ZERO); 2];
        for k in [round % 2, 1 - round % 2] {
            let cpu0 = cpu_ns(pids[k]);
            let mut block = Vec::with_capacity(per_round);
            for i in 0..per_round {
                let t = Instant::now();
                call(k, round * per_round + i);
                block.push(t.elapsed());
            }
            let spent = cpu_ns(pids[k]) - cpu0;
            cpu[k] += spent;
            block.sort();
            this[k] = (spent, percentile(&block, 0.5));
            lat[k].extend(block);
        }
        cpu_ratios.push(this[1].0 as f64 / this[0].0.max(1) as f64);
        p50_ratios.push(us(this[1].1) / us(this[0].1).max(f64::MIN_POSITIVE));
    }
    let per_call = |k: usize| cpu[k] as f64 / 1e3 / (per_round * ROUNDS) as f64;
    let p50 = |k: usize| {
        let mut all = lat[k].clone();
        all.sort();
        us(percentile(&all, 0.5))
    };
    println!(
        "  {:<16} {:>8.1}µs {:>8.1}µs {:>8.3} {:>8.1}µs {:>8.1}µs {:>8.3}",
        case.label,
        per_call(0),
        per_call(1),
        median(cpu_ratios),
        p50(0),
        p50(1),
        median(p50_ratios)
    );
}

/// The same calls through the zero-work relay, answering with as many
/// bytes as the server did.
fn relay_case(gateway: SocketAddr, case: &Case, answer_len: usize) -> Figures {
    let mut s = Stdio_::relay(gateway, case, answer_len);
    for i in 0..WARMUP {
        assert_eq!(s.roundtrip(&call_line(10 + i, case)).len(), answer_len);
    }
    measure(s, case)
}

/// [`CALLS`] timed calls on a warmed-up process.
fn measure(mut s: Stdio_, case: &Case) -> Figures {
    let pid = s.child.id();
    let (cpu0, ticks0) = (cpu_ns(pid), cpu_ticks(pid));
    let mut lat = Vec::with_capacity(CALLS);
    let (mut bytes_in, mut bytes_out) = (0, 0);
    for i in 0..CALLS {
        let line = call_line(1_000_000 + i, case);
        let t = Instant::now();
        let reply = s.roundtrip(&line);
        lat.push(t.elapsed());
        (bytes_in, bytes_out) = (line.len(), reply.len());
    }
    let cpu = cpu_ns(pid) - cpu0;
    let ticks = cpu_ticks(pid);
    let (user, sys) = (ticks.0 - ticks0.0, ticks.1 - ticks0.1);
    let cpu_us = cpu as f64 / 1e3 / CALLS as f64;
    lat.sort();
    Figures {
        p50: percentile(&lat, 0.5),
        p99: percentile(&lat, 0.99),
        cpu_us,
        sys_us: (user + sys >= SPLIT_TICKS).then(|| cpu_us * sys as f64 / (user + sys) as f64),
        bytes_in,
        bytes_out,
        rss_kib: peak_rss_kib(pid),
        anon_kib: status_kib(pid, "RssAnon:"),
    }
}

struct Http(Child, SocketAddr);

impl Drop for Http {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_http(gateway: SocketAddr) -> Http {
    start_http_binary(&binary(), gateway)
}

/// `binary`'s cloud mode, on the paired run's processor if there is one.
fn start_http_binary(binary: &str, gateway: SocketAddr) -> Http {
    let mut command = pinned(binary);
    let mut child = command
        .args([
            "http",
            "--listen",
            "127.0.0.1:0",
            "--rate-limit",
            "0",
            "--public-rate-limit",
            "0",
        ])
        .env("SMARTALEX_API_URL", format!("http://{gateway}"))
        .env_remove("SMARTALEX_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("server exited").unwrap();
        if let Some(rest) = line.split("serving MCP at http://").nth(1) {
            break rest.split('/').next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Http(child, url.parse().unwrap())
}

fn http_call(addr: SocketAddr, case: &Case) -> Vec<u8> {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"{}","arguments":{},"_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{{}},"io.modelcontextprotocol/clientInfo":{{"name":"bench","version":"0"}}}}}}}}"#,
        case.tool, case.arguments
    );
    format!(
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMcp-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: {}\r\nContent-Length: {}\r\n\r\n{body}",
        case.tool,
        body.len()
    )
    .into_bytes()
}

/// One client, sequential calls: p50, p99, CPU µs per call.
fn http_sequential(server: &Http, case: &Case) -> (Duration, Duration, f64) {
    let request = http_call(server.1, case);
    let mut conn = Conn::open(server.1);
    for _ in 0..WARMUP {
        assert_eq!(conn.send(&request), 200);
        check(&conn.body, case);
    }
    let cpu0 = cpu_ns(server.0.id());
    let mut lat = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let t = Instant::now();
        conn.send(&request);
        lat.push(t.elapsed());
    }
    let cpu = cpu_ns(server.0.id()) - cpu0;
    lat.sort();
    (
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        cpu as f64 / 1e3 / CALLS as f64,
    )
}

/// `clients` threads, each one keep-alive connection, for LOAD_RUN:
/// calls/s, p50, p99, CPU µs per call.
fn http_load(server: &Http, case: &Case, clients: usize) -> (f64, Duration, Duration, f64) {
    load(server.1, &http_call(server.1, case), clients, server.0.id())
}

/// `clients` threads sending `request` to `addr` on keep-alive connections
/// for LOAD_RUN: calls/s, p50, p99, and CPU µs per call of process `pid`.
fn load(
    addr: SocketAddr,
    request: &[u8],
    clients: usize,
    pid: u32,
) -> (f64, Duration, Duration, f64) {
    load_for(addr, request, clients, pid, LOAD_WARMUP, LOAD_RUN)
}

/// [`load`], warming up for `warmup` and measuring for `run`.
fn load_for(
    addr: SocketAddr,
    request: &[u8],
    clients: usize,
    pid: u32,
    warmup: Duration,
    run: Duration,
) -> (f64, Duration, Duration, f64) {
    let stop = Arc::new(AtomicBool::new(false));
    let measuring = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (stop, measuring, failures) = (stop.clone(), measuring.clone(), failures.clone());
            let request = request.to_vec();
            std::thread::spawn(move || {
                let mut conn = Conn::open(addr);
                let mut out = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let status = conn.send(&request);
                    let took = t.elapsed();
                    if status != 200 {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                    if measuring.load(Ordering::Relaxed) {
                        out.push(took);
                    }
                }
                out
            })
        })
        .collect();
    std::thread::sleep(warmup);
    let cpu0 = cpu_ns(pid);
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    std::thread::sleep(run);
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    let cpu = cpu_ns(pid) - cpu0;
    stop.store(true, Ordering::Relaxed);
    let mut all: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(
        failures.load(Ordering::Relaxed),
        0,
        "calls failed under load"
    );
    all.sort();
    let n = all.len() as f64;
    (
        n / elapsed.as_secs_f64(),
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        cpu as f64 / 1e3 / n,
    )
}

/// The floor under any server built as this one is, run as a child of this
/// benchmark: rmcp serving the server's own stdio transport
/// ([`smartalex_mcp::stdio::stdio`]) on a current-thread runtime, as the
/// server does, with one tool that answers every call at once with a text
/// of `len` bytes: no arguments checked, no gateway, nothing logged. What
/// the server costs beyond it on a call that reads no route is its own.
fn rmcp_floor(len: usize) {
    use rmcp::model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ServerCapabilities,
        ServerConfig,
    };
    use rmcp::service::{RequestContext, RoleServer};
    use rmcp::{ErrorData, ServerHandler, ServiceExt};

    struct Floor(String);
    impl ServerHandler for Floor {
        fn get_info(&self) -> ServerConfig {
            ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
        }
        async fn call_tool(
            &self,
            _request: CallToolRequestParams,
            _context: RequestContext<RoleServer>,
        ) -> Result<CallToolResponse, ErrorData> {
            Ok(CallToolResult::error(vec![ContentBlock::text(self.0.clone())]).into())
        }
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let running = Floor("x".repeat(len))
                .serve(smartalex_mcp::stdio::stdio())
                .await
                .unwrap();
            let _ = running.waiting().await;
        });
}

/// The floor under any stdio server of these answers, run as a child of
/// this benchmark: a process that does no work at all. For each line on
/// stdin it sends the same keep-alive GET as [`direct`] (blocking, over a
/// raw socket), reads the whole answer, and writes a line as long as the
/// server's answer (for a call that reads no route, it only writes). What
/// the server costs beyond it is its own work.
fn relay(spec: &str) {
    let mut parts = spec.split(' ');
    let gateway: SocketAddr = parts.next().unwrap().parse().unwrap();
    let route = parts.next().unwrap();
    let answer_len: usize = parts.next().unwrap().parse().unwrap();
    let mut answer = vec![b'x'; answer_len - 1];
    answer.push(b'\n');
    let mut conn = (route != NO_ROUTE).then(|| Conn::open(gateway));
    let request = get_request(gateway, route);
    let mut stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        if stdin.read_until(b'\n', &mut line).unwrap() == 0 {
            return;
        }
        if let Some(conn) = &mut conn {
            conn.send(&request);
        }
        stdout.write_all(&answer).unwrap();
        stdout.flush().unwrap();
    }
}

fn main() {
    if let Ok(spec) = std::env::var(RELAY_ENV) {
        return relay(&spec);
    }
    if let Ok(len) = std::env::var(RMCP_ENV) {
        return rmcp_floor(len.parse().unwrap());
    }
    let gateway = start_gateway();
    let cases = cases();
    if std::env::var_os(COUNT_ENV).is_some() {
        return count(gateway, &cases, std::env::var(VS_ENV).ok().as_deref());
    }
    if let Ok(other) = std::env::var(VS_ENV) {
        paired_load(gateway, &cases[1], &other);
        return paired(gateway, &cases, &other);
    }
    // The 25-contact page: the floors' route and the 64-client load's call.
    let page = &cases[1];
    let page_route = page.route.as_deref().expect("the page reads a route");
    println!("smartalex-mcp payload benchmark: {}", binary());
    println!("stdio, {CALLS} sequential calls per payload, one request in flight");
    println!(
        "  {:<16} {:>7} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>9} {:>9}",
        "payload",
        "gw B",
        "in B",
        "call p50",
        "call p99",
        "GET p50",
        "GET p99",
        "ovh p50",
        "ovh p99",
        "CPU/call",
        "of it sys",
        "out B",
        "peak RSS",
        "of it anon"
    );
    let mut growth = Vec::new();
    let mut answers = Vec::new();
    for case in &cases {
        let (b50, b99, gw_bytes) = baseline(gateway, case);
        let f = stdio_case(gateway, case);
        let (o50, o99) = (us(f.p50) - us(b50), us(f.p99) - us(b99));
        println!(
            "  {:<16} {:>7} {:>5} {:>7.1}µs {:>7.1}µs {:>7.1}µs {:>7.1}µs {:>7.1}µs {:>7.1}µs {:>6.1}µs {:>8} {:>8} {:>5.1} MiB {:>5.1} MiB",
            case.label,
            gw_bytes,
            f.bytes_in,
            us(f.p50),
            us(f.p99),
            us(b50),
            us(b99),
            o50,
            o99,
            f.cpu_us,
            sys_column(f.sys_us),
            f.bytes_out,
            f.rss_kib as f64 / 1024.0,
            f.anon_kib as f64 / 1024.0
        );
        if case.tool == "smartalex_list_contacts" {
            growth.push((gw_bytes, o50, f.cpu_us));
        }
        answers.push((f.bytes_out, f.cpu_us));
    }
    print_growth("growth", &growth);

    println!(
        "  floor: a zero-work relay of the same bytes (reads the line, the same raw keep-alive GET, writes as many bytes back)"
    );
    let mut relay_growth = Vec::new();
    for (case, (answer_len, server_cpu)) in cases.iter().zip(&answers) {
        // A baseline of its own, measured next to it: the machine drifts.
        let (b50, b99, gw_bytes) = baseline(gateway, case);
        let f = relay_case(gateway, case, *answer_len);
        let o50 = us(f.p50) - us(b50);
        println!(
            "  {:<16} overhead p50 {:>7.1}µs p99 {:>7.1}µs, CPU/call {:>6.1}µs (of it sys {}): the server's own work is {:>6.1}µs",
            case.label,
            o50,
            us(f.p99) - us(b99),
            f.cpu_us,
            sys_column(f.sys_us),
            server_cpu - f.cpu_us
        );
        if case.tool == "smartalex_list_contacts" {
            relay_growth.push((gw_bytes, o50, f.cpu_us));
        }
    }
    print_growth("relay growth", &relay_growth);
    // Under the call that reads no route: rmcp alone, on the same transport.
    let refused = cases
        .iter()
        .zip(&answers)
        .find(|(case, _)| case.route.is_none());
    if let Some((case, (answer_len, server_cpu))) = refused {
        let mut s = Stdio_::rmcp(*answer_len);
        s.open_session();
        for i in 0..WARMUP {
            let reply = s.roundtrip(&call_line(10 + i, case));
            assert!(reply.contains("\"isError\":true"), "{reply}");
        }
        let f = measure(s, case);
        println!(
            "  floor: a bare rmcp server on the same stdio transport, answering `{}` at once with {} bytes of text: call p50 {:.1}µs p99 {:.1}µs, CPU/call {:.1}µs (of it sys {}): the server's own work on `{}` is {:.1}µs",
            case.tool,
            answer_len,
            us(f.p50),
            us(f.p99),
            f.cpu_us,
            sys_column(f.sys_us),
            case.label,
            server_cpu - f.cpu_us
        );
    }
    let page_json = payloads::contact_page(25);
    println!(
        "  floor: checking that the {}-byte 25-contact page is JSON (serde_json, into `IgnoredAny`) costs {:.1}µs of CPU; parsing it into a `Value` {:.1}µs",
        page_json.len(),
        parse_floor::<serde::de::IgnoredAny>(&page_json),
        parse_floor::<serde_json::Value>(&page_json)
    );
    println!(
        "  floor: a bare reqwest GET of {} costs its thread {:.1}µs of CPU per call",
        page_route,
        reqwest_floor(gateway, page_route)
    );

    let mut starts = Vec::new();
    for _ in 0..SPAWNS {
        let t = Instant::now();
        let mut s = Stdio_::spawn(gateway);
        let reply = s.initialize();
        starts.push(t.elapsed());
        assert!(reply.contains("\"protocolVersion\""), "{reply}");
    }
    starts.sort();
    println!(
        "  cold start, spawn -> initialize result: p50 {:.2} ms, p90 {:.2} ms",
        us(percentile(&starts, 0.5)) / 1e3,
        us(percentile(&starts, 0.9)) / 1e3
    );

    println!("http (stateless 2026-07-28, API key), 1 client, {CALLS} calls per payload");
    let server = start_http(gateway);
    for case in &cases {
        let (b50, _, _) = baseline(gateway, case);
        let (p50, p99, cpu) = http_sequential(&server, case);
        println!(
            "  {:<16} call p50 {:>7.1}µs p99 {:>7.1}µs, overhead p50 {:>7.1}µs, CPU/call {:>6.1}µs",
            case.label,
            us(p50),
            us(p99),
            us(p50) - us(b50),
            cpu
        );
    }
    let (rate, p50, p99, cpu) = http_load(&server, page, CLIENTS);
    println!(
        "http, {CLIENTS} clients, {} for {} s: {rate:.0} calls/s, p50 {:.2} ms, p99 {:.2} ms, CPU/call {cpu:.1}µs",
        page.label,
        LOAD_RUN.as_secs(),
        us(p50) / 1e3,
        us(p99) / 1e3
    );
    let (rate, p50, p99, _) = load(
        gateway,
        &get_request(gateway, page_route),
        CLIENTS,
        std::process::id(),
    );
    println!(
        "  floor: {CLIENTS} clients GET {} from the gateway itself, no MCP server: {rate:.0} calls/s, p50 {:.2} ms, p99 {:.2} ms",
        page_route,
        us(p50) / 1e3,
        us(p99) / 1e3
    );
}

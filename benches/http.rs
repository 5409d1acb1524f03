//! Cloud mode's throughput and latency, against a loopback gateway.
//!
//! `cargo bench --bench http` (release build). Starts the real binary as
//! `smartalex-mcp http` (rate limits off) in front of an in-process axum
//! gateway answering with fixed bytes, then runs 1, 16 and 64 concurrent
//! clients for a few seconds each. Every client is a thread with one
//! keep-alive HTTP/1.1 connection sending 2026-07-28 stateless
//! `tools/call smartalex_list_contacts` requests, one at a time, with an API
//! key. Prints calls/s and p50/p99 per level, and the p50 of a direct
//! keep-alive GET of the same gateway route for comparison.
//!
//! Clients, server and gateway share the machine's cores, so the figures
//! are what one box does end to end, not the server alone.

#![allow(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const KEY: &str = "sa_test_benchmarkbenchmark0001";
const LEVELS: &[usize] = &[1, 16, 64];
const WARMUP: Duration = Duration::from_millis(500);
const RUN: Duration = Duration::from_secs(4);

#[path = "support/gateway.rs"]
mod gateway;
use gateway::start_gateway;

/// One keep-alive connection: send `request`, read one response, repeat.
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

    /// Round trip; returns the status.
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

fn tool_call(addr: SocketAddr) -> Vec<u8> {
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"smartalex_list_contacts","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"0"}}}}"#;
    format!(
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMcp-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: smartalex_list_contacts\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn direct_get(addr: SocketAddr) -> Vec<u8> {
    format!("GET /contacts HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {KEY}\r\nAccept: application/json\r\n\r\n").into_bytes()
}

/// `clients` threads hammering `addr` with `request` for WARMUP + RUN;
/// returns the latencies measured during RUN and its length.
fn load(
    addr: SocketAddr,
    request: &[u8],
    clients: usize,
    check: fn(&[u8]),
) -> (Vec<Duration>, Duration) {
    let stop = Arc::new(AtomicBool::new(false));
    let measuring = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (stop, measuring, request) = (stop.clone(), measuring.clone(), request.to_vec());
            std::thread::spawn(move || {
                let mut conn = Conn::open(addr);
                let mut out = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let status = conn.send(&request);
                    let took = t.elapsed();
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&conn.body));
                    if measuring.load(Ordering::Relaxed) {
                        out.push(took);
                    }
                    check(&conn.body);
                }
                out
            })
        })
        .collect();
    std::thread::sleep(WARMUP);
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    std::thread::sleep(RUN);
    measuring.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut all: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    all.sort();
    (all, elapsed)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(gateway: SocketAddr) -> (Server, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smartalex-mcp"))
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
    (Server(child), url.parse().unwrap())
}

fn main() {
    let gateway = start_gateway();
    let (_server, addr) = start_server(gateway);

    let (direct, _) = load(gateway, &direct_get(gateway), 1, |_| {});
    let d50 = percentile(&direct, 0.5);
    println!(
        "smartalex-mcp http benchmark (stateless tools/call smartalex_list_contacts, {} s per level)",
        RUN.as_secs()
    );
    println!(
        "  direct GET /contacts, 1 client:  p50 {:.1} µs, p99 {:.1} µs",
        us(d50),
        us(percentile(&direct, 0.99))
    );
    let request = tool_call(addr);
    for &clients in LEVELS {
        let (lat, elapsed) = load(addr, &request, clients, |body| {
            assert!(memchr(body, b"Ada"), "{}", String::from_utf8_lossy(body));
        });
        let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));
        let rate = lat.len() as f64 / elapsed.as_secs_f64();
        print!(
            "  {clients:>2} client{}: {rate:>8.0} calls/s, p50 {:>7.1} µs, p99 {:>7.1} µs",
            if clients == 1 { " " } else { "s" },
            us(p50),
            us(p99)
        );
        if clients == 1 {
            print!("  (p50 {:+.1} µs over direct)", us(p50) - us(d50));
        }
        println!();
    }
}

fn memchr(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

//! The stdio server's speed and memory, against a loopback gateway.
//!
//! `cargo bench --bench stdio` (release build). Prints, for the real binary:
//!
//! - cold start: spawn → `initialize` result, median and p90 of 30 spawns;
//! - MCP-layer overhead per `tools/call`: the round-trip time of a
//!   sequential `smartalex_list_contacts` call over stdio minus that of a
//!   direct HTTP/1.1 keep-alive GET of the same route on the same gateway,
//!   p50 and p99 over 2,000 calls each;
//! - peak RSS (VmHWM) of the server after those calls.
//!
//! The direct baseline is a raw-socket HTTP client, the leanest possible, so
//! the overhead figure is conservative: it includes reqwest's own cost.
//! The gateway is an in-process axum server answering with fixed bytes.

#![allow(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

const CALLS: usize = 2_000;
const WARMUP: usize = 200;
const SPAWNS: usize = 30;
const KEY: &str = "sa_test_benchmarkbenchmark0001";

#[path = "support/gateway.rs"]
mod gateway;
use gateway::start_gateway;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Sequential keep-alive GETs over one raw socket.
fn direct(addr: SocketAddr, n: usize) -> Vec<Duration> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    let request = format!(
        "GET /contacts HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {KEY}\r\nAccept: application/json\r\n\r\n"
    );
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        stream.write_all(request.as_bytes()).unwrap();
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        out.push(t.elapsed());
    }
    out
}

struct Server {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Server {
    fn spawn(gateway: SocketAddr) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_smartalex-mcp"))
            .env("SMARTALEX_API_URL", format!("http://{gateway}"))
            .env("SMARTALEX_API_KEY", KEY)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Self {
            child,
            stdin,
            stdout,
        }
    }

    fn roundtrip(&mut self, line: &str) -> String {
        self.stdin.write_all(line.as_bytes()).unwrap();
        self.stdin.flush().unwrap();
        let mut reply = String::new();
        self.stdout.read_line(&mut reply).unwrap();
        reply
    }

    fn initialize(&mut self) -> String {
        self.roundtrip("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"bench\",\"version\":\"0\"}}}\n")
    }

    fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn main() {
    let gateway = start_gateway();

    // Cold start.
    let mut starts = Vec::new();
    for _ in 0..SPAWNS {
        let t = Instant::now();
        let mut s = Server::spawn(gateway);
        let reply = s.initialize();
        starts.push(t.elapsed());
        assert!(reply.contains("\"protocolVersion\""), "{reply}");
    }
    starts.sort();

    // Overhead per call.
    direct(gateway, WARMUP);
    let mut base = direct(gateway, CALLS);
    base.sort();
    let mut s = Server::spawn(gateway);
    s.initialize();
    let rss_init = s.peak_rss_kib();
    s.roundtrip("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n");
    let call = |id: usize| {
        format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"tools/call\",\"params\":{{\"name\":\"smartalex_list_contacts\",\"arguments\":{{}}}}}}\n"
        )
    };
    let mut rss_first = 0;
    for i in 0..WARMUP {
        let reply = s.roundtrip(&call(10 + i));
        assert!(reply.contains("Ada"), "{reply}");
        if i == 0 {
            rss_first = s.peak_rss_kib();
        }
    }
    let mut calls = Vec::with_capacity(CALLS);
    for i in 0..CALLS {
        let line = call(1_000 + i);
        let t = Instant::now();
        let reply = s.roundtrip(&line);
        calls.push(t.elapsed());
        assert!(!reply.contains("isError\":true"), "{reply}");
    }
    calls.sort();
    let rss = s.peak_rss_kib();

    let (b50, b99) = (percentile(&base, 0.50), percentile(&base, 0.99));
    let (c50, c99) = (percentile(&calls, 0.50), percentile(&calls, 0.99));
    println!("smartalex-mcp stdio benchmark ({CALLS} sequential calls, {SPAWNS} spawns)");
    println!(
        "  cold start, spawn -> initialize result: p50 {:.2} ms, p90 {:.2} ms",
        us(percentile(&starts, 0.5)) / 1e3,
        us(percentile(&starts, 0.9)) / 1e3
    );
    println!(
        "  direct HTTP GET /contacts:              p50 {:.1} µs, p99 {:.1} µs",
        us(b50),
        us(b99)
    );
    println!(
        "  tools/call smartalex_list_contacts:     p50 {:.1} µs, p99 {:.1} µs",
        us(c50),
        us(c99)
    );
    println!(
        "  MCP-layer overhead per call:            p50 {:.1} µs, p99 {:.1} µs",
        us(c50) - us(b50),
        us(c99) - us(b99)
    );
    println!(
        "  peak RSS: after initialize {:.1} MiB, after 1 call {:.1} MiB, after {} calls {:.1} MiB",
        rss_init as f64 / 1024.0,
        rss_first as f64 / 1024.0,
        CALLS + WARMUP,
        rss as f64 / 1024.0
    );
}

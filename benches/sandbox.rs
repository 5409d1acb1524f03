//! Sandbox benchmarks: `cargo bench --bench sandbox` (release build).
//!
//! * `sandbox_bench_throughput` — a mixed load (70% list, 20% get, 10% create)
//!   from 32 keep-alive connections for 5 s against a file database, on the
//!   same two cores as the sandbox itself (so the figure is conservative).
//! * `sandbox_bench_startup` — `sandbox::start` on an existing database, the
//!   cost `smartalex-mcp --sandbox` pays before serving.

#![allow(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use smartalex_sandbox::{self as sandbox, Db, SandboxOptions};

fn options(db: &std::path::Path) -> SandboxOptions {
    SandboxOptions {
        rate_limit_per_min: u32::MAX,
        allow_private_urls: false,
        ..SandboxOptions::new(Db::Path(db.to_path_buf()))
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn sandbox_bench_throughput() {
    let dir = tempfile::tempdir().expect("tempdir");
    let running = sandbox::start(
        "127.0.0.1:0".parse().expect("addr"),
        options(&dir.path().join("bench.db")),
    )
    .await
    .expect("start");
    let key = running
        .create_key(sandbox::KeySpec::owner("bench"))
        .await
        .expect("key");
    let base = running.url();
    let http = smartalex::http_client()
        .no_proxy()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let mut ids = Vec::new();
    for i in 0..100 {
        let c: Value = http
            .post(format!("{base}/contacts"))
            .bearer_auth(&key)
            .json(&json!({"first_name": format!("Seed{i}"), "phone": "+14155550123"}))
            .send()
            .await
            .expect("seed")
            .json()
            .await
            .expect("json");
        ids.push(c["id"].as_str().expect("id").to_owned());
    }
    let ids = Arc::new(ids);
    let errors = Arc::new(AtomicU64::new(0));
    let run_for = Duration::from_secs(5);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..32u64 {
        let (http, key, base, ids, errors) = (
            http.clone(),
            key.clone(),
            base.clone(),
            ids.clone(),
            errors.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = worker;
            while start.elapsed() < run_for {
                n = n
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let roll = (n >> 33) % 10;
                let t = Instant::now();
                let req = match roll {
                    0 => http
                        .post(format!("{base}/contacts"))
                        .json(&json!({"first_name": "Load", "tags": ["bench"]})),
                    1 | 2 => http.get(format!(
                        "{base}/contacts/{}",
                        ids[(n >> 40) as usize % ids.len()]
                    )),
                    _ => http.get(format!("{base}/contacts?per_page=10")),
                };
                match req.bearer_auth(&key).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("worker"));
    }
    let elapsed = start.elapsed();
    all.sort();
    println!(
        "sandbox throughput: {} requests in {:.2}s = {:.0} req/s (70% list, 20% get, 10% create; 32 connections); p50 {:?}, p99 {:?}; errors {}",
        all.len(),
        elapsed.as_secs_f64(),
        all.len() as f64 / elapsed.as_secs_f64(),
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        errors.load(Ordering::Relaxed)
    );
    assert_eq!(errors.load(Ordering::Relaxed), 0);
}

async fn sandbox_bench_startup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("existing.db");
    let first = Instant::now();
    drop(
        sandbox::start("127.0.0.1:0".parse().expect("addr"), options(&db))
            .await
            .expect("create"),
    );
    let create = first.elapsed();
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let running = sandbox::start("127.0.0.1:0".parse().expect("addr"), options(&db))
            .await
            .expect("start");
        times.push(t.elapsed());
        assert!(!running.database_created());
    }
    times.sort();
    println!(
        "sandbox start-up on an existing database: median {:?}, max {:?} (creating + seeding a new one: {create:?})",
        percentile(&times, 0.5),
        times[times.len() - 1]
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(sandbox_bench_throughput());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(sandbox_bench_startup());
}

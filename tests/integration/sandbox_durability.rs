//! Durability and concurrency: acknowledged writes survive `kill -9` of the
//! sandbox process, and concurrent writers — several connections, two
//! sandboxes on one file, and `sandbox key` from the CLI — lose nothing.
//! Restarts do not pile up keys: every start on a database reuses its
//! embedded key.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use smartalex_sandbox::{Db, SandboxOptions};

use crate::common::stdio::StdioServer;
use crate::sandbox_harness::start_with;

const BIN: &str = env!("CARGO_BIN_EXE_smartalex-mcp");

fn mint(db: &std::path::Path, workspace: &str) -> String {
    let out = Command::new(BIN)
        .args(["sandbox", "key", "--db"])
        .arg(db)
        .args(["--workspace", workspace])
        .output()
        .expect("run sandbox key");
    assert!(
        out.status.success(),
        "sandbox key failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line on stdout: {stdout:?}");
    assert!(lines[0].starts_with("sa_test_"), "{stdout:?}");
    lines[0].to_owned()
}

/// `smartalex-mcp sandbox` on `db`; returns the child and its base URL.
fn serve(db: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args([
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--rate-limit",
            "100000",
            "--db",
        ])
        .arg(db)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sandbox");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("gateway on ").nth(1) {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the sandbox announces its address on stderr");
    (child, url)
}

async fn create(http: &reqwest::Client, url: &str, key: &str, body: Value) -> Value {
    let r = http
        .post(format!("{url}/contacts"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 201);
    r.json().await.expect("json")
}

async fn all_contact_ids(http: &reqwest::Client, url: &str, key: &str) -> (i64, Vec<String>) {
    let mut ids = Vec::new();
    let mut total = 0;
    for page in 1.. {
        let r: Value = http
            .get(format!("{url}/contacts?per_page=100&page={page}"))
            .bearer_auth(key)
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        total = r["total"].as_i64().expect("total");
        let data = r["data"].as_array().expect("data");
        ids.extend(
            data.iter()
                .filter_map(|c| c["id"].as_str().map(str::to_owned)),
        );
        if data.len() < 100 {
            break;
        }
    }
    (total, ids)
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("durable.db");
    let key = mint(&db, "durable");
    let (mut child, url) = serve(&db);
    let http = smartalex::http_client().no_proxy().build().expect("client");
    let mut acknowledged = Vec::new();
    for i in 0..40 {
        let c = create(
            &http,
            &url,
            &key,
            json!({"first_name": format!("Durable{i}")}),
        )
        .await;
        acknowledged.push(c["id"].as_str().expect("id").to_owned());
    }
    let deal: Value = http
        .post(format!("{url}/deals"))
        .bearer_auth(&key)
        .json(&json!({"deal_name": "Last write before the kill", "stage": "offer"}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    child.kill().expect("kill -9"); // SIGKILL on Unix: no shutdown code runs.
    child.wait().expect("reap");
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout)
        .expect("read stdout");
    assert_eq!(stdout, "", "the sandbox never writes to stdout");

    let (mut again, url) = serve(&db);
    let (total, ids) = all_contact_ids(&http, &url, &key).await;
    assert_eq!(total, 40);
    for id in &acknowledged {
        assert!(ids.contains(id), "acknowledged contact {id} survived");
    }
    let deals: Value = http
        .get(format!("{url}/deals"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(deals["data"][0]["id"], deal["id"]);
    assert_eq!(deals["data"][0]["stage"], "offer");
    again.kill().expect("kill");
    again.wait().expect("reap");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_lose_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("shared.db");
    let options = || SandboxOptions {
        rate_limit_per_min: 100_000,
        allow_private_urls: true,
        ..SandboxOptions::new(Db::Path(db.clone()))
    };
    // Two sandboxes on one file stand in for two processes.
    let a = start_with(options()).await;
    let b = start_with(options()).await;
    let key = a.workspace_key("busy").await;
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let url = if worker % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        let key = key.clone();
        let http = a.http.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..25 {
                let c = create(
                    &http,
                    &url,
                    &key,
                    json!({"first_name": format!("W{worker}-{i}")}),
                )
                .await;
                ids.push(c["id"].as_str().expect("id").to_owned());
            }
            ids
        }));
    }
    // Meanwhile the CLI mints keys on the same file.
    let cli_db = db.clone();
    let minted = tokio::task::spawn_blocking(move || {
        (0..3)
            .map(|i| mint(&cli_db, &format!("cli-{i}")))
            .collect::<Vec<_>>()
    });
    let mut written = Vec::new();
    for t in tasks {
        written.extend(t.await.expect("writer"));
    }
    let minted = minted.await.expect("cli");
    let (total, ids) = all_contact_ids(&a.http, &b.base, &key).await;
    assert_eq!(total, 200);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 200);
    assert!(written.iter().all(|id| ids.contains(id)));
    for k in minted {
        let r = a
            .http
            .get(format!("{}/contacts", a.base))
            .bearer_auth(&k)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 200, "a key minted during the load works");
    }
}

/// Desktop clients start the stdio server — and its embedded sandbox — on
/// every health check: every start on one database reuses one key, until it
/// is revoked. `sandbox key` still mints a new key each time.
#[tokio::test]
async fn every_start_on_a_database_reuses_its_embedded_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("health.db");
    let options = |db: Db| SandboxOptions {
        rate_limit_per_min: 100_000,
        ..SandboxOptions::new(db)
    };
    let count = |sql: &str| -> i64 {
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.query_row(sql, [], |r| r.get(0)).expect("count")
    };
    let embedded = "SELECT COUNT(*) FROM api_keys WHERE label = 'embedded'";

    let first = start_with(options(Db::Path(db.clone()))).await;
    let second = start_with(options(Db::Path(db.clone()))).await;
    assert_eq!(second.key, first.key);
    // The binary's own starts, as a client's health checks make them.
    for _ in 0..3 {
        let (mut s, _) =
            StdioServer::initialized(&["--sandbox", "--db", db.to_str().unwrap()], &[]).await;
        let r = s.request("tools/list", json!({})).await;
        assert!(r["result"]["tools"].is_array(), "{r}");
        s.finish().await;
    }
    let cli = [mint(&db, "default"), mint(&db, "default")];
    assert!(cli[0] != cli[1] && !cli.contains(&first.key));
    assert_eq!(count(embedded), 1);
    assert_eq!(count("SELECT COUNT(*) FROM api_keys"), 3);
    second.get("/contacts").await.expect(200);

    // Revoked: the next start mints a new one, and the old one is refused.
    rusqlite::Connection::open(&db)
        .expect("open")
        .execute(
            "UPDATE api_keys SET revoked_at = '2026-01-01T00:00:00.000Z' WHERE label = 'embedded'",
            [],
        )
        .expect("revoke");
    let third = start_with(options(Db::Path(db.clone()))).await;
    assert_ne!(third.key, first.key);
    third
        .send(Some(&first.key), "GET", "/contacts", None)
        .await
        .expect(401);
    third.get("/contacts").await.expect(200);
    let fourth = start_with(options(Db::Path(db.clone()))).await;
    assert_eq!(fourth.key, third.key);
    assert_eq!(count(embedded), 2);
    assert_eq!(count("SELECT COUNT(*) FROM embedded_keys"), 1);

    // `:memory:` is a new database, so a new key, each start.
    let a = start_with(options(Db::Memory)).await;
    let b = start_with(options(Db::Memory)).await;
    assert_ne!(a.key, b.key);
}

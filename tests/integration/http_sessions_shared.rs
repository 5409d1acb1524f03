//! 2025-11-25 sessions across processes: two `smartalex-mcp http` with the
//! same `--redis-url` (a real Redis) in front of one real sandbox gateway.
//!
//! - A session opened on one process is answered by the other, tools and
//!   all, and only for its opener: any other credential gets, on either
//!   process, exactly what a made-up id gets.
//! - Deleted through one process, it is gone on both.
//! - Redis holds a digest of the id and of the owner, never either, and the
//!   record expires once unused (`--session-ttl`), however recently a
//!   process last held it.
//! - Without Redis, a process keeps serving its own sessions to their owner
//!   and answers 503 for the rest: nobody else gets in. When Redis is back,
//!   the processes reconnect by themselves.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::http::{McpHttp, client, in_session, json_from_sse, open_session};
use crate::common::{fenced, redis};
use crate::sandbox_harness;

const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/// A session id nobody was ever given.
const MADE_UP: &str = "6f1c1d3e-0000-4000-8000-000000000000";

/// (status, body as text) of one POST in `session` on `url`.
async fn post(url: &str, key: &str, session: &str, body: Value) -> (u16, String) {
    let r = in_session(&client(), url, key, session)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn message(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| json_from_sse(text))
}

async fn tools_list(url: &str, key: &str, session: &str) -> (u16, String) {
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    post(url, key, session, list).await
}

async fn call(url: &str, key: &str, session: &str, tool: &str, args: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": tool, "arguments": args}});
    let (status, text) = post(url, key, session, body).await;
    assert_eq!(status, 200, "{text}");
    message(&text)["result"].clone()
}

/// The GET stream or a DELETE in `session`: (status, body).
async fn send(method: reqwest::Method, url: &str, key: &str, session: &str) -> (u16, String) {
    let r = crate::common::http::session_request(&client(), method, url, key, session)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    // A GET that was let in is an endless stream: only its status matters.
    let body = if status == 200 {
        String::new()
    } else {
        r.text().await.unwrap()
    };
    (status, body)
}

/// Every key under the session prefix, with its fields and time to live.
async fn stored(url: &str) -> Vec<(String, Vec<(String, String)>, i64)> {
    let client = ::redis::Client::open(url).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg("smartalex-mcp:session:*")
        .query_async(&mut c)
        .await
        .unwrap();
    let mut out = Vec::new();
    for key in keys {
        let fields: Vec<(String, String)> = ::redis::cmd("HGETALL")
            .arg(&key)
            .query_async(&mut c)
            .await
            .unwrap();
        let ttl: i64 = ::redis::cmd("TTL")
            .arg(&key)
            .query_async(&mut c)
            .await
            .unwrap();
        out.push((key, fields, ttl));
    }
    out
}

#[tokio::test]
async fn one_session_is_answered_by_either_process_for_its_opener_only() {
    let sb = sandbox_harness::start().await;
    let owner = sb.workspace_key("Acme").await;
    let colleague = sb.workspace_key("Acme").await;
    let stranger = sb.workspace_key("Bolt").await;
    let redis = tokio::task::spawn_blocking(redis::start).await.unwrap();
    let args = ["--redis-url", redis.url.as_str(), "--confirm-key", KEY];
    let env = [("SMARTALEX_API_URL", sb.base.as_str())];
    let a = McpHttp::start(&args, &env).await;
    let b = McpHttp::start(&args, &env).await;
    let http = client();

    let id = open_session(&http, &a.url, &owner).await;

    // B never saw the session open, and answers it.
    let (status, text) = tools_list(&b.url, &owner, &id).await;
    assert_eq!(status, 200, "{text}");
    let tools = message(&text)["result"]["tools"].as_array().cloned();
    let names: Vec<&str> = tools
        .iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(names.contains(&"smartalex_create_contact"), "{text}");
    let created = call(
        &b.url,
        &owner,
        &id,
        "smartalex_create_contact",
        json!({"first_name": "Rae"}),
    )
    .await;
    assert_eq!(created["isError"], false, "{created}");
    let contact = created["structuredContent"]["id"].as_str().unwrap();
    // And A still does, the same session: it reads what B wrote.
    let got = call(
        &a.url,
        &owner,
        &id,
        "smartalex_get_contact",
        json!({"id": contact}),
    )
    .await;
    assert_eq!(
        got["structuredContent"]["first_name"],
        fenced("Rae"),
        "{got}"
    );

    // Anyone else naming the id gets, on both processes, what a made-up id
    // gets: to a request, to the stream, to a DELETE.
    for server in [&a, &b] {
        let unknown_post = tools_list(&server.url, &stranger, MADE_UP).await;
        assert_eq!(unknown_post.0, 404, "{unknown_post:?}");
        assert_eq!(
            message(&unknown_post.1)["error"]["message"],
            "Not Found: Session not found"
        );
        let get = reqwest::Method::GET;
        let delete = reqwest::Method::DELETE;
        let unknown_get = send(get.clone(), &server.url, &stranger, MADE_UP).await;
        let unknown_delete = send(delete.clone(), &server.url, &stranger, MADE_UP).await;
        assert_eq!(unknown_get.0, 404, "{unknown_get:?}");
        for intruder in [&stranger, &colleague] {
            assert_eq!(tools_list(&server.url, intruder, &id).await, unknown_post);
            assert_eq!(
                send(get.clone(), &server.url, intruder, &id).await,
                unknown_get
            );
            assert_eq!(
                send(delete.clone(), &server.url, intruder, &id).await,
                unknown_delete
            );
        }
    }
    // None of that touched the session.
    assert_eq!(tools_list(&a.url, &owner, &id).await.0, 200);
    assert_eq!(tools_list(&b.url, &owner, &id).await.0, 200);

    // Redis holds digests: neither the session id nor a key, and an expiry.
    let records = stored(&redis.url).await;
    assert_eq!(records.len(), 1, "{records:?}");
    let (key, fields, ttl) = &records[0];
    let dump = format!("{key} {fields:?}");
    for secret in [id.as_str(), &owner, &owner["sa_test_".len()..]] {
        assert!(
            !dump.contains(secret),
            "a secret is stored in clear: {dump}"
        );
    }
    let mut field_names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    field_names.sort_unstable();
    assert_eq!(field_names, ["owner", "state"], "{dump}");
    assert!(
        (3500..=3600).contains(ttl),
        "the default expiry is 1 hour: {ttl}"
    );

    // Deleted through B: gone on both, for the owner too.
    let (status, body) = send(reqwest::Method::DELETE, &b.url, &owner, &id).await;
    assert_eq!(status, 204, "{body}");
    let gone = tools_list(&a.url, &stranger, MADE_UP).await;
    assert_eq!(tools_list(&a.url, &owner, &id).await, gone);
    assert_eq!(tools_list(&b.url, &owner, &id).await, gone);
    assert!(stored(&redis.url).await.is_empty());

    // No process logged the id.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for server in [&a, &b] {
        server.assert_log_omits(&id);
    }
}

#[tokio::test]
async fn an_unused_session_expires_everywhere_and_use_keeps_it() {
    let sb = sandbox_harness::start().await;
    let redis = tokio::task::spawn_blocking(redis::start).await.unwrap();
    let args = ["--redis-url", redis.url.as_str(), "--session-ttl", "2"];
    let env = [("SMARTALEX_API_URL", sb.base.as_str())];
    let a = McpHttp::start(&args, &env).await;
    let b = McpHttp::start(&args, &env).await;
    let id = open_session(&client(), &a.url, &sb.key).await;

    // Used every 700 ms, alternately on each process, for longer than the
    // expiry: still there.
    for i in 0..5 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let url = if i % 2 == 0 { &b.url } else { &a.url };
        let (status, text) = tools_list(url, &sb.key, &id).await;
        assert_eq!(status, 200, "use {i}: {text}");
    }
    // Unused for longer: gone on both, although both held it.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let gone = tools_list(&a.url, &sb.key, MADE_UP).await;
    assert_eq!(gone.0, 404);
    assert_eq!(tools_list(&a.url, &sb.key, &id).await, gone);
    assert_eq!(tools_list(&b.url, &sb.key, &id).await, gone);
}

#[tokio::test]
async fn without_redis_a_process_serves_only_the_sessions_it_holds() {
    let sb = sandbox_harness::start().await;
    let stranger = sb.workspace_key("Bolt").await;
    let redis = tokio::task::spawn_blocking(redis::start).await.unwrap();
    let args = ["--redis-url", redis.url.as_str()];
    let env = [("SMARTALEX_API_URL", sb.base.as_str())];
    let a = McpHttp::start(&args, &env).await;
    let b = McpHttp::start(&args, &env).await;
    let id = open_session(&client(), &a.url, &sb.key).await;
    let port = redis
        .url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches("/0")
        .to_owned();
    drop(redis);

    // A holds it: its owner goes on, nobody else gets in.
    let (status, text) = tools_list(&a.url, &sb.key, &id).await;
    assert_eq!(status, 200, "{text}");
    let made_up = tools_list(&a.url, &stranger, MADE_UP).await;
    assert_eq!(made_up.0, 503, "{made_up:?}");
    assert_eq!(tools_list(&a.url, &stranger, &id).await.0, 404);
    // B cannot tell whose it is: 503 with Retry-After, for anyone.
    for key in [&sb.key, &stranger] {
        let r = in_session(&client(), &b.url, key, &id)
            .json(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "5");
        let body: Value = r.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("session store cannot be reached"),
            "{body}"
        );
    }
    // A new session still opens, in the process that opened it.
    let local = open_session(&client(), &b.url, &sb.key).await;
    assert_eq!(tools_list(&b.url, &sb.key, &local).await.0, 200);
    assert!(
        b.stderr().contains("session store: cannot"),
        "{}",
        b.stderr()
    );

    // Redis is back (empty): the processes reconnect by themselves, and a
    // session opened on one is answered by the other again.
    let dir = tempfile::tempdir().unwrap();
    let _back = Stop(
        std::process::Command::new("redis-server")
            .args(["--port", &port, "--bind", "127.0.0.1", "--save", ""])
            .args(["--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("restart redis-server"),
    );
    let shared = sandbox_harness::eventually(15, "a session shared again", || async {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let id = open_session(&client(), &a.url, &sb.key).await;
        (tools_list(&b.url, &sb.key, &id).await.0 == 200).then_some(id)
    })
    .await;
    assert_eq!(tools_list(&b.url, &stranger, &shared).await.0, 404);
}

/// A process stopped on drop.
struct Stop(std::process::Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

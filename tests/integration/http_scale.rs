//! Several `smartalex-mcp http` processes as one endpoint: 2026-07-28
//! requests land on any of them, and with `--redis-url` (a real Redis) one
//! workspace has one budget across all of them.

use serde_json::json;

use crate::common::http::{McpHttp, call_stateless, client};
use crate::common::{bin, fenced, redis};
use crate::sandbox_harness;

#[tokio::test]
async fn two_processes_share_one_rate_limit_through_redis() {
    let sb = sandbox_harness::start().await;
    let key = sb.workspace_key("Acme").await;
    let other = sb.workspace_key("Bolt").await;
    let redis = tokio::task::spawn_blocking(redis::start).await.unwrap();
    let args = ["--redis-url", redis.url.as_str(), "--rate-limit", "10"];
    let env = [("SMARTALEX_API_URL", sb.base.as_str())];
    let one = McpHttp::start(&args, &env).await;
    let two = McpHttp::start(&args, &env).await;
    let http = client();

    // Round-robin, no session, no stickiness: a contact created through one
    // process is read back through the other.
    let (status, h, created) = call_stateless(
        &http,
        &one.url,
        Some(&key),
        1,
        "tools/call",
        json!({"name": "smartalex_create_contact", "arguments": {"first_name": "Rae"}}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(h["x-ratelimit-remaining"], "9");
    let id = created["result"]["structuredContent"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, h, got) = call_stateless(
        &http,
        &two.url,
        Some(&key),
        2,
        "tools/call",
        json!({"name": "smartalex_get_contact", "arguments": {"id": id}}),
    )
    .await;
    assert_eq!(
        got["result"]["structuredContent"]["first_name"],
        fenced("Rae"),
        "{got}"
    );
    assert_eq!(
        h["x-ratelimit-remaining"], "8",
        "the second process sees the first one's count"
    );

    // Eight more, alternating: the count goes down across both processes.
    for i in 0..8u64 {
        let url = if i % 2 == 0 { &one.url } else { &two.url };
        let (status, h, _) =
            call_stateless(&http, url, Some(&key), 10 + i, "tools/list", json!({})).await;
        assert_eq!(status, 200);
        assert_eq!(h["x-ratelimit-remaining"], (7 - i).to_string().as_str());
    }
    // The budget is spent on both.
    for url in [&one.url, &two.url] {
        let (status, h, body) =
            call_stateless(&http, url, Some(&key), 30, "tools/list", json!({})).await;
        assert_eq!(status, 429, "{body}");
        assert_eq!(body["error"], "Too many requests");
        assert!(h.contains_key("retry-after"));
    }
    // Another workspace is unaffected.
    let (status, _, _) =
        call_stateless(&http, &two.url, Some(&other), 40, "tools/list", json!({})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_unreachable_redis_stops_start_up_with_a_clear_error() {
    let out = tokio::process::Command::new(bin())
        .args([
            "http",
            "--listen",
            "127.0.0.1:0",
            "--redis-url",
            "redis://:s3cret@127.0.0.1:1/0",
        ])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot use Redis at redis://:***@127.0.0.1:1/0"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "the password leaked: {stderr}");
}

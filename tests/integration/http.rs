//! Cloud mode over real sockets: `smartalex-mcp http` in front of a real
//! sandbox gateway, driven with raw HTTP so every status, header and body is
//! checked byte for byte.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::fake_gateway::{FakeGateway, Script};
use crate::common::http::{McpHttp, call_stateless, client, mcp_post};
use crate::common::{TEST_KEY, fenced};
use crate::sandbox_harness;

const NOT_ACCEPTABLE: &str = r#"{"jsonrpc":"2.0","error":{"code":-32000,"message":"Not Acceptable: Client must accept both application/json and text/event-stream"}}"#;

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name)
        .unwrap_or_else(|| panic!("no {name} header in {h:?}"))
        .to_str()
        .unwrap()
}

/// POST an `initialize` with the usual headers, a bearer and one more header.
async fn post_init(
    http: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
    extra: Option<(&str, &str)>,
) -> reqwest::Response {
    let init = json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
        "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"it","version":"0"}}});
    let mut req = mcp_post(http, url, bearer).json(&init);
    if let Some((name, value)) = extra {
        req = req.header(name, value);
    }
    req.send().await.unwrap()
}

fn assert_rate_headers(h: &reqwest::header::HeaderMap, limit: u32) {
    assert_eq!(header(h, "x-ratelimit-limit"), limit.to_string());
    let remaining: u32 = header(h, "x-ratelimit-remaining").parse().unwrap();
    assert!(remaining < limit);
    let reset: u64 = header(h, "x-ratelimit-reset").parse().unwrap();
    assert!((1..=60).contains(&reset), "reset {reset}");
}

#[tokio::test]
async fn http_refusals_have_the_documented_statuses_bodies_and_headers() {
    let sb = sandbox_harness::start().await;
    let server = McpHttp::start(
        &["--public-rate-limit", "8"],
        &[("SMARTALEX_API_URL", &sb.base)],
    )
    .await;
    let http = client();
    let init = json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
        "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"it","version":"0"}}});

    // 406: exactly the error reference's body.
    let r = http
        .post(&server.url)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .json(&init)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 406);
    assert_rate_headers(r.headers(), 8);
    assert_eq!(r.text().await.unwrap(), NOT_ACCEPTABLE);

    // 401 without credentials, pointing at the RFC 9728 metadata.
    let r = mcp_post(&http, &server.url, None)
        .json(&init)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let metadata_url = format!(
        "{}/.well-known/oauth-protected-resource/mcp",
        server.origin()
    );
    assert_eq!(
        header(r.headers(), "www-authenticate"),
        format!("Bearer resource_metadata=\"{metadata_url}\"")
    );
    assert_rate_headers(r.headers(), 8);
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"error":"Authorization required"}"#
    );

    // The metadata names this resource and the gateway's authorization server.
    for url in [
        metadata_url.clone(),
        format!("{}/.well-known/oauth-protected-resource", server.origin()),
    ] {
        let r = http.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        assert_rate_headers(r.headers(), 8);
        let m: Value = r.json().await.unwrap();
        assert_eq!(m["resource"], server.url.as_str());
        assert_eq!(m["authorization_servers"], json!([sb.base]));
        assert_eq!(m["bearer_methods_supported"], json!(["header"]));
    }

    // A valid key: the first sight of it is paid from the IP's verification
    // budget (it is unauthenticated until introspection says otherwise), not
    // from the public one.
    let (status, h, body) = call_stateless(
        &http,
        &server.url,
        Some(&sb.key),
        2,
        "tools/list",
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&h, "x-ratelimit-limit"), "100");

    // 401 for a well-formed key nobody issued, and for garbage.
    for bad in [TEST_KEY, "not-a-token"] {
        let r = post_init(&http, &server.url, Some(bad), None).await;
        assert_eq!(r.status(), 401, "{bad}");
        let challenge = header(r.headers(), "www-authenticate").to_owned();
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{challenge}"
        );
        assert!(challenge.contains(&format!("resource_metadata=\"{metadata_url}\"")));
        assert_eq!(
            r.text().await.unwrap(),
            r#"{"error":"Invalid or expired token."}"#
        );
    }

    // 403 for DNS rebinding (foreign Host) and foreign browser origins, even
    // with a valid key.
    let evil_origin = Some(("origin", "http://evil.example.com"));
    let r = post_init(&http, &server.url, Some(&sb.key), evil_origin).await;
    assert_eq!(r.status(), 403);
    assert_rate_headers(r.headers(), 8);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "Forbidden: Origin header is not allowed"
    );
    let evil_host = Some(("host", "evil.example.com"));
    let r = post_init(&http, &server.url, Some(&sb.key), evil_host).await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "Forbidden: Host header is not allowed"
    );

    // Well-formed credentials not verified yet (the key's first sight and
    // TEST_KEY) paid from the separate verification budget, so the IP's
    // onboarding budget (8) has one request left; then it is spent.
    let r = post_init(&http, &server.url, None, None).await;
    assert_eq!(r.status(), 401);
    assert_eq!(header(r.headers(), "x-ratelimit-remaining"), "0");
    // 429 with the body of the error reference and a Retry-After that
    // agrees with it.
    let r = post_init(&http, &server.url, None, None).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = header(r.headers(), "retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(header(r.headers(), "x-ratelimit-remaining"), "0");
    assert_eq!(header(r.headers(), "x-ratelimit-limit"), "8");
    assert_eq!(
        r.text().await.unwrap(),
        format!(
            r#"{{"error":"Too many requests","message":"Rate limit exceeded. Please try again in {retry} seconds.","retryAfter":{retry}}}"#
        )
    );

    // A known key counts against its workspace, not the exhausted IP.
    let (status, h, body) = call_stateless(
        &http,
        &server.url,
        Some(&sb.key),
        2,
        "tools/list",
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&h, "x-ratelimit-limit"), "100");
    assert_eq!(
        body["result"]["tools"].as_array().unwrap().len(),
        smartalex_mcp::tools::TOOLS.len()
    );

    // Unknown paths are 404, health needs nothing.
    let r = http
        .get(format!("{}/nope", server.origin()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http
        .get(format!("{}/healthz", server.origin()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "ok");

    let log = server.stderr();
    assert!(!log.contains(&sb.key), "the key leaked into the log");
    assert!(!log.contains(TEST_KEY), "a key leaked into the log");
}

#[tokio::test]
async fn http_workspaces_are_isolated_and_limited_separately() {
    let sb = sandbox_harness::start().await;
    let a = sb.workspace_key("Acme").await;
    let b = sb.workspace_key("Bolt").await;
    let server = McpHttp::start(
        &["--rate-limit", "6"],
        &[
            ("SMARTALEX_API_URL", &sb.base),
            ("SMARTALEX_LOG_FORMAT", "json"),
        ],
    )
    .await;
    let http = client();
    let call = |key: &str, id: u64, name: &str, args: Value| {
        let (http, url, key) = (http.clone(), server.url.clone(), key.to_owned());
        let name = name.to_owned();
        async move {
            call_stateless(
                &http,
                &url,
                Some(&key),
                id,
                "tools/call",
                json!({"name": name, "arguments": args}),
            )
            .await
        }
    };

    let (status, _, created) = call(
        &a,
        1,
        "smartalex_create_contact",
        json!({"first_name": "Ada", "last_name": "Lovelace", "phone": "+14155550100"}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let ada = created["result"]["structuredContent"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();

    let (_, _, listed) = call(&b, 2, "smartalex_list_contacts", json!({})).await;
    let names: Vec<&str> = listed["result"]["structuredContent"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["first_name"].as_str())
        .collect();
    assert!(
        !names.contains(&"Ada"),
        "workspace B sees A's contact: {listed}"
    );
    let (_, _, got) = call(&b, 3, "smartalex_get_contact", json!({"id": ada})).await;
    assert_eq!(got["result"]["isError"], true, "{got}");
    let text = got["result"]["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("not found") || text.contains("Not found"),
        "{text}"
    );
    let (_, _, mine) = call(&a, 4, "smartalex_get_contact", json!({"id": ada})).await;
    assert_eq!(
        mine["result"]["structuredContent"]["first_name"],
        fenced("Ada")
    );

    // A has made 2 requests of 6; 4 more pass, the next is refused.
    for id in 10..14 {
        let (status, h, _) = call(&a, id, "smartalex_get_platform_status", json!({})).await;
        assert_eq!(status, 200);
        assert_eq!(header(&h, "x-ratelimit-limit"), "6");
    }
    let (status, h, body) = call(&a, 20, "smartalex_get_platform_status", json!({})).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"], "Too many requests");
    assert!(h.contains_key("retry-after"));
    // B's budget is its own.
    let (status, h, _) = call(&b, 21, "smartalex_get_platform_status", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "x-ratelimit-remaining"), "3");

    // The access log: one JSON object per request, with the workspace and
    // status, and no credential.
    let log = server.stderr();
    let entries: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["fields"]["message"] == "mcp request")
        .collect();
    assert!(entries.len() >= 10, "{log}");
    assert!(entries.iter().any(|e| e["fields"]["status"] == 429));
    assert!(entries.iter().all(|e| {
        e["fields"]["workspace"]
            .as_str()
            .is_some_and(|w| w.len() > 1)
    }));
    assert!(
        !log.contains(&a) && !log.contains(&b),
        "a key leaked into the log"
    );
}

#[tokio::test]
async fn http_bad_input_gets_specific_errors() {
    let sb = sandbox_harness::start().await;
    let server = McpHttp::start(
        &["--max-body-bytes", "65536"],
        &[("SMARTALEX_API_URL", &sb.base)],
    )
    .await;
    let http = client();

    let r = mcp_post(&http, &server.url, Some(&sb.key))
        .header("mcp-protocol-version", "2026-07-28")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], -32700, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Parse error")
    );

    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"x":"{}"}}}}"#,
        "a".repeat(100_000)
    );
    let r = mcp_post(&http, &server.url, Some(&sb.key))
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["jsonrpc"], "2.0", "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("65536"),
        "{body}"
    );

    // Wrong argument types: a tool error naming the path, not a crash.
    let (status, _, body) = call_stateless(
        &http,
        &server.url,
        Some(&sb.key),
        3,
        "tools/call",
        json!({"name": "smartalex_list_contacts", "arguments": {"per_page": "ten"}}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["isError"], true, "{body}");
    assert!(
        body["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("per_page")
    );

    let (_, _, body) = call_stateless(
        &http,
        &server.url,
        Some(&sb.key),
        4,
        "tools/call",
        json!({"name": "smartalex_nope", "arguments": {}}),
    )
    .await;
    assert_eq!(body["error"]["code"], -32602, "{body}");

    // Still serving.
    let (status, _, _) = call_stateless(
        &http,
        &server.url,
        Some(&sb.key),
        5,
        "tools/list",
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn http_shutdown_finishes_calls_in_flight() {
    let gateway = FakeGateway::start(Script::Slow(
        Duration::from_millis(1500),
        Box::new(Script::json(
            200,
            json!({"data": [], "total": 0, "page": 1, "per_page": 20}),
        )),
    ))
    .await;
    let mut server = McpHttp::start(&[], &[("SMARTALEX_API_URL", &gateway.url())]).await;
    let http = client();
    let url = server.url.clone();
    let call = tokio::spawn(async move {
        call_stateless(
            &http,
            &url,
            Some(TEST_KEY),
            1,
            "tools/call",
            json!({"name": "smartalex_list_contacts", "arguments": {}}),
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    let asked = Instant::now();
    let status = server.terminate(Duration::from_secs(20)).await;
    assert!(status.success(), "exit {status:?}\n{}", server.stderr());
    let (code, _, body) = call.await.unwrap();
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["result"]["structuredContent"]["total"], 0, "{body}");
    assert!(
        asked.elapsed() >= Duration::from_millis(900),
        "did not wait for the call"
    );
    // New connections are refused once it has stopped.
    let refused = client()
        .get(format!("{}/healthz", server.origin()))
        .send()
        .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn http_unknown_tokens_pay_from_the_ip_budget_before_introspection() {
    let gateway = FakeGateway::start(Script::json(200, json!({"data": [], "total": 0}))).await;
    let server = McpHttp::start(
        &["--public-rate-limit", "3"],
        &[("SMARTALEX_API_URL", &gateway.url())],
    )
    .await;
    let http = client();
    let token = |i: u32| format!("sa_test_flood{i:04}abcdefgh");
    for i in 0..3 {
        let (status, _, body) = call_stateless(
            &http,
            &server.url,
            Some(&token(i)),
            1,
            "tools/list",
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    // New tokens now find the IP's budget spent: refused before anyone is asked.
    for i in 3..6 {
        let (status, _, body) = call_stateless(
            &http,
            &server.url,
            Some(&token(i)),
            1,
            "tools/list",
            json!({}),
        )
        .await;
        assert_eq!(status, 429, "{body}");
    }
    let introspections = gateway
        .seen()
        .iter()
        .filter(|s| s.uri == "/oauth/introspect")
        .count();
    assert_eq!(introspections, 3);
    // A token already vouched for still works: it counts against its workspace.
    let (status, h, _) = call_stateless(
        &http,
        &server.url,
        Some(&token(0)),
        1,
        "tools/list",
        json!({}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "x-ratelimit-limit"), "100");
}

#[tokio::test]
async fn http_legacy_sessions_open_and_close() {
    let sb = sandbox_harness::start().await;
    let server = McpHttp::start(&[], &[("SMARTALEX_API_URL", &sb.base)]).await;
    let http = client();
    let r = post_init(&http, &server.url, Some(&sb.key), None).await;
    assert_eq!(r.status(), 200);
    let session = header(r.headers(), "mcp-session-id").to_owned();
    let delete = |id: String| {
        http.delete(&server.url)
            .bearer_auth(&sb.key)
            .header("mcp-session-id", id)
            .send()
    };
    assert_eq!(delete(session.clone()).await.unwrap().status(), 204);
    // The session is gone: using it again is an error, not a hang.
    let r = mcp_post(&http, &server.url, Some(&sb.key))
        .header("mcp-session-id", &session)
        .header("mcp-protocol-version", "2025-11-25")
        .json(&json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "{}", r.text().await.unwrap());
}

//! What each protocol era gets on the wire from the HTTP endpoint: every
//! answer that is the request's only message comes as `application/json`,
//! and a client below 2025-11-25 never sees an event without data (the
//! SSE "priming" event that its SDK parses as JSON-RPC and fails on).

use std::time::Duration;

use serde_json::json;

use crate::common::TEST_KEY;
use crate::common::fake_gateway::{FakeGateway, Script};
use crate::common::http::{
    McpHttp, client, in_session_as, is_event_stream, mcp_post, open_session_as,
};

/// The revisions that open sessions with `initialize`.
const SESSION_ERAS: [&str; 3] = ["2025-03-26", "2025-06-18", "2025-11-25"];

fn page() -> Script {
    Script::json(
        200,
        json!({"data": [], "total": 0, "page": 1, "per_page": 25}),
    )
}

/// The gateway's answer to [`long_running_call`].
pub const ADDED: &str =
    r#"{"added":1,"skipped_duplicates":0,"skipped_existing":0,"contact_count":1}"#;

/// A call of the tool that reports progress while it runs (the spec's
/// `long_running`), with valid arguments.
pub fn long_running_call() -> (&'static str, serde_json::Value) {
    let tool = "smartalex_add_contacts_to_campaign";
    let spec = smartalex_mcp::tools::TOOLS
        .iter()
        .find(|t| t.name == tool)
        .unwrap();
    assert!(spec.long_running && spec.confirm.is_none(), "{spec:?}");
    let id = "6f1f7f0e-8d8e-4a36-9a51-0d2c3c1b2a10";
    (tool, json!({"id": id, "contact_ids": [id]}))
}

/// The events of an SSE body, split on blank lines.
fn events(stream: &str) -> Vec<&str> {
    stream
        .split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .collect()
}

/// Whether an event carries no data (a priming event).
fn is_empty_event(event: &str) -> bool {
    !event.starts_with(':')
        && event
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .all(|d| d.trim().is_empty())
}

#[tokio::test]
async fn simple_requests_are_json_in_every_era() {
    let gw = FakeGateway::start(page()).await;
    let server = McpHttp::start(&["--rate-limit", "0"], &[("SMARTALEX_API_URL", &gw.url())]).await;
    let http = client();
    for era in SESSION_ERAS {
        let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": era, "capabilities": {}, "clientInfo": {"name": "it", "version": "0"}}});
        let r = mcp_post(&http, &server.url, Some(TEST_KEY))
            .json(&init)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{era}");
        assert_eq!(r.headers()["content-type"], "application/json", "{era}");
        assert!(r.headers().contains_key("mcp-session-id"), "{era}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["result"]["protocolVersion"], era);

        let session = open_session_as(&http, &server.url, TEST_KEY, era).await;
        for (id, method, params) in [
            (2, "ping", json!({})),
            (3, "tools/list", json!({})),
            (
                4,
                "tools/call",
                json!({"name": "smartalex_list_contacts", "arguments": {}}),
            ),
            // Asks for progress of a tool that does not report any.
            (
                5,
                "tools/call",
                json!({"name": "smartalex_list_contacts", "arguments": {},
                    "_meta": {"progressToken": "p"}}),
            ),
        ] {
            let r = in_session_as(&http, &server.url, TEST_KEY, &session, era)
                .json(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{era} {method}");
            assert_eq!(
                r.headers()["content-type"],
                "application/json",
                "{era} {method}"
            );
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["id"], id, "{era} {method}: {body}");
            assert!(body.get("result").is_some(), "{era} {method}: {body}");
        }
    }
}

#[tokio::test]
async fn streams_prime_only_clients_that_expect_it() {
    let (tool, args) = long_running_call();
    let slow = Script::Slow(
        Duration::from_millis(1200),
        Box::new(Script::json(200, serde_json::from_str(ADDED).unwrap())),
    );
    let gw = FakeGateway::start(slow).await;
    let server = McpHttp::start(&["--rate-limit", "0"], &[("SMARTALEX_API_URL", &gw.url())]).await;
    let http = client();
    for era in SESSION_ERAS {
        let session = open_session_as(&http, &server.url, TEST_KEY, era).await;

        // A call that reports progress before answering: a stream.
        let r = in_session_as(&http, &server.url, TEST_KEY, &session, era)
            .json(
                &json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {
                "name": tool, "arguments": args, "_meta": {"progressToken": "p"}}}),
            )
            .send()
            .await
            .unwrap();
        assert!(is_event_stream(&r), "{era}");
        let stream = r.text().await.unwrap();
        let posted = events(&stream);
        assert!(
            posted.iter().any(|e| e.contains("notifications/progress")),
            "{era}: {stream}"
        );
        assert!(
            posted.last().unwrap().contains("\"id\":7"),
            "{era}: {stream}"
        );
        let primed = posted.iter().any(|e| is_empty_event(e));
        assert_eq!(primed, era >= "2025-11-25", "{era}: {stream}");

        // The GET stream: whatever it sends first within a moment.
        let mut get = http
            .get(&server.url)
            .bearer_auth(TEST_KEY)
            .header("accept", "text/event-stream")
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", era)
            .send()
            .await
            .unwrap();
        assert_eq!(get.status(), 200, "{era}");
        let mut seen = String::new();
        while let Ok(Ok(Some(chunk))) =
            tokio::time::timeout(Duration::from_millis(500), get.chunk()).await
        {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        let primed = events(&seen).iter().any(|e| is_empty_event(e));
        assert_eq!(primed, era >= "2025-11-25", "{era} GET: {seen:?}");
    }
}

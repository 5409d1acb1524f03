//! The bytes a call puts on the wire, pinned: whatever the hot path does to
//! go faster, a realistic answer (a 25- and a 100-contact page with every
//! field, the 25 with millisecond timestamps as the gateway's clock writes
//! them, a call with a 40-turn transcript) must come out byte for byte as
//! the snapshots say — the text block and `structuredContent` alike — over
//! stdio and over HTTP.
//!
//! The gateway answers come from the payload benchmark's generator, so the
//! test pins exactly what the benchmark measures.

use serde_json::json;

use crate::common::TEST_KEY;
use crate::common::fake_gateway::{FakeGateway, Script};
use crate::common::http::{
    McpHttp, client, in_session, is_event_stream, mcp_post, open_session, stateless,
};
use crate::common::stdio::StdioServer;

#[path = "../../benches/support/payloads.rs"]
#[allow(dead_code)]
mod payloads;

fn reply(body: String) -> Script {
    Script::Reply {
        status: 200,
        content_type: "application/json",
        body,
        headers: Vec::new(),
    }
}

/// `(snapshot name, tool, arguments, gateway answer)`.
fn cases() -> Vec<(&'static str, &'static str, serde_json::Value, String)> {
    vec![
        (
            "contacts_25",
            "smartalex_list_contacts",
            json!({"per_page": 25}),
            payloads::contact_page(25),
        ),
        (
            "contacts_100",
            "smartalex_list_contacts",
            json!({"per_page": 100}),
            payloads::contact_page(100),
        ),
        (
            "call_40_turns",
            "smartalex_get_call",
            json!({"id": "c0ffee00-1111-4222-8333-444455556666"}),
            payloads::call_detail(40),
        ),
        (
            "contacts_25_millis",
            "smartalex_list_contacts",
            json!({"page": 2, "per_page": 25}),
            payloads::contact_page_millis(25),
        ),
    ]
}

#[tokio::test]
async fn stdio_answers_are_byte_identical() {
    let gw = FakeGateway::start(Script::Hang).await;
    let url = gw.url();
    let (mut s, _) = StdioServer::initialized(
        &[],
        &[("SMARTALEX_API_URL", &url), ("SMARTALEX_API_KEY", TEST_KEY)],
    )
    .await;
    for (i, (name, tool, args, body)) in cases().into_iter().enumerate() {
        gw.set(reply(body));
        let id = 900 + i;
        let line = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": tool, "arguments": args}});
        s.send_line(&line.to_string()).await;
        let answer = s
            .read_line(std::time::Duration::from_secs(20))
            .await
            .expect("an answer");
        insta::assert_snapshot!(format!("stdio_{name}"), answer);
    }
}

#[tokio::test]
async fn http_answers_are_byte_identical() {
    let gw = FakeGateway::start(Script::Hang).await;
    let server = McpHttp::start(&["--rate-limit", "0"], &[("SMARTALEX_API_URL", &gw.url())]).await;
    let http = client();
    for (i, (name, tool, args, body)) in cases().into_iter().enumerate() {
        gw.set(reply(body));
        let resp = mcp_post(&http, &server.url, Some(TEST_KEY))
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/call")
            .header("mcp-name", tool)
            .json(&stateless(
                900 + i as u64,
                "tools/call",
                json!({"name": tool, "arguments": args}),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let answer = resp.text().await.unwrap();
        insta::assert_snapshot!(format!("http_{name}"), answer);
    }
}

/// An answer as the stdio server writes it (pinned above), by snapshot name.
fn pinned_stdio(name: &str) -> String {
    let pinned = std::fs::read_to_string(format!(
        "{}/tests/integration/snapshots/integration__hot_path__stdio_{name}.snap",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    pinned.lines().last().unwrap().to_owned()
}

/// A 100-contact answer (96 KB, more than a pipe holds by default) is in
/// the stdout pipe whole before the client reads a byte of it: the server
/// widened the pipe, so the answer went out in one write, not a first part
/// and then a wait for the client to drain it.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_large_answer_fits_the_stdout_pipe_whole() {
    use std::time::{Duration, Instant};
    let gw = FakeGateway::start(reply(payloads::contact_page(100))).await;
    let (mut s, _) = StdioServer::initialized(
        &[],
        &[
            ("SMARTALEX_API_URL", &gw.url()),
            ("SMARTALEX_API_KEY", TEST_KEY),
        ],
    )
    .await;
    let pipe = rustix::pipe::fcntl_getpipe_size(s.stdout_pipe()).unwrap();
    assert_eq!(pipe, smartalex_mcp::stdio::PIPE_BYTES);
    let answer = pinned_stdio("contacts_100");
    assert!(answer.len() > 64 * 1024, "{}", answer.len());
    // The id the pinned answer was written for (the second case above).
    let line = json!({"jsonrpc": "2.0", "id": 901, "method": "tools/call",
        "params": {"name": "smartalex_list_contacts", "arguments": {"per_page": 100}}});
    s.send_line(&line.to_string()).await;
    let whole = answer.len() as u64 + 1;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut waiting = 0;
    while waiting < whole && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        waiting = rustix::io::ioctl_fionread(s.stdout_pipe()).unwrap();
    }
    assert_eq!(
        waiting, whole,
        "bytes waiting in the pipe, of the answer and its newline"
    );
    let read = s
        .read_line(Duration::from_secs(5))
        .await
        .expect("an answer");
    assert!(
        read == answer,
        "not the pinned answer: {} bytes",
        read.len()
    );
}

/// In a 2025-11-25 session, a call that reports nothing before its answer
/// is answered as `application/json`: the body is the very message the
/// stdio server writes, byte for byte.
#[tokio::test]
async fn http_session_answers_are_the_same_bytes_as_stdio() {
    let gw = FakeGateway::start(reply(payloads::contact_page(25))).await;
    let server = McpHttp::start(&["--rate-limit", "0"], &[("SMARTALEX_API_URL", &gw.url())]).await;
    let http = client();
    let session = open_session(&http, &server.url, TEST_KEY).await;
    let r = in_session(&http, &server.url, TEST_KEY, &session)
        .json(&json!({"jsonrpc": "2.0", "id": 900, "method": "tools/call",
            "params": {"name": "smartalex_list_contacts", "arguments": {"per_page": 25}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.text().await.unwrap(), pinned_stdio("contacts_25"));
}

/// A call that reports progress first is streamed, and the HTTP layer
/// splices the answer into its event frame by frame: the event is the
/// message a JSON response of the same call carries, byte for byte.
#[tokio::test]
async fn http_session_streamed_answers_are_the_same_bytes_as_json() {
    let (tool, args) = crate::eras::long_running_call();
    let slow = Script::Slow(
        std::time::Duration::from_millis(1200),
        Box::new(reply(crate::eras::ADDED.to_owned())),
    );
    let gw = FakeGateway::start(slow).await;
    let server = McpHttp::start(&["--rate-limit", "0"], &[("SMARTALEX_API_URL", &gw.url())]).await;
    let http = client();
    let session = open_session(&http, &server.url, TEST_KEY).await;
    let call = |meta: serde_json::Value| {
        json!({"jsonrpc": "2.0", "id": 900, "method": "tools/call",
            "params": {"name": tool, "arguments": args, "_meta": meta}})
    };
    let r = in_session(&http, &server.url, TEST_KEY, &session)
        .json(&call(json!({"progressToken": "p"})))
        .send()
        .await
        .unwrap();
    assert!(is_event_stream(&r));
    let stream = r.text().await.unwrap();
    assert!(
        stream.contains("notifications/progress"),
        "no progress before the answer:\n{stream}"
    );
    let event = stream
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(str::trim)
        .find(|d| d.contains("\"id\":900"))
        .unwrap_or_else(|| panic!("no answer in the stream:\n{stream}"));
    let r = in_session(&http, &server.url, TEST_KEY, &session)
        .json(&call(json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
    let json = r.text().await.unwrap();
    assert!(json.contains("structuredContent"), "{json}");
    assert_eq!(event, json);
}

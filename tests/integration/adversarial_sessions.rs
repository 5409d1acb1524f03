//! Attacks on sessions and confirmations, against the real `smartalex-mcp
//! http` in front of a real sandbox gateway, over loopback HTTP.
//!
//! - A 2025-11-25 session answers only the credential that opened it: any
//!   other key (another workspace's, or another key of the same workspace)
//!   gets exactly the unknown-session answer — to a request, to the stream,
//!   to a DELETE and to an answer for the session's pending elicitation.
//! - No session id reaches the log at `info`.
//! - `confirm: true` does not skip the question when the client can ask.
//! - On 2026-07-28 an approval counts only with the `requestState` issued
//!   with the question: missing, tampered, replayed, expired, another
//!   caller's or another call's state is asked again and nothing runs.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::clients::python_report;
use crate::common::http::{McpHttp, call_stateless, client, json_from_sse, mcp_post};
use crate::sandbox_harness;

const VERSION: &str = "2025-11-25";
/// A session id nobody was ever given.
const MADE_UP: &str = "6f1c1d3e-0000-4000-8000-000000000000";
const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn elicitation() -> Value {
    json!({"elicitation": {"form": {}}})
}

/// What one HTTP exchange answered: status and body.
async fn answer(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

/// A 2025-11-25 client talking raw Streamable HTTP.
struct Session<'a> {
    http: reqwest::Client,
    url: &'a str,
}

impl Session<'_> {
    /// `initialize` (declaring elicitation) and `notifications/initialized`
    /// with `key`; the new session's id.
    async fn open(&self, key: &str) -> String {
        let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": VERSION, "capabilities": elicitation(),
            "clientInfo": {"name": "it", "version": "0"}}});
        let r = mcp_post(&self.http, self.url, Some(key))
            .json(&init)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let id = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
        let r = self
            .post(
                key,
                &id,
                json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            )
            .await;
        assert_eq!(r.status(), 202);
        id
    }

    async fn post(&self, key: &str, session: &str, body: Value) -> reqwest::Response {
        mcp_post(&self.http, self.url, Some(key))
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", VERSION)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// The GET stream (`Accept: text/event-stream`) or a DELETE.
    async fn send(&self, method: reqwest::Method, key: &str, session: &str) -> reqwest::Response {
        crate::common::http::session_request(&self.http, method, self.url, key, session)
            .send()
            .await
            .unwrap()
    }

    async fn get(&self, key: &str, session: &str) -> reqwest::Response {
        self.send(reqwest::Method::GET, key, session).await
    }

    async fn delete(&self, key: &str, session: &str) -> reqwest::Response {
        self.send(reqwest::Method::DELETE, key, session).await
    }

    async fn tools_list(&self, key: &str, session: &str) -> reqwest::Response {
        self.post(
            key,
            session,
            json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list"}),
        )
        .await
    }
}

/// The next JSON-RPC message on an SSE response.
async fn next_message(stream: &mut reqwest::Response, seen: &mut String) -> Value {
    tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if let Some(end) = seen.find("\n\n") {
                let event: String = seen.drain(..end + 2).collect();
                let message = json_from_sse(&event);
                if message.is_object() {
                    return message;
                }
                continue;
            }
            let chunk = stream.chunk().await.unwrap().expect("stream ended");
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .expect("no message on the stream in 15 s")
}

/// A 2026-07-28 `tools/call` by `key` from a client that can be asked.
async fn call(url: &str, key: &str, tool: &str, args: Value, retry: Value) -> Value {
    let mut params = json!({"name": tool, "arguments": args,
        "_meta": {"io.modelcontextprotocol/clientCapabilities": elicitation()}});
    if let (Value::Object(params), Value::Object(retry)) = (&mut params, retry) {
        params.extend(retry);
    }
    let (status, _, body) =
        call_stateless(&client(), url, Some(key), 1, "tools/call", params).await;
    assert_eq!(status, 200, "{body}");
    body["result"].clone()
}

async fn new_agent(url: &str, key: &str, name: &str) -> String {
    let args = json!({"name": name, "objective": "Book viewings for open houses"});
    let r = call(url, key, "smartalex_create_agent_advanced", args, json!({})).await;
    assert_eq!(r["isError"], false, "{r}");
    r["structuredContent"]["id"].as_str().unwrap().to_owned()
}

async fn agent_exists(url: &str, key: &str, id: &str) -> bool {
    let r = call(
        url,
        key,
        "smartalex_get_agent",
        json!({"id": id}),
        json!({}),
    )
    .await;
    r["isError"] == false
}

fn approve(state: &Value) -> Value {
    let mut retry =
        json!({"inputResponses": {"confirm": {"action": "accept", "content": {"confirm": true}}}});
    if !state.is_null() {
        retry["requestState"] = state.clone();
    }
    retry
}

/// Ask `asker` to delete `agent`, wait `pause`, then approve on `approver`
/// with the state the question came with.
async fn ask_then_approve(
    asker: &str,
    approver: &str,
    key: &str,
    agent: &str,
    pause: Duration,
) -> Value {
    let delete = "smartalex_delete_agent";
    let first = call(asker, key, delete, json!({"id": agent}), json!({})).await;
    assert!(is_asked_again(&first), "{first}");
    tokio::time::sleep(pause).await;
    let retry = approve(&first["requestState"]);
    call(approver, key, delete, json!({"id": agent}), retry).await
}

fn is_asked_again(r: &Value) -> bool {
    r["resultType"] == "input_required"
        && r["inputRequests"]["confirm"]["method"] == "elicitation/create"
        && r["requestState"].is_string()
}

/// The owner's key, another key of the owner's workspace, and a key of
/// another workspace.
async fn keys(sb: &sandbox_harness::Sandbox) -> [String; 3] {
    [
        sb.workspace_key("Acme").await,
        sb.workspace_key("Acme").await,
        sb.workspace_key("Bolt").await,
    ]
}

#[tokio::test]
async fn a_session_answers_only_the_credential_that_opened_it() {
    let sb = sandbox_harness::start().await;
    let [owner, colleague, stranger] = keys(&sb).await;
    let server = McpHttp::start(&[], &[("SMARTALEX_API_URL", &sb.base)]).await;
    let s = Session {
        http: client(),
        url: &server.url,
    };
    let id = s.open(&owner).await;

    let unknown_post = answer(s.tools_list(&stranger, MADE_UP).await).await;
    let unknown_get = answer(s.get(&stranger, MADE_UP).await).await;
    let unknown_delete = answer(s.delete(&stranger, MADE_UP).await).await;
    assert_eq!(unknown_post.0, 404, "{unknown_post:?}");
    for intruder in [&stranger, &colleague] {
        assert_eq!(
            answer(s.tools_list(intruder, &id).await).await,
            unknown_post
        );
        assert_eq!(answer(s.get(intruder, &id).await).await, unknown_get);
        assert_eq!(answer(s.delete(intruder, &id).await).await, unknown_delete);
    }
    // The session survived all of it.
    let r = s.tools_list(&owner, &id).await;
    assert_eq!(r.status(), 200);

    // A pending question: the owner's delete asks (even with confirm: true).
    let agent = new_agent(&server.url, &owner, "Keep me").await;
    let mut stream = s
        .post(
            &owner,
            &id,
            json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {
                "name": "smartalex_delete_agent", "arguments": {"id": agent, "confirm": true}}}),
        )
        .await;
    assert_eq!(stream.status(), 200);
    let mut seen = String::new();
    let question = next_message(&mut stream, &mut seen).await;
    assert_eq!(question["method"], "elicitation/create", "{question}");
    // The stranger answers it for the owner: refused as an unknown session.
    let forged = json!({"jsonrpc": "2.0", "id": question["id"],
        "result": {"action": "accept", "content": {"confirm": true}}});
    for intruder in [&stranger, &colleague] {
        assert_eq!(
            answer(s.post(intruder, &id, forged.clone()).await).await,
            unknown_post
        );
    }
    assert!(agent_exists(&server.url, &owner, &agent).await);
    // The question is still the owner's to answer.
    let decline = json!({"jsonrpc": "2.0", "id": question["id"], "result": {"action": "decline"}});
    assert_eq!(s.post(&owner, &id, decline).await.status(), 202);
    let result = next_message(&mut stream, &mut seen).await;
    assert_eq!(result["id"], 9, "{result}");
    assert_eq!(result["result"]["isError"], true);
    assert!(
        result["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("the user declined")
    );
    assert!(agent_exists(&server.url, &owner, &agent).await);

    assert_eq!(s.delete(&owner, &id).await.status(), 204);
    assert_eq!(answer(s.tools_list(&owner, &id).await).await, unknown_post);
}

#[tokio::test]
async fn session_ids_stay_out_of_the_info_log() {
    let sb = sandbox_harness::start().await;
    let server = McpHttp::start(
        &[],
        &[("SMARTALEX_API_URL", &sb.base), ("SMARTALEX_LOG", "info")],
    )
    .await;
    let s = Session {
        http: client(),
        url: &server.url,
    };
    let id = s.open(&sb.key).await;
    assert_eq!(s.tools_list(&sb.key, &id).await.status(), 200);
    assert_eq!(s.delete(&sb.key, &id).await.status(), 204);
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.assert_log_omits(&id);
}

#[tokio::test]
async fn confirm_true_does_not_skip_the_question_of_a_client_that_can_ask() {
    let sb = sandbox_harness::start().await;
    let key = sb.workspace_key("Acme").await;
    let server = McpHttp::start(&[], &[("SMARTALEX_API_URL", &sb.base)]).await;
    let url = server.url.clone();
    let report = tokio::task::spawn_blocking(move || {
        python_report("http_confirm.py", [url.as_str(), &key], &[])
    })
    .await
    .unwrap();
    for (era, version) in [("legacy", "2025-11-25"), ("stateless", "2026-07-28")] {
        let r = &report[era];
        assert_eq!(r["protocol_version"], version, "{report}");
        assert_eq!(r["asked"], 1, "the user was not asked: {r}");
        assert_eq!(r["delete_error"], true, "{r}");
        assert!(
            r["delete_text"]
                .as_str()
                .unwrap()
                .contains("the user declined"),
            "{r}"
        );
        assert_eq!(r["agent_still_there"], true, "{r}");
    }
}

#[tokio::test]
async fn stateless_approvals_need_the_state_issued_with_the_question() {
    let sb = sandbox_harness::start().await;
    let [owner, colleague, stranger] = keys(&sb).await;
    let env = [("SMARTALEX_API_URL", sb.base.as_str())];
    let server = McpHttp::start(&["--confirm-key", KEY], &env).await;
    let url = server.url.as_str();
    let x = new_agent(url, &owner, "X").await;
    let y = new_agent(url, &owner, "Y").await;
    let delete = "smartalex_delete_agent";

    // Asked, although the model says confirm: true.
    let first = call(
        url,
        &owner,
        delete,
        json!({"id": x, "confirm": true}),
        json!({}),
    )
    .await;
    assert!(is_asked_again(&first), "{first}");
    let state = first["requestState"].clone();

    // Approvals that must not count: each is asked again.
    let mut tampered = state.as_str().unwrap().to_owned().into_bytes();
    let at = tampered.len() - 10; // inside the tag
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = json!(String::from_utf8(tampered).unwrap());
    let refused = [
        ("no state", &owner, json!({"id": x}), approve(&Value::Null)),
        ("tampered", &owner, json!({"id": x}), approve(&tampered)),
        (
            "made up",
            &owner,
            json!({"id": x}),
            approve(&json!("c1.AAAA")),
        ),
        ("other args", &owner, json!({"id": y}), approve(&state)),
        (
            "other workspace",
            &stranger,
            json!({"id": x}),
            approve(&state),
        ),
        ("other key", &colleague, json!({"id": x}), approve(&state)),
    ];
    for (what, key, args, retry) in refused {
        let r = call(url, key, delete, args, retry).await;
        assert!(is_asked_again(&r), "{what}: {r}");
    }
    assert!(agent_exists(url, &owner, &x).await && agent_exists(url, &owner, &y).await);
    let wrong_tool = call(
        url,
        &owner,
        "smartalex_delete_deal",
        json!({"id": x}),
        approve(&state),
    )
    .await;
    assert!(is_asked_again(&wrong_tool), "{wrong_tool}");

    // The genuine round trip goes ahead, once.
    let yes = call(url, &owner, delete, json!({"id": x}), approve(&state)).await;
    assert_eq!(yes["isError"], false, "{yes}");
    assert!(!agent_exists(url, &owner, &x).await);
    let replayed = call(url, &owner, delete, json!({"id": x}), approve(&state)).await;
    assert!(is_asked_again(&replayed), "replayed: {replayed}");

    // A replica with the same key honours the state; its answer window is
    // its own (1 s here): an expired state is asked again.
    let replica = McpHttp::start(&["--confirm-key", KEY, "--confirm-ttl", "1"], &env).await;
    let none = Duration::ZERO;
    let on_replica = ask_then_approve(url, &replica.url, &owner, &y, none).await;
    assert_eq!(on_replica["isError"], false, "{on_replica}");
    let z = new_agent(url, &owner, "Z").await;
    let late = Duration::from_millis(1500);
    let expired = ask_then_approve(&replica.url, &replica.url, &owner, &z, late).await;
    assert!(is_asked_again(&expired), "expired: {expired}");
    assert!(agent_exists(url, &owner, &z).await);
    // A process with another key refuses the first one's states.
    let other = McpHttp::start(&[], &env).await;
    let foreign = ask_then_approve(url, &other.url, &owner, &z, none).await;
    assert!(is_asked_again(&foreign), "another key: {foreign}");
    assert!(agent_exists(url, &owner, &z).await);
    assert!(!server.stderr().contains(KEY) && !replica.stderr().contains(KEY));
}

//! The protocol edge over stdio: both protocol eras, exactly the declared
//! capabilities, a clear answer to every malformed line, nothing but
//! JSON-RPC on stdout.

use serde_json::{Value, json};

use crate::common::stdio::{StdioServer, text};

fn meta_2026() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "it", "version": "0"}
    })
}

#[tokio::test]
async fn initialize_2025_11_25_declares_exactly_what_is_implemented() {
    let (mut s, init) = StdioServer::initialized(&[], &[]).await;
    let result = &init["result"];
    assert_eq!(result["protocolVersion"], "2025-11-25");
    assert_eq!(result["serverInfo"]["name"], "smartalex-mcp");
    assert_eq!(
        result["capabilities"],
        json!({"completions": {}, "logging": {}, "prompts": {},
            "resources": {"subscribe": true}, "tools": {}})
    );
    // Not declared (the tasks extension), so not implemented.
    let r = s.request("tasks/get", json!({"taskId": "t1"})).await;
    assert_eq!(r["error"]["code"], -32601);
    s.finish().await;
}

/// The log messages a client hears about its calls: only what it asked
/// for, in each era's way, and never arguments or answers.
#[tokio::test]
async fn log_messages_only_when_asked_in_each_era() {
    let (mut s, _) = StdioServer::initialized(&["--sandbox", "--db", ":memory:"], &[]).await;
    let list = json!({"name": "smartalex_list_contacts", "arguments": {"per_page": 2}});
    let bad = json!({"name": "smartalex_get_contact", "arguments": {"id": "not-an-id"}});
    let logs = |seen: &[Value]| -> Vec<Value> {
        seen.iter()
            .filter(|m| m["method"] == "notifications/message")
            .map(|m| m["params"].clone())
            .collect()
    };

    // 2025-11-25: nothing before logging/setLevel.
    let (seen, r) = s.request_seeing("tools/call", list.clone()).await;
    assert!(r.get("result").is_some(), "{r}");
    assert!(logs(&seen).is_empty(), "{seen:?}");
    let r = s
        .request("logging/setLevel", json!({"level": "info"}))
        .await;
    assert_eq!(r["result"], json!({}), "{r}");
    let (seen, _) = s.request_seeing("tools/call", list.clone()).await;
    let got = logs(&seen);
    assert_eq!(got.len(), 1, "{seen:?}");
    assert_eq!(got[0]["level"], "info");
    assert_eq!(got[0]["logger"], "smartalex");
    assert_eq!(got[0]["data"]["tool"], "smartalex_list_contacts");
    assert_eq!(got[0]["data"]["outcome"], "ok");
    assert_eq!(got[0]["data"]["status"], 200);
    assert!(got[0]["data"]["duration_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(got[0]["data"].as_object().unwrap().len(), 4, "{got:?}");
    // A failure is a warning; raising the level to warning drops the info.
    let r = s
        .request("logging/setLevel", json!({"level": "warning"}))
        .await;
    assert_eq!(r["result"], json!({}), "{r}");
    let (seen, _) = s.request_seeing("tools/call", list.clone()).await;
    assert!(logs(&seen).is_empty(), "{seen:?}");
    let (seen, _) = s.request_seeing("tools/call", bad.clone()).await;
    let got = logs(&seen);
    assert_eq!(got.len(), 1, "{seen:?}");
    assert_eq!(got[0]["level"], "warning");
    assert_eq!(got[0]["data"]["outcome"], "invalid_arguments");
    assert_eq!(got[0]["data"]["status"], Value::Null);
    assert!(!got[0].to_string().contains("not-an-id"), "{got:?}");

    // 2026-07-28: logging/setLevel is gone; the level rides in _meta.
    let r = s
        .request(
            "logging/setLevel",
            json!({"level": "info", "_meta": meta_2026()}),
        )
        .await;
    assert_eq!(r["error"]["code"], -32601, "{r}");
    let mut with_meta = list.clone();
    with_meta["_meta"] = meta_2026();
    let (seen, _) = s.request_seeing("tools/call", with_meta.clone()).await;
    assert!(logs(&seen).is_empty(), "{seen:?}");
    with_meta["_meta"]["io.modelcontextprotocol/logLevel"] = json!("debug");
    let (seen, r) = s.request_seeing("tools/call", with_meta).await;
    assert!(r.get("result").is_some(), "{r}");
    let got = logs(&seen);
    assert_eq!(got.len(), 1, "{seen:?}");
    assert_eq!(got[0]["data"]["outcome"], "ok");
    s.finish().await;
}

#[tokio::test]
async fn stateless_2026_07_28_requests_work_without_initialize() {
    let mut s = StdioServer::spawn(&[], &[]);
    let discover = s
        .request("server/discover", json!({"_meta": meta_2026()}))
        .await;
    let versions = discover["result"]["supportedVersions"]
        .as_array()
        .expect("versions");
    assert!(versions.contains(&json!("2026-07-28")) && versions.contains(&json!("2025-11-25")));
    let list = s.request("tools/list", json!({"_meta": meta_2026()})).await;
    assert_eq!(
        list["result"]["tools"].as_array().unwrap().len(),
        smartalex_mcp::tools::TOOLS.len()
    );
    let call = s
        .request("tools/call", json!({"_meta": meta_2026(), "name": "smartalex_get_contact", "arguments": {"id": "nope"}}))
        .await;
    assert_eq!(call["result"]["isError"], true);
    assert!(text(&call["result"]).contains("id: must be a UUID"));
    // Without the required per-request metadata: a clear invalid-params error.
    let bare = s.request("tools/list", json!({})).await;
    assert_eq!(bare["error"]["code"], -32602);
    assert!(
        bare["error"]["message"]
            .as_str()
            .unwrap()
            .contains("protocolVersion")
    );
    s.finish().await;
}

#[tokio::test]
async fn every_malformed_line_gets_a_specific_answer() {
    let (mut s, _) = StdioServer::initialized(&[], &[]).await;

    s.send_line("{\"jsonrpc\":\"2.0\",\"id\":70,\"method\":\"tools/list\"")
        .await;
    let r = s.response_to(Value::Null).await;
    assert_eq!(r["error"]["code"], -32700, "{r}");

    s.send_line("[{\"jsonrpc\":\"2.0\",\"id\":71,\"method\":\"ping\"}]")
        .await;
    let r = s.response_to(Value::Null).await;
    assert_eq!(r["error"]["code"], -32600, "{r}");
    assert!(r["error"]["message"].as_str().unwrap().contains("batches"));

    // Half a surrogate pair, as a JavaScript client writes a string cut
    // inside an emoji: not a string serde_json reads, yet its request is
    // answered, so the client is not left waiting.
    let line = r#"{"jsonrpc":"2.0","id":72,"method":"tools/call","params":{"name":"smartalex_create_contact","arguments":{"first_name":"Ada \ud83d"}}}"#;
    s.send_line(line).await;
    let r = s.response_to(json!(72)).await;
    assert_eq!(r["error"]["code"], -32700, "{r}");
    assert_eq!(
        r["error"]["message"],
        format!(
            "Parse error: \\ud83d at column {} is half of a UTF-16 surrogate pair, with no other half; send the whole character, or both halves",
            line.find(r"\ud83d").unwrap() + 1
        )
    );

    let r = s.request("no/such/method", json!({})).await;
    assert_eq!(r["error"]["code"], -32601);
    assert_eq!(r["error"]["message"], "Method not found: no/such/method");

    let r = s
        .request(
            "tools/call",
            json!({"name": "smartalex_get_contact", "arguments": "notanobject"}),
        )
        .await;
    assert_eq!(r["error"]["code"], -32602);
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid params for tools/call")
    );

    let r = s
        .request(
            "tools/call",
            json!({"name": "smartalex_nope", "arguments": {}}),
        )
        .await;
    assert_eq!(r["error"]["code"], -32602);
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Unknown tool: smartalex_nope")
    );

    // Wrong argument types are a tool error listing each problem.
    let r = s
        .call(
            "smartalex_list_contacts",
            json!({"page": "two", "per_page": 1000}),
        )
        .await;
    assert_eq!(r["isError"], true);
    let t = text(&r);
    assert!(
        t.contains("page: must be an integer (got \"two\")")
            && t.contains("per_page: must be at most 100"),
        "{t}"
    );

    // A 6 MiB message: rejected with its id, and the server carries on.
    let huge = json!({"jsonrpc": "2.0", "id": 99, "method": "tools/call",
        "params": {"name": "smartalex_create_contact", "arguments": {"first_name": "x".repeat(6 << 20)}}});
    s.send_line(&huge.to_string()).await;
    let r = s.response_to(json!(99)).await;
    assert_eq!(r["error"]["code"], -32600);
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 4194304 bytes")
    );
    let r = s.request("ping", json!({})).await;
    assert_eq!(r["result"], json!({}));
    s.finish().await;
}

#[tokio::test]
async fn stdout_carries_only_json_rpc_even_with_debug_logs() {
    let (mut s, _) = StdioServer::initialized(&[], &[("SMARTALEX_LOG", "debug")]).await;
    s.request("tools/list", json!({})).await;
    s.call("smartalex_list_contacts", json!({})).await;
    let (rest, stderr) = s.finish().await;
    for line in rest.lines() {
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("non-JSON on stdout: {line}"));
        assert_eq!(v["jsonrpc"], "2.0");
    }
    assert!(
        stderr.contains("DEBUG") || stderr.contains("WARN"),
        "logs go to stderr: {stderr}"
    );
}

#[tokio::test]
async fn confirmations_in_both_eras() {
    use crate::common::fake_gateway::{FakeGateway, Script};
    let gw = FakeGateway::start(Script::json(
        200,
        json!({"id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "deleted": true}),
    ))
    .await;
    let url = gw.url();
    let env = [
        ("SMARTALEX_API_URL", url.as_str()),
        ("SMARTALEX_API_KEY", crate::common::TEST_KEY),
    ];
    let id = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";

    // A client without elicitation must pass confirm: true.
    let (mut s, _) = StdioServer::initialized(&[], &env).await;
    let r = s.call("smartalex_delete_agent", json!({"id": id})).await;
    assert_eq!(r["isError"], true);
    assert!(
        text(&r).contains("confirmation required") && text(&r).contains("confirm: true"),
        "{r}"
    );
    assert_eq!(gw.seen().len(), 0, "nothing is deleted without approval");
    let r = s
        .call("smartalex_delete_agent", json!({"id": id, "confirm": true}))
        .await;
    assert_eq!(r["isError"], false, "{r}");
    let seen = gw.seen();
    assert_eq!((seen.len(), seen[0].method.as_str()), (1, "DELETE"));
    assert!(seen[0].uri.ends_with(id) && !seen[0].uri.contains("confirm"));
    s.finish().await;

    // 2026-07-28 with elicitation: an input-required result, then the retry
    // with the user's answer.
    let mut s = StdioServer::spawn(&[], &env);
    let mut meta = meta_2026();
    meta["io.modelcontextprotocol/clientCapabilities"] = json!({"elicitation": {"form": {}}});
    let first = s
        .request(
            "tools/call",
            json!({"_meta": meta, "name": "smartalex_delete_deal", "arguments": {"id": id}}),
        )
        .await;
    let result = &first["result"];
    assert_eq!(result["resultType"], "input_required", "{first}");
    let ask = &result["inputRequests"]["confirm"];
    assert_eq!(ask["method"], "elicitation/create");
    assert!(
        ask["params"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Permanently delete deal")
    );
    assert_eq!(gw.seen().len(), 1, "asking sends nothing");

    let no = s
        .request(
            "tools/call",
            json!({"_meta": meta, "name": "smartalex_delete_deal", "arguments": {"id": id},
        "inputResponses": {"confirm": {"action": "decline"}}}),
        )
        .await;
    assert_eq!(no["result"]["isError"], true);
    assert!(text(&no["result"]).contains("the user declined"));
    assert_eq!(gw.seen().len(), 1);
    // The approval counts with the state issued with the question.
    let yes = s
        .request(
            "tools/call",
            json!({"_meta": meta, "name": "smartalex_delete_deal", "arguments": {"id": id},
        "inputResponses": {"confirm": {"action": "accept", "content": {"confirm": true}}},
        "requestState": result["requestState"]}),
        )
        .await;
    assert_eq!(yes["result"]["isError"], false, "{yes}");
    assert_eq!(yes["result"]["structuredContent"]["deleted"], true);
    assert_eq!(gw.seen().len(), 2);
    s.finish().await;
}

#[tokio::test]
async fn a_cancelled_call_is_dropped_and_the_server_carries_on() {
    use crate::common::fake_gateway::{FakeGateway, Script};
    let gw = FakeGateway::start(Script::Hang).await;
    let url = gw.url();
    let (mut s, _) = StdioServer::initialized(
        &[],
        &[
            ("SMARTALEX_API_URL", &url),
            ("SMARTALEX_API_KEY", crate::common::TEST_KEY),
        ],
    )
    .await;
    s.send_line(
        &json!({"jsonrpc": "2.0", "id": 500, "method": "tools/call",
        "params": {"name": "smartalex_list_contacts", "arguments": {}}})
        .to_string(),
    )
    .await;
    // Wait until the call reached the gateway, then cancel it.
    for _ in 0..100 {
        if !gw.seen().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(gw.seen().len(), 1);
    s.notify(
        "notifications/cancelled",
        json!({"requestId": 500, "reason": "user pressed stop"}),
    )
    .await;
    let started = std::time::Instant::now();
    let pong = s.request("ping", json!({})).await;
    assert_eq!(pong["result"], json!({}));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let (rest, _) = s.finish().await;
    assert!(
        !rest.contains("\"id\":500"),
        "a cancelled request gets no response: {rest}"
    );
}

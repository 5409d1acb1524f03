//! Official MCP clients against the real binary: the Python `mcp` SDK over
//! stdio, listing the tools and calling them against a loopback gateway.

use std::process::Command;

use serde_json::{Value, json};

use crate::common::fake_gateway::{FakeGateway, Script};
use crate::common::{TEST_KEY, bin, clients};

fn python_session(plan: &Value, args: &[&str], env: &[(&str, &str)]) -> Value {
    let python = clients::python_mcp();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/stdio_session.py"
    );
    let mut cmd = Command::new(python);
    cmd.arg(script)
        .arg(plan.to_string())
        .arg("--")
        .arg(bin())
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the Python MCP client");
    assert!(
        out.status.success(),
        "python client failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the client prints JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_lists_and_calls_tools_over_stdio() {
    let gw = FakeGateway::start(Script::json(
        200,
        json!({"data": [{"id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "first_name": "Ada",
                         "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T10:00:00Z"}],
               "page": 2, "per_page": 5, "total": 6}),
    ))
    .await;
    let url = gw.url();
    let plan = json!([
        {"tool": "smartalex_list_contacts", "args": {"page": 2, "per_page": 5}},
        {"tool": "smartalex_create_contact", "args": {}},
    ]);
    let out = tokio::task::spawn_blocking(move || {
        python_session(
            &plan,
            &[],
            &[("SMARTALEX_API_URL", &url), ("SMARTALEX_API_KEY", TEST_KEY)],
        )
    })
    .await
    .unwrap();

    assert_eq!(out["server"], "smartalex-mcp");
    assert_eq!(out["tools"].as_array().unwrap().len(), 28);
    let first = &out["results"][0];
    assert_eq!(first["isError"], false, "{first}");
    let body: Value = serde_json::from_str(first["text"][0].as_str().unwrap()).unwrap();
    assert_eq!(body["data"][0]["first_name"], "Ada");
    assert_eq!(body["total"], 6);
    let second = &out["results"][1];
    assert_eq!(second["isError"], true);
    assert!(
        second["text"][0]
            .as_str()
            .unwrap()
            .contains("first_name: is required")
    );

    // The gateway saw exactly one request: the valid one, with its query.
    let seen = gw.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].method, "GET");
    assert!(seen[0].uri.starts_with("/contacts?"), "{}", seen[0].uri);
    assert!(seen[0].uri.contains("page=2") && seen[0].uri.contains("per_page=5"));
}

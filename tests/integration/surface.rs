//! The tool surface every conversation pays for: its exact content (snapshot),
//! its size, its portability, and the constraints it must carry.

use serde_json::{Value, json};

use crate::common::stdio::StdioServer;

async fn tools_list(args: &[&str]) -> Vec<Value> {
    let (mut s, _) = StdioServer::initialized(args, &[]).await;
    let resp = s.request("tools/list", json!({})).await;
    s.finish().await;
    resp["result"]["tools"]
        .as_array()
        .expect("tools array")
        .clone()
}

fn tool<'a>(tools: &'a [Value], name: &str) -> &'a Value {
    tools
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no tool {name}"))
}

/// Names + descriptions + input schemas, compact: what a model reads.
fn model_visible_bytes(tools: &[Value]) -> usize {
    let visible: Vec<Value> = tools
        .iter()
        .map(|t| json!({"name": t["name"], "description": t["description"], "inputSchema": t["inputSchema"]}))
        .collect();
    serde_json::to_string(&visible).unwrap().len()
}

#[tokio::test]
async fn tools_list_is_pinned_and_fits_the_context_budget() {
    let tools = tools_list(&[]).await;
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    let expected = [
        "smartalex_list_contacts",
        "smartalex_get_contact",
        "smartalex_create_contact",
        "smartalex_update_contact",
        "smartalex_list_agents",
        "smartalex_get_agent",
        "smartalex_create_agent",
        "smartalex_create_agent_advanced",
        "smartalex_update_agent",
        "smartalex_delete_agent",
        "smartalex_list_phone_numbers",
        "smartalex_search_available_numbers",
        "smartalex_buy_phone_number",
        "smartalex_list_campaigns",
        "smartalex_get_campaign",
        "smartalex_create_campaign",
        "smartalex_add_contacts_to_campaign",
        "smartalex_start_campaign",
        "smartalex_list_calls",
        "smartalex_get_call",
        "smartalex_list_deals",
        "smartalex_create_deal",
        "smartalex_update_deal",
        "smartalex_delete_deal",
        "smartalex_list_webhooks",
        "smartalex_create_webhook",
        "smartalex_delete_webhook",
        "smartalex_get_platform_status",
    ];
    let mut sorted_names = names.clone();
    sorted_names.sort_unstable();
    let mut sorted_expected = expected.to_vec();
    sorted_expected.sort_unstable();
    assert_eq!(
        sorted_names, sorted_expected,
        "exactly the 28 documented tools"
    );

    let size = model_visible_bytes(&tools);
    eprintln!(
        "model-visible tools/list: {size} bytes for {} tools",
        tools.len()
    );
    // 12 KB held until the hardening, which gave every free-text argument a
    // `maxLength` (~0.7 KB) and the 14 tools whose answers carry third
    // parties' text a one-sentence warning (~0.9 KB).
    assert!(
        size <= 14 * 1024,
        "tools/list costs {size} bytes of context; the budget is 14 KB"
    );
    for t in &tools {
        let d = t["description"].as_str().unwrap();
        assert!(
            d.len() >= 20,
            "{} needs a description that says when to use it",
            t["name"]
        );
    }
    insta::assert_json_snapshot!("tools_list", tools);
}

#[tokio::test]
async fn schemas_are_portable() {
    fn walk(path: &str, v: &Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    assert!(
                        !["$ref", "$defs", "definitions", "oneOf", "anyOf", "allOf"]
                            .contains(&k.as_str()),
                        "{path}: {k}"
                    );
                    if k == "type" {
                        assert!(x.is_string(), "{path}: type arrays are not portable");
                    }
                    walk(&format!("{path}/{k}"), x);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(path, x)),
            _ => {}
        }
    }
    for t in tools_list(&[]).await {
        let name = t["name"].as_str().unwrap();
        assert!(
            name.len() <= 64
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        );
        assert!(name.starts_with("smartalex_"));
        assert_eq!(t["inputSchema"]["type"], "object", "{name}");
        walk(name, &t["inputSchema"]);
    }
}

#[tokio::test]
async fn schemas_carry_every_documented_constraint() {
    let tools = tools_list(&[]).await;
    let schema = |name: &str| tool(&tools, name)["inputSchema"].clone();
    let required = |name: &str| -> Vec<String> {
        schema(name)["required"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    };
    assert!(required("smartalex_create_contact").contains(&"first_name".to_owned()));
    assert!(required("smartalex_create_deal").contains(&"deal_name".to_owned()));
    let wh = required("smartalex_create_webhook");
    assert!(wh.contains(&"url".to_owned()) && wh.contains(&"event_types".to_owned()));
    for t in &tools {
        let name = t["name"].as_str().unwrap();
        let is_id_op = ["get_", "update_", "delete_", "start_", "add_contacts"]
            .iter()
            .any(|p| name.contains(p))
            && name != "smartalex_get_platform_status";
        if is_id_op {
            assert_eq!(
                t["inputSchema"]["properties"]["id"]["format"], "uuid",
                "{name}"
            );
            assert!(required(name).contains(&"id".to_owned()), "{name}");
        }
        if name.starts_with("smartalex_list_") {
            let p = &t["inputSchema"]["properties"];
            assert_eq!(p["page"]["minimum"], 1, "{name}");
            assert_eq!(p["per_page"]["maximum"], 100, "{name}");
        }
    }
    let stages = json!([
        "lead",
        "qualified",
        "showing",
        "offer",
        "under_contract",
        "closed_won",
        "closed_lost"
    ]);
    assert_eq!(
        schema("smartalex_create_deal")["properties"]["stage"]["enum"],
        stages
    );
    assert_eq!(
        schema("smartalex_update_deal")["properties"]["stage"]["enum"],
        stages
    );
    assert_eq!(
        schema("smartalex_list_deals")["properties"]["stage"]["enum"],
        stages
    );
    assert_eq!(
        schema("smartalex_search_available_numbers")["properties"]["country"]["enum"],
        json!(["US", "CA", "GB", "AU", "NZ", "FI", "DK", "NL", "ZA"])
    );
    assert!(required("smartalex_search_available_numbers").contains(&"country".to_owned()));
    assert_eq!(
        schema("smartalex_add_contacts_to_campaign")["properties"]["contact_ids"]["maxItems"],
        100
    );
    assert_eq!(
        schema("smartalex_create_campaign")["properties"]["name"]["minLength"],
        1
    );
    let agent_fields = schema("smartalex_update_agent")["properties"]
        .as_object()
        .unwrap()
        .len();
    assert_eq!(agent_fields, 17, "update_agent takes the id and 16 fields");

    // Calls carry what the documents promise, in the operation's output.
    let calls = smartalex_mcp::tools::find("smartalex_list_calls").unwrap();
    let out: Value = serde_json::from_str(calls.output_schema).unwrap();
    let call = &out["properties"]["data"]["items"]["properties"];
    for field in [
        "direction",
        "call_status",
        "duration_seconds",
        "sentiment",
        "cost",
    ] {
        assert!(call.get(field).is_some(), "calls lack {field}");
    }
}

#[tokio::test]
async fn annotations_follow_the_http_method() {
    let tools = tools_list(&[]).await;
    for spec in smartalex_mcp::tools::TOOLS.iter() {
        let a = &tool(&tools, spec.name)["annotations"];
        match spec.method {
            "GET" => assert_eq!(a["readOnlyHint"], true, "{}", spec.name),
            "DELETE" => assert_eq!(
                (a["readOnlyHint"].clone(), a["destructiveHint"].clone()),
                (json!(false), json!(true)),
                "{}",
                spec.name
            ),
            "PATCH" | "PUT" => assert_eq!(a["idempotentHint"], true, "{}", spec.name),
            _ => assert_eq!(a["readOnlyHint"], false, "{}", spec.name),
        }
    }
    // x-mcp overrides where the default is wrong: Quick Setup fetches a web page.
    assert_eq!(
        tool(&tools, "smartalex_create_agent")["annotations"]["openWorldHint"],
        true
    );
}

#[tokio::test]
async fn read_only_and_domain_selection() {
    let ro = tools_list(&["--read-only"]).await;
    assert!(!ro.is_empty());
    assert!(ro.iter().all(|t| t["annotations"]["readOnlyHint"] == true));
    assert_eq!(
        ro.len(),
        smartalex_mcp::tools::TOOLS
            .iter()
            .filter(|t| t.method == "GET")
            .count()
    );

    let some = tools_list(&["--tools", "contacts,deals"]).await;
    let names: Vec<&str> = some.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 8, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.contains("contact") || n.contains("deal"))
    );

    let both = tools_list(&["--tools", "deals", "--read-only"]).await;
    assert_eq!(both.len(), 1);
    assert_eq!(both[0]["name"], "smartalex_list_deals");

    // A hidden tool cannot be called either.
    let (mut s, _) = StdioServer::initialized(&["--read-only"], &[]).await;
    let resp = s.request("tools/call", json!({"name": "smartalex_delete_deal", "arguments": {"id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"}})).await;
    assert_eq!(resp["error"]["code"], -32602, "{resp}");
    s.finish().await;

    let out = std::process::Command::new(crate::common::bin())
        .args(["tools", "--tools", "contacts,nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown tool domain `nope`") && err.contains("phone_numbers"),
        "{err}"
    );
}

#[test]
fn inspector_strict_accepts_every_schema() {
    let (node, inspector) = crate::common::clients::inspector();
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(node)
        .arg(inspector)
        .args([
            "--cli",
            "--strict",
            "--method",
            "tools/list",
            crate::common::bin(),
        ])
        .env("HOME", home.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "inspector --strict failed ({:?}):\n{stderr}",
        out.status.code()
    );
    let listed: Value =
        serde_json::from_slice(&out.stdout).expect("inspector printed the tools/list JSON");
    assert_eq!(
        listed["tools"].as_array().unwrap().len(),
        smartalex_mcp::tools::TOOLS.len()
    );
}

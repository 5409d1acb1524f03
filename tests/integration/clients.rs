//! Official MCP clients against the real binary: the Python `mcp` SDK over
//! stdio, listing the tools and calling them against a loopback gateway.

use serde_json::{Value, json};

use crate::common::fake_gateway::{FakeGateway, Script};
use crate::common::{TEST_KEY, bin, clients, fenced};

fn python_session(plan: &Value, args: &[&str], env: &[(&str, &str)]) -> Value {
    let plan = plan.to_string();
    let argv = [plan.as_str(), "--", bin()]
        .into_iter()
        .chain(args.iter().copied());
    clients::python_report("stdio_session.py", argv, env)
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
    assert_eq!(
        out["tools"].as_array().unwrap().len(),
        smartalex_mcp::tools::TOOLS.len()
    );
    let first = &out["results"][0];
    assert_eq!(first["isError"], false, "{first}");
    let body: Value = serde_json::from_str(first["text"][0].as_str().unwrap()).unwrap();
    assert_eq!(body["data"][0]["first_name"], fenced("Ada"));
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

/// Issue 3's end-to-end flow: the stdio server on the embedded sandbox,
/// driven by the official Python SDK through a real day's work.
#[test]
fn python_sdk_runs_a_campaign_end_to_end_on_the_sandbox() {
    let db = tempfile::tempdir().unwrap();
    let db_path = db.path().join("flow.db");
    let db_arg = db_path.to_str().expect("a UTF-8 temp path");
    let argv = [
        "--",
        bin(),
        "--sandbox",
        "--allow-private-urls",
        "--db",
        db_arg,
    ];
    let r = clients::python_report("sandbox_flow.py", argv, &[]);

    // Quick Setup read the page: the agent is named after the business.
    let agent = &r["agent"];
    assert!(
        agent["name"].as_str().unwrap().contains("Harbor Realty"),
        "{agent}"
    );
    assert!(
        agent["system_prompt"]
            .as_str()
            .unwrap()
            .contains("viewings"),
        "{agent}"
    );
    assert!(
        !agent["system_prompt"]
            .as_str()
            .unwrap()
            .contains("tracking"),
        "scripts are not content"
    );

    // The signing secret is shown once.
    assert_eq!(r["secret_shown_again"], false);

    // Duplicates within a request and contacts already added are skipped and counted.
    assert_eq!(
        r["added"],
        json!({"added": 3, "skipped_duplicates": 1, "skipped_existing": 0, "contact_count": 3})
    );
    assert_eq!(r["added_again"]["skipped_existing"], 1);
    assert_eq!(r["started_status"], "running");

    // The dialer placed a call per contact, each with a transcript.
    let calls = r["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 3, "{calls:?}");
    for c in calls {
        assert_eq!(c["direction"], "outbound");
        assert!(
            c["duration_seconds"].is_u64() && c["cost"].is_number(),
            "{c}"
        );
    }
    let transcript = r["transcript"]
        .as_array()
        .expect("a completed call has a transcript");
    assert!(transcript.len() >= 4);
    assert!(
        transcript.iter().any(|t| t["role"] == "agent")
            && transcript.iter().any(|t| t["role"] == "contact")
    );
    assert_eq!(r["campaign_after"]["stats"]["calls_total"], 3);

    // The deal moved through the pipeline.
    assert_eq!(
        r["stages"],
        json!(["lead", "qualified", "showing", "offer", "closed_won"])
    );
    let won = |p: &Value| {
        let s = p["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == "closed_won")
            .unwrap()
            .clone();
        (s["count"].as_u64().unwrap(), s["value"].as_f64().unwrap())
    };
    let (before, after) = (won(&r["pipeline_before"]), won(&r["pipeline"]));
    assert_eq!(
        (after.0 - before.0, after.1 - before.1),
        (1, 450000.0),
        "the demo workspace plus this deal"
    );

    // Signed webhooks arrived for every kind subscribed, and verify.
    let deliveries = r["deliveries"].as_array().unwrap();
    for event in [
        "contact.created",
        "campaign.started",
        "call.completed",
        "deal.stage_changed",
    ] {
        assert!(
            deliveries.iter().any(|d| d["event"] == event),
            "no {event} delivery: {deliveries:?}"
        );
    }
    assert!(
        deliveries
            .iter()
            .all(|d| d["ok"] == true && d["age"].as_f64().unwrap() < 300.0),
        "{deliveries:?}"
    );
}

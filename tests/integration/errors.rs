//! Every kind of failed call, from a real cause, pinned word for word.
//!
//! Each case makes a loopback gateway answer the way the real one does (or
//! fails to), calls a tool through the real binary over stdio, and records
//! the `isError` text. The snapshot is the catalogue of every message an
//! assistant can see; the documented ones are also asserted exactly.

use serde_json::{Value, json};

use crate::common::TEST_KEY;
use crate::common::fake_gateway::{FakeGateway, Script};
use crate::common::stdio::{StdioServer, text};

const CONTACT: &str = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";

fn cases() -> Vec<(&'static str, Script, &'static str, Value)> {
    let list = ("smartalex_list_contacts", json!({}));
    vec![
        ("401 no header", Script::json(401, json!({"error": "Authorization required"})), list.0, list.1.clone()),
        ("401 bad token", Script::json(401, json!({"error": "Invalid or expired token."})), list.0, list.1.clone()),
        ("403 permissions", Script::json(403, json!({"error": "Insufficient permissions"})), "smartalex_delete_deal", json!({"id": CONTACT})),
        ("403 principal", Script::json(403, json!({"error": "User principal required for this operation"})), "smartalex_delete_deal", json!({"id": CONTACT})),
        ("403 read-only key", Script::json(403, json!({"error": "API key does not have write permission"})), "smartalex_create_contact", json!({"first_name": "Ada"})),
        ("400 body", Script::json(400, json!({"error": "Invalid request body: first_name is required"})), "smartalex_create_contact", json!({"first_name": "Ada"})),
        ("400 uuid", Script::json(400, json!({"error": "Invalid UUID format"})), "smartalex_get_contact", json!({"id": CONTACT})),
        ("404 resource", Script::json(404, json!({"error": "Contact not found"})), "smartalex_get_contact", json!({"id": CONTACT})),
        ("404 no route", Script::json(404, json!({"error": "No route found for GET /unknown-path"})), list.0, list.1.clone()),
        (
            "405 wrong method",
            Script::json(405, json!({"error": "No route found for PATCH /contacts"})).with_header("allow", "GET, POST"),
            list.0,
            list.1.clone(),
        ),
        ("422 validation", Script::json(422, json!({"error": "name: String must contain at least 1 character(s)"})), "smartalex_create_campaign", json!({"name": "Q4", "agent_id": CONTACT})),
        ("429 rate limit", Script::json(429, json!({"error": "Too many requests", "message": "Rate limit exceeded. Please try again in 45 seconds.", "retryAfter": 45})).with_header("retry-after", "45"), list.0, list.1.clone()),
        ("429 header only", Script::json(429, json!({"error": "Too many requests"})).with_header("retry-after", "7"), list.0, list.1.clone()),
        ("500", Script::json(500, json!({"error": "Internal server error"})), list.0, list.1.clone()),
        ("502 html", Script::html(502, "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"), list.0, list.1.clone()),
        ("200 html", Script::html(200, "<!DOCTYPE html><html><body>Maintenance</body></html>"), list.0, list.1.clone()),
        ("200 wrong shape", Script::json(200, json!({"items": []})), list.0, list.1.clone()),
        (
            "200 over 8 MiB",
            Script::Reply { status: 200, content_type: "application/json", body: format!("{{\"data\":\"{}\"}}", "x".repeat(9 << 20)), headers: Vec::new() },
            list.0,
            list.1.clone(),
        ),
        ("invalid arguments", Script::json(500, json!({"error": "must not be reached"})), "smartalex_create_deal", json!({"stage": "won", "value": "x", "contact_id": "abc", "extra": 1})),
    ]
}

#[tokio::test]
async fn every_error_kind_has_its_exact_message() {
    let gw = FakeGateway::start(Script::Hang).await;
    let url = gw.url();
    let (mut server, _) = StdioServer::initialized(
        &[],
        &[("SMARTALEX_API_URL", &url), ("SMARTALEX_API_KEY", TEST_KEY)],
    )
    .await;
    let mut catalogue = String::new();
    for (name, script, tool, args) in cases() {
        gw.set(script);
        let before = gw.seen().len();
        let result = server.call(tool, args).await;
        assert_eq!(result["isError"], true, "{name}: {result}");
        let message = text(&result).to_owned();
        assert!(message.starts_with("Failed to "), "{name}: {message}");
        if name == "invalid arguments" {
            assert_eq!(
                gw.seen().len(),
                before,
                "invalid arguments must not reach the gateway"
            );
        } else {
            let seen = gw.seen();
            let last = seen.last().expect("the gateway was called");
            assert_eq!(
                last.authorization.as_deref(),
                Some(format!("Bearer {TEST_KEY}").as_str())
            );
            if tool == "smartalex_create_contact" {
                let sent: Value = serde_json::from_str(&last.body).expect("a JSON body");
                assert_eq!(
                    sent,
                    json!({"first_name": "Ada"}),
                    "only the given fields are sent"
                );
            }
        }
        catalogue.push_str(&format!("{name}\n  {message}\n"));
    }
    let (rest, stderr) = server.finish().await;
    assert!(
        !catalogue.contains(TEST_KEY) && !rest.contains(TEST_KEY) && !stderr.contains(TEST_KEY),
        "the key leaked"
    );

    // The two the error reference spells out, to the letter.
    assert!(catalogue.contains("Failed to list contacts: Authorization required. Check your API key is valid and not expired.\n"));
    assert!(catalogue.contains("Failed to create campaign: name: String must contain at least 1 character(s). Check your input parameters for validation errors.\n"));
    assert!(
        catalogue.contains("Gateway error: <!DOCTYPE html> <html><head><title>502 Bad Gateway")
    );
    assert!(catalogue.contains("wait 45 seconds"));
    assert!(catalogue.contains("wait 7 seconds"));
    assert!(catalogue.contains("use smartalex_list_contacts to find valid IDs"));
    insta::assert_snapshot!("error_catalogue", catalogue);
}

#[tokio::test]
async fn transport_failures_and_key_problems() {
    // A gateway that accepts and never answers: the timeout message.
    let gw = FakeGateway::start(Script::Hang).await;
    let url = gw.url();
    let (mut s, _) = StdioServer::initialized(
        &[],
        &[
            ("SMARTALEX_API_URL", &url),
            ("SMARTALEX_API_KEY", TEST_KEY),
            ("SMARTALEX_TIMEOUT_SECS", "1"),
        ],
    )
    .await;
    let started = std::time::Instant::now();
    let hang = text(&s.call("smartalex_list_contacts", json!({})).await).to_owned();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    s.finish().await;

    // Nothing listens on this port.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let closed_url = format!("http://{closed}");
    let (mut s, _) = StdioServer::initialized(
        &[],
        &[
            ("SMARTALEX_API_URL", &closed_url),
            ("SMARTALEX_API_KEY", TEST_KEY),
        ],
    )
    .await;
    let refused = text(&s.call("smartalex_get_platform_status", json!({})).await).to_owned();
    s.finish().await;

    // No key, and a malformed one: the server still starts and lists tools.
    let (mut s, _) = StdioServer::initialized(&[], &[("SMARTALEX_API_URL", &url)]).await;
    let tools = s.request("tools/list", json!({})).await;
    assert_eq!(
        tools["result"]["tools"].as_array().unwrap().len(),
        smartalex_mcp::tools::TOOLS.len()
    );
    let missing = text(&s.call("smartalex_list_contacts", json!({})).await).to_owned();
    s.finish().await;
    let bad_key = "sk_live_51HxSECRETSECRET";
    let (mut s, _) = StdioServer::initialized(
        &[],
        &[("SMARTALEX_API_URL", &url), ("SMARTALEX_API_KEY", bad_key)],
    )
    .await;
    let malformed = text(&s.call("smartalex_list_contacts", json!({})).await).to_owned();
    let (out, err) = s.finish().await;
    assert!(!malformed.contains("SECRET") && !out.contains("SECRET") && !err.contains("SECRET"));
    assert_eq!(
        gw.seen().len(),
        1,
        "only the timeout case may reach the gateway"
    );

    let catalogue = format!(
        "timeout\n  {hang}\nunreachable\n  {}\nmissing key\n  {missing}\nmalformed key\n  {malformed}\n",
        refused.replace(&closed_url, "http://127.0.0.1:PORT")
    );
    assert!(missing.starts_with("Failed to list contacts: Authorization required. Check your API key is valid and not expired."));
    insta::assert_snapshot!("transport_and_key_errors", catalogue);
}

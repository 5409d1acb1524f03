//! The body the gateway receives is the body the client sent.
//!
//! Dispatch checks a tool call's body against the SDK's body type, but
//! sends the client's JSON, not the type re-serialized: a typed round trip
//! adds defaults the client never chose, writes `5000` as `5000.0`, and
//! wrote an optional list set to `[]` (clear it) the same as a list left out
//! (keep it) while the SDK's lists were bare `Vec`s.

use serde_json::{Value, json};

use crate::common::TEST_KEY;
use crate::common::fake_gateway::{FakeGateway, Script};
use crate::common::stdio::{StdioServer, text};

const ID: &str = "78113b4b-5e22-48df-af1e-c39a5d735fec";

fn contact() -> Value {
    json!({
        "id": ID,
        "first_name": "Maria",
        "created_at": "2026-02-24T17:31:09Z",
        "updated_at": "2026-02-26T18:04:40Z"
    })
}

#[tokio::test]
async fn the_gateway_receives_the_body_as_the_client_wrote_it() {
    let gw = FakeGateway::start(Script::json(200, contact())).await;
    let url = gw.url();
    let (mut server, _) = StdioServer::initialized(
        &[],
        &[("SMARTALEX_API_URL", &url), ("SMARTALEX_API_KEY", TEST_KEY)],
    )
    .await;

    let cleared = server
        .call(
            "smartalex_update_contact",
            json!({"id": ID, "tags": [], "notes": "Call after 5pm"}),
        )
        .await;
    assert_eq!(cleared["isError"], false, "{cleared}");
    // A deal left at the gateway's default currency and stage, with a whole
    // number for its value.
    server
        .call(
            "smartalex_create_deal",
            json!({"deal_name": "Alder St", "value": 5000}),
        )
        .await;

    let seen = gw.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].method, "PATCH");
    assert_eq!(seen[0].uri, format!("/contacts/{ID}"));
    let body: Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(body, json!({"tags": [], "notes": "Call after 5pm"}));
    assert_eq!(seen[1].method, "POST");
    let body: Value = serde_json::from_str(&seen[1].body).unwrap();
    assert_eq!(body, json!({"deal_name": "Alder St", "value": 5000}));
    assert!(seen[1].body.contains("\"value\":5000"), "{}", seen[1].body);
}

#[tokio::test]
async fn an_update_with_an_empty_list_clears_it_on_the_sandbox() {
    let (mut server, _) = StdioServer::initialized(&["--sandbox", "--db", ":memory:"], &[]).await;
    let created = server
        .call(
            "smartalex_create_contact",
            json!({"first_name": "Ann", "tags": ["hot", "buyer"]}),
        )
        .await;
    assert_eq!(created["isError"], false, "{created}");
    let id = created["structuredContent"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        created["structuredContent"]["tags"],
        json!(["hot", "buyer"])
    );

    let updated = server
        .call("smartalex_update_contact", json!({"id": id, "tags": []}))
        .await;
    assert_eq!(updated["isError"], false, "{updated}");
    let fetched = server
        .call("smartalex_get_contact", json!({"id": id}))
        .await;
    let contact = &fetched["structuredContent"];
    assert!(
        contact.get("tags").is_none_or(|t| t == &json!([])),
        "the tags were not cleared: {}",
        text(&fetched)
    );
}

//! Every documented gateway error from its real cause, workspace isolation,
//! and rate limiting — the messages pinned word for word.

use serde_json::json;
use smartalex_sandbox::{Db, Domain, KeyUser, SandboxOptions};

use crate::sandbox_harness::{start, start_with};

#[tokio::test]
async fn authentication_errors() {
    let sb = start().await;
    let r = sb.send(None, "GET", "/contacts", None).await.expect(401);
    assert_eq!(r.body, json!({"error": "Authorization required"}));
    for bad in [
        "sa_test_0000000000000000",
        "sa_live_abcdefghabcdefgh",
        "not-a-key",
    ] {
        let r = sb
            .send(Some(bad), "GET", "/contacts", None)
            .await
            .expect(401);
        assert_eq!(
            r.body,
            json!({"error": "Invalid or expired token."}),
            "{bad}"
        );
    }
    let r = sb
        .http
        .get(format!("{}/contacts", sb.base))
        .header("authorization", format!("Basic {}", sb.key))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn permission_errors() {
    let sb = start().await;
    let read_only = sb.key_with("default", true, KeyUser::Owner).await;
    let r = sb
        .send(
            Some(&read_only),
            "POST",
            "/contacts",
            Some(br#"{"first_name":"Ada"}"#.to_vec()),
        )
        .await
        .expect(403);
    assert_eq!(
        r.body,
        json!({"error": "API key does not have write permission"})
    );
    sb.send(Some(&read_only), "GET", "/contacts", None)
        .await
        .expect(200);

    let no_user = sb.key_with("default", false, KeyUser::None).await;
    let r = sb
        .send(Some(&no_user), "GET", "/deals", None)
        .await
        .expect(403);
    assert_eq!(
        r.body,
        json!({"error": "User principal required for this operation"})
    );
    sb.send(Some(&no_user), "GET", "/platform/status", None)
        .await
        .expect(200);

    let member = sb
        .key_with(
            "default",
            false,
            KeyUser::Restricted(vec![Domain::parse("contacts").expect("a tag of the spec")]),
        )
        .await;
    let r = sb
        .send(
            Some(&member),
            "DELETE",
            "/deals/a1b2c3d4-e5f6-7890-abcd-ef1234567890",
            None,
        )
        .await
        .expect(403);
    assert_eq!(r.body, json!({"error": "Insufficient permissions"}));
    sb.send(Some(&member), "GET", "/contacts", None)
        .await
        .expect(200);
}

#[tokio::test]
async fn request_errors() {
    let sb = start().await;
    assert_eq!(
        sb.get("/contacts/123").await.expect(400).body,
        json!({"error": "Invalid UUID format"})
    );
    let r = sb
        .post("/contacts", json!({"last_name": "Lovelace"}))
        .await
        .expect(400);
    assert_eq!(
        r.body,
        json!({"error": "Invalid request body: first_name is required"})
    );
    let r = sb
        .post("/contacts", json!({"first_name": ""}))
        .await
        .expect(422);
    assert_eq!(
        r.error(),
        "first_name: String must contain at least 1 character(s)"
    );
    let r = sb
        .post(
            "/contacts",
            json!({"first_name": "Ada", "phone": "555-1234"}),
        )
        .await
        .expect(422);
    assert_eq!(
        r.error(),
        "phone: Invalid phone number: use E.164, e.g. +14155550123"
    );
    let r = sb
        .post("/contacts", json!({"first_name": "Ada", "email": "nope"}))
        .await
        .expect(422);
    assert_eq!(r.error(), "email: Invalid email");
    let r = sb
        .post("/contacts", json!({"first_name": 7}))
        .await
        .expect(422);
    assert_eq!(r.error(), "first_name: Expected string, received number");
    let r = sb
        .post("/contacts", json!({"first_name": "Ada", "shoe_size": 9}))
        .await
        .expect(422);
    assert_eq!(r.error(), "Unrecognized key(s) in object: 'shoe_size'");
    let r = sb
        .send(
            Some(&sb.key),
            "POST",
            "/contacts",
            Some(b"{not json".to_vec()),
        )
        .await
        .expect(400);
    assert!(
        r.error()
            .starts_with("Invalid request body: malformed JSON"),
        "{}",
        r.error()
    );
    let r = sb
        .send(Some(&sb.key), "POST", "/contacts", None)
        .await
        .expect(400);
    assert_eq!(r.error(), "Invalid request body: expected a JSON object");
    let r = sb
        .post("/webhooks", json!({"url": "https://example.com/h"}))
        .await
        .expect(400);
    assert_eq!(r.error(), "Invalid request body: event_types is required");
    let r = sb.post("/webhooks", json!({"url": "https://example.com/h", "event_types": ["contact.created", "contact.created"]})).await.expect(422);
    assert_eq!(r.error(), "event_types: Items must be unique");
    let r = sb
        .get("/contacts/a1b2c3d4-e5f6-7890-abcd-ef1234567890")
        .await
        .expect(404);
    assert_eq!(r.body, json!({"error": "Contact not found"}));
    let r = sb.get("/unknown-path").await.expect(404);
    assert_eq!(
        r.body,
        json!({"error": "No route found for GET /unknown-path"})
    );
}

#[tokio::test]
async fn another_workspace_is_always_not_found() {
    let sb = start().await;
    let other = sb.workspace_key("rival").await;
    let as_other = |method: &'static str, path: String, body: Option<serde_json::Value>| {
        let sb = &sb;
        let other = other.clone();
        async move {
            sb.send(
                Some(&other),
                method,
                &path,
                body.map(|b| b.to_string().into_bytes()),
            )
            .await
        }
    };
    let contact = sb
        .post("/contacts", json!({"first_name": "Secret"}))
        .await
        .expect(201)
        .str("id")
        .to_owned();
    let agent = sb
        .post("/agents", json!({"name": "Mine", "objective": "x"}))
        .await
        .expect(201)
        .str("id")
        .to_owned();
    let deal = sb
        .post(
            "/deals",
            json!({"deal_name": "Mine", "contact_id": contact}),
        )
        .await
        .expect(201)
        .str("id")
        .to_owned();
    let campaign = sb
        .post("/campaigns", json!({"name": "Mine", "agent_id": agent}))
        .await
        .expect(201)
        .str("id")
        .to_owned();
    let hook = sb
        .post(
            "/webhooks",
            json!({"url": "https://example.com/h", "event_types": ["deal.created"]}),
        )
        .await
        .expect(201)
        .str("id")
        .to_owned();

    let cases = [
        (
            "GET",
            format!("/contacts/{contact}"),
            None,
            "Contact not found",
        ),
        (
            "PATCH",
            format!("/contacts/{contact}"),
            Some(json!({"first_name": "Stolen"})),
            "Contact not found",
        ),
        ("GET", format!("/agents/{agent}"), None, "Agent not found"),
        (
            "PATCH",
            format!("/agents/{agent}"),
            Some(json!({"name": "Stolen"})),
            "Agent not found",
        ),
        (
            "DELETE",
            format!("/agents/{agent}"),
            None,
            "Agent not found",
        ),
        (
            "PATCH",
            format!("/deals/{deal}"),
            Some(json!({"stage": "closed_lost"})),
            "Deal not found",
        ),
        ("DELETE", format!("/deals/{deal}"), None, "Deal not found"),
        (
            "GET",
            format!("/campaigns/{campaign}"),
            None,
            "Campaign not found",
        ),
        (
            "POST",
            format!("/campaigns/{campaign}/start"),
            None,
            "Campaign not found",
        ),
        (
            "POST",
            format!("/campaigns/{campaign}/contacts"),
            Some(json!({"contact_ids": [contact]})),
            "Campaign not found",
        ),
        (
            "DELETE",
            format!("/webhooks/{hook}"),
            None,
            "Webhook not found",
        ),
    ];
    for (method, path, body, message) in cases {
        let r = as_other(method, path.clone(), body).await.expect(404);
        assert_eq!(r.error(), message, "{method} {path}");
    }
    // Referencing another workspace's resources from your own is refused too.
    let r = as_other(
        "POST",
        "/campaigns".into(),
        Some(json!({"name": "x", "agent_id": agent})),
    )
    .await
    .expect(422);
    assert_eq!(r.error(), "agent_id: Agent not found in this workspace");
    let r = as_other(
        "POST",
        "/deals".into(),
        Some(json!({"deal_name": "x", "contact_id": contact})),
    )
    .await
    .expect(422);
    assert_eq!(r.error(), "contact_id: Contact not found in this workspace");
    for list in ["/contacts", "/agents", "/deals", "/campaigns", "/webhooks"] {
        assert_eq!(
            as_other("GET", list.into(), None).await.expect(200).body["total"],
            0,
            "{list}"
        );
    }
    // Nothing changed for the owner.
    assert_eq!(
        sb.get(&format!("/contacts/{contact}"))
            .await
            .expect(200)
            .body["first_name"],
        "Secret"
    );
    assert_eq!(
        sb.get(&format!("/agents/{agent}")).await.expect(200).body["name"],
        "Mine"
    );
    assert_eq!(
        sb.get("/deals").await.expect(200).body["data"][0]["stage"],
        "lead"
    );
    assert_eq!(sb.get("/webhooks").await.expect(200).body["total"], 1);
}

#[tokio::test]
async fn rate_limits_per_workspace_with_headers_on_every_response() {
    let sb = start_with(SandboxOptions {
        rate_limit_per_min: 5,
        allow_private_urls: true,
        ..SandboxOptions::new(Db::Memory)
    })
    .await;
    for remaining in (0..5).rev() {
        let r = sb.get("/contacts").await.expect(200);
        assert_eq!(r.header("x-ratelimit-limit"), Some("5"));
        assert_eq!(
            r.header("x-ratelimit-remaining"),
            Some(remaining.to_string().as_str())
        );
        let reset: u64 = r
            .header("x-ratelimit-reset")
            .and_then(|v| v.parse().ok())
            .expect("reset");
        assert!((1..=60).contains(&reset));
    }
    let r = sb.get("/contacts").await.expect(429);
    let retry: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("retry-after");
    assert!((1..=60).contains(&retry));
    assert_eq!(
        r.body,
        json!({"error": "Too many requests", "message": format!("Rate limit exceeded. Please try again in {retry} seconds."), "retryAfter": retry})
    );
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    // Keyed by workspace: another workspace still has its budget.
    let other = sb.workspace_key("elsewhere").await;
    sb.send(Some(&other), "GET", "/contacts", None)
        .await
        .expect(200);
    // Without a valid key the public per-IP limit (30% of the workspace limit) applies.
    let first = sb.send(None, "GET", "/contacts", None).await.expect(401);
    assert_eq!(first.header("x-ratelimit-limit"), Some("2"));
    sb.send(None, "GET", "/contacts", None).await.expect(401);
    sb.send(None, "GET", "/contacts", None).await.expect(429);
}

//! Webhooks: the one-time signing secret, signed deliveries that a receiver
//! can verify with HMAC-SHA256, retries, and requests that never wait.

use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::sandbox_harness::{Received, eventually, receiver, start};

/// What a receiver does: recompute `v1=HMAC(secret, "<timestamp>.<body>")`.
fn verify(secret: &str, got: &Received) -> bool {
    let header = |n: &str| {
        got.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("hmac key");
    mac.update(format!("{}.{}", header("x-smartalex-timestamp"), got.body).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    header("x-smartalex-signature") == format!("v1={expected}")
}

#[tokio::test]
async fn events_arrive_signed_and_the_secret_is_shown_once() {
    let sb = start().await;
    let rx = receiver(0, 0).await;
    let created = sb
        .post("/webhooks", json!({"url": rx.url, "event_types": ["contact.created", "deal.stage_changed", "campaign.started", "call.completed"], "description": "CRM sync"}))
        .await
        .expect(201)
        .body;
    let secret = created["signing_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert!(secret.starts_with("whsec_") && secret.len() > 30);
    let listed = sb.get("/webhooks").await.expect(200).body;
    assert_eq!(listed["total"], 1);
    assert!(
        listed["data"][0].get("signing_secret").is_none(),
        "the secret is never shown again"
    );
    assert!(!listed.to_string().contains(&secret));

    let contact = sb
        .post(
            "/contacts",
            json!({"first_name": "Maria", "phone": "+14155550142", "tags": ["hot"]}),
        )
        .await
        .expect(201)
        .str("id")
        .to_owned();
    let deal = sb
        .post("/deals", json!({"deal_name": "Lopez"}))
        .await
        .expect(201)
        .str("id")
        .to_owned();
    sb.patch(&format!("/deals/{deal}"), json!({"stage": "qualified"}))
        .await
        .expect(200);
    let agent = sb
        .post("/agents", json!({"name": "Ava", "objective": "Book demos"}))
        .await
        .expect(201)
        .str("id")
        .to_owned();
    let campaign = sb
        .post("/campaigns", json!({"name": "C", "agent_id": agent}))
        .await
        .expect(201)
        .str("id")
        .to_owned();
    sb.post(
        &format!("/campaigns/{campaign}/contacts"),
        json!({"contact_ids": [contact]}),
    )
    .await
    .expect(200);
    sb.post(&format!("/campaigns/{campaign}/start"), json!({}))
        .await
        .expect(200);

    let seen = eventually(15, "four events", || async {
        let seen = rx.seen();
        (seen.len() >= 4).then_some(seen)
    })
    .await;
    let mut types: Vec<String> = Vec::new();
    for got in &seen {
        assert!(
            verify(&secret, got),
            "signature verifies: {:?}",
            got.headers
        );
        assert!(!verify("whsec_wrong", got));
        let body: Value = serde_json::from_str(&got.body).expect("json body");
        let event = got
            .headers
            .get("x-smartalex-event")
            .and_then(|v| v.to_str().ok())
            .expect("event header");
        assert_eq!(body["type"], event);
        assert_eq!(
            got.headers
                .get("x-smartalex-delivery")
                .and_then(|v| v.to_str().ok()),
            body["id"].as_str()
        );
        let ts: u64 = got
            .headers
            .get("x-smartalex-timestamp")
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .expect("timestamp");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        assert!(now.abs_diff(ts) < 60);
        match event {
            "contact.created" => assert_eq!(body["data"]["id"], json!(contact)),
            "deal.stage_changed" => {
                assert_eq!(
                    (
                        body["data"]["stage"].as_str(),
                        body["data"]["previous_stage"].as_str()
                    ),
                    (Some("qualified"), Some("lead"))
                );
            }
            "call.completed" => assert_eq!(body["data"]["contact_id"], json!(contact)),
            "campaign.started" => assert_eq!(body["data"]["id"], json!(campaign)),
            other => panic!("not subscribed to {other}"),
        }
        types.push(event.to_owned());
    }
    types.sort();
    assert_eq!(
        types,
        [
            "call.completed",
            "campaign.started",
            "contact.created",
            "deal.stage_changed"
        ]
    );

    let hook = created["id"].as_str().expect("id");
    sb.delete(&format!("/webhooks/{hook}")).await.expect(200);
    sb.post("/contacts", json!({"first_name": "After"}))
        .await
        .expect(201);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        rx.seen().len(),
        4,
        "no deliveries after the webhook is deleted"
    );
}

#[tokio::test]
async fn failed_deliveries_are_retried_and_requests_never_wait() {
    let sb = start().await;
    // Fails the first attempt, and takes 2 s to answer each time.
    let rx = receiver(1, 2000).await;
    let created = sb
        .post(
            "/webhooks",
            json!({"url": rx.url, "event_types": ["contact.created"]}),
        )
        .await
        .expect(201)
        .body;
    let secret = created["signing_secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let t = Instant::now();
    sb.post("/contacts", json!({"first_name": "Quick"}))
        .await
        .expect(201);
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "the request did not wait for the receiver: {:?}",
        t.elapsed()
    );
    let seen = eventually(15, "a retry", || async {
        let seen = rx.seen();
        (seen.len() >= 2).then_some(seen)
    })
    .await;
    let id = |r: &Received| {
        r.headers
            .get("x-smartalex-delivery")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(id(&seen[0]), id(&seen[1]), "a retry is the same delivery");
    assert!(
        seen[1].at.duration_since(seen[0].at) >= Duration::from_millis(2900),
        "backoff after the failure"
    );
    assert!(seen.iter().all(|r| verify(&secret, r)));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(rx.seen().len(), 2, "no more attempts after a 2xx");
}

//! The sandbox's domain behaviour, operation by operation, against a real
//! sandbox on loopback. Every response is also checked against the spec by
//! the harness.

use serde_json::{Value, json};

use crate::sandbox_harness::{contact, spec, start, website};

const NIL: &str = "00000000-0000-4000-8000-000000000000";

#[tokio::test]
async fn every_spec_operation_has_a_route() {
    let sb = start().await;
    let ops = &spec().operations;
    // Every operation of the spec: one tool each.
    assert_eq!(ops.len(), smartalex_mcp::tools::TOOLS.len());
    for op in ops {
        let path = op.path_with(NIL);
        let body = op.has_body().then(|| b"{}".to_vec());
        let r = sb.send(Some(&sb.key), &op.method, &path, body).await;
        assert!(
            !r.error().starts_with("No route found"),
            "{} ({} {}) has no route",
            op.id,
            op.method,
            op.path
        );
    }
    // And nothing else is routed.
    let r = sb.get("/unknown-path").await.expect(404);
    assert_eq!(r.error(), "No route found for GET /unknown-path");
    // A known path with another method: the same message, as a 405 with `Allow`.
    let r = sb
        .send(Some(&sb.key), "PUT", "/contacts", None)
        .await
        .expect(405);
    assert_eq!(r.error(), "No route found for PUT /contacts");
    assert_eq!(r.header("allow"), Some("GET,HEAD,POST"));
}

#[tokio::test]
async fn contacts_paginate_with_totals_and_update_partially() {
    let sb = start().await;
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(
            contact(
                &sb,
                &format!("Person{i}"),
                Some(&format!("+1415555{:04}", 1000 + i)),
                &[],
            )
            .await,
        );
    }
    let first = sb.get("/contacts").await.expect(200);
    assert_eq!(
        (
            first.body["total"].as_i64(),
            first.body["per_page"].as_i64()
        ),
        (Some(30), Some(25))
    );
    assert_eq!(first.body["data"].as_array().map(Vec::len), Some(25));
    assert_eq!(first.body["data"][0]["id"], json!(ids[29]), "newest first");
    let second = sb.get("/contacts?page=2&per_page=25").await.expect(200);
    assert_eq!(second.body["data"].as_array().map(Vec::len), Some(5));
    assert_eq!(second.body["data"][4]["id"], json!(ids[0]));
    let past = sb.get("/contacts?page=9").await.expect(200);
    assert_eq!(
        (
            past.body["data"].as_array().map(Vec::len),
            past.body["total"].as_i64()
        ),
        (Some(0), Some(30))
    );
    let bad = sb.get("/contacts?per_page=101").await.expect(400);
    assert_eq!(
        bad.error(),
        "Invalid query parameter: per_page must be an integer between 1 and 100"
    );

    let before = sb
        .get(&format!("/contacts/{}", ids[3]))
        .await
        .expect(200)
        .body;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let after = sb
        .patch(
            &format!("/contacts/{}", ids[3]),
            json!({"company": "Acme", "tags": ["vip"]}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(after["company"], "Acme");
    assert_eq!(after["tags"], json!(["vip"]));
    for unchanged in ["first_name", "last_name", "email", "phone", "created_at"] {
        assert_eq!(
            after[unchanged], before[unchanged],
            "{unchanged} must not change"
        );
    }
    assert_ne!(after["updated_at"], before["updated_at"]);
    assert_eq!(
        sb.get(&format!("/contacts/{}", ids[3]))
            .await
            .expect(200)
            .body,
        after,
        "the update persisted"
    );
}

#[tokio::test]
async fn advanced_agent_update_regenerates_prompt_and_records_sync() {
    let sb = start().await;
    let agent = sb
        .post("/agents", json!({"name": "Ava", "objective": "Book roof inspections", "company_name": "Acme Roofing"}))
        .await
        .expect(201)
        .body;
    let id = agent["id"].as_str().expect("id").to_owned();
    assert_eq!(
        (
            agent["status"].as_str(),
            agent["direction"].as_str(),
            agent["language"].as_str()
        ),
        (Some("active"), Some("outbound"), Some("en-US"))
    );
    assert_eq!(agent["sync"]["status"], "synced");
    let prompt_before = agent["system_prompt"].as_str().expect("prompt").to_owned();
    assert!(
        prompt_before.contains("Book roof inspections") && prompt_before.contains("Acme Roofing")
    );

    let update = json!({
        "name": "Ava 2", "language": "en-GB", "status": "inactive", "direction": "inbound",
        "objective": "Answer questions about roof repairs", "voice": "verse", "first_message": "Acme Roofing, Ava speaking.",
        "company_name": "Acme Roofing Ltd", "timezone": "Europe/London", "max_call_duration_seconds": 300,
        "voicemail_message": "Please call us back.", "end_call_phrases": ["goodbye", "bye now"],
        "transfer_phone_number": "+442071234567", "interruption_sensitivity": "high", "background_sound": "office",
        "temperature": 0.3
    });
    assert_eq!(update.as_object().map(|m| m.len()), Some(16));
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let updated = sb
        .patch(&format!("/agents/{id}"), update.clone())
        .await
        .expect(200)
        .body;
    for (field, value) in update.as_object().expect("object") {
        assert_eq!(&updated[field], value, "{field}");
    }
    let prompt = updated["system_prompt"].as_str().expect("prompt");
    assert_ne!(prompt, prompt_before);
    assert!(
        prompt.contains("+442071234567")
            && prompt.contains("Answer questions about roof repairs")
            && prompt.contains("goodbye")
    );
    assert_eq!(updated["sync"]["status"], "synced");
    assert!(
        updated["sync"]["synced_at"].as_str() > agent["sync"]["synced_at"].as_str(),
        "a new sync was recorded"
    );

    let partial = sb
        .patch(&format!("/agents/{id}"), json!({"temperature": 0.9}))
        .await
        .expect(200)
        .body;
    assert_eq!(
        (partial["temperature"].as_f64(), partial["name"].as_str()),
        (Some(0.9), Some("Ava 2"))
    );
    let bad = sb
        .patch(&format!("/agents/{id}"), json!({"temperature": 2}))
        .await
        .expect(422);
    assert_eq!(
        bad.error(),
        "temperature: Number must be less than or equal to 1"
    );
    let bad = sb
        .patch(&format!("/agents/{id}"), json!({"status": "paused"}))
        .await
        .expect(400);
    assert_eq!(
        bad.error(),
        "Invalid request body: status must be one of: active, inactive, draft"
    );

    let listed = sb.get("/agents").await.expect(200);
    assert_eq!(listed.body["total"], 1);
    let deleted = sb.delete(&format!("/agents/{id}")).await.expect(200);
    assert_eq!(deleted.body, json!({"id": id, "deleted": true}));
    assert_eq!(
        sb.get(&format!("/agents/{id}")).await.expect(404).error(),
        "Agent not found"
    );
    assert_eq!(
        sb.delete(&format!("/agents/{id}"))
            .await
            .expect(404)
            .error(),
        "Agent not found"
    );
}

const PAGE: &str = r#"<!doctype html><html><head><title>Bloom Dental | Family dentist in Austin</title>
<meta name="description" content="Bloom Dental offers gentle family dentistry, cleanings and same-day emergency visits in Austin. Book online.">
<script>window.track = 1;</script></head>
<body><nav>Home Services Contact</nav><main><h1>Smile brighter</h1><p>Open six days a week. Most insurance accepted.</p></main></body></html>"#;

#[tokio::test]
async fn quick_setup_builds_an_agent_from_a_loopback_page() {
    let sb = start().await;
    let site = website(PAGE).await;
    // Through a redirect, as real sites often answer.
    let agent = sb
        .post(
            "/agents/quick-setup",
            json!({"website_url": format!("{site}/old")}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(agent["name"], "Bloom Dental Assistant");
    assert_eq!(agent["company_name"], "Bloom Dental");
    assert_eq!(agent["direction"], "inbound");
    assert_eq!(agent["website_url"], json!(format!("{site}/old")));
    let objective = agent["objective"].as_str().expect("objective");
    assert!(objective.contains("gentle family dentistry"), "{objective}");
    let prompt = agent["system_prompt"].as_str().expect("prompt");
    assert!(
        prompt.contains("Open six days a week") && !prompt.contains("window.track"),
        "{prompt}"
    );

    let missing = sb
        .post(
            "/agents/quick-setup",
            json!({"website_url": format!("{site}/nope")}),
        )
        .await
        .expect(422);
    assert_eq!(
        missing.error(),
        "website_url: Could not fetch the website (HTTP 404)"
    );
    let ftp = sb
        .post(
            "/agents/quick-setup",
            json!({"website_url": "ftp://example.com/"}),
        )
        .await
        .expect(422);
    assert_eq!(
        ftp.error(),
        "website_url: Only http and https URLs are supported"
    );
    let required = sb.post("/agents/quick-setup", json!({})).await.expect(400);
    assert_eq!(
        required.error(),
        "Invalid request body: website_url is required"
    );
}

#[tokio::test]
async fn quick_setup_refuses_private_addresses_by_default() {
    let sb = crate::sandbox_harness::start_with(smartalex_sandbox::SandboxOptions {
        rate_limit_per_min: 1000,
        allow_private_urls: false,
        ..smartalex_sandbox::SandboxOptions::new(smartalex_sandbox::Db::Memory)
    })
    .await;
    let site = website(PAGE).await;
    for url in [
        site.clone(),
        "http://localhost:9/".into(),
        "http://169.254.169.254/latest/meta-data".into(),
        "http://[::1]/".into(),
    ] {
        let r = sb
            .post("/agents/quick-setup", json!({"website_url": url}))
            .await
            .expect(422);
        assert_eq!(
            r.error(),
            "website_url: Private and loopback addresses are not allowed",
            "{url}"
        );
    }
    assert_eq!(sb.get("/agents").await.expect(200).body["total"], 0);
}

#[tokio::test]
async fn deals_move_through_seven_stages() {
    let sb = start().await;
    let maria = contact(&sb, "Maria", None, &[]).await;
    let deal = sb
        .post(
            "/deals",
            json!({"deal_name": "Lopez home", "value": 450000, "contact_id": maria}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(
        (
            deal["stage"].as_str(),
            deal["currency"].as_str(),
            deal["value"].as_f64()
        ),
        (Some("lead"), Some("USD"), Some(450000.0))
    );
    let id = deal["id"].as_str().expect("id").to_owned();
    for stage in [
        "qualified",
        "showing",
        "offer",
        "under_contract",
        "closed_won",
        "closed_lost",
    ] {
        let d = sb
            .patch(&format!("/deals/{id}"), json!({"stage": stage}))
            .await
            .expect(200)
            .body;
        assert_eq!(
            (
                d["stage"].as_str(),
                d["deal_name"].as_str(),
                d["value"].as_f64()
            ),
            (Some(stage), Some("Lopez home"), Some(450000.0))
        );
    }
    let bad = sb
        .patch(&format!("/deals/{id}"), json!({"stage": "won"}))
        .await
        .expect(400);
    assert_eq!(
        bad.error(),
        "Invalid request body: stage must be one of: lead, qualified, showing, offer, under_contract, closed_won, closed_lost"
    );
    let missing = sb.post("/deals", json!({"value": 1})).await.expect(400);
    assert_eq!(
        missing.error(),
        "Invalid request body: deal_name is required"
    );
    let negative = sb
        .post("/deals", json!({"deal_name": "x", "value": -5}))
        .await
        .expect(422);
    assert_eq!(
        negative.error(),
        "value: Number must be greater than or equal to 0"
    );
    sb.post("/deals", json!({"deal_name": "Second", "stage": "offer", "currency": "EUR", "expected_close_date": "2026-06-30"})).await.expect(201);
    assert_eq!(
        sb.get("/deals?stage=offer").await.expect(200).body["total"],
        1
    );
    assert_eq!(sb.get("/deals").await.expect(200).body["total"], 2);
    assert_eq!(
        sb.get("/deals?stage=won").await.expect(400).error(),
        "Invalid query parameter: stage must be one of: lead, qualified, showing, offer, under_contract, closed_won, closed_lost"
    );
    sb.delete(&format!("/deals/{id}")).await.expect(200);
    assert_eq!(
        sb.delete(&format!("/deals/{id}")).await.expect(404).error(),
        "Deal not found"
    );
    assert_eq!(
        sb.patch(&format!("/deals/{id}"), json!({"stage": "lead"}))
            .await
            .expect(404)
            .error(),
        "Deal not found"
    );
}

#[tokio::test]
async fn platform_status_reports_health_and_usage() {
    let sb = start().await;
    contact(&sb, "A", None, &[]).await;
    contact(&sb, "B", None, &[]).await;
    sb.post("/deals", json!({"deal_name": "D"}))
        .await
        .expect(201);
    let s = sb.get("/platform/status").await.expect(200).body;
    assert_eq!(s["status"], "healthy");
    assert_eq!(
        s["usage"],
        json!({"contacts": 2, "agents": 0, "campaigns": 0, "calls": 0, "deals": 1, "phone_numbers": 0, "webhooks": 0})
    );
}

#[tokio::test]
async fn a_file_database_starts_with_the_demo_workspace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = smartalex_sandbox::Db::Path(dir.path().join("demo.db"));
    let sb = crate::sandbox_harness::start_with(smartalex_sandbox::SandboxOptions::new(db)).await;
    assert!(sb.running.database_created());
    let calls = sb.get("/calls").await.expect(200).body;
    assert!(calls["total"].as_i64() >= Some(5), "{calls}");
    let completed = calls["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|c| c["call_status"] == "completed")
        .expect("a completed call");
    let detail = sb
        .get(&format!("/calls/{}", completed["id"].as_str().expect("id")))
        .await
        .expect(200)
        .body;
    assert!(detail["transcript"].as_array().is_some_and(|t| t.len() > 3));
    let stages: std::collections::HashSet<String> = sb.get("/deals").await.expect(200).body["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|d| d["stage"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(stages.len(), 7, "deals across all stages");
    assert!(sb.get("/agents").await.expect(200).body["total"].as_i64() >= Some(2));
    assert_eq!(
        sb.get("/campaigns").await.expect(200).body["data"][0]["status"],
        "completed"
    );
}

/// The sandbox's body validation accepts exactly the spec's fields, requires
/// the spec's required ones, and lists the spec's enum values.
#[tokio::test]
async fn request_validation_follows_the_spec_schemas() {
    let sb = start().await;
    let mut checked = 0;
    for op in &spec().operations {
        let Some(schema) = &op.request_schema else {
            continue;
        };
        let path = op.path_with(NIL);
        let send = |body: Value| {
            let (sb, method, path) = (&sb, op.method.clone(), path.clone());
            async move {
                sb.send(
                    Some(&sb.key),
                    &method,
                    &path,
                    Some(body.to_string().into_bytes()),
                )
                .await
            }
        };
        let r = send(json!({"zz_unknown": 1})).await.expect(422);
        assert_eq!(
            r.error(),
            "Unrecognized key(s) in object: 'zz_unknown'",
            "{}",
            op.id
        );
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(first) = required.first() {
            let r = send(json!({})).await.expect(400);
            assert_eq!(
                r.error(),
                format!("Invalid request body: {first} is required"),
                "{}",
                op.id
            );
        }
        for (name, prop) in schema["properties"].as_object().expect("properties") {
            // A wrong type is a validation error for the field, never an unknown key.
            let r = send(json!({ name: {"wrong": "type"} })).await;
            assert!(
                r.status == 400 || r.status == 422,
                "{} {name}: {}",
                op.id,
                r.status
            );
            if required.iter().all(|req| req == name) {
                assert!(
                    r.error().starts_with(name.as_str()),
                    "{} {name}: {}",
                    op.id,
                    r.error()
                );
            }
            if let (Some(allowed), true) = (
                prop["enum"].as_array(),
                required.iter().all(|req| req == name),
            ) {
                let allowed: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
                let r = send(json!({ name: "zz_not_allowed" })).await.expect(400);
                assert_eq!(
                    r.error(),
                    format!(
                        "Invalid request body: {name} must be one of: {}",
                        allowed.join(", ")
                    ),
                    "{}",
                    op.id
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 50, "checked {checked} fields");
}

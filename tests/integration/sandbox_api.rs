//! The sandbox's domain behaviour, operation by operation, against a real
//! sandbox on loopback. Every response is also checked against the spec by
//! the harness.

use serde_json::{Value, json};

use crate::sandbox_harness::{Sandbox, eventually, spec, start, website};

const NIL: &str = "00000000-0000-4000-8000-000000000000";

#[tokio::test]
async fn every_spec_operation_has_a_route() {
    let sb = start().await;
    let ops = &spec().operations;
    assert_eq!(ops.len(), 28, "the spec has 28 operations");
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
    let r = sb
        .send(Some(&sb.key), "PUT", "/contacts", None)
        .await
        .expect(404);
    assert_eq!(r.error(), "No route found for PUT /contacts");
}

async fn contact(sb: &Sandbox, first: &str, phone: Option<&str>, tags: &[&str]) -> String {
    let mut body = json!({"first_name": first, "last_name": "Test", "email": format!("{}@example.com", first.to_lowercase()), "tags": tags});
    if let Some(p) = phone {
        body["phone"] = json!(p);
    }
    sb.post("/contacts", body)
        .await
        .expect(201)
        .str("id")
        .to_owned()
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
    let sb = crate::sandbox_harness::start_with(smartalex_mcp::sandbox::SandboxOptions {
        db: smartalex_mcp::sandbox::Db::Memory,
        rate_limit_per_min: 1000,
        allow_private_urls: false,
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
async fn numbers_search_nine_countries_and_buy_with_a_free_first_number() {
    let sb = start().await;
    let prefixes = [
        ("US", "+1", 12),
        ("CA", "+1", 12),
        ("GB", "+44", 13),
        ("AU", "+61", 12),
        ("NZ", "+64", 11),
        ("FI", "+358", 12),
        ("DK", "+45", 11),
        ("NL", "+31", 12),
        ("ZA", "+27", 12),
    ];
    let mut first_us = String::new();
    for (country, prefix, len) in prefixes {
        let r = sb
            .get(&format!(
                "/phone-numbers/available?country={country}&limit=5"
            ))
            .await
            .expect(200);
        let data = r.body["data"].as_array().expect("data");
        assert_eq!(data.len(), 5, "{country}");
        for n in data {
            let number = n["phone_number"].as_str().expect("number");
            assert!(
                number.starts_with(prefix) && number.len() == len,
                "{country}: {number}"
            );
            assert_eq!(n["country"], country);
            assert_eq!(n["monthly_cost"], 1.66);
        }
        if country == "US" {
            first_us = data[0]["phone_number"].as_str().expect("n").to_owned();
        }
    }
    let area = sb
        .get("/phone-numbers/available?country=US&area_code=415&limit=3")
        .await
        .expect(200);
    assert!(area.body["data"].as_array().expect("data").iter().all(|n| {
        n["phone_number"]
            .as_str()
            .is_some_and(|p| p.starts_with("+1415"))
    }));
    assert_eq!(area.body["data"][0]["locality"], "San Francisco, CA");
    let bad = sb
        .get("/phone-numbers/available?country=FR")
        .await
        .expect(400);
    assert_eq!(
        bad.error(),
        "Invalid query parameter: country must be one of: US, CA, GB, AU, NZ, FI, DK, NL, ZA"
    );
    assert_eq!(
        sb.get("/phone-numbers/available").await.expect(400).error(),
        "Invalid query parameter: country is required"
    );

    let agent = sb
        .post(
            "/agents",
            json!({"name": "Desk", "objective": "Answer calls"}),
        )
        .await
        .expect(201)
        .str("id")
        .to_owned();
    let free = sb
        .post(
            "/phone-numbers",
            json!({"phone_number": first_us, "agent_id": agent}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(
        (
            free["monthly_cost"].as_f64(),
            free["agent_id"].as_str(),
            free["status"].as_str()
        ),
        (Some(0.0), Some(agent.as_str()), Some("active"))
    );
    let again = sb
        .post("/phone-numbers", json!({"phone_number": first_us}))
        .await
        .expect(400);
    assert_eq!(
        again.error(),
        format!("Phone number {first_us} is no longer available")
    );
    let gb = sb
        .get("/phone-numbers/available?country=GB&limit=1")
        .await
        .expect(200)
        .body["data"][0]["phone_number"]
        .clone();
    let paid = sb
        .post("/phone-numbers", json!({"phone_number": gb}))
        .await
        .expect(201)
        .body;
    assert_eq!(
        (paid["monthly_cost"].as_f64(), paid["country"].as_str()),
        (Some(1.66), Some("GB"))
    );
    assert!(paid.get("agent_id").is_none());
    let ghost = sb
        .post(
            "/phone-numbers",
            json!({"phone_number": "+14155550199", "agent_id": NIL}),
        )
        .await
        .expect(422);
    assert_eq!(ghost.error(), "agent_id: Agent not found in this workspace");
    let list = sb.get("/phone-numbers").await.expect(200);
    assert_eq!(list.body["total"], 2);
    // Another workspace cannot buy a number this one owns, nor see it.
    let other = sb.workspace_key("other-numbers").await;
    let r = sb
        .send(
            Some(&other),
            "POST",
            "/phone-numbers",
            Some(json!({"phone_number": first_us}).to_string().into_bytes()),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = sb
        .send(Some(&other), "GET", "/phone-numbers", None)
        .await
        .expect(200);
    assert_eq!(r.body["total"], 0);
}

#[tokio::test]
async fn campaign_dials_contacts_and_writes_transcripts() {
    let sb = start().await;
    let agent = sb
        .post("/agents", json!({"name": "Ava", "objective": "Book a showing of the new listings", "company_name": "Harbor Realty", "voicemail_message": "Hi, Harbor Realty here, call us back!"}))
        .await
        .expect(201)
        .str("id")
        .to_owned();
    let maria = contact(&sb, "Maria", Some("+14155550142"), &["hot"]).await;
    let vm = contact(&sb, "Victor", Some("+14155550003"), &[]).await;
    let nophone = contact(&sb, "Nadia", None, &[]).await;

    let bad = sb
        .post("/campaigns", json!({"name": "", "agent_id": agent}))
        .await
        .expect(422);
    assert_eq!(
        bad.error(),
        "name: String must contain at least 1 character(s)"
    );
    let ghost = sb
        .post("/campaigns", json!({"name": "Q4", "agent_id": NIL}))
        .await
        .expect(422);
    assert_eq!(ghost.error(), "agent_id: Agent not found in this workspace");
    let hours = sb
        .post(
            "/campaigns",
            json!({"name": "Q4", "agent_id": agent, "calling_hours_start": "25:00"}),
        )
        .await
        .expect(422);
    assert_eq!(
        hours.error(),
        "calling_hours_start: Invalid time: use HH:MM (24-hour)"
    );

    let campaign = sb
        .post("/campaigns", json!({"name": "Spring follow-up", "agent_id": agent, "calling_hours_start": "09:00", "calling_hours_end": "18:00", "timezone": "America/Los_Angeles"}))
        .await
        .expect(201)
        .body;
    let cid = campaign["id"].as_str().expect("id").to_owned();
    assert_eq!(
        (
            campaign["status"].as_str(),
            campaign["mode"].as_str(),
            campaign["contact_count"].as_i64()
        ),
        (Some("draft"), Some("test"), Some(0))
    );

    let refused = sb
        .post(&format!("/campaigns/{cid}/start"), json!({}))
        .await
        .expect(400);
    assert!(
        refused.error().contains("no contacts"),
        "{}",
        refused.error()
    );

    let added = sb
        .post(
            &format!("/campaigns/{cid}/contacts"),
            json!({"contact_ids": [maria, maria, vm]}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        added,
        json!({"added": 2, "skipped_duplicates": 1, "skipped_existing": 0, "contact_count": 2})
    );
    let again = sb
        .post(
            &format!("/campaigns/{cid}/contacts"),
            json!({"contact_ids": [vm, nophone, nophone]}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        again,
        json!({"added": 1, "skipped_duplicates": 1, "skipped_existing": 1, "contact_count": 3})
    );
    let too_many: Vec<String> = (0..101).map(|_| maria.clone()).collect();
    let r = sb
        .post(
            &format!("/campaigns/{cid}/contacts"),
            json!({"contact_ids": too_many}),
        )
        .await
        .expect(422);
    assert_eq!(
        r.error(),
        "contact_ids: Array must contain at most 100 element(s)"
    );

    let started = sb
        .post(&format!("/campaigns/{cid}/start"), json!({}))
        .await
        .expect(200)
        .body;
    assert_eq!(started["status"], "running");
    assert!(started["started_at"].is_string());
    let twice = sb
        .post(&format!("/campaigns/{cid}/start"), json!({}))
        .await
        .expect(400);
    assert_eq!(twice.error(), "Campaign is already running");

    let done = eventually(15, "the campaign to complete", || async {
        let c = sb.get(&format!("/campaigns/{cid}")).await.expect(200).body;
        (c["status"] == "completed").then_some(c)
    })
    .await;
    assert_eq!(done["stats"]["calls_total"], 3);
    assert_eq!(
        (
            done["stats"]["calls_completed"].as_i64(),
            done["stats"]["calls_voicemail"].as_i64(),
            done["stats"]["calls_failed"].as_i64()
        ),
        (Some(1), Some(1), Some(1))
    );

    let calls = sb
        .get(&format!("/calls?campaign_id={cid}"))
        .await
        .expect(200)
        .body;
    assert_eq!(calls["total"], 3);
    let by_contact = |id: &str| -> Value {
        calls["data"]
            .as_array()
            .expect("data")
            .iter()
            .find(|c| c["contact_id"] == json!(id))
            .cloned()
            .expect("call for contact")
    };
    let answered = by_contact(&maria);
    assert_eq!(
        (
            answered["call_status"].as_str(),
            answered["sentiment"].as_str(),
            answered["direction"].as_str()
        ),
        (Some("completed"), Some("positive"), Some("outbound"))
    );
    assert!(
        answered["duration_seconds"].as_i64() > Some(10) && answered["cost"].as_f64() > Some(0.0)
    );
    assert!(
        answered.get("transcript").is_none(),
        "lists carry no transcripts"
    );
    let detail = sb
        .get(&format!("/calls/{}", answered["id"].as_str().expect("id")))
        .await
        .expect(200)
        .body;
    let transcript = detail["transcript"].as_array().expect("transcript");
    assert!(transcript.len() >= 6);
    assert_eq!(transcript[0]["role"], "agent");
    assert!(
        transcript[0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("Maria") && t.contains("Harbor Realty")),
        "{}",
        transcript[0]
    );
    assert!(
        transcript
            .iter()
            .any(|t| t["text"].as_str().is_some_and(|t| t.contains("Thursday"))),
        "a booking objective books a time"
    );
    let voicemail = sb
        .get(&format!(
            "/calls/{}",
            by_contact(&vm)["id"].as_str().expect("id")
        ))
        .await
        .expect(200)
        .body;
    assert_eq!(voicemail["call_status"], "voicemail");
    assert_eq!(
        voicemail["transcript"][0]["text"],
        "Hi, Harbor Realty here, call us back!"
    );
    assert_eq!(by_contact(&nophone)["call_status"], "failed");

    let completed = sb
        .post(&format!("/campaigns/{cid}/start"), json!({}))
        .await
        .expect(400);
    assert!(completed.error().starts_with("Campaign is completed"));
    assert_eq!(
        sb.get("/calls?direction=inbound").await.expect(200).body["total"],
        0
    );
    assert_eq!(
        sb.get("/calls?campaign_id=nope").await.expect(400).error(),
        "Invalid UUID format"
    );

    // A campaign whose agent is gone cannot start.
    let orphan = sb
        .post("/campaigns", json!({"name": "Orphan", "agent_id": agent}))
        .await
        .expect(201)
        .str("id")
        .to_owned();
    sb.post(
        &format!("/campaigns/{orphan}/contacts"),
        json!({"contact_ids": [maria]}),
    )
    .await
    .expect(200);
    sb.delete(&format!("/agents/{agent}")).await.expect(200);
    let r = sb
        .post(&format!("/campaigns/{orphan}/start"), json!({}))
        .await
        .expect(400);
    assert!(r.error().contains("no agent"), "{}", r.error());
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
    let db = smartalex_mcp::sandbox::Db::Path(dir.path().join("demo.db"));
    let sb =
        crate::sandbox_harness::start_with(smartalex_mcp::sandbox::SandboxOptions::new(db)).await;
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
                    r.error().starts_with(&format!("{name}")),
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

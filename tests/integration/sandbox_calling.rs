//! Phone numbers and the calling flow: search and buy in nine countries,
//! then a campaign that dials contacts and leaves call records with
//! transcripts behind.

use serde_json::{Value, json};

use crate::sandbox_harness::{contact, eventually, start};

const NIL: &str = "00000000-0000-4000-8000-000000000000";

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

//! The test-mode dialer: starting a campaign places simulated calls.
//!
//! Calls are placed one after another, time-compressed (a two-minute call
//! plays out in about a quarter of a second; timestamps are on the
//! simulated clock). Each produces a call record and, when someone
//! answers, a turn-by-turn transcript written from the agent's objective,
//! company and opening line and the contact's name, company and tags.
//!
//! Like a payment provider's test cards, outcomes are deterministic and can
//! be chosen with magic numbers: a contact phone ending in
//! `0001` → `no_answer`, `0002` → `busy`, `0003` → `voicemail`,
//! `0004` → `failed`; a contact without a phone → `failed`; anything else is
//! answered (`completed`). Sentiment follows the contact's tags and notes
//! (`hot`, `interested`, `vip` → positive; `cold`, `not interested`,
//! `do-not-call` → negative), otherwise a seeded draw leaning positive.
//!
//! Calling hours are not enforced in test mode (the clock is compressed).
//! Every step is a short write transaction, so a restart resumes a running
//! campaign where it stopped ([`resume`]).

use std::time::Duration;

use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::{Value, json};

use super::errors::ApiError;
use super::ids::Rng;
use super::{SharedApp, clock, ids, webhooks};

/// USD per minute of a connected call.
const PRICE_PER_MINUTE: f64 = 0.12;
/// Wall-clock milliseconds per simulated second of call.
const MS_PER_SIMULATED_SECOND: u64 = 2;
const RING: Duration = Duration::from_millis(60);

/// The agent side of a call.
#[derive(Debug, Clone)]
pub struct AgentInfo {
    pub id: String,
    pub company: Option<String>,
    pub objective: Option<String>,
    pub first_message: Option<String>,
    pub voicemail_message: Option<String>,
}

/// The contact side of a call.
#[derive(Debug, Clone)]
pub struct ContactInfo {
    pub id: String,
    pub first_name: String,
    pub company: Option<String>,
    pub phone: Option<String>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
}

/// How a simulated call went.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub call_status: &'static str,
    pub duration_seconds: i64,
    pub sentiment: Option<&'static str>,
    pub cost: f64,
    pub summary: String,
    pub transcript: Vec<Value>,
}

/// Decide a call's outcome and write its transcript. Deterministic in its inputs.
pub fn simulate(agent: &AgentInfo, contact: &ContactInfo, seed: &str) -> Outcome {
    let mut rng = Rng::seeded(&[seed, &agent.id, &contact.id]);
    let phone = contact.phone.as_deref().unwrap_or("");
    let status = if phone.is_empty() {
        "failed"
    } else if phone.ends_with("0001") {
        "no_answer"
    } else if phone.ends_with("0002") {
        "busy"
    } else if phone.ends_with("0003") {
        "voicemail"
    } else if phone.ends_with("0004") {
        "failed"
    } else {
        "completed"
    };
    let company = agent.company.clone().unwrap_or_else(|| "our team".into());
    match status {
        "completed" => {
            let sentiment = sentiment_for(contact, &mut rng);
            let transcript = conversation(agent, contact, sentiment, &company, &mut rng);
            let duration = transcript
                .last()
                .and_then(|t| t["offset_seconds"].as_f64())
                .map_or(60, |s| s.ceil() as i64 + rng.range(3, 9));
            let summary = summary_for(agent, contact, sentiment);
            Outcome {
                call_status: "completed",
                duration_seconds: duration,
                sentiment: Some(sentiment),
                cost: price(duration),
                summary,
                transcript,
            }
        }
        "voicemail" => {
            let message = agent.voicemail_message.clone().unwrap_or_else(|| {
                format!("Hi {}, this is Alex from {company}. Sorry I missed you — I'll try again soon, or call us back at your convenience.", contact.first_name)
            });
            let duration = 8 + (message.split_whitespace().count() as i64 * 2) / 5;
            Outcome {
                call_status: "voicemail",
                duration_seconds: duration,
                sentiment: Some("neutral"),
                cost: price(duration),
                summary: format!(
                    "Reached {}'s voicemail and left a message.",
                    contact.first_name
                ),
                transcript: vec![json!({"role": "agent", "text": message, "offset_seconds": 4.0})],
            }
        }
        other => Outcome {
            call_status: other,
            duration_seconds: 0,
            sentiment: None,
            cost: 0.0,
            summary: match other {
                "no_answer" => format!("{} did not answer.", contact.first_name),
                "busy" => format!("{}'s line was busy.", contact.first_name),
                _ if phone.is_empty() => {
                    format!("{} has no phone number on file.", contact.first_name)
                }
                _ => format!("The call to {} could not be connected.", contact.first_name),
            },
            transcript: Vec::new(),
        },
    }
}

fn price(duration_seconds: i64) -> f64 {
    ((duration_seconds as f64 / 60.0) * PRICE_PER_MINUTE * 10_000.0).round() / 10_000.0
}

fn sentiment_for(contact: &ContactInfo, rng: &mut Rng) -> &'static str {
    let mut words: Vec<String> = contact.tags.iter().map(|t| t.to_lowercase()).collect();
    if let Some(n) = &contact.notes {
        words.push(n.to_lowercase());
    }
    let has = |keys: &[&str]| words.iter().any(|w| keys.iter().any(|k| w.contains(k)));
    if has(&[
        "not interested",
        "not-interested",
        "cold",
        "do-not-call",
        "do not call",
        "unhappy",
        "churn",
    ]) {
        "negative"
    } else if has(&["hot", "interested", "vip", "warm", "referral"]) {
        "positive"
    } else {
        ["positive", "positive", "neutral", "neutral", "negative"][rng.below(5) as usize]
    }
}

/// What the call is about, from the objective's wording.
fn purpose(objective: &str) -> &'static str {
    let o = objective.to_lowercase();
    let any = |keys: &[&str]| keys.iter().any(|k| o.contains(k));
    if any(&[
        "book",
        "appointment",
        "schedule",
        "showing",
        "demo",
        "meeting",
        "consultation",
    ]) {
        "booking"
    } else if any(&["survey", "feedback", "satisfaction", "review"]) {
        "feedback"
    } else if any(&["remind", "confirm"]) {
        "reminder"
    } else if any(&["renew", "upgrade", "offer", "sell", "promotion"]) {
        "offer"
    } else {
        "qualify"
    }
}

fn conversation(
    agent: &AgentInfo,
    contact: &ContactInfo,
    sentiment: &str,
    company: &str,
    rng: &mut Rng,
) -> Vec<Value> {
    let name = &contact.first_name;
    let objective = agent
        .objective
        .clone()
        .unwrap_or_else(|| format!("learn how {company} can help"));
    let opening = agent
        .first_message
        .clone()
        .unwrap_or_else(|| format!("Hi {{{{first_name}}}}, this is Alex from {company}."))
        .replace("{{first_name}}", name);
    let their_company = contact
        .company
        .as_deref()
        .map(|c| format!(" at {c}"))
        .unwrap_or_default();
    let purpose = purpose(&objective);
    let pitch = match purpose {
        "booking" => format!(
            "I'm reaching out because we'd love to set up a time with you{their_company}. {objective}"
        ),
        "feedback" => format!(
            "I'm calling to hear how things have been going with {company}. It'll only take a minute."
        ),
        "reminder" => {
            "I'm just calling with a quick reminder and to confirm the details with you.".to_owned()
        }
        "offer" => format!(
            "I'm calling because there's an offer from {company} I think fits you{their_company}."
        ),
        _ => format!(
            "I'm calling to learn a bit about what you're looking for{their_company} and whether {company} can help."
        ),
    };
    let mut turns: Vec<(&str, String)> = vec![
        ("agent", opening),
        (
            "contact",
            if sentiment == "negative" {
                "Yes? Who is this again?".into()
            } else {
                format!("Hi, yes, this is {name}.")
            },
        ),
        ("agent", pitch),
    ];
    match sentiment {
        "positive" => {
            turns.push((
                "contact",
                match purpose {
                    "feedback" => {
                        "Honestly it's been great, the team has been really helpful.".into()
                    }
                    "reminder" => "Thanks for the reminder, that still works for me.".into(),
                    _ => "That sounds good, actually. I've been meaning to look into this.".into(),
                },
            ));
            turns.push((
                "agent",
                match purpose {
                    "booking" => {
                        "Wonderful. Would Thursday at 2 pm or Friday at 10 am work better for you?"
                            .into()
                    }
                    "feedback" => {
                        "That's great to hear. Would you be happy to leave us a short review?"
                            .into()
                    }
                    "reminder" => "Perfect, you're all confirmed.".into(),
                    _ => "Great. Could you tell me a little about your timeline and budget?".into(),
                },
            ));
            turns.push((
                "contact",
                match purpose {
                    "booking" => "Thursday at 2 works.".into(),
                    "feedback" => "Sure, send me the link.".into(),
                    "reminder" => "Great, see you then.".into(),
                    _ => "We're hoping to decide within the next month or so.".into(),
                },
            ));
            turns.push(("agent", format!("Perfect, {name}. I'll send a confirmation by email. Thanks so much for your time!")));
        }
        "neutral" => {
            turns.push((
                "contact",
                "Maybe. I'm a bit busy right now — can you send me some information?".into(),
            ));
            turns.push(("agent", "Of course. I'll email you a short overview. Is this the best number to follow up on next week?".into()));
            turns.push(("contact", "Yes, that's fine.".into()));
            turns.push(("agent", format!("Thanks {name}, talk soon.")));
        }
        _ => {
            turns.push(("contact", "I'm not interested, thanks.".into()));
            turns.push((
                "agent",
                format!(
                    "I understand. Would you like me to remove you from our call list at {company}?"
                ),
            ));
            turns.push(("contact", "Yes, please.".into()));
            turns.push((
                "agent",
                "Done. Sorry for the interruption, have a good day.".into(),
            ));
        }
    }
    let mut offset = 0.5;
    turns
        .into_iter()
        .map(|(role, text)| {
            let entry = json!({"role": role, "text": text, "offset_seconds": offset});
            // Roughly 2.5 words a second, plus a pause between turns.
            offset +=
                (text.split_whitespace().count() as f64 / 2.5) + 0.6 + rng.below(15) as f64 / 10.0;
            offset = (offset * 10.0).round() / 10.0;
            entry
        })
        .collect()
}

fn summary_for(agent: &AgentInfo, contact: &ContactInfo, sentiment: &str) -> String {
    let purpose = purpose(agent.objective.as_deref().unwrap_or(""));
    let name = &contact.first_name;
    match (sentiment, purpose) {
        ("positive", "booking") => format!(
            "{name} was interested and booked a time (Thursday 2 pm). Confirmation to follow by email."
        ),
        ("positive", "feedback") => {
            format!("{name} is happy with the service and agreed to leave a review.")
        }
        ("positive", "reminder") => format!("{name} confirmed."),
        ("positive", _) => {
            format!("{name} is interested; expects to decide within a month. Good lead.")
        }
        ("neutral", _) => {
            format!("{name} was busy and asked for information by email; follow up next week.")
        }
        _ => format!("{name} was not interested and asked to be removed from the call list."),
    }
}

/// Dial a running campaign's pending contacts in the background.
pub fn spawn(app: SharedApp, workspace_id: String, campaign_id: String) {
    tokio::spawn(async move {
        if let Err(e) = run(&app, &workspace_id, &campaign_id).await {
            tracing::warn!(campaign = %campaign_id, error = %e, "test-mode dialer stopped");
        }
    });
}

/// Restart dialers of campaigns that were running when the sandbox stopped.
pub fn resume(app: SharedApp) {
    tokio::spawn(async move {
        let running = app
            .store
            .write(|tx| {
                // Calls cut off by the stop cannot finish: close them and move on.
                tx.execute(
                    "UPDATE calls SET call_status = 'failed', summary = 'The sandbox stopped during the call.', ended_at = ?1
                     WHERE call_status IN ('queued', 'ringing', 'in_progress')",
                    [clock::now_str()],
                )?;
                tx.execute("UPDATE campaign_contacts SET status = 'called' WHERE status = 'dialing'", [])?;
                let mut st = tx.prepare("SELECT workspace_id, id FROM campaigns WHERE status = 'running'")?;
                let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            })
            .await;
        match running {
            Ok(campaigns) => {
                for (ws, id) in campaigns {
                    spawn(app.clone(), ws, id);
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot resume running campaigns"),
        }
    });
}

async fn run(app: &SharedApp, ws: &str, campaign_id: &str) -> Result<(), ApiError> {
    loop {
        let (w, c) = (ws.to_owned(), campaign_id.to_owned());
        let placed = app.store.write(move |tx| place_next(tx, &w, &c)).await?;
        let Some((call_id, agent, contact)) = placed else {
            break;
        };
        tokio::time::sleep(RING).await;
        let outcome = simulate(&agent, &contact, &call_id);
        tokio::time::sleep(Duration::from_millis(
            outcome.duration_seconds.max(0) as u64 * MS_PER_SIMULATED_SECOND,
        ))
        .await;
        let w = ws.to_owned();
        app.store
            .write(move |tx| finish(tx, &w, &call_id, &contact.id, &outcome))
            .await?;
        app.deliveries.notify_one();
    }
    let (w, c) = (ws.to_owned(), campaign_id.to_owned());
    app.store
        .write(move |tx| {
            let n = tx.execute(
                "UPDATE campaigns SET status = 'completed', completed_at = ?1 WHERE id = ?2 AND status = 'running'
                 AND NOT EXISTS (SELECT 1 FROM campaign_contacts WHERE campaign_id = ?2 AND status IN ('pending', 'dialing'))",
                params![clock::now_str(), c],
            )?;
            if n == 1
                && let Some(campaign) = crate::sandbox::routes::campaigns::fetch(tx, &w, &c)?
            {
                webhooks::emit(tx, &w, "campaign.completed", &campaign)?;
            }
            Ok(())
        })
        .await?;
    app.deliveries.notify_one();
    Ok(())
}

type Placed = Option<(String, AgentInfo, ContactInfo)>;

/// Claim the next pending contact and open an in-progress call for it.
fn place_next(tx: &Transaction<'_>, ws: &str, campaign_id: &str) -> Result<Placed, ApiError> {
    let campaign: Option<(String, String)> = tx
        .query_row(
            "SELECT status, agent_id FROM campaigns WHERE id = ?1 AND workspace_id = ?2",
            [campaign_id, ws],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((status, agent_id)) = campaign else {
        return Ok(None);
    };
    if status != "running" {
        return Ok(None);
    }
    let Some(agent) = load_agent(tx, ws, &agent_id)? else {
        tx.execute(
            "UPDATE campaigns SET status = 'paused' WHERE id = ?1",
            [campaign_id],
        )?;
        tracing::info!(campaign = %campaign_id, "campaign paused: its agent was deleted");
        return Ok(None);
    };
    let next: Option<String> = tx
        .query_row(
            "SELECT contact_id FROM campaign_contacts WHERE campaign_id = ?1 AND status = 'pending' ORDER BY position LIMIT 1",
            [campaign_id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(contact_id) = next else {
        return Ok(None);
    };
    tx.execute(
        "UPDATE campaign_contacts SET status = 'dialing' WHERE campaign_id = ?1 AND contact_id = ?2",
        [campaign_id, &contact_id],
    )?;
    let contact = load_contact(tx, ws, &contact_id)?.unwrap_or(ContactInfo {
        id: contact_id.clone(),
        first_name: "there".into(),
        company: None,
        phone: None,
        tags: Vec::new(),
        notes: None,
    });
    let call_id = ids::new_id();
    let now = clock::now_str();
    tx.execute(
        "INSERT INTO calls (id, workspace_id, campaign_id, agent_id, contact_id, direction, call_status, started_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'outbound', 'in_progress', ?6, ?6)",
        params![call_id, ws, campaign_id, agent.id, contact.id, now],
    )?;
    Ok(Some((call_id, agent, contact)))
}

fn finish(
    tx: &Transaction<'_>,
    ws: &str,
    call_id: &str,
    contact_id: &str,
    o: &Outcome,
) -> Result<(), ApiError> {
    let started: Option<String> = tx.query_row(
        "SELECT started_at FROM calls WHERE id = ?1",
        [call_id],
        |r| r.get(0),
    )?;
    let ended = started
        .as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|s| {
            clock::format(
                s.with_timezone(&chrono::Utc) + chrono::Duration::seconds(o.duration_seconds),
            )
        })
        .unwrap_or_else(clock::now_str);
    tx.execute(
        "UPDATE calls SET call_status = ?1, duration_seconds = ?2, sentiment = ?3, cost = ?4, summary = ?5, transcript = ?6, ended_at = ?7
         WHERE id = ?8",
        params![o.call_status, o.duration_seconds, o.sentiment, o.cost, o.summary, Value::from(o.transcript.clone()).to_string(), ended, call_id],
    )?;
    tx.execute(
        "UPDATE campaign_contacts SET status = 'called' WHERE contact_id = ?1 AND campaign_id = (SELECT campaign_id FROM calls WHERE id = ?2)",
        [contact_id, call_id],
    )?;
    if let Some(call) = crate::sandbox::routes::calls::fetch(tx, ws, call_id, false)? {
        webhooks::emit(tx, ws, "call.completed", &call)?;
    }
    Ok(())
}

pub fn load_agent(
    tx: &rusqlite::Connection,
    ws: &str,
    id: &str,
) -> rusqlite::Result<Option<AgentInfo>> {
    tx.query_row(
        "SELECT id, company_name, objective, first_message, voicemail_message FROM agents WHERE id = ?1 AND workspace_id = ?2",
        [id, ws],
        |r| {
            Ok(AgentInfo {
                id: r.get(0)?,
                company: r.get(1)?,
                objective: r.get(2)?,
                first_message: r.get(3)?,
                voicemail_message: r.get(4)?,
            })
        },
    )
    .optional()
}

pub fn load_contact(
    tx: &rusqlite::Connection,
    ws: &str,
    id: &str,
) -> rusqlite::Result<Option<ContactInfo>> {
    tx.query_row(
        "SELECT id, first_name, company, phone, tags, notes FROM contacts WHERE id = ?1 AND workspace_id = ?2",
        [id, ws],
        |r| {
            let tags: Option<String> = r.get(4)?;
            Ok(ContactInfo {
                id: r.get(0)?,
                first_name: r.get(1)?,
                company: r.get(2)?,
                phone: r.get(3)?,
                tags: tags.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default(),
                notes: r.get(5)?,
            })
        },
    )
    .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(objective: &str) -> AgentInfo {
        AgentInfo {
            id: "a".into(),
            company: Some("Harbor Realty".into()),
            objective: Some(objective.into()),
            first_message: Some("Hi {{first_name}}, this is Alex from Harbor Realty.".into()),
            voicemail_message: None,
        }
    }

    fn contact(phone: Option<&str>, tags: &[&str]) -> ContactInfo {
        ContactInfo {
            id: "c".into(),
            first_name: "Maria".into(),
            company: Some("Acme".into()),
            phone: phone.map(str::to_owned),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            notes: None,
        }
    }

    #[test]
    fn magic_numbers_pick_the_outcome() {
        let a = agent("Book a showing");
        let status = |p: Option<&str>| simulate(&a, &contact(p, &[]), "s").call_status;
        assert_eq!(status(Some("+14155550123")), "completed");
        assert_eq!(status(Some("+14155550001")), "no_answer");
        assert_eq!(status(Some("+14155550002")), "busy");
        assert_eq!(status(Some("+14155550003")), "voicemail");
        assert_eq!(status(Some("+14155550004")), "failed");
        assert_eq!(status(None), "failed");
    }

    #[test]
    fn transcript_depends_on_objective_and_contact() {
        let hot = simulate(
            &agent("Book a showing of the property"),
            &contact(Some("+14155550123"), &["hot"]),
            "s",
        );
        assert_eq!(hot.sentiment, Some("positive"));
        let text: Vec<&str> = hot
            .transcript
            .iter()
            .filter_map(|t| t["text"].as_str())
            .collect();
        assert!(text[0].contains("Hi Maria"), "{text:?}");
        assert!(text.iter().any(|t| t.contains("Thursday")), "{text:?}");
        assert!(hot.duration_seconds > 0 && hot.cost > 0.0);
        let cold = simulate(
            &agent("Collect feedback"),
            &contact(Some("+14155550123"), &["cold"]),
            "s",
        );
        assert_eq!(cold.sentiment, Some("negative"));
        assert!(cold.summary.contains("not interested"));
        let offsets: Vec<f64> = hot
            .transcript
            .iter()
            .filter_map(|t| t["offset_seconds"].as_f64())
            .collect();
        assert!(offsets.windows(2).all(|w| w[0] < w[1]));
    }
}

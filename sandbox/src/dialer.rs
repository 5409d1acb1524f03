//! The test-mode dialer: starting a campaign places simulated calls.
//!
//! Calls are placed one after another, time-compressed (a two-minute call
//! plays out in about a quarter of a second; timestamps are on the
//! simulated clock). Each produces a call record and, when someone
//! answers, a turn-by-turn transcript; [`conversation`](super::conversation)
//! decides how each call goes (including the magic test numbers).
//!
//! Calling hours are not enforced in test mode (the clock is compressed).
//! Every step is a short write transaction, so a restart resumes a running
//! campaign where it stopped ([`resume`]). The campaign route starts it
//! ([`spawn`]); the records its webhooks carry come from [`records`], not
//! from the routes.

use std::time::Duration;

use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::Value;

use crate::conversation::{AgentInfo, ContactInfo, Outcome, simulate};
use crate::errors::ApiError;
use crate::{SharedApp, clock, ids, records, webhooks};

/// Wall-clock milliseconds per simulated second of call.
const MS_PER_SIMULATED_SECOND: u64 = 2;
const RING: Duration = Duration::from_millis(60);

/// Dial a running campaign's pending contacts in the background.
pub(crate) fn spawn(app: SharedApp, workspace_id: String, campaign_id: String) {
    tokio::spawn(async move {
        if let Err(e) = run(&app, &workspace_id, &campaign_id).await {
            tracing::warn!(campaign = %campaign_id, error = %e, "test-mode dialer stopped");
        }
    });
}

/// Restart dialers of campaigns that were running when the sandbox stopped.
pub(crate) fn resume(app: SharedApp) {
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
                && let Some(campaign) = records::campaign(tx, &w, &c)?
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
    if let Some(call) = records::call(tx, ws, call_id, false)? {
        webhooks::emit(tx, ws, "call.completed", &call)?;
    }
    Ok(())
}

pub(crate) fn load_agent(
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

pub(crate) fn load_contact(
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

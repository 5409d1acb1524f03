//! The demo workspace a new sandbox database starts with, so a first-time
//! user's `list_calls` already has something to show: a small real-estate
//! team with three agents, eight contacts, a finished campaign whose calls
//! have transcripts, a phone number, and deals across the pipeline.
//!
//! The calls are produced by the dialer's own simulation, so the demo
//! shows exactly what a user's own test campaigns will produce.

use rusqlite::{Transaction, params};
use serde_json::{Value, json};

use super::auth::ensure_workspace;
use super::errors::ApiError;
use super::routes::agents;
use super::routes::text;
use super::{DEFAULT_WORKSPACE, clock, conversation, dialer, ids};

/// The default workspace's name, created (and seeded when `demo`) if absent.
pub(crate) fn ensure_default(tx: &Transaction<'_>, demo: bool) -> Result<String, ApiError> {
    let exists: i64 = tx.query_row(
        "SELECT COUNT(*) FROM workspaces WHERE name = ?1",
        [DEFAULT_WORKSPACE],
        |r| r.get(0),
    )?;
    let ws = ensure_workspace(tx, DEFAULT_WORKSPACE)?;
    if exists == 0 && demo {
        seed(tx, &ws)?;
        tracing::info!("seeded the demo workspace");
    }
    Ok(DEFAULT_WORKSPACE.to_owned())
}

/// first name, last name, email, phone, company, tags.
type DemoContact = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

const CONTACTS: &[DemoContact] = &[
    (
        "Maria",
        "Lopez",
        "maria.lopez@example.com",
        "+15035550142",
        "",
        &["hot", "buyer"],
    ),
    (
        "James",
        "Chen",
        "james.chen@example.com",
        "+15035550187",
        "Chen Dental",
        &["seller"],
    ),
    (
        "Aisha",
        "Patel",
        "aisha.patel@example.com",
        "+15035550003",
        "",
        &["buyer", "first-time"],
    ),
    (
        "Tom",
        "Becker",
        "tom.becker@example.com",
        "+15035550001",
        "",
        &["buyer"],
    ),
    (
        "Sofia",
        "Rossi",
        "sofia.rossi@example.com",
        "+15035550129",
        "Rossi Bakery",
        &["cold"],
    ),
    (
        "Daniel",
        "Okafor",
        "daniel.okafor@example.com",
        "+15035550165",
        "",
        &["interested", "investor"],
    ),
    (
        "Emma",
        "Johansson",
        "emma.j@example.com",
        "+15035550114",
        "",
        &["seller", "referral"],
    ),
    (
        "Lucas",
        "Martin",
        "lucas.martin@example.com",
        "+15035550198",
        "",
        &[],
    ),
];

fn seed(tx: &Transaction<'_>, ws: &str) -> Result<(), ApiError> {
    let company = "Harbor Realty";
    let summary = "Harbor Realty is a Portland real-estate team helping families buy and sell homes, with free home valuations and weekend open houses.";
    let outreach = agents::insert(
        tx,
        ws,
        vec![
            ("name", text("Harbor Realty Outreach")),
            (
                "objective",
                text(
                    "Follow up with leads from open houses, answer questions about listings and book a private showing.",
                ),
            ),
            ("direction", text("outbound")),
            ("company_name", text(company)),
            ("timezone", text("America/Los_Angeles")),
            ("website_url", text("https://harbor-realty.example/")),
            ("website_summary", text(summary)),
            (
                "voicemail_message",
                text(
                    "Hi, this is Alex from Harbor Realty following up on the open house. Call us back any time at 503-555-0100.",
                ),
            ),
        ],
    )?;
    agents::insert(
        tx,
        ws,
        vec![
            ("name", text("Harbor Realty Front Desk")),
            (
                "objective",
                text(
                    "Answer inbound calls, help callers with listing questions and book valuations or showings.",
                ),
            ),
            ("direction", text("inbound")),
            ("company_name", text(company)),
            ("timezone", text("America/Los_Angeles")),
            ("website_summary", text(summary)),
        ],
    )?;
    agents::insert(
        tx,
        ws,
        vec![
            ("name", text("Seller Valuation Follow-up")),
            (
                "objective",
                text("Call past sellers to offer a free home valuation."),
            ),
            ("status", text("draft")),
            ("company_name", text(company)),
        ],
    )?;
    let agent_id = outreach["id"].as_str().unwrap_or_default().to_owned();

    let base = clock::now() - chrono::Duration::days(3);
    let mut contact_ids = Vec::new();
    for (i, (first, last, email, phone, org, tags)) in CONTACTS.iter().enumerate() {
        let id = ids::new_id();
        let at = clock::format(base + chrono::Duration::minutes(i as i64 * 7));
        tx.execute(
            "INSERT INTO contacts (id, workspace_id, first_name, last_name, email, phone, company, tags, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            params![id, ws, first, last, email, phone, (!org.is_empty()).then_some(*org), json!(tags).to_string(), at],
        )?;
        contact_ids.push(id);
    }

    tx.execute(
        "INSERT INTO phone_numbers (id, workspace_id, phone_number, country, locality, monthly_cost, agent_id, status, created_at)
         VALUES (?1, ?2, '+15035550100', 'US', 'Portland, OR', 0, ?3, 'active', ?4)",
        params![ids::new_id(), ws, agent_id, clock::format(base)],
    )?;

    // A finished campaign over the first six contacts, dialled yesterday.
    let campaign_id = ids::new_id();
    let started = clock::now() - chrono::Duration::days(1);
    tx.execute(
        "INSERT INTO campaigns (id, workspace_id, name, agent_id, objective, status, mode, calling_hours_start,
            calling_hours_end, timezone, created_at, started_at, completed_at)
         VALUES (?1, ?2, 'Spring open house follow-up', ?3, 'Book private showings with open-house visitors.',
            'completed', 'test', '09:00', '18:00', 'America/Los_Angeles', ?4, ?5, ?6)",
        params![
            campaign_id,
            ws,
            agent_id,
            clock::format(started - chrono::Duration::hours(2)),
            clock::format(started),
            clock::format(started + chrono::Duration::minutes(30))
        ],
    )?;
    let agent = dialer::load_agent(tx, ws, &agent_id)?
        .ok_or_else(|| ApiError::internal("seed agent missing"))?;
    let mut at = started;
    for (i, contact_id) in contact_ids.iter().take(6).enumerate() {
        tx.execute(
            "INSERT INTO campaign_contacts (campaign_id, contact_id, workspace_id, position, status, added_at)
             VALUES (?1, ?2, ?3, ?4, 'called', ?5)",
            params![campaign_id, contact_id, ws, i as i64 + 1, clock::format(started)],
        )?;
        let contact = dialer::load_contact(tx, ws, contact_id)?
            .ok_or_else(|| ApiError::internal("seed contact missing"))?;
        let call_id = ids::new_id();
        let o = conversation::simulate(&agent, &contact, &call_id);
        let ended = at + chrono::Duration::seconds(o.duration_seconds);
        tx.execute(
            "INSERT INTO calls (id, workspace_id, campaign_id, agent_id, contact_id, direction, call_status, duration_seconds,
                sentiment, cost, summary, transcript, started_at, ended_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'outbound', ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?12)",
            params![
                call_id,
                ws,
                campaign_id,
                agent_id,
                contact_id,
                o.call_status,
                o.duration_seconds,
                o.sentiment,
                o.cost,
                o.summary,
                Value::from(o.transcript).to_string(),
                clock::format(at),
                clock::format(ended)
            ],
        )?;
        at = ended + chrono::Duration::seconds(45);
    }

    let deals: [(&str, &str, f64, usize); 7] = [
        ("Lopez — 3BR in Sellwood", "showing", 685_000.0, 0),
        ("Chen — list dental office condo", "qualified", 420_000.0, 1),
        ("Patel — first home", "lead", 450_000.0, 2),
        ("Okafor — duplex investment", "offer", 910_000.0, 5),
        (
            "Johansson — Alberta Arts bungalow",
            "under_contract",
            575_000.0,
            6,
        ),
        ("Martin — Pearl District loft", "closed_won", 530_000.0, 7),
        ("Rossi — bakery building", "closed_lost", 1_200_000.0, 4),
    ];
    for (i, (name, stage, value, contact)) in deals.iter().enumerate() {
        let at = clock::format(base + chrono::Duration::hours(i as i64 * 5));
        tx.execute(
            "INSERT INTO deals (id, workspace_id, deal_name, stage, value, currency, contact_id, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'USD', ?6, ?7, ?7)",
            params![ids::new_id(), ws, name, stage, value, contact_ids[*contact], at],
        )?;
    }
    Ok(())
}

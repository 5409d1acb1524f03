//! `/campaigns`: pairing an agent with contacts, and starting the dialer.
//!
//! Status transitions: `draft` → `running` (start) → `completed` (the
//! dialer called everyone); `paused` → `running` (start again). A campaign
//! whose agent was deleted is paused by the dialer. Start is refused, with a
//! message that says what to do, when the agent is missing or inactive,
//! when there are no contacts, when it is already running or completed, and
//! for live mode without a phone number to call from. A campaign reads as
//! JSON the way [`crate::records`] says, here and in the dialer's webhooks.

use std::num::NonZeroU64;

use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, params};
use serde_json::json;
use smartalex::types;
use uuid::Uuid;

use super::{Workspace, answer, opt_text, text};
use crate::SharedApp;
use crate::errors::ApiError;
use crate::operations::Campaigns;
use crate::records::{self, CAMPAIGN_SELECT};
use crate::validate::{self, Body};
use crate::{clock, dialer, ids, webhooks};

/// The operations of the spec this file simulates.
pub(crate) const SIMULATED: &[&str] = &[
    "list_campaigns",
    "create_campaign",
    "get_campaign",
    "add_contacts_to_campaign",
    "start_campaign",
];

impl Campaigns for SharedApp {
    async fn list_campaigns(
        &self,
        Workspace(ws): Workspace,
        page: Option<NonZeroU64>,
        per_page: Option<NonZeroU64>,
    ) -> Result<types::CampaignList, ApiError> {
        let page = validate::page(page, per_page);
        let body = self
        .store
        .read(move |c| {
            Ok(super::page_of(
                c,
                "SELECT COUNT(*) FROM campaigns WHERE workspace_id = ?1",
                &format!("{CAMPAIGN_SELECT} WHERE c.workspace_id = ?1 GROUP BY c.id ORDER BY c.created_at DESC, c.rowid DESC LIMIT ?2 OFFSET ?3"),
                vec![SqlValue::Text(ws)],
                page,
                records::campaign_json,
            )?)
        })
        .await?;
        answer(body)
    }

    async fn get_campaign(
        &self,
        Workspace(ws): Workspace,
        id: Uuid,
    ) -> Result<types::Campaign, ApiError> {
        let id = id.to_string();
        let found = self
            .store
            .read(move |c| Ok(records::campaign(c, &ws, &id)?))
            .await?;
        answer(found.ok_or(ApiError::NotFound("campaigns"))?)
    }

    async fn create_campaign(
        &self,
        Workspace(ws): Workspace,
        body: types::CampaignCreate,
    ) -> Result<types::Campaign, ApiError> {
        let body = Body::of(&body)?;
        let campaign = self
            .store
            .write(move |tx| {
                let agent_id = body
                    .str("agent_id")
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                let agent: Option<(Option<String>, Option<String>)> = tx
                .query_row(
                    "SELECT objective, timezone FROM agents WHERE id = ?1 AND workspace_id = ?2",
                    [&agent_id, &ws],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
                let Some((agent_objective, agent_tz)) = agent else {
                    return Err(ApiError::field(
                        "agent_id",
                        "Agent not found in this workspace",
                    ));
                };
                let id = ids::new_id();
                let objective = body.str("objective").map(str::to_owned).or(agent_objective);
                let timezone = body
                    .str("timezone")
                    .map(str::to_owned)
                    .or(agent_tz)
                    .unwrap_or_else(|| "UTC".into());
                super::insert_row(
                    tx,
                    "campaigns",
                    &[
                        ("id", text(&id)),
                        ("workspace_id", text(&ws)),
                        ("name", text(body.str("name").unwrap_or_default())),
                        ("agent_id", text(agent_id)),
                        ("objective", opt_text(objective.as_deref())),
                        ("status", text("draft")),
                        ("mode", text(body.str("mode").unwrap_or("test"))),
                        (
                            "calling_hours_start",
                            text(body.str("calling_hours_start").unwrap_or("09:00")),
                        ),
                        (
                            "calling_hours_end",
                            text(body.str("calling_hours_end").unwrap_or("17:00")),
                        ),
                        ("timezone", text(timezone)),
                        ("created_at", text(clock::now_str())),
                    ],
                )?;
                records::campaign(tx, &ws, &id)?
                    .ok_or_else(|| ApiError::internal("inserted campaign vanished"))
            })
            .await?;
        answer(campaign)
    }

    async fn add_contacts_to_campaign(
        &self,
        Workspace(ws): Workspace,
        id: Uuid,
        body: types::AddContactsRequest,
    ) -> Result<types::AddContactsResult, ApiError> {
        let id = id.to_string();
        let body = Body::of(&body)?;
        let requested: Vec<String> = body
            .list("contact_ids")
            .unwrap_or_default()
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect();
        let result = self
        .store
        .write(move |tx| {
            let status: Option<String> = tx
                .query_row("SELECT status FROM campaigns WHERE id = ?1 AND workspace_id = ?2", [&id, &ws], |r| r.get(0))
                .optional()?;
            match status.as_deref() {
                None => return Err(ApiError::NotFound("campaigns")),
                Some("completed") => {
                    return Err(ApiError::BadRequest(
                        "Campaign is completed; create a new campaign to call more contacts".into(),
                    ));
                }
                Some(_) => {}
            }
            let mut unique: Vec<&String> = Vec::new();
            for c in &requested {
                if !unique.contains(&c) {
                    unique.push(c);
                }
            }
            let skipped_duplicates = requested.len() - unique.len();
            for (i, contact) in requested.iter().enumerate() {
                let exists = tx
                    .prepare_cached("SELECT 1 FROM contacts WHERE id = ?1 AND workspace_id = ?2")?
                    .query_row([contact.as_str(), &ws], |_| Ok(()))
                    .optional()?;
                if exists.is_none() {
                    return Err(ApiError::field(&format!("contact_ids.{i}"), "Contact not found in this workspace"));
                }
            }
            let mut position: i64 = tx.query_row(
                "SELECT COALESCE(MAX(position), 0) FROM campaign_contacts WHERE campaign_id = ?1",
                [&id],
                |r| r.get(0),
            )?;
            let now = clock::now_str();
            let (mut added, mut skipped_existing) = (0, 0);
            for contact in unique {
                position += 1;
                let n = tx
                    .prepare_cached(
                        "INSERT OR IGNORE INTO campaign_contacts (campaign_id, contact_id, workspace_id, position, status, added_at)
                         VALUES (?1, ?2, ?3, ?4, 'pending', ?5)",
                    )?
                    .execute(params![id, contact, ws, position, now])?;
                if n == 1 { added += 1 } else { skipped_existing += 1 }
            }
            let contact_count: i64 =
                tx.query_row("SELECT COUNT(*) FROM campaign_contacts WHERE campaign_id = ?1", [&id], |r| r.get(0))?;
            Ok(json!({
                "added": added,
                "skipped_duplicates": skipped_duplicates,
                "skipped_existing": skipped_existing,
                "contact_count": contact_count,
            }))
        })
        .await?;
        answer(result)
    }

    async fn start_campaign(
        &self,
        Workspace(ws): Workspace,
        id: Uuid,
    ) -> Result<types::Campaign, ApiError> {
        let id = id.to_string();
        let (cid, wid) = (id.clone(), ws.clone());
        let campaign = self
        .store
        .write(move |tx| {
            let row: Option<(String, String, String)> = tx
                .query_row("SELECT status, agent_id, mode FROM campaigns WHERE id = ?1 AND workspace_id = ?2", [&id, &ws], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?;
            let Some((status, agent_id, mode)) = row else {
                return Err(ApiError::NotFound("campaigns"));
            };
            match status.as_str() {
                "running" => return Err(ApiError::BadRequest("Campaign is already running".into())),
                "completed" => {
                    return Err(ApiError::BadRequest(
                        "Campaign is completed and cannot be restarted; create a new campaign".into(),
                    ));
                }
                _ => {}
            }
            let agent_status: Option<String> = tx
                .query_row("SELECT status FROM agents WHERE id = ?1 AND workspace_id = ?2", [&agent_id, &ws], |r| r.get(0))
                .optional()?;
            match agent_status.as_deref() {
                None => {
                    return Err(ApiError::BadRequest(
                        "Cannot start campaign: it has no agent (the agent was deleted). Create a new campaign with an existing agent".into(),
                    ));
                }
                Some("inactive") => {
                    return Err(ApiError::BadRequest(
                        "Cannot start campaign: its agent is inactive. Set the agent's status to active first".into(),
                    ));
                }
                Some(_) => {}
            }
            let pending: i64 = tx.query_row(
                "SELECT COUNT(*) FROM campaign_contacts WHERE campaign_id = ?1 AND status = 'pending'",
                [&id],
                |r| r.get(0),
            )?;
            if pending == 0 {
                return Err(ApiError::BadRequest(
                    "Cannot start campaign: it has no contacts to call. Add contacts with smartalex_add_contacts_to_campaign first".into(),
                ));
            }
            if mode == "live" {
                let numbers: i64 = tx.query_row(
                    "SELECT COUNT(*) FROM phone_numbers WHERE workspace_id = ?1 AND status = 'active'",
                    [&ws],
                    |r| r.get(0),
                )?;
                if numbers == 0 {
                    return Err(ApiError::BadRequest(
                        "Cannot start a live campaign without a phone number to call from. Buy one with smartalex_buy_phone_number first".into(),
                    ));
                }
            }
            tx.execute(
                "UPDATE campaigns SET status = 'running', started_at = COALESCE(started_at, ?1) WHERE id = ?2",
                params![clock::now_str(), id],
            )?;
            let campaign = records::campaign(tx, &ws, &id)?.ok_or_else(|| ApiError::internal("started campaign vanished"))?;
            webhooks::emit(tx, &ws, "campaign.started", &campaign)?;
            Ok(campaign)
        })
        .await?;
        self.deliveries.notify_one();
        dialer::spawn(self.clone(), wid, cid);
        answer(campaign)
    }
}

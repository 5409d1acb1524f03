//! `/agents`: voice agents, Quick Setup and Advanced Setup, and the
//! regenerate-prompt-and-sync step every change goes through.

use std::num::NonZeroU64;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde_json::{Value, json};
use smartalex::types;
use uuid::Uuid;

use super::{Workspace, answer, insert_row, sql_value, text, update_row};
use crate::SharedApp;
use crate::errors::ApiError;
use crate::operations::Agents;
use crate::records::Obj;
use crate::validate::{self, Body};
use crate::{clock, ids, prompt, quick_setup, webhooks};

/// The operations of the spec this file simulates.
pub(crate) const SIMULATED: &[&str] = &[
    "list_agents",
    "create_agent_advanced",
    "create_agent",
    "get_agent",
    "update_agent",
    "delete_agent",
];

const COLUMNS: &str = "id, name, language, status, direction, objective, voice, first_message, system_prompt,
    website_url, company_name, timezone, max_call_duration_seconds, voicemail_message, end_call_phrases,
    transfer_phone_number, interruption_sensitivity, background_sound, temperature, sync_status, synced_at,
    created_at, updated_at";

fn to_json(r: &Row<'_>) -> rusqlite::Result<Value> {
    let sync = Obj::new()
        .put("status", r.get::<_, String>(19)?)
        .opt("synced_at", r.get::<_, Option<String>>(20)?);
    Ok(Obj::new()
        .put("id", r.get::<_, String>(0)?)
        .put("name", r.get::<_, String>(1)?)
        .put("language", r.get::<_, String>(2)?)
        .put("status", r.get::<_, String>(3)?)
        .put("direction", r.get::<_, String>(4)?)
        .opt("objective", r.get::<_, Option<String>>(5)?)
        .opt("voice", r.get::<_, Option<String>>(6)?)
        .opt("first_message", r.get::<_, Option<String>>(7)?)
        .opt("system_prompt", r.get::<_, Option<String>>(8)?)
        .opt("website_url", r.get::<_, Option<String>>(9)?)
        .opt("company_name", r.get::<_, Option<String>>(10)?)
        .opt("timezone", r.get::<_, Option<String>>(11)?)
        .opt("max_call_duration_seconds", r.get::<_, Option<i64>>(12)?)
        .opt("voicemail_message", r.get::<_, Option<String>>(13)?)
        .json_list("end_call_phrases", r.get(14)?)
        .opt("transfer_phone_number", r.get::<_, Option<String>>(15)?)
        .opt("interruption_sensitivity", r.get::<_, Option<String>>(16)?)
        .opt("background_sound", r.get::<_, Option<String>>(17)?)
        .opt("temperature", r.get::<_, Option<f64>>(18)?)
        .put("sync", sync.done())
        .put("created_at", r.get::<_, String>(21)?)
        .put("updated_at", r.get::<_, String>(22)?)
        .done())
}

fn fetch(conn: &Connection, workspace_id: &str, id: &str) -> rusqlite::Result<Option<Value>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM agents WHERE id = ?1 AND workspace_id = ?2"
    ))?
    .query_row([id, workspace_id], to_json)
    .optional()
}

/// The prompt inputs of a stored agent.
fn settings(
    conn: &Connection,
    workspace_id: &str,
    id: &str,
) -> rusqlite::Result<Option<prompt::Settings>> {
    conn.prepare_cached(
        "SELECT name, company_name, objective, direction, language, timezone, first_message, voicemail_message,
                end_call_phrases, transfer_phone_number, max_call_duration_seconds, interruption_sensitivity, website_summary
         FROM agents WHERE id = ?1 AND workspace_id = ?2",
    )?
    .query_row([id, workspace_id], |r| {
        let phrases: Option<String> = r.get(8)?;
        Ok(prompt::Settings {
            name: r.get(0)?,
            company_name: r.get(1)?,
            objective: r.get(2)?,
            direction: r.get(3)?,
            language: r.get(4)?,
            timezone: r.get(5)?,
            first_message: r.get(6)?,
            voicemail_message: r.get(7)?,
            end_call_phrases: phrases.and_then(|p| serde_json::from_str(&p).ok()).unwrap_or_default(),
            transfer_phone_number: r.get(9)?,
            max_call_duration_seconds: r.get(10)?,
            interruption_sensitivity: r.get(11)?,
            website_summary: r.get(12)?,
        })
    })
    .optional()
}

/// Regenerate the prompt, push to the (simulated) voice platform, record
/// the sync, emit `agent.synced`; returns the agent as JSON.
fn resync(
    tx: &Transaction<'_>,
    workspace_id: &str,
    id: &str,
    changed: &[&str],
) -> Result<Value, ApiError> {
    let s = settings(tx, workspace_id, id)?.ok_or(ApiError::NotFound("agents"))?;
    let now = clock::now_str();
    tx.execute(
        "UPDATE agents SET system_prompt = ?1, sync_status = 'synced', synced_at = ?2 WHERE id = ?3 AND workspace_id = ?4",
        params![prompt::generate(&s), now, id, workspace_id],
    )?;
    tx.execute(
        "INSERT INTO agent_syncs (id, agent_id, workspace_id, status, fields, synced_at) VALUES (?1, ?2, ?3, 'synced', ?4, ?5)",
        params![ids::new_id(), id, workspace_id, json!(changed).to_string(), now],
    )?;
    let agent = fetch(tx, workspace_id, id)?.ok_or(ApiError::NotFound("agents"))?;
    webhooks::emit(tx, workspace_id, "agent.synced", &agent)?;
    Ok(agent)
}

/// Insert a new agent from `fields` (column, value), filling the defaults
/// a real platform would, then sync it.
pub(crate) fn insert(
    tx: &Transaction<'_>,
    workspace_id: &str,
    fields: Vec<(&str, rusqlite::types::Value)>,
) -> Result<Value, ApiError> {
    let id = ids::new_id();
    let now = clock::now_str();
    let given = |name: &str| fields.iter().any(|(c, _)| *c == name);
    let get_text = |name: &str| {
        fields
            .iter()
            .find(|(c, _)| *c == name)
            .and_then(|(_, v)| match v {
                rusqlite::types::Value::Text(t) => Some(t.clone()),
                _ => None,
            })
    };
    let direction = get_text("direction").unwrap_or_else(|| "outbound".into());
    let mut cols = vec![("id", text(&id)), ("workspace_id", text(workspace_id))];
    let defaults: [(&str, rusqlite::types::Value); 7] = [
        ("direction", text(&direction)),
        ("language", text("en-US")),
        ("status", text("active")),
        ("voice", text("alloy")),
        ("interruption_sensitivity", text("medium")),
        ("background_sound", text("none")),
        (
            "max_call_duration_seconds",
            rusqlite::types::Value::Integer(600),
        ),
    ];
    for (col, value) in defaults {
        if !given(col) {
            cols.push((col, value));
        }
    }
    if !given("temperature") {
        cols.push(("temperature", rusqlite::types::Value::Real(0.7)));
    }
    if !given("first_message") {
        let company = get_text("company_name");
        cols.push((
            "first_message",
            text(prompt::default_first_message(
                &direction,
                company.as_deref(),
            )),
        ));
    }
    cols.extend(fields);
    cols.push(("sync_status", text("pending")));
    cols.push(("created_at", text(&now)));
    cols.push(("updated_at", text(now)));
    insert_row(tx, "agents", &cols)?;
    let names: Vec<&str> = cols
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| !matches!(*c, "id" | "workspace_id"))
        .collect();
    resync(tx, workspace_id, &id, &names)
}

impl Agents for SharedApp {
    async fn list_agents(
        &self,
        Workspace(ws): Workspace,
        page: Option<NonZeroU64>,
        per_page: Option<NonZeroU64>,
    ) -> Result<types::AgentList, ApiError> {
        let page = validate::page(page, per_page);
        let body = self
        .store
        .read(move |c| {
            Ok(super::page_of(
                c,
                "SELECT COUNT(*) FROM agents WHERE workspace_id = ?1",
                &format!("SELECT {COLUMNS} FROM agents WHERE workspace_id = ?1 ORDER BY created_at DESC, rowid DESC LIMIT ?2 OFFSET ?3"),
                vec![SqlValue::Text(ws)],
                page,
                to_json,
            )?)
        })
        .await?;
        answer(body)
    }

    async fn get_agent(
        &self,
        Workspace(ws): Workspace,
        id: Uuid,
    ) -> Result<types::Agent, ApiError> {
        let id = id.to_string();
        let found = self.store.read(move |c| Ok(fetch(c, &ws, &id)?)).await?;
        answer(found.ok_or(ApiError::NotFound("agents"))?)
    }

    async fn create_agent_advanced(
        &self,
        Workspace(ws): Workspace,
        body: types::AgentCreate,
    ) -> Result<types::Agent, ApiError> {
        let body = Body::of(&body)?;
        let agent = self
            .store
            .write(move |tx| {
                let fields = body
                    .provided()
                    .map(|(name, v)| (name, sql_value(v)))
                    .collect();
                insert(tx, &ws, fields)
            })
            .await?;
        self.deliveries.notify_one();
        answer(agent)
    }

    async fn create_agent(
        &self,
        Workspace(ws): Workspace,
        body: types::QuickSetupRequest,
    ) -> Result<types::Agent, ApiError> {
        let website = body.website_url.to_string();
        let direction = body
            .direction
            .map_or_else(|| "inbound".to_owned(), |d| d.to_string());
        let language = body.language.map(|l| l.to_string());
        let (final_url, html) =
            quick_setup::fetch(self.http(), &website, self.allow_private_urls).await?;
        let info = quick_setup::extract(&html);
        let derived = quick_setup::derive(&info, &final_url, &direction);
        tracing::info!(host = final_url.host_str().unwrap_or(""), company = %derived.company_name, "quick setup fetched website");
        let agent = self
            .store
            .write(move |tx| {
                let mut fields = vec![
                    ("name", text(derived.name)),
                    ("objective", text(derived.objective)),
                    ("direction", text(direction)),
                    ("company_name", text(derived.company_name)),
                    ("website_url", text(website)),
                    ("website_summary", text(derived.summary)),
                ];
                if let Some(language) = language {
                    fields.push(("language", text(language)));
                }
                insert(tx, &ws, fields)
            })
            .await?;
        self.deliveries.notify_one();
        answer(agent)
    }

    async fn update_agent(
        &self,
        Workspace(ws): Workspace,
        id: Uuid,
        body: types::AgentUpdate,
    ) -> Result<types::Agent, ApiError> {
        let id = id.to_string();
        let body = Body::of(&body)?;
        let agent = self
            .store
            .write(move |tx| {
                let mut sets: Vec<(&str, _)> = body
                    .provided()
                    .map(|(name, v)| (name, sql_value(v)))
                    .collect();
                let changed: Vec<&str> = sets.iter().map(|(c, _)| *c).collect();
                sets.push(("updated_at", text(clock::now_str())));
                if !update_row(tx, "agents", &id, &ws, &sets)? {
                    return Err(ApiError::NotFound("agents"));
                }
                resync(tx, &ws, &id, &changed)
            })
            .await?;
        self.deliveries.notify_one();
        answer(agent)
    }

    async fn delete_agent(
        &self,
        Workspace(ws): Workspace,
        id: Uuid,
    ) -> Result<types::Deleted, ApiError> {
        self.store
            .write(move |tx| {
                let deleted = super::delete_row(tx, "agents", "agents", id, &ws)?;
                tx.execute(
                    "UPDATE phone_numbers SET agent_id = NULL WHERE agent_id = ?1 AND workspace_id = ?2",
                    [&id.to_string(), &ws],
                )?;
                Ok(deleted)
            })
            .await
    }
}

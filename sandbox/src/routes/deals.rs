//! `/deals`: the sales pipeline in seven stages.

use std::num::NonZeroU64;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, Transaction};
use serde_json::{Value, json};
use smartalex::types;
use uuid::Uuid;

use super::{Workspace, answer, insert_row, sql_value, text, update_row};
use crate::SharedApp;
use crate::errors::ApiError;
use crate::operations::Deals;
use crate::records::Obj;
use crate::validate::{self, Body};
use crate::{clock, ids, webhooks};

/// The operations of the spec this file simulates.
pub(crate) const SIMULATED: &[&str] = &["list_deals", "create_deal", "update_deal", "delete_deal"];

const COLUMNS: &str = "id, deal_name, stage, value, currency, contact_id, notes, expected_close_date, created_at, updated_at";

fn to_json(r: &Row<'_>) -> rusqlite::Result<Value> {
    Ok(Obj::new()
        .put("id", r.get::<_, String>(0)?)
        .put("deal_name", r.get::<_, String>(1)?)
        .put("stage", r.get::<_, String>(2)?)
        .opt("value", r.get::<_, Option<f64>>(3)?)
        .put("currency", r.get::<_, String>(4)?)
        .opt("contact_id", r.get::<_, Option<String>>(5)?)
        .opt("notes", r.get::<_, Option<String>>(6)?)
        .opt("expected_close_date", r.get::<_, Option<String>>(7)?)
        .put("created_at", r.get::<_, String>(8)?)
        .put("updated_at", r.get::<_, String>(9)?)
        .done())
}

fn fetch(conn: &Connection, ws: &str, id: &str) -> rusqlite::Result<Option<Value>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM deals WHERE id = ?1 AND workspace_id = ?2"
    ))?
    .query_row([id, ws], to_json)
    .optional()
}

fn require_contact(tx: &Transaction<'_>, ws: &str, contact: Option<&str>) -> Result<(), ApiError> {
    if let Some(contact) = contact {
        let exists = tx
            .query_row(
                "SELECT 1 FROM contacts WHERE id = ?1 AND workspace_id = ?2",
                [&contact.to_ascii_lowercase(), ws],
                |_| Ok(()),
            )
            .optional()?;
        if exists.is_none() {
            return Err(ApiError::field(
                "contact_id",
                "Contact not found in this workspace",
            ));
        }
    }
    Ok(())
}

/// The contact's id lower-case, as everything else stores ids.
fn normalized(name: &str, v: &Value) -> SqlValue {
    match (name, v.as_str()) {
        ("contact_id", Some(id)) => SqlValue::Text(id.to_ascii_lowercase()),
        _ => sql_value(v),
    }
}

impl Deals for SharedApp {
    async fn list_deals(
        &self,
        Workspace(ws): Workspace,
        page: Option<NonZeroU64>,
        per_page: Option<NonZeroU64>,
        stage: Option<types::ListDealsStage>,
    ) -> Result<types::DealList, ApiError> {
        let page = validate::page(page, per_page);
        let stage = stage.map(|s| s.to_string());
        let body = self
        .store
        .read(move |c| {
            let filter = "workspace_id = ?1 AND (?2 IS NULL OR stage = ?2)";
            let stage = stage.map_or(SqlValue::Null, SqlValue::Text);
            Ok(super::page_of(
                c,
                &format!("SELECT COUNT(*) FROM deals WHERE {filter}"),
                &format!("SELECT {COLUMNS} FROM deals WHERE {filter} ORDER BY created_at DESC, rowid DESC LIMIT ?3 OFFSET ?4"),
                vec![SqlValue::Text(ws), stage],
                page,
                to_json,
            )?)
        })
        .await?;
        answer(body)
    }

    async fn create_deal(
        &self,
        Workspace(ws): Workspace,
        body: types::DealCreate,
    ) -> Result<types::Deal, ApiError> {
        let body = Body::of(&body)?;
        let deal = self
            .store
            .write(move |tx| {
                require_contact(tx, &ws, body.str("contact_id"))?;
                let id = ids::new_id();
                let now = clock::now_str();
                let mut cols = vec![("id", text(&id)), ("workspace_id", text(&ws))];
                cols.extend(body.provided().map(|(name, v)| (name, normalized(name, v))));
                if !body.has("stage") {
                    cols.push(("stage", text("lead")));
                }
                if !body.has("currency") {
                    cols.push(("currency", text("USD")));
                }
                cols.push(("created_at", text(&now)));
                cols.push(("updated_at", text(now)));
                insert_row(tx, "deals", &cols)?;
                let deal = fetch(tx, &ws, &id)?
                    .ok_or_else(|| ApiError::internal("inserted deal vanished"))?;
                webhooks::emit(tx, &ws, "deal.created", &deal)?;
                Ok(deal)
            })
            .await?;
        self.deliveries.notify_one();
        answer(deal)
    }

    async fn update_deal(
        &self,
        Workspace(ws): Workspace,
        id: Uuid,
        body: types::DealUpdate,
    ) -> Result<types::Deal, ApiError> {
        let id = id.to_string();
        let body = Body::of(&body)?;
        let deal = self
            .store
            .write(move |tx| {
                let previous: Option<String> = tx
                    .query_row(
                        "SELECT stage FROM deals WHERE id = ?1 AND workspace_id = ?2",
                        [&id, &ws],
                        |r| r.get(0),
                    )
                    .optional()?;
                let Some(previous) = previous else {
                    return Err(ApiError::NotFound("deals"));
                };
                require_contact(tx, &ws, body.str("contact_id"))?;
                let mut sets: Vec<(&str, SqlValue)> = body
                    .provided()
                    .map(|(name, v)| (name, normalized(name, v)))
                    .collect();
                if !sets.is_empty() {
                    sets.push(("updated_at", text(clock::now_str())));
                }
                update_row(tx, "deals", &id, &ws, &sets)?;
                let deal = fetch(tx, &ws, &id)?.ok_or(ApiError::NotFound("deals"))?;
                if body.str("stage").is_some_and(|s| s != previous) {
                    let mut event = deal.clone();
                    if let Value::Object(m) = &mut event {
                        m.insert("previous_stage".into(), json!(previous));
                    }
                    webhooks::emit(tx, &ws, "deal.stage_changed", &event)?;
                }
                Ok(deal)
            })
            .await?;
        self.deliveries.notify_one();
        answer(deal)
    }

    async fn delete_deal(
        &self,
        Workspace(ws): Workspace,
        id: Uuid,
    ) -> Result<types::Deleted, ApiError> {
        self.store
            .write(move |tx| super::delete_row(tx, "deals", "deals", id, &ws))
            .await
    }
}

//! `/contacts`: the people agents call.

use std::num::NonZeroU64;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row};
use serde_json::Value;
use smartalex::types;
use uuid::Uuid;

use super::{Workspace, answer, insert_row, sql_value, text, update_row};
use crate::SharedApp;
use crate::errors::ApiError;
use crate::operations::Contacts;
use crate::records::Obj;
use crate::validate::{self, Body};
use crate::{clock, ids, webhooks};

/// The operations of the spec this file simulates.
pub(crate) const SIMULATED: &[&str] = &[
    "list_contacts",
    "create_contact",
    "get_contact",
    "update_contact",
];

const COLUMNS: &str =
    "id, first_name, last_name, email, phone, company, tags, notes, created_at, updated_at";

fn to_json(r: &Row<'_>) -> rusqlite::Result<Value> {
    Ok(Obj::new()
        .put("id", r.get::<_, String>(0)?)
        .put("first_name", r.get::<_, String>(1)?)
        .opt("last_name", r.get::<_, Option<String>>(2)?)
        .opt("email", r.get::<_, Option<String>>(3)?)
        .opt("phone", r.get::<_, Option<String>>(4)?)
        .opt("company", r.get::<_, Option<String>>(5)?)
        .json_list("tags", r.get(6)?)
        .opt("notes", r.get::<_, Option<String>>(7)?)
        .put("created_at", r.get::<_, String>(8)?)
        .put("updated_at", r.get::<_, String>(9)?)
        .done())
}

/// One contact of the workspace, as JSON.
fn fetch(conn: &Connection, workspace_id: &str, id: &str) -> rusqlite::Result<Option<Value>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM contacts WHERE id = ?1 AND workspace_id = ?2"
    ))?
    .query_row([id, workspace_id], to_json)
    .optional()
}

impl Contacts for SharedApp {
    async fn list_contacts(
        &self,
        Workspace(ws): Workspace,
        page: Option<NonZeroU64>,
        per_page: Option<NonZeroU64>,
    ) -> Result<types::ContactList, ApiError> {
        let page = validate::page(page, per_page);
        let body = self
        .store
        .read(move |c| {
            Ok(super::page_of(
                c,
                "SELECT COUNT(*) FROM contacts WHERE workspace_id = ?1",
                &format!("SELECT {COLUMNS} FROM contacts WHERE workspace_id = ?1 ORDER BY created_at DESC, rowid DESC LIMIT ?2 OFFSET ?3"),
                vec![SqlValue::Text(ws)],
                page,
                to_json,
            )?)
        })
        .await?;
        answer(body)
    }

    async fn get_contact(
        &self,
        Workspace(ws): Workspace,
        id: Uuid,
    ) -> Result<types::Contact, ApiError> {
        let id = id.to_string();
        let found = self.store.read(move |c| Ok(fetch(c, &ws, &id)?)).await?;
        answer(found.ok_or(ApiError::NotFound("contacts"))?)
    }

    async fn create_contact(
        &self,
        Workspace(ws): Workspace,
        body: types::ContactCreate,
    ) -> Result<types::Contact, ApiError> {
        let body = Body::of(&body)?;
        let contact = self
            .store
            .write(move |tx| {
                let id = ids::new_id();
                let now = clock::now_str();
                let mut cols = vec![("id", text(&id)), ("workspace_id", text(&ws))];
                cols.extend(body.provided().map(|(name, v)| (name, sql_value(v))));
                cols.push(("created_at", text(&now)));
                cols.push(("updated_at", text(now)));
                insert_row(tx, "contacts", &cols)?;
                let contact = fetch(tx, &ws, &id)?
                    .ok_or_else(|| ApiError::internal("inserted contact vanished"))?;
                webhooks::emit(tx, &ws, "contact.created", &contact)?;
                Ok(contact)
            })
            .await?;
        self.deliveries.notify_one();
        answer(contact)
    }

    async fn update_contact(
        &self,
        Workspace(ws): Workspace,
        id: Uuid,
        body: types::ContactUpdate,
    ) -> Result<types::Contact, ApiError> {
        let (id, body) = (id.to_string(), Body::of(&body)?);
        let contact = self
            .store
            .write(move |tx| {
                let mut sets: Vec<(&str, _)> = body
                    .provided()
                    .map(|(name, v)| (name, sql_value(v)))
                    .collect();
                let changed: Vec<&str> = sets.iter().map(|(c, _)| *c).collect();
                let changed = Value::from(changed);
                if !sets.is_empty() {
                    sets.push(("updated_at", text(clock::now_str())));
                }
                if !update_row(tx, "contacts", &id, &ws, &sets)? {
                    return Err(ApiError::NotFound("contacts"));
                }
                let contact = fetch(tx, &ws, &id)?.ok_or(ApiError::NotFound("contacts"))?;
                if sets.len() > 1 {
                    let mut event = contact.clone();
                    if let Value::Object(m) = &mut event {
                        m.insert("changed_fields".into(), changed);
                    }
                    webhooks::emit(tx, &ws, "contact.updated", &event)?;
                }
                Ok(contact)
            })
            .await?;
        self.deliveries.notify_one();
        answer(contact)
    }
}

//! `/contacts`: the people agents call.

use axum::Extension;
use axum::extract::State;
use axum::routing::on;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row};
use serde_json::Value;

use super::{
    ApiResult, QueryMap, ResourceId, Simulations, Workspace, created, insert_row, ok, sql_value,
    text, update_row,
};
use crate::SharedApp;
use crate::errors::ApiError;
use crate::records::Obj;
use crate::validate::{self, Body};
use crate::{clock, ids, webhooks};

/// The operations of the spec this file simulates.
pub(crate) const SIMULATIONS: Simulations = &[
    ("list_contacts", |method| on(method, list)),
    ("create_contact", |method| on(method, create)),
    ("get_contact", |method| on(method, get)),
    ("update_contact", |method| on(method, update)),
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

async fn list(
    State(app): State<SharedApp>,
    Extension(Workspace(ws)): Extension<Workspace>,
    q: QueryMap,
) -> ApiResult {
    let page = validate::page(&super::query(q)?)?;
    let body = app
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
    Ok(ok(body))
}

async fn get(
    State(app): State<SharedApp>,
    Extension(Workspace(ws)): Extension<Workspace>,
    Extension(ResourceId(id)): Extension<ResourceId>,
) -> ApiResult {
    let found = app.store.read(move |c| Ok(fetch(c, &ws, &id)?)).await?;
    found.map(ok).ok_or(ApiError::NotFound("contacts"))
}

async fn create(
    State(app): State<SharedApp>,
    Extension(Workspace(ws)): Extension<Workspace>,
    Extension(body): Extension<Body>,
) -> ApiResult {
    let contact = app
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
    app.deliveries.notify_one();
    Ok(created(contact))
}

async fn update(
    State(app): State<SharedApp>,
    Extension(Workspace(ws)): Extension<Workspace>,
    Extension(ResourceId(id)): Extension<ResourceId>,
    Extension(body): Extension<Body>,
) -> ApiResult {
    let contact = app
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
    app.deliveries.notify_one();
    Ok(ok(contact))
}

//! `/contacts`: the people agents call.

use axum::Extension;
use axum::extract::State;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row};
use serde_json::Value;

use super::{
    ApiResult, IdPath, Obj, QueryMap, RawBody, Workspace, created, insert_row, ok, sql_value, text,
    update_row,
};
use crate::sandbox::SharedApp;
use crate::sandbox::errors::{ApiError, Resource};
use crate::sandbox::validate::{self, Field, Kind};
use crate::sandbox::{clock, ids, webhooks};

const CREATE: &[Field] = &[
    Field::req("first_name", Kind::Str { min: 1, max: 200 }),
    Field::opt("last_name", Kind::Str { min: 0, max: 200 }),
    Field::opt("email", Kind::Email),
    Field::opt("phone", Kind::Phone),
    Field::opt("company", Kind::Str { min: 0, max: 200 }),
    Field::opt(
        "tags",
        Kind::StrList {
            max_items: 50,
            max_len: 50,
        },
    ),
    Field::opt("notes", Kind::Str { min: 0, max: 10000 }),
];

const UPDATE: &[Field] = &[
    Field::opt("first_name", Kind::Str { min: 1, max: 200 }),
    Field::opt("last_name", Kind::Str { min: 0, max: 200 }),
    Field::opt("email", Kind::Email),
    Field::opt("phone", Kind::Phone),
    Field::opt("company", Kind::Str { min: 0, max: 200 }),
    Field::opt(
        "tags",
        Kind::StrList {
            max_items: 50,
            max_len: 50,
        },
    ),
    Field::opt("notes", Kind::Str { min: 0, max: 10000 }),
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
pub fn fetch(conn: &Connection, workspace_id: &str, id: &str) -> rusqlite::Result<Option<Value>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM contacts WHERE id = ?1 AND workspace_id = ?2"
    ))?
    .query_row([id, workspace_id], to_json)
    .optional()
}

pub async fn list(
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

pub async fn get(
    State(app): State<SharedApp>,
    Extension(Workspace(ws)): Extension<Workspace>,
    path: IdPath,
) -> ApiResult {
    let id = super::id(path)?;
    let found = app.store.read(move |c| Ok(fetch(c, &ws, &id)?)).await?;
    found.map(ok).ok_or(ApiError::NotFound(Resource::Contact))
}

pub async fn create(
    State(app): State<SharedApp>,
    Extension(Workspace(ws)): Extension<Workspace>,
    body: RawBody,
) -> ApiResult {
    let body = validate::body(&super::bytes(body)?, CREATE)?;
    let contact = app
        .store
        .write(move |tx| {
            let id = ids::new_id();
            let now = clock::now_str();
            let mut cols = vec![("id", text(&id)), ("workspace_id", text(&ws))];
            cols.extend(body.provided(CREATE).map(|(f, v)| (f.name, sql_value(v))));
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

pub async fn update(
    State(app): State<SharedApp>,
    Extension(Workspace(ws)): Extension<Workspace>,
    path: IdPath,
    body: RawBody,
) -> ApiResult {
    let id = super::id(path)?;
    let body = validate::body(&super::bytes(body)?, UPDATE)?;
    let contact = app
        .store
        .write(move |tx| {
            let mut sets: Vec<(&str, _)> = body
                .provided(UPDATE)
                .map(|(f, v)| (f.name, sql_value(v)))
                .collect();
            let changed: Vec<&str> = sets.iter().map(|(c, _)| *c).collect();
            let changed = Value::from(changed);
            if !sets.is_empty() {
                sets.push(("updated_at", text(clock::now_str())));
            }
            if !update_row(tx, "contacts", &id, &ws, &sets)? {
                return Err(ApiError::NotFound(Resource::Contact));
            }
            let contact = fetch(tx, &ws, &id)?.ok_or(ApiError::NotFound(Resource::Contact))?;
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

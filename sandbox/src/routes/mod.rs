//! The simulations: one file per spec tag, each implementing that tag's
//! trait of the generated interface ([`crate::operations`]) for the sandbox
//! and naming the operations it simulates in its `SIMULATED` (an operation
//! whose method keeps its default is answered from its example). This file
//! also holds what they share: the call the router hands over ([`Call`]),
//! the answer it sends back ([`handle`]), list envelopes, and small SQL
//! helpers for partial updates.
//!
//! Every method follows one shape: the router has already authorized the
//! call from the operation's domain and method (403) and hands over the
//! caller's [`Workspace`], the path's id (400 before), the query parameters
//! and the body, checked by the shared validator (400/422 before) and read
//! into the SDK's types →
//! one `Store` call that filters every query by that workspace (404 for
//! anything else) → the SDK's response type, which is what goes out.

pub(crate) mod agents;
mod calls;
mod campaigns;
mod contacts;
mod deals;
mod phone_numbers;
mod platform;
mod webhooks;

use std::convert::Infallible;
use std::future::Future;

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, MethodRouter, on};
use rusqlite::types::Value as SqlValue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use smartalex::types;

use super::SharedApp;
use super::errors::ApiError;
use super::operations::{Gateway, Operation};
use super::validate::{Body, CheckedQuery, Page};

/// Every file's simulated operations: simulating an operation of a tag is
/// writing its method in that tag's file and naming it there.
const SIMULATED: [&[&str]; 8] = [
    contacts::SIMULATED,
    agents::SIMULATED,
    phone_numbers::SIMULATED,
    campaigns::SIMULATED,
    calls::SIMULATED,
    deals::SIMULATED,
    webhooks::SIMULATED,
    platform::SIMULATED,
];

/// Every simulated operation's id, once per entry (the spec's operations
/// are checked against them in [`crate::operations`]'s tests).
pub(crate) fn simulated() -> impl Iterator<Item = &'static str> {
    SIMULATED.iter().flat_map(|file| file.iter()).copied()
}

/// The sandbox implements the whole interface: every trait the spec's tags
/// make, each method simulated or left to its example.
const _: fn() = || {
    fn implements<G: Gateway>() {}
    implements::<SharedApp>();
};

/// The caller's workspace, once the router has authorized the operation.
#[derive(Debug, Clone)]
pub(crate) struct Workspace(pub(crate) String);

/// The path's `{id}`, checked and lower-cased by the router.
#[derive(Debug, Clone)]
pub(crate) struct ResourceId(pub(crate) String);

/// What the router admitted for one call, handed to the operation's method
/// by the generated route.
#[derive(Debug)]
pub(crate) struct Call {
    workspace: Option<Workspace>,
    id: Option<ResourceId>,
    body: Option<Body>,
    query: Option<CheckedQuery>,
}

impl<S: Send + Sync> FromRequestParts<S> for Call {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Call {
            workspace: parts.extensions.remove(),
            id: parts.extensions.remove(),
            body: parts.extensions.remove(),
            query: parts.extensions.remove(),
        })
    }
}

impl Call {
    pub(crate) fn workspace(&mut self) -> Result<Workspace, ApiError> {
        self.workspace
            .take()
            .ok_or_else(|| ApiError::internal("no workspace after authorization"))
    }

    /// The path's id, as the SDK's `Uuid`.
    pub(crate) fn id(&mut self) -> Result<uuid::Uuid, ApiError> {
        let ResourceId(id) = self
            .id
            .take()
            .ok_or_else(|| ApiError::internal("no checked id for a path with one"))?;
        uuid::Uuid::parse_str(&id).map_err(|_| ApiError::InvalidUuid)
    }

    /// The checked query parameter `name`, as the SDK's type (`None` for
    /// an optional one absent without a default).
    pub(crate) fn param<T: DeserializeOwned>(&mut self, name: &str) -> Result<T, ApiError> {
        let value = self
            .query
            .as_mut()
            .and_then(|q| q.take(name))
            .unwrap_or(Value::Null);
        serde_json::from_value(value).map_err(|e| ApiError::query(format!("{name}: {e}")))
    }

    /// The checked body, read into the operation's SDK type.
    pub(crate) fn body<T: DeserializeOwned>(&mut self) -> Result<T, ApiError> {
        self.body
            .take()
            .ok_or_else(|| ApiError::internal("no checked body for an operation with one"))?
            .read()
    }
}

/// The route of one operation: the admitted [`Call`] into `method` (the
/// generated call of the operation's method), its answer out with the
/// operation's success status.
pub(crate) fn handle<T, F, Fut>(
    op: &'static Operation,
    filter: MethodFilter,
    method: F,
) -> MethodRouter<SharedApp>
where
    T: Serialize,
    F: Fn(SharedApp, Call) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<T, ApiError>> + Send + 'static,
{
    on(filter, move |State(app): State<SharedApp>, call: Call| {
        let answer = method(app, call);
        async move {
            match answer.await {
                Ok(value) => (
                    StatusCode::from_u16(op.status()).unwrap_or(StatusCode::OK),
                    Json(value),
                )
                    .into_response(),
                Err(e) => e.into_response(),
            }
        }
    })
}

/// A record built from storage, as the SDK's type of the answer: the
/// sandbox answers only what that type accepts.
pub(crate) fn answer<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value)
        .map_err(|e| ApiError::internal(format!("a stored record does not read as its type: {e}")))
}

/// Delete the workspace's row `id` of `table` (404 naming `domain` when it
/// has none): what every delete answers.
fn delete_row(
    tx: &rusqlite::Transaction<'_>,
    table: &str,
    domain: &'static str,
    id: uuid::Uuid,
    workspace_id: &str,
) -> Result<types::Deleted, ApiError> {
    let n = tx.execute(
        &format!("DELETE FROM {table} WHERE id = ?1 AND workspace_id = ?2"),
        [id.to_string().as_str(), workspace_id],
    )?;
    if n == 0 {
        return Err(ApiError::NotFound(domain));
    }
    Ok(types::Deleted { id, deleted: true })
}

/// `{data, page, per_page, total}`.
fn list(data: Vec<Value>, page: Page, total: i64) -> Value {
    json!({"data": data, "page": page.page, "per_page": page.per_page, "total": total})
}

/// One page of a list and its total: `count_sql` counts the rows matching
/// `filter` (its `?1…?n`), `page_sql` selects them newest first and ends
/// with `LIMIT ?{n+1} OFFSET ?{n+2}`. Every list route is this query pair.
fn page_of(
    c: &rusqlite::Connection,
    count_sql: &str,
    page_sql: &str,
    filter: Vec<SqlValue>,
    page: Page,
    row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<Value>,
) -> rusqlite::Result<Value> {
    let total: i64 = c
        .prepare_cached(count_sql)?
        .query_row(rusqlite::params_from_iter(filter.iter()), |r| r.get(0))?;
    let mut args = filter;
    args.push(SqlValue::Integer(page.per_page));
    args.push(SqlValue::Integer(page.offset()));
    let data = c
        .prepare_cached(page_sql)?
        .query_map(rusqlite::params_from_iter(args), row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(list(data, page, total))
}

/// A validated JSON value as a SQL parameter (arrays are stored as JSON text).
fn sql_value(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// `UPDATE <table> SET <col> = ?, … WHERE id = ? AND workspace_id = ?`;
/// returns whether a row matched.
fn update_row(
    tx: &rusqlite::Transaction<'_>,
    table: &str,
    id: &str,
    workspace_id: &str,
    sets: &[(&str, SqlValue)],
) -> rusqlite::Result<bool> {
    if sets.is_empty() {
        let n: i64 = tx.query_row(
            &format!("SELECT COUNT(*) FROM {table} WHERE id = ?1 AND workspace_id = ?2"),
            [id, workspace_id],
            |r| r.get(0),
        )?;
        return Ok(n > 0);
    }
    let assignments: Vec<String> = sets
        .iter()
        .enumerate()
        .map(|(i, (c, _))| format!("{c} = ?{}", i + 1))
        .collect();
    let sql = format!(
        "UPDATE {table} SET {} WHERE id = ?{} AND workspace_id = ?{}",
        assignments.join(", "),
        sets.len() + 1,
        sets.len() + 2
    );
    let mut params: Vec<SqlValue> = sets.iter().map(|(_, v)| v.clone()).collect();
    params.push(SqlValue::Text(id.to_owned()));
    params.push(SqlValue::Text(workspace_id.to_owned()));
    let n = tx.execute(&sql, rusqlite::params_from_iter(params))?;
    Ok(n > 0)
}

/// `INSERT INTO <table> (<cols>) VALUES (…)`.
fn insert_row(
    tx: &rusqlite::Transaction<'_>,
    table: &str,
    cols: &[(&str, SqlValue)],
) -> rusqlite::Result<()> {
    let names: Vec<&str> = cols.iter().map(|(c, _)| *c).collect();
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        names.join(", "),
        marks.join(", ")
    );
    tx.prepare_cached(&sql)?
        .execute(rusqlite::params_from_iter(
            cols.iter().map(|(_, v)| v.clone()),
        ))?;
    Ok(())
}

pub(crate) fn text(s: impl Into<String>) -> SqlValue {
    SqlValue::Text(s.into())
}

fn opt_text(s: Option<&str>) -> SqlValue {
    s.map_or(SqlValue::Null, |s| SqlValue::Text(s.to_owned()))
}

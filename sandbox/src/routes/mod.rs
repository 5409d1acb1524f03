//! The simulations: one file per spec tag, each naming the operations it
//! simulates in its `SIMULATIONS` (an operation of the spec missing from
//! them is answered from its example). This file also holds what the
//! handlers share: extracting the pieces of a request
//! without axum's own (non-JSON) rejections, list envelopes, and small SQL
//! helpers for partial updates.
//!
//! Handlers follow one shape: the router has already authorized the call
//! from the operation's domain and method (403) and hands over the caller's
//! [`Workspace`], the path's [`ResourceId`] (400 before) and the checked
//! body (400/422 before) → one `Store` call that filters every query by that workspace (404 for
//! anything else) → JSON.

pub(crate) mod agents;
mod calls;
mod campaigns;
mod contacts;
mod deals;
mod phone_numbers;
mod platform;
mod webhooks;

use std::collections::HashMap;

use axum::Json;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use rusqlite::types::Value as SqlValue;
use serde_json::{Value, json};

use super::SharedApp;
use super::errors::ApiError;
use super::validate::Page;

/// What one file of `routes/` simulates: each operation it answers, and
/// how to route it for the method the spec gives it.
type Simulations = &'static [(&'static str, fn(MethodFilter) -> MethodRouter<SharedApp>)];

/// Every file's simulations: adding an operation to a tag is one entry in
/// that tag's file.
const SIMULATIONS: [Simulations; 8] = [
    contacts::SIMULATIONS,
    agents::SIMULATIONS,
    phone_numbers::SIMULATIONS,
    campaigns::SIMULATIONS,
    calls::SIMULATIONS,
    deals::SIMULATIONS,
    webhooks::SIMULATIONS,
    platform::SIMULATIONS,
];

/// How to route the simulation of the operation `id` of the spec; `None`
/// for an operation answered from its example.
pub(crate) fn simulation(id: &str) -> Option<fn(MethodFilter) -> MethodRouter<SharedApp>> {
    SIMULATIONS
        .iter()
        .flat_map(|file| file.iter())
        .find(|(op, _)| *op == id)
        .map(|(_, route)| *route)
}

/// The caller's workspace, once the router has authorized the operation.
#[derive(Debug, Clone)]
pub(crate) struct Workspace(pub(crate) String);

/// The path's `{id}`, checked and lower-cased by the router.
#[derive(Debug, Clone)]
pub(crate) struct ResourceId(pub(crate) String);

pub(crate) type ApiResult = Result<Response, ApiError>;

type QueryMap = Result<Query<HashMap<String, String>>, QueryRejection>;

fn ok(value: Value) -> Response {
    (StatusCode::OK, Json(value)).into_response()
}

fn created(value: Value) -> Response {
    (StatusCode::CREATED, Json(value)).into_response()
}

fn query(q: QueryMap) -> Result<HashMap<String, String>, ApiError> {
    q.map(|Query(m)| m)
        .map_err(|_| ApiError::query("malformed query string"))
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

/// Every simulated operation's id, once per entry (the spec's operations
/// are checked against them in [`crate::operations`]'s tests).
#[cfg(test)]
pub(crate) fn simulated() -> impl Iterator<Item = &'static str> {
    SIMULATIONS
        .iter()
        .flat_map(|file| file.iter())
        .map(|(id, _)| *id)
}

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

pub mod agents;
pub mod calls;
pub mod campaigns;
pub mod contacts;
pub mod deals;
pub mod phone_numbers;
pub mod platform;
pub mod webhooks;

use std::collections::HashMap;

use axum::Json;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use rusqlite::types::Value as SqlValue;
use serde_json::{Map, Value, json};

use super::SharedApp;
use super::errors::ApiError;
use super::validate::Page;

/// What one file of `routes/` simulates: each operation it answers, and
/// how to route it for the method the spec gives it.
pub type Simulations = &'static [(&'static str, fn(MethodFilter) -> MethodRouter<SharedApp>)];

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
pub fn simulation(id: &str) -> Option<fn(MethodFilter) -> MethodRouter<SharedApp>> {
    SIMULATIONS
        .iter()
        .flat_map(|file| file.iter())
        .find(|(op, _)| *op == id)
        .map(|(_, route)| *route)
}

/// The caller's workspace, once the router has authorized the operation.
#[derive(Debug, Clone)]
pub struct Workspace(pub String);

/// The path's `{id}`, checked and lower-cased by the router.
#[derive(Debug, Clone)]
pub struct ResourceId(pub String);

pub type ApiResult = Result<Response, ApiError>;

pub type QueryMap = Result<Query<HashMap<String, String>>, QueryRejection>;

pub fn ok(value: Value) -> Response {
    (StatusCode::OK, Json(value)).into_response()
}

pub fn created(value: Value) -> Response {
    (StatusCode::CREATED, Json(value)).into_response()
}

pub fn query(q: QueryMap) -> Result<HashMap<String, String>, ApiError> {
    q.map(|Query(m)| m)
        .map_err(|_| ApiError::query("malformed query string"))
}

/// `{data, page, per_page, total}`.
pub fn list(data: Vec<Value>, page: Page, total: i64) -> Value {
    json!({"data": data, "page": page.page, "per_page": page.per_page, "total": total})
}

/// One page of a list and its total: `count_sql` counts the rows matching
/// `filter` (its `?1…?n`), `page_sql` selects them newest first and ends
/// with `LIMIT ?{n+1} OFFSET ?{n+2}`. Every list route is this query pair.
pub fn page_of(
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

/// Builds a JSON object, leaving absent optional fields out (the spec has
/// no nullable fields, so `null` would contradict it).
#[derive(Debug, Default)]
pub struct Obj(Map<String, Value>);

impl Obj {
    pub fn new() -> Self {
        Obj(Map::new())
    }
    pub fn put(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.to_owned(), value.into());
        self
    }
    pub fn opt<T: Into<Value>>(mut self, key: &str, value: Option<T>) -> Self {
        if let Some(v) = value {
            self.0.insert(key.to_owned(), v.into());
        }
        self
    }
    /// A JSON-array column.
    pub fn json_list(self, key: &str, text: Option<String>) -> Self {
        let parsed = text
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .filter(Value::is_array);
        self.opt(key, parsed)
    }
    pub fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// A validated JSON value as a SQL parameter (arrays are stored as JSON text).
pub fn sql_value(v: &Value) -> SqlValue {
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
pub fn update_row(
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
pub fn insert_row(
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

pub fn text(s: impl Into<String>) -> SqlValue {
    SqlValue::Text(s.into())
}

pub fn opt_text(s: Option<&str>) -> SqlValue {
    s.map_or(SqlValue::Null, |s| SqlValue::Text(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::operations::OPERATIONS;

    #[test]
    fn every_simulation_is_of_an_operation_of_the_spec_and_only_one() {
        let mut seen = std::collections::BTreeSet::new();
        for (id, _) in SIMULATIONS.iter().flat_map(|file| file.iter()) {
            assert!(
                OPERATIONS.iter().any(|op| op.id == *id),
                "`{id}` is simulated but not in the spec"
            );
            assert!(seen.insert(*id), "`{id}` is simulated twice");
        }
    }
}

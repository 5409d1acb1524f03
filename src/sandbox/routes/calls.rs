//! `/calls`: call records (written by the dialer) and their transcripts.

use axum::Extension;
use axum::extract::State;
use axum::routing::on;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row};
use serde_json::Value;

use super::{ApiResult, Obj, QueryMap, ResourceId, Simulations, Workspace, ok};
use crate::sandbox::SharedApp;
use crate::sandbox::errors::ApiError;
use crate::sandbox::validate;

/// The operations of the spec this file simulates.
pub const SIMULATIONS: Simulations = &[
    ("list_calls", |method| on(method, list)),
    ("get_call", |method| on(method, get)),
];

const COLUMNS: &str =
    "id, campaign_id, agent_id, contact_id, direction, call_status, duration_seconds, sentiment,
    cost, summary, started_at, ended_at, transcript";

fn to_json(r: &Row<'_>, with_transcript: bool) -> rusqlite::Result<Value> {
    let mut obj = Obj::new()
        .put("id", r.get::<_, String>(0)?)
        .opt("campaign_id", r.get::<_, Option<String>>(1)?)
        .put("agent_id", r.get::<_, String>(2)?)
        .opt("contact_id", r.get::<_, Option<String>>(3)?)
        .put("direction", r.get::<_, String>(4)?)
        .put("call_status", r.get::<_, String>(5)?)
        .opt("duration_seconds", r.get::<_, Option<i64>>(6)?)
        .opt("sentiment", r.get::<_, Option<String>>(7)?)
        .opt("cost", r.get::<_, Option<f64>>(8)?)
        .opt("summary", r.get::<_, Option<String>>(9)?)
        .opt("started_at", r.get::<_, Option<String>>(10)?)
        .opt("ended_at", r.get::<_, Option<String>>(11)?);
    if with_transcript {
        let transcript: Option<String> = r.get(12)?;
        obj = obj.put(
            "transcript",
            transcript
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .unwrap_or(Value::Array(vec![])),
        );
    }
    Ok(obj.done())
}

/// One call of the workspace, with or without its transcript.
pub fn fetch(
    conn: &Connection,
    ws: &str,
    id: &str,
    with_transcript: bool,
) -> rusqlite::Result<Option<Value>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM calls WHERE id = ?1 AND workspace_id = ?2"
    ))?
    .query_row([id, ws], |r| to_json(r, with_transcript))
    .optional()
}

pub async fn list(
    State(app): State<SharedApp>,
    Extension(Workspace(ws)): Extension<Workspace>,
    q: QueryMap,
) -> ApiResult {
    let q = super::query(q)?;
    let page = validate::page(&q)?;
    let campaign = match q.get("campaign_id") {
        Some(id) => Some(validate::path_id(id)?),
        None => None,
    };
    let direction =
        validate::enum_param(&q, "direction", &["inbound", "outbound"])?.map(str::to_owned);
    let body = app
        .store
        .read(move |c| {
            let filter = "workspace_id = ?1 AND (?2 IS NULL OR campaign_id = ?2) AND (?3 IS NULL OR direction = ?3)";
            let args = [
                SqlValue::Text(ws),
                campaign.map_or(SqlValue::Null, SqlValue::Text),
                direction.map_or(SqlValue::Null, SqlValue::Text),
            ];
            Ok(super::page_of(
                c,
                &format!("SELECT COUNT(*) FROM calls WHERE {filter}"),
                &format!("SELECT {COLUMNS} FROM calls WHERE {filter} ORDER BY created_at DESC, rowid DESC LIMIT ?4 OFFSET ?5"),
                args.to_vec(),
                page,
                |r| to_json(r, false),
            )?)
        })
        .await?;
    Ok(ok(body))
}

pub async fn get(
    State(app): State<SharedApp>,
    Extension(Workspace(ws)): Extension<Workspace>,
    Extension(ResourceId(id)): Extension<ResourceId>,
) -> ApiResult {
    let found = app
        .store
        .read(move |c| Ok(fetch(c, &ws, &id, true)?))
        .await?;
    found.map(ok).ok_or(ApiError::NotFound("calls"))
}

//! How stored rows read as JSON: [`Obj`], the builder every resource's
//! answer is made with, and the two records that are also sent outside a
//! request — a campaign and a call.
//!
//! The API answers with them (`routes/campaigns.rs`, `routes/calls.rs`), and
//! the dialer emits them in its webhooks (`campaign.completed`,
//! `call.completed`) exactly as the API would answer them. They live here,
//! below both, so the dialer needs nothing from the routes that start it.

use rusqlite::{Connection, OptionalExtension, Row};
use serde_json::{Map, Value, json};

/// Builds a JSON object, leaving absent optional fields out (the spec has
/// no nullable fields, so `null` would contradict it).
#[derive(Debug, Default)]
pub(crate) struct Obj(Map<String, Value>);

impl Obj {
    pub(crate) fn new() -> Self {
        Obj(Map::new())
    }
    pub(crate) fn put(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.to_owned(), value.into());
        self
    }
    pub(crate) fn opt<T: Into<Value>>(mut self, key: &str, value: Option<T>) -> Self {
        if let Some(v) = value {
            self.0.insert(key.to_owned(), v.into());
        }
        self
    }
    /// A JSON-array column.
    pub(crate) fn json_list(self, key: &str, text: Option<String>) -> Self {
        let parsed = text
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .filter(Value::is_array);
        self.opt(key, parsed)
    }
    pub(crate) fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// Campaign columns plus its contact count and call stats (add the
/// `WHERE … GROUP BY c.id`); rows for [`campaign_json`].
pub(crate) const CAMPAIGN_SELECT: &str = "SELECT c.id, c.name, c.agent_id, c.objective, c.status, c.mode, c.calling_hours_start,
        c.calling_hours_end, c.timezone, c.created_at, c.started_at,
        (SELECT COUNT(*) FROM campaign_contacts cc WHERE cc.campaign_id = c.id),
        COUNT(k.id),
        COALESCE(SUM(k.call_status = 'completed'), 0),
        COALESCE(SUM(k.call_status IN ('failed', 'busy')), 0),
        COALESCE(SUM(k.call_status = 'no_answer'), 0),
        COALESCE(SUM(k.call_status = 'voicemail'), 0),
        COALESCE(SUM(k.duration_seconds), 0),
        COALESCE(SUM(k.cost), 0.0)
    FROM campaigns c LEFT JOIN calls k ON k.campaign_id = c.id AND k.call_status NOT IN ('queued', 'ringing', 'in_progress')";

/// A [`CAMPAIGN_SELECT`] row as the API's `Campaign`.
pub(crate) fn campaign_json(r: &Row<'_>) -> rusqlite::Result<Value> {
    let stats = json!({
        "calls_total": r.get::<_, i64>(12)?,
        "calls_completed": r.get::<_, i64>(13)?,
        "calls_failed": r.get::<_, i64>(14)?,
        "calls_no_answer": r.get::<_, i64>(15)?,
        "calls_voicemail": r.get::<_, i64>(16)?,
        "total_duration_seconds": r.get::<_, i64>(17)?,
        "total_cost": (r.get::<_, f64>(18)? * 10_000.0).round() / 10_000.0,
    });
    Ok(Obj::new()
        .put("id", r.get::<_, String>(0)?)
        .put("name", r.get::<_, String>(1)?)
        .put("agent_id", r.get::<_, String>(2)?)
        .opt("objective", r.get::<_, Option<String>>(3)?)
        .put("status", r.get::<_, String>(4)?)
        .put("mode", r.get::<_, String>(5)?)
        .put("calling_hours_start", r.get::<_, String>(6)?)
        .put("calling_hours_end", r.get::<_, String>(7)?)
        .put("timezone", r.get::<_, String>(8)?)
        .put("contact_count", r.get::<_, i64>(11)?)
        .put("stats", stats)
        .put("created_at", r.get::<_, String>(9)?)
        .opt("started_at", r.get::<_, Option<String>>(10)?)
        .done())
}

/// One campaign of the workspace.
pub(crate) fn campaign(
    conn: &Connection,
    workspace_id: &str,
    id: &str,
) -> rusqlite::Result<Option<Value>> {
    conn.prepare_cached(&format!(
        "{CAMPAIGN_SELECT} WHERE c.id = ?1 AND c.workspace_id = ?2 GROUP BY c.id"
    ))?
    .query_row([id, workspace_id], campaign_json)
    .optional()
}

/// The `calls` columns [`call_json`] reads, in its order.
pub(crate) const CALL_COLUMNS: &str =
    "id, campaign_id, agent_id, contact_id, direction, call_status, duration_seconds, sentiment,
    cost, summary, started_at, ended_at, transcript";

/// A row of [`CALL_COLUMNS`] as the API's `Call`, with or without its transcript.
pub(crate) fn call_json(r: &Row<'_>, with_transcript: bool) -> rusqlite::Result<Value> {
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
pub(crate) fn call(
    conn: &Connection,
    ws: &str,
    id: &str,
    with_transcript: bool,
) -> rusqlite::Result<Option<Value>> {
    conn.prepare_cached(&format!(
        "SELECT {CALL_COLUMNS} FROM calls WHERE id = ?1 AND workspace_id = ?2"
    ))?
    .query_row([id, ws], |r| call_json(r, with_transcript))
    .optional()
}

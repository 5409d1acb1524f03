//! `/calls`: call records (written by the dialer) and their transcripts.
//! A call reads as JSON the way [`crate::records`] says, here and in the
//! dialer's webhooks.

use axum::Extension;
use axum::extract::State;
use axum::routing::on;
use rusqlite::types::Value as SqlValue;

use super::{ApiResult, QueryMap, ResourceId, Simulations, Workspace, ok};
use crate::SharedApp;
use crate::errors::ApiError;
use crate::records::{self, CALL_COLUMNS};
use crate::validate;

/// The operations of the spec this file simulates.
pub(crate) const SIMULATIONS: Simulations = &[
    ("list_calls", |method| on(method, list)),
    ("get_call", |method| on(method, get)),
];

async fn list(
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
                &format!("SELECT {CALL_COLUMNS} FROM calls WHERE {filter} ORDER BY created_at DESC, rowid DESC LIMIT ?4 OFFSET ?5"),
                args.to_vec(),
                page,
                |r| records::call_json(r, false),
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
    let found = app
        .store
        .read(move |c| Ok(records::call(c, &ws, &id, true)?))
        .await?;
    found.map(ok).ok_or(ApiError::NotFound("calls"))
}

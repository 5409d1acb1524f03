//! `/calls`: call records (written by the dialer) and their transcripts.
//! A call reads as JSON the way [`crate::records`] says, here and in the
//! dialer's webhooks.

use std::num::NonZeroU64;

use rusqlite::types::Value as SqlValue;
use smartalex::types;
use uuid::Uuid;

use super::{Workspace, answer};
use crate::SharedApp;
use crate::errors::ApiError;
use crate::operations::Calls;
use crate::records::{self, CALL_COLUMNS};
use crate::validate;

/// The operations of the spec this file simulates.
pub(crate) const SIMULATED: &[&str] = &["list_calls", "get_call"];

impl Calls for SharedApp {
    async fn list_calls(
        &self,
        Workspace(ws): Workspace,
        campaign_id: Option<Uuid>,
        direction: Option<types::ListCallsDirection>,
        page: Option<NonZeroU64>,
        per_page: Option<NonZeroU64>,
    ) -> Result<types::CallList, ApiError> {
        let page = validate::page(page, per_page);
        let campaign = campaign_id.map(|id| id.to_string());
        let direction = direction.map(|d| d.to_string());
        let body = self
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
        answer(body)
    }

    async fn get_call(
        &self,
        Workspace(ws): Workspace,
        id: Uuid,
    ) -> Result<types::CallDetail, ApiError> {
        let id = id.to_string();
        let found = self
            .store
            .read(move |c| Ok(records::call(c, &ws, &id, true)?))
            .await?;
        answer(found.ok_or(ApiError::NotFound("calls"))?)
    }
}

//! `/webhooks`: event subscriptions. The signing secret is in the create
//! response and nowhere else, ever; see `sandbox::webhooks` for delivery.

use std::num::NonZeroU64;

use rusqlite::{Row, params};
use serde_json::{Value, json};
use smartalex::types;
use uuid::Uuid;

use super::{Workspace, answer};
use crate::SharedApp;
use crate::errors::ApiError;
use crate::operations::Webhooks;
use crate::records::Obj;
use crate::validate;
use crate::webhooks::new_secret;
use crate::{clock, ids, netguard};

/// The operations of the spec this file simulates.
pub(crate) const SIMULATED: &[&str] = &["list_webhooks", "create_webhook", "delete_webhook"];

const COLUMNS: &str = "id, url, event_types, description, active, created_at";

fn to_json(r: &Row<'_>) -> rusqlite::Result<Value> {
    Ok(Obj::new()
        .put("id", r.get::<_, String>(0)?)
        .put("url", r.get::<_, String>(1)?)
        .json_list("event_types", r.get(2)?)
        .opt("description", r.get::<_, Option<String>>(3)?)
        .put("active", r.get::<_, bool>(4)?)
        .put("created_at", r.get::<_, String>(5)?)
        .done())
}

impl Webhooks for SharedApp {
    async fn list_webhooks(
        &self,
        Workspace(ws): Workspace,
        page: Option<NonZeroU64>,
        per_page: Option<NonZeroU64>,
    ) -> Result<types::WebhookList, ApiError> {
        let page = validate::page(page, per_page);
        let body = self
            .store
            .read(move |c| {
                let total: i64 = c
                    .prepare_cached(
                        "SELECT COUNT(*) FROM webhooks WHERE workspace_id = ?1 AND active = 1",
                    )?
                    .query_row([&ws], |r| r.get(0))?;
                let data = c
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM webhooks WHERE workspace_id = ?1 AND active = 1
                     ORDER BY created_at DESC, rowid DESC LIMIT ?2 OFFSET ?3"
                    ))?
                    .query_map(params![ws, page.per_page, page.offset()], to_json)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(super::list(data, page, total))
            })
            .await?;
        answer(body)
    }

    async fn create_webhook(
        &self,
        Workspace(ws): Workspace,
        body: types::WebhookCreate,
    ) -> Result<types::WebhookCreated, ApiError> {
        let url = body.url.to_string();
        let parsed =
            reqwest::Url::parse(&url).map_err(|_| ApiError::field("url", "Invalid url"))?;
        netguard::check_static(&parsed, self.allow_private_urls)
            .map_err(|e| ApiError::field("url", e))?;
        let event_types: Vec<String> = body.event_types.iter().map(ToString::to_string).collect();
        let description = body.description.map(|d| d.to_string());
        let webhook = self
        .store
        .write(move |tx| {
            let id = ids::new_id();
            let secret = new_secret();
            tx.execute(
                "INSERT INTO webhooks (id, workspace_id, url, event_types, description, active, signing_secret, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7)",
                params![id, ws, url, json!(event_types).to_string(), description, secret, clock::now_str()],
            )?;
            let mut webhook = tx
                .prepare_cached(&format!("SELECT {COLUMNS} FROM webhooks WHERE id = ?1"))?
                .query_row([&id], to_json)?;
            if let Value::Object(m) = &mut webhook {
                m.insert("signing_secret".into(), json!(secret));
            }
            Ok(webhook)
        })
        .await?;
        answer(webhook)
    }

    async fn delete_webhook(
        &self,
        Workspace(ws): Workspace,
        id: Uuid,
    ) -> Result<types::Deleted, ApiError> {
        self.store
            .write(move |tx| super::delete_row(tx, "webhooks", "webhooks", id, &ws))
            .await
    }
}

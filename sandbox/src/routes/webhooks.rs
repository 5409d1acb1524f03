//! `/webhooks`: event subscriptions. The signing secret is in the create
//! response and nowhere else, ever; see `sandbox::webhooks` for delivery.

use axum::Extension;
use axum::extract::State;
use axum::routing::on;
use rusqlite::{Row, params};
use serde_json::{Value, json};

use super::{ApiResult, QueryMap, ResourceId, Simulations, Workspace, created, ok};
use crate::SharedApp;
use crate::errors::ApiError;
use crate::records::Obj;
use crate::validate::{self, Body};
use crate::webhooks::new_secret;
use crate::{clock, ids, netguard};

/// The operations of the spec this file simulates.
pub(crate) const SIMULATIONS: Simulations = &[
    ("list_webhooks", |method| on(method, list)),
    ("create_webhook", |method| on(method, create)),
    ("delete_webhook", |method| on(method, delete)),
];

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

async fn list(
    State(app): State<SharedApp>,
    Extension(Workspace(ws)): Extension<Workspace>,
    q: QueryMap,
) -> ApiResult {
    let page = validate::page(&super::query(q)?)?;
    let body = app
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
    Ok(ok(body))
}

async fn create(
    State(app): State<SharedApp>,
    Extension(Workspace(ws)): Extension<Workspace>,
    Extension(body): Extension<Body>,
) -> ApiResult {
    let url = body.str("url").unwrap_or_default().to_owned();
    let parsed = reqwest::Url::parse(&url).map_err(|_| ApiError::field("url", "Invalid url"))?;
    netguard::check_static(&parsed, app.allow_private_urls)
        .map_err(|e| ApiError::field("url", e))?;
    let event_types = body.list("event_types").unwrap_or_default();
    let description = body.str("description").map(str::to_owned);
    let webhook = app
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
    Ok(created(webhook))
}

async fn delete(
    State(app): State<SharedApp>,
    Extension(Workspace(ws)): Extension<Workspace>,
    Extension(ResourceId(id)): Extension<ResourceId>,
) -> ApiResult {
    let body = app
        .store
        .write(move |tx| {
            if tx.execute(
                "DELETE FROM webhooks WHERE id = ?1 AND workspace_id = ?2",
                [&id, &ws],
            )? == 0
            {
                return Err(ApiError::NotFound("webhooks"));
            }
            Ok(json!({"id": id, "deleted": true}))
        })
        .await?;
    Ok(ok(body))
}

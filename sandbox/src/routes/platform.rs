//! `/platform/status`: health, uptime and the workspace's usage counts.

use axum::Extension;
use axum::extract::State;
use axum::routing::on;
use serde_json::json;

use super::{ApiResult, Simulations, Workspace, ok};
use crate::SharedApp;

/// The operations of the spec this file simulates.
pub(crate) const SIMULATIONS: Simulations = &[("get_platform_status", |method| on(method, status))];

async fn status(
    State(app): State<SharedApp>,
    Extension(Workspace(ws)): Extension<Workspace>,
) -> ApiResult {
    let uptime = app.started.elapsed().as_secs();
    let usage = app
        .store
        .read(move |c| {
            Ok(c.prepare_cached(
                "SELECT (SELECT COUNT(*) FROM contacts WHERE workspace_id = ?1),
                        (SELECT COUNT(*) FROM agents WHERE workspace_id = ?1),
                        (SELECT COUNT(*) FROM campaigns WHERE workspace_id = ?1),
                        (SELECT COUNT(*) FROM calls WHERE workspace_id = ?1),
                        (SELECT COUNT(*) FROM deals WHERE workspace_id = ?1),
                        (SELECT COUNT(*) FROM phone_numbers WHERE workspace_id = ?1 AND status = 'active'),
                        (SELECT COUNT(*) FROM webhooks WHERE workspace_id = ?1 AND active = 1)",
            )?
            .query_row([&ws], |r| {
                Ok(json!({
                    "contacts": r.get::<_, i64>(0)?,
                    "agents": r.get::<_, i64>(1)?,
                    "campaigns": r.get::<_, i64>(2)?,
                    "calls": r.get::<_, i64>(3)?,
                    "deals": r.get::<_, i64>(4)?,
                    "phone_numbers": r.get::<_, i64>(5)?,
                    "webhooks": r.get::<_, i64>(6)?,
                }))
            })?)
        })
        .await?;
    Ok(ok(json!({
        "status": "healthy",
        "version": concat!(env!("CARGO_PKG_VERSION"), "-sandbox"),
        "uptime_seconds": uptime,
        "usage": usage,
    })))
}

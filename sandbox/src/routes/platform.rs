//! `/platform/status`: health, uptime and the workspace's usage counts.

use serde_json::json;
use smartalex::types;

use super::{Workspace, answer};
use crate::SharedApp;
use crate::errors::ApiError;
use crate::operations::Platform;

/// The operations of the spec this file simulates.
pub(crate) const SIMULATED: &[&str] = &["get_platform_status"];

impl Platform for SharedApp {
    async fn get_platform_status(
        &self,
        Workspace(ws): Workspace,
    ) -> Result<types::PlatformStatus, ApiError> {
        let uptime = self.started.elapsed().as_secs();
        let usage = self
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
        answer(json!({
            "status": "healthy",
            "version": concat!(env!("CARGO_PKG_VERSION"), "-sandbox"),
            "uptime_seconds": uptime,
            "usage": usage,
        }))
    }
}

//! `/phone-numbers`: the workspace's numbers, searching and buying.
//!
//! Price: $1.66 a month, except that a workspace on trial gets its first
//! number free (its `monthly_cost` is 0).

use std::num::NonZeroU64;

use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, Row, params};
use serde_json::{Value, json};
use smartalex::types;

use super::{Workspace, answer};
use crate::SharedApp;
use crate::errors::ApiError;
use crate::numbers::{self, COUNTRIES, MONTHLY_COST};
use crate::operations::PhoneNumbers;
use crate::records::Obj;
use crate::validate;
use crate::{clock, ids};

/// The operations of the spec this file simulates.
pub(crate) const SIMULATED: &[&str] = &[
    "list_phone_numbers",
    "buy_phone_number",
    "search_available_numbers",
];

const COLUMNS: &str = "id, phone_number, country, monthly_cost, agent_id, status, created_at";

fn to_json(r: &Row<'_>) -> rusqlite::Result<Value> {
    Ok(Obj::new()
        .put("id", r.get::<_, String>(0)?)
        .put("phone_number", r.get::<_, String>(1)?)
        .put("country", r.get::<_, String>(2)?)
        .put("monthly_cost", r.get::<_, f64>(3)?)
        .opt("agent_id", r.get::<_, Option<String>>(4)?)
        .put("status", r.get::<_, String>(5)?)
        .put("created_at", r.get::<_, String>(6)?)
        .done())
}

impl PhoneNumbers for SharedApp {
    async fn list_phone_numbers(
        &self,
        Workspace(ws): Workspace,
        page: Option<NonZeroU64>,
        per_page: Option<NonZeroU64>,
    ) -> Result<types::PhoneNumberList, ApiError> {
        let page = validate::page(page, per_page);
        let body = self
        .store
        .read(move |c| {
            Ok(super::page_of(
                c,
                "SELECT COUNT(*) FROM phone_numbers WHERE workspace_id = ?1 AND status = 'active'",
                &format!("SELECT {COLUMNS} FROM phone_numbers WHERE workspace_id = ?1 AND status = 'active' ORDER BY created_at DESC, rowid DESC LIMIT ?2 OFFSET ?3"),
                vec![SqlValue::Text(ws)],
                page,
                to_json,
            )?)
        })
        .await?;
        answer(body)
    }

    async fn search_available_numbers(
        &self,
        _: Workspace,
        area_code: Option<types::SearchAvailableNumbersAreaCode>,
        country: types::SearchAvailableNumbersCountry,
        limit: Option<NonZeroU64>,
    ) -> Result<types::AvailableNumberList, ApiError> {
        let country = country.to_string();
        let area_code = area_code.map(|a| a.to_string());
        let limit = limit.map_or(10, |n| usize::try_from(n.get()).unwrap_or(usize::MAX));
        let owned: Vec<String> = self
            .store
            .read(move |c| {
                Ok(c.prepare_cached(
                    "SELECT phone_number FROM phone_numbers WHERE status = 'active'",
                )?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?)
            })
            .await?;
        let offers = numbers::search(&country, area_code.as_deref(), limit, |n| {
            owned.iter().any(|o| o == n)
        });
        let data: Vec<Value> = offers
            .into_iter()
            .map(|o| {
                Obj::new()
                    .put("phone_number", o.phone_number)
                    .put("country", o.country)
                    .opt("locality", o.locality)
                    .put("monthly_cost", MONTHLY_COST)
                    .done()
            })
            .collect();
        answer(json!({"data": data}))
    }

    async fn buy_phone_number(
        &self,
        Workspace(ws): Workspace,
        body: types::PhoneNumberPurchase,
    ) -> Result<types::PhoneNumber, ApiError> {
        let number = body.phone_number.to_string();
        let agent_id = body.agent_id.map(|id| id.to_string());
        let Some((country, locality)) = numbers::classify(&number) else {
            return Err(ApiError::body(format!(
                "phone_number {number} is not in a supported country ({}); search with smartalex_search_available_numbers first",
                COUNTRIES.join(", ")
            )));
        };
        let bought = self
        .store
        .write(move |tx| {
            if let Some(agent) = &agent_id {
                let exists = tx
                    .query_row("SELECT 1 FROM agents WHERE id = ?1 AND workspace_id = ?2", [agent, &ws], |_| Ok(()))
                    .optional()?;
                if exists.is_none() {
                    return Err(ApiError::field("agent_id", "Agent not found in this workspace"));
                }
            }
            let owned = tx
                .query_row("SELECT 1 FROM phone_numbers WHERE phone_number = ?1 AND status = 'active'", [&number], |_| Ok(()))
                .optional()?;
            if owned.is_some() {
                return Err(ApiError::BadRequest(format!("Phone number {number} is no longer available")));
            }
            let (plan, bought_before): (String, i64) = tx.query_row(
                "SELECT w.plan, (SELECT COUNT(*) FROM phone_numbers p WHERE p.workspace_id = w.id) FROM workspaces w WHERE w.id = ?1",
                [&ws],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let cost = if plan == "trial" && bought_before == 0 { 0.0 } else { MONTHLY_COST };
            let id = ids::new_id();
            tx.execute(
                "INSERT INTO phone_numbers (id, workspace_id, phone_number, country, locality, monthly_cost, agent_id, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'active', ?8)",
                params![id, ws, number, country, locality, cost, agent_id, clock::now_str()],
            )?;
            Ok(tx
                .prepare_cached(&format!("SELECT {COLUMNS} FROM phone_numbers WHERE id = ?1"))?
                .query_row([&id], to_json)?)
        })
        .await?;
        answer(bought)
    }
}

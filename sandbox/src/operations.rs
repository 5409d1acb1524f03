//! The gateway's operations, as the spec lists them, and what the sandbox
//! does with each: route it, authorize it from its domain and access, then
//! run its simulation (`routes/`) or — for an operation the sandbox does
//! not simulate yet — answer its documented example.
//!
//! The table is generated from `openapi/gateway.yaml` by the build (see
//! `codegen/src/gateway.rs`), so an operation added to the spec is routed,
//! authorized and answered on the next build with no Rust edited; the
//! example was checked against the response schema when the spec was read.
//! Writing its simulation is then one handler in `routes/<tag>.rs` and one
//! entry in that file's `SIMULATIONS`.

use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use crate::routes::{self, ApiResult};

mod generated {
    include!(concat!(env!("OUT_DIR"), "/operations.rs"));
}

pub(crate) use generated::{DOMAINS, OPERATIONS};

/// Read, or write (POST/PATCH/DELETE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

/// One operation of the spec: what the gateway decides from the spec alone.
#[derive(Debug)]
pub(crate) struct Operation {
    /// The spec's `operationId`.
    pub(crate) id: &'static str,
    /// Upper-case HTTP method.
    pub(crate) method: &'static str,
    /// The path template, `{name}` for a parameter (axum's syntax too).
    pub(crate) path: &'static str,
    /// The operation's tag: the permission domain.
    pub(crate) domain: &'static str,
    /// `GET` reads; every other method writes.
    pub(crate) access: Access,
    /// The success status.
    status: u16,
    /// The request body's schema (JSON), when the operation takes one.
    pub(crate) body: Option<&'static str>,
    /// The success response's documented example (compact JSON).
    example: &'static str,
}

/// The operations the sandbox answers from their examples: every one
/// without a simulation in `routes/`.
pub(crate) fn answered_from_examples() -> impl Iterator<Item = &'static Operation> {
    OPERATIONS
        .iter()
        .filter(|op| routes::simulation(op.id).is_none())
}

/// One line for `--help` and the start-up log.
pub(crate) fn examples_note() -> String {
    let ids: Vec<&str> = answered_from_examples().map(|op| op.id).collect();
    if ids.is_empty() {
        format!(
            "All {} operations of the spec are simulated.",
            OPERATIONS.len()
        )
    } else {
        format!(
            "Answered from the spec's examples (not simulated yet): {}.",
            ids.join(", ")
        )
    }
}

/// An operation without a simulation: the router has checked the request
/// against the spec; the documented example is the answer.
pub(crate) async fn answer_example(op: &'static Operation) -> ApiResult {
    Ok((
        StatusCode::from_u16(op.status).unwrap_or(StatusCode::OK),
        [(header::CONTENT_TYPE, "application/json")],
        op.example,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::ApiError;

    #[test]
    fn every_operation_is_simulated_today() {
        let missing: Vec<&str> = answered_from_examples().map(|op| op.id).collect();
        assert!(missing.is_empty(), "not simulated: {missing:?}");
        assert!(examples_note().starts_with("All "));
    }

    #[test]
    fn every_simulation_is_of_an_operation_of_the_spec_and_only_one() {
        let mut seen = std::collections::BTreeSet::new();
        for id in routes::simulated() {
            assert!(
                OPERATIONS.iter().any(|op| op.id == id),
                "`{id}` is simulated but not in the spec"
            );
            assert!(seen.insert(id), "`{id}` is simulated twice");
        }
    }

    #[test]
    fn every_domain_names_its_records() {
        let messages: Vec<String> = DOMAINS
            .iter()
            .map(|d| ApiError::NotFound(d).to_string())
            .collect();
        assert_eq!(
            messages,
            [
                "Contact not found",
                "Agent not found",
                "Phone number not found",
                "Campaign not found",
                "Call not found",
                "Deal not found",
                "Webhook not found",
                "Platform not found"
            ]
        );
    }

    #[test]
    fn every_example_is_json_of_its_status() {
        for op in &OPERATIONS {
            let v: serde_json::Value = serde_json::from_str(op.example).expect(op.id);
            assert!(v.is_object(), "{}", op.id);
            assert!(matches!(op.status, 200..=299), "{}", op.id);
            assert_eq!(op.access == Access::Read, op.method == "GET", "{}", op.id);
        }
    }
}

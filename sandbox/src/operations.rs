//! The gateway's operations, as the spec lists them, and what the sandbox
//! does with each: route it, authorize it from its domain and access, then
//! call its method of the typed interface — one trait per tag (`Contacts`,
//! `Agents`, …), one method per operation, taking and returning the SDK's
//! types — which `routes/<tag>.rs` implements for the sandbox.
//!
//! The table and the traits are generated from `openapi/gateway.yaml` by the
//! build (see `codegen/src/gateway.rs`). Every method defaults to the
//! operation's documented example, so an operation added to the spec is
//! routed, authorized and answered on the next build with no Rust edited;
//! the example was checked against the response schema when the spec was
//! read. Simulating it is then writing that method in `routes/<tag>.rs` and
//! naming it in that file's `SIMULATED`.

use axum::routing::{MethodFilter, MethodRouter};
use serde::de::DeserializeOwned;

use crate::SharedApp;
use crate::errors::ApiError;
use crate::routes;

mod generated {
    include!(concat!(env!("OUT_DIR"), "/operations.rs"));
}

// Everything generated: the table, the domains, and the traits (a new tag's
// trait is importable from here the moment the spec has it).
pub(crate) use generated::*;

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
    /// The query parameters as one object schema (JSON), when it has any.
    pub(crate) query: Option<&'static str>,
    /// The success response's documented example (compact JSON).
    example: &'static str,
    /// The route to the operation's method of [`Gateway`].
    pub(crate) route: fn(&'static Operation, MethodFilter) -> MethodRouter<SharedApp>,
}

impl Operation {
    /// The success status.
    pub(crate) fn status(&self) -> u16 {
        self.status
    }
}

/// The operations the sandbox answers from their examples: every one
/// without a simulation in `routes/`.
pub(crate) fn answered_from_examples() -> impl Iterator<Item = &'static Operation> {
    OPERATIONS
        .iter()
        .filter(|op| !routes::simulated().any(|id| id == op.id))
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

/// The answer of an operation the sandbox does not simulate (every
/// method's default): its documented example, as its response type. The
/// build checked the example against the response schema, so this fails
/// only if the SDK's type and the schema disagree.
pub(crate) fn example<T: DeserializeOwned>(op: &'static Operation) -> Result<T, ApiError> {
    serde_json::from_str(op.example).map_err(|e| {
        ApiError::internal(format!(
            "`{}`: the documented example does not read as its response type: {e}",
            op.id
        ))
    })
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
    fn every_example_reads_as_its_sdk_type() {
        let read = generated::examples_as_types();
        assert_eq!(read.len(), OPERATIONS.len());
        for (id, result) in read {
            assert!(result.is_ok(), "{id}: {result:?}");
        }
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

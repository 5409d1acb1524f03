//! Typed arguments out of a tool call's JSON, for the generated dispatch.
//!
//! By the time dispatch runs, the arguments have passed the tool's JSON
//! Schema, so these conversions fail only where the Rust type is stricter
//! than the schema; when they do, the error names the argument like a schema
//! violation would.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{CallError, Violation};

/// A tool call's arguments; parameters are taken out one by one, what is
/// left is the request body.
#[derive(Debug, Default)]
pub(crate) struct Args {
    map: Map<String, Value>,
}

fn invalid(path: &str, message: impl Into<String>) -> CallError {
    CallError::InvalidArguments(vec![Violation::other(path, message)])
}

impl Args {
    pub(crate) fn new(map: Map<String, Value>) -> Self {
        Self { map }
    }

    /// A parameter that must be present.
    pub(crate) fn required<T: DeserializeOwned>(&mut self, name: &str) -> Result<T, CallError> {
        self.optional(name)?
            .ok_or_else(|| invalid(name, "is required"))
    }

    /// A parameter that may be absent (or `null`).
    pub(crate) fn optional<T: DeserializeOwned>(
        &mut self,
        name: &str,
    ) -> Result<Option<T>, CallError> {
        match self.map.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => serde_json::from_value(v)
                .map(Some)
                .map_err(|e| invalid(name, e.to_string())),
        }
    }

    /// Everything not taken as a parameter: the request body, exactly as
    /// the client wrote it.
    ///
    /// It must read as the SDK's body type `T` (so a body the SDK would
    /// refuse is refused here), but `T` is not what is sent: a typed round
    /// trip loses what the type cannot tell apart. An optional list set to
    /// `[]` (clear the tags) serializes like a list left out (keep them), so
    /// the update would silently change nothing; and defaults the gateway
    /// applies would be sent as if the client had chosen them.
    pub(crate) fn body<T: DeserializeOwned>(&mut self) -> Result<Value, CallError> {
        let body = Value::Object(std::mem::take(&mut self.map));
        T::deserialize(&body).map_err(|e| invalid("", e.to_string()))?;
        Ok(body)
    }
}

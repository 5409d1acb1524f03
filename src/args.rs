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
    /// trip rewrites what the client said. Defaults the gateway applies
    /// would be sent as if the client had chosen them, `5000` as `5000.0`,
    /// and anything the type cannot tell apart would be lost (a list set to
    /// `[]` went out as a list left out, until the SDK's optional lists
    /// became `Option`s).
    pub(crate) fn body<T: DeserializeOwned>(&mut self) -> Result<Value, CallError> {
        let body = Value::Object(std::mem::take(&mut self.map));
        T::deserialize(&body).map_err(|e| invalid("", e.to_string()))?;
        Ok(body)
    }
}

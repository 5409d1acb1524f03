//! Why the generator refuses a spec.
//!
//! A bad spec must fail the build with one line that names the operation and
//! says what to change, never with a panic backtrace from deep inside
//! progenitor. So every check that can name an operation does, and the
//! message is written for the person editing `openapi/gateway.yaml`.

use std::fmt;

/// A spec the generator cannot turn into a client, tool table and dispatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    operation: Option<String>,
    kind: ErrorKind,
}

/// What is wrong with the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The document is not YAML/JSON, or not an OpenAPI 3.0 document.
    Parse(String),
    /// A rule this generator enforces on operations (see `crate::spec`).
    Invalid(String),
    /// A `$ref` that does not resolve, or resolves to itself.
    Reference(String),
    /// progenitor rejected (or panicked on) the spec.
    Progenitor(String),
    /// The client progenitor produced disagrees with the spec's operations.
    Drift(String),
}

impl Error {
    pub(crate) fn spec(kind: ErrorKind) -> Self {
        Self {
            operation: None,
            kind,
        }
    }

    pub(crate) fn op(operation: &str, kind: ErrorKind) -> Self {
        Self {
            operation: Some(operation.to_owned()),
            kind,
        }
    }

    pub(crate) fn invalid(operation: &str, message: impl Into<String>) -> Self {
        Self::op(operation, ErrorKind::Invalid(message.into()))
    }

    /// The operation the error is about, when there is one.
    pub fn operation(&self) -> Option<&str> {
        self.operation.as_deref()
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(op) = &self.operation {
            write!(f, "operation `{op}`: ")?;
        }
        match &self.kind {
            ErrorKind::Parse(m) => write!(f, "not a valid OpenAPI 3.0 document: {m}"),
            ErrorKind::Invalid(m) => f.write_str(m),
            ErrorKind::Reference(m) => write!(f, "bad $ref: {m}"),
            ErrorKind::Progenitor(m) => write!(f, "progenitor could not generate a client: {m}"),
            ErrorKind::Drift(m) => write!(f, "generated client disagrees with the spec: {m}"),
        }
    }
}

impl std::error::Error for Error {}

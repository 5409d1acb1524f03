//! The operation model: what one gateway operation is, as a tool.
//!
//! Plain data only. [`crate::spec`] builds these from the spec (that is
//! where the derivation rules live); the tool table, dispatch, sandbox table
//! and resources read them. They sit in a module of their own so that the
//! helpers `spec` builds them with — [`crate::schema`] (a tool's input schema
//! from its [`Param`]s) and [`crate::extension`] (`x-mcp`'s [`Annotations`]
//! overrides and resource [`Declarations`]) — depend on the data, not on the
//! reader that uses them.

use serde_json::Value;

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A `{name}` segment of the path.
    Path,
    /// A `?name=` query parameter.
    Query,
}

/// One path or query parameter, with its schema already made portable.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub location: Location,
    pub required: bool,
    pub schema: Value,
}

/// MCP tool annotations (all hints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Annotations {
    pub read_only: Option<bool>,
    pub destructive: Option<bool>,
    pub idempotent: Option<bool>,
    pub open_world: Option<bool>,
}

/// One gateway operation and the tool made from it.
#[derive(Debug, Clone)]
pub struct Operation {
    pub operation_id: String,
    pub tool_name: String,
    pub title: String,
    pub description: String,
    /// The operation's single tag: the domain `--tools` filters on.
    pub domain: String,
    /// The phrase in `Failed to <action>: …`.
    pub action: String,
    /// Upper-case HTTP method.
    pub method: String,
    pub path: String,
    pub annotations: Annotations,
    pub params: Vec<Param>,
    /// The request body's object schema (inlined, portable), if any.
    pub body: Option<Value>,
    /// The tool's input schema: params and body properties in one object.
    pub input_schema: Value,
    /// The success response's schema (inlined, portable).
    pub output_schema: Value,
    /// The success status (200, 201, ...).
    pub success_status: u16,
    /// The success response's documented `example`, checked against
    /// [`Operation::output_schema`]: what the sandbox answers until it
    /// simulates the operation.
    pub example: Value,
    /// The error statuses the spec documents (their body is the `Error`
    /// schema); any other status is unexpected.
    pub error_statuses: Vec<u16>,
    /// Paths in the success response of text written by third parties
    /// (`x-untrusted`), which reaches the model fenced.
    pub untrusted: Vec<String>,
    /// `x-mcp.confirm`: the question put to the user before running, with
    /// `{arg}` placeholders. The tool then also takes `confirm: true`.
    pub confirm: Option<String>,
    /// `x-mcp.long_running`: report progress while it runs.
    pub long_running: bool,
    /// Resource declarations, read by `crate::surface`.
    pub extension: Declarations,
}

/// `x-mcp.resource` and `x-mcp.resource_template`, as written.
#[derive(Debug, Clone, Default)]
pub struct Declarations {
    pub resource: Option<Value>,
    pub resource_template: Option<Value>,
}

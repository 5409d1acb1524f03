//! The MCP server: rmcp's protocol handling around a [`Registry`].
//!
//! rmcp owns the protocol (JSON-RPC framing, `initialize` for 2025-11-25
//! clients and per-request `_meta` for 2026-07-28 ones, cancellation); this
//! type only answers the methods SmartAlex implements and declares exactly
//! those capabilities, so anything else gets method-not-found.
//!
//! It must never write to stdout itself: on stdio, stdout is the JSON-RPC
//! channel. Logs go through `tracing` to stderr.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CustomRequest, CustomResult, ErrorCode,
    Implementation, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};

use crate::error::CallError;
use crate::registry::Registry;

const INSTRUCTIONS: &str = "SmartAlex runs AI voice agents that call contacts in campaigns. \
Tools are prefixed smartalex_ and grouped by domain (contacts, agents, phone numbers, campaigns, \
calls, deals, webhooks, platform). Use the list_ tools to find ids; ids are UUIDs. \
Failed calls explain how to recover.";

/// The SmartAlex MCP server. Cheap to clone: every session shares one registry.
#[derive(Debug, Clone)]
pub struct SmartAlexServer {
    registry: Arc<Registry>,
}

impl SmartAlexServer {
    pub fn new(registry: Arc<Registry>) -> Self {
        Self { registry }
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }
}

impl ServerHandler for SmartAlexServer {
    fn get_info(&self) -> ServerConfig {
        let mut info = Implementation::new("smartalex-mcp", env!("CARGO_PKG_VERSION"));
        info.title = Some("SmartAlex".to_owned());
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(info)
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.registry.tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        match self.registry.call(&request.name, request.arguments).await {
            Ok(outcome) => Ok(outcome.into_result().into()),
            Err(CallError::UnknownTool(name)) => Err(McpError::invalid_params(
                format!(
                    "Unknown tool: {name}. Call tools/list to see the tools this server offers."
                ),
                None,
            )),
            Err(other) => Err(McpError::internal_error(format!("{other:?}"), None)),
        }
    }

    /// rmcp routes here both methods it does not know and known methods whose
    /// params did not deserialize. The second must not read "method not
    /// found": say which params are wrong.
    async fn on_custom_request(
        &self,
        request: CustomRequest,
        _context: RequestContext<RoleServer>,
    ) -> Result<CustomResult, McpError> {
        let CustomRequest { method, params, .. } = request;
        let detail = match method.as_str() {
            "tools/call" => Some(
                serde_json::from_value::<CallToolRequestParams>(params.unwrap_or_default())
                    .err()
                    .map_or_else(
                        || "they do not match the MCP schema".to_owned(),
                        |e| e.to_string(),
                    ),
            ),
            m if KNOWN_METHODS.contains(&m) => Some("they do not match the MCP schema".to_owned()),
            _ => None,
        };
        Err(match detail {
            Some(detail) => {
                McpError::invalid_params(format!("Invalid params for {method}: {detail}"), None)
            }
            None => McpError::new(
                ErrorCode::METHOD_NOT_FOUND,
                format!("Method not found: {method}"),
                None,
            ),
        })
    }
}

/// MCP request methods: a malformed one is invalid params, not unknown.
const KNOWN_METHODS: &[&str] = &[
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/read",
    "resources/templates/list",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
    "server/discover",
];

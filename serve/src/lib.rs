//! The HTTP edge both SmartAlex servers share: cloud mode's MCP endpoint
//! (`smartalex-mcp http`) and the sandbox gateway (`smartalex-sandbox`).
//!
//! It is its own crate so that each server depends on the edge and neither on
//! the other: cloud mode builds without SQLite, the sandbox without rmcp.

pub mod listen;
pub mod origin;
pub mod ratelimit;
pub mod unread;

//! Shared test harness: the built binary, a scripted loopback gateway, a raw
//! JSON-RPC stdio driver, and installers for the official MCP clients.

pub mod auth_proxy;
pub mod clients;
pub mod fake_gateway;
pub mod http;
pub mod redis;
pub mod stdio;

/// The `smartalex-mcp` binary cargo built for this test run.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_smartalex-mcp")
}

/// How the server answers a name that a third party wrote.
pub fn fenced(text: &str) -> String {
    smartalex_mcp::untrusted::wrap(text)
}

/// A syntactically valid key that no real gateway knows. Tests assert it
/// never appears in any output.
pub const TEST_KEY: &str = "sa_test_9f8e7d6c5b4a3928171605aabbccdd";

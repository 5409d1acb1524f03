//! The one integration-test binary (one link, one place to look).

mod common;

mod adversarial;
mod adversarial_conn;
mod adversarial_oauth;
mod adversarial_sessions;
mod cli;
mod client_setup;
mod clients;
mod distribution;
mod distribution_bundle;
mod distribution_cargo;
mod distribution_registry;
mod eras;
mod errors;
mod hot_path;
mod http;
mod http_clients;
mod http_scale;
mod http_sessions_shared;
mod live;
mod mcp_surface;
mod new_operation;
mod protocol;
mod request_bodies;
mod sandbox_api;
mod sandbox_calling;
mod sandbox_durability;
mod sandbox_errors;
mod sandbox_harness;
mod sandbox_oauth;
mod sandbox_schemathesis;
mod sandbox_webhooks;
mod sdk;
mod surface;

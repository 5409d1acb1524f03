//! The generator behind `smartalex-mcp`'s build script.
//!
//! One call, [`generate`], turns the gateway's OpenAPI spec into the three
//! generated surfaces of the main crate: the progenitor client (the typed
//! SDK), the MCP tool table, and the dispatch `match` from tool name to the
//! gateway request the client method would send. It is a library, not build-script code, so it has its own unit and
//! snapshot tests and the build script stays a few lines of wiring.
//!
//! A fifth surface is the sandbox gateway's: its operation table and the
//! typed traits its simulations implement (`gateway`), so the gateway
//! serves every operation the spec lists.
//!
//! Order matters: the spec is checked first (so a bad spec fails with a line
//! naming the operation), then progenitor runs, then the tool table and
//! dispatch are emitted from the spec *and* the client progenitor produced,
//! and the two are cross-checked.

pub mod build;
mod client;
mod emit;
mod error;
mod extension;
mod gateway;
mod introspect;
mod operation;
mod schema;
mod spec;
mod surface;

use std::collections::BTreeMap;

pub use error::{Error, ErrorKind};
pub use operation::{Annotations, Declarations, Location, Operation, Param};
pub use spec::{CONFIRM_ARG, Spec, TOOL_PREFIX};
pub use surface::{ArgCheck, Prompt, PromptArg, Resource, Source, Surface, Template, URI_SCHEME};

/// The generated sources, ready to be written to `OUT_DIR`.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The progenitor client: `Client`, `types`, `Error`, ...
    pub client: String,
    /// `TOOLS` and `DOMAINS`.
    pub tools: String,
    /// `dispatch()` and `explain()`.
    pub dispatch: String,
    /// `RESOURCES`, `TEMPLATES` and `PROMPTS`.
    pub surface_src: String,
    /// The sandbox gateway's `OPERATIONS`, `DOMAINS` and typed traits.
    pub operations: String,
    /// The resources, templates and prompts the sources were made from.
    pub surface: Surface,
    /// The parsed spec the sources were made from.
    pub spec: Spec,
}

/// The typed SDK alone: the progenitor client of the spec, with its
/// `DEFAULT_BASE_URL`, for the `smartalex` crate's build script.
pub fn generate_client(spec_text: &str) -> Result<String, Error> {
    let spec = Spec::parse(spec_text)?;
    client_source(&spec)
}

fn client_source(spec: &Spec) -> Result<String, Error> {
    let client = client::generate(spec)?;
    let base_url = spec
        .openapi
        .servers
        .first()
        .map(|s| s.url.clone())
        .ok_or_else(|| Error::spec(ErrorKind::Invalid("the spec declares no `servers`".into())))?;
    Ok(format!(
        "{}{client}\n/// The gateway URL the spec declares: the default `SMARTALEX_API_URL`.\npub const DEFAULT_BASE_URL: &str = {base_url:?};\n",
        emit::HEADER
    ))
}

/// The sandbox gateway's side alone (`OPERATIONS`, `DOMAINS`, and the
/// typed traits its simulations implement), for the `smartalex-sandbox`
/// crate's build script. The traits take and return the SDK's types, read
/// back from the client progenitor emits for the same spec.
pub fn generate_operations(spec_text: &str) -> Result<String, Error> {
    let spec = Spec::parse(spec_text)?;
    let methods = introspect::client_methods(&client_source(&spec)?)?;
    gateway::operations(&spec, &methods)
}

/// The spec alone (no resources or prompts): for tests and tools.
pub fn generate(spec_text: &str) -> Result<Generated, Error> {
    generate_all(spec_text, &BTreeMap::new())
}

/// Check the spec and the files under `openapi/` (paths relative to it, like
/// `mcp/prompts/pipeline-review.md`) and generate every surface from them.
pub fn generate_all(spec_text: &str, files: &BTreeMap<String, String>) -> Result<Generated, Error> {
    let spec = Spec::parse(spec_text)?;
    for op in &spec.operations {
        schema::check_portable(&op.operation_id, &op.input_schema)?;
    }
    let client = client_source(&spec)?;
    let methods = introspect::client_methods(&client)?;
    let tools = emit::tools(&spec)?;
    let dispatch = emit::dispatch(&spec, &methods)?;
    let surface = surface::read(&spec, files)?;
    let surface_src = emit::surface(&surface)?;
    let operations = gateway::operations(&spec, &methods)?;
    Ok(Generated {
        client,
        tools,
        dispatch,
        surface_src,
        operations,
        surface,
        spec,
    })
}

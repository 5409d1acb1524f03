//! The types of the generated resource, template and prompt tables.
//!
//! The tables themselves are emitted by the build from `openapi/` (see the
//! codegen crate's `surface` module for the rules it checks); this module
//! only defines what an entry is.

mod generated {
    include!(concat!(env!("OUT_DIR"), "/surface.rs"));
}

pub use generated::{PROMPTS, RESOURCES, TEMPLATES};

/// How a tool's answer is reshaped into a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// Deals → counts and values per stage.
    PipelineByStage,
    /// A contact page → an overview of the database.
    ContactStats,
}

/// Where a resource's content comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceSource {
    /// A tool called with fixed JSON arguments.
    Tool {
        tool: &'static str,
        args: &'static str,
        transform: Option<Transform>,
    },
    /// Text shipped in `openapi/mcp/resources/`.
    Static(&'static str),
}

/// A resource with a fixed URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceSpec {
    pub uri: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub mime_type: &'static str,
    pub source: ResourceSource,
}

/// A resource template reading one record by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateSpec {
    pub uri_template: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub tool: &'static str,
    /// The tool argument the template's variable fills.
    pub param: &'static str,
    /// The list tool whose ids complete the variable.
    pub complete: Option<&'static str>,
}

impl TemplateSpec {
    /// The variable's value if `uri` matches this template.
    pub fn matches<'u>(&self, uri: &'u str) -> Option<&'u str> {
        let (head, rest) = self.uri_template.split_once('{')?;
        let tail = rest.split_once('}').map_or("", |(_, t)| t);
        uri.strip_prefix(head)?
            .strip_suffix(tail)
            .filter(|v| !v.is_empty() && !v.contains('/'))
    }
}

/// A prompt argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptArgSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub required: bool,
    /// The list tool whose ids complete this argument.
    pub complete: Option<&'static str>,
    /// Compact JSON Schema the value must match: the id parameter of the
    /// domain's `get_…` tool (a UUID), or the tool argument `values_of`
    /// names in the prompt's front matter (e.g. an `enum`).
    pub schema: Option<&'static str>,
    /// How to check that an id names a record: the tool that reads one.
    /// `None` with `complete` set: look through the list tool's records.
    pub lookup: Option<Lookup>,
}

/// A tool that reads one record, and the argument that takes its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lookup {
    pub tool: &'static str,
    pub param: &'static str,
}

/// A prompt: its arguments, the resources it embeds, its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub arguments: &'static [PromptArgSpec],
    pub resources: &'static [&'static str],
    /// `{{arg}}` and `{{#arg}}…{{/arg}}` placeholders.
    pub template: &'static str,
}

//! The rest of the MCP surface: resources, resource templates and prompts.
//!
//! Like the tools, all of it is declared under `openapi/`, so a product
//! person can change a prompt by editing text, and the build checks it:
//!
//! - a resource that reads the gateway is declared on the operation it
//!   reads (`x-mcp.resource`, `x-mcp.resource_template`);
//! - a static resource is a markdown file under `openapi/mcp/resources/`
//!   with YAML front matter (uri, name, title, description);
//! - a prompt is a markdown file under `openapi/mcp/prompts/` with front
//!   matter (name, title, description, arguments, resources) and a body
//!   that may use `{{arg}}` and `{{#arg}}…{{/arg}}` (kept only when `arg`
//!   was given).
//!
//! Every placeholder must be a declared argument and every argument used;
//! every `smartalex_…` tool and `smartalex://…` resource a prompt names must
//! exist. A prompt naming a tool that doesn't exist fails the build.
//!
//! A prompt argument's values are checked the way tool arguments are, from
//! the spec: one that names a record (`complete: <domain>`) must match the
//! id parameter of the domain's `get_…` operation (a UUID) and is looked up
//! with that tool; one declared `values_of: <tool>.<argument>` takes that
//! tool argument's values (its `enum`, `format`, `pattern`, length).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::operation::{Location, Operation};
use crate::spec::{Spec, TOOL_PREFIX};

/// The URI scheme of every resource.
pub const URI_SCHEME: &str = "smartalex://";

/// Where a resource's content comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Call a tool with fixed arguments, optionally reshaping its answer.
    Tool {
        tool: String,
        args: Value,
        transform: Option<String>,
    },
    /// Text shipped under `openapi/mcp/resources/`.
    Static { text: String },
}

/// A resource with a fixed URI.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub uri: String,
    pub name: String,
    pub title: String,
    pub description: String,
    pub mime_type: String,
    pub source: Source,
}

/// A resource template: one record by id.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub uri_template: String,
    pub name: String,
    pub title: String,
    pub description: String,
    /// The tool that reads one record.
    pub tool: String,
    /// The tool argument the `{…}` variable fills.
    pub param: String,
    /// The list tool whose ids complete the variable.
    pub complete: Option<String>,
}

/// A prompt argument.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptArg {
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub required: bool,
    /// A domain (spec tag) whose list tool offers completions; the value
    /// must be the id of one of its records.
    #[serde(default)]
    pub complete: Option<String>,
    /// `<tool>.<argument>`: the value is what that tool argument takes
    /// (e.g. `smartalex_list_deals.stage`, one of the deal stages).
    #[serde(default)]
    pub values_of: Option<String>,
}

/// How a prompt argument's value is checked, derived from the spec.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArgCheck {
    /// The schema the value must match (a tool argument's, portable).
    pub schema: Option<Value>,
    /// The tool that reads one record by id, and its id argument: a value
    /// that names no record is refused.
    pub lookup: Option<(String, String)>,
}

/// A prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub name: String,
    pub title: String,
    pub description: String,
    pub arguments: Vec<PromptArg>,
    /// The list tool each argument completes from (same order as arguments).
    pub completions: Vec<Option<String>>,
    /// How each argument's value is checked (same order as arguments).
    pub checks: Vec<ArgCheck>,
    /// Resources embedded in the prompt's messages.
    pub resources: Vec<String>,
    pub template: String,
}

/// Resources, templates and prompts, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Surface {
    pub resources: Vec<Resource>,
    pub templates: Vec<Template>,
    pub prompts: Vec<Prompt>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceDecl {
    uri: String,
    name: String,
    title: String,
    description: String,
    #[serde(default)]
    arguments: Option<Value>,
    #[serde(default)]
    transform: Option<String>,
    #[serde(default, rename = "mimeType")]
    mime_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptFront {
    name: String,
    title: String,
    description: String,
    #[serde(default)]
    arguments: Vec<PromptArg>,
    #[serde(default)]
    resources: Vec<String>,
}

fn file_error(path: &str, message: impl Into<String>) -> Error {
    Error::spec(ErrorKind::Invalid(format!("{path}: {}", message.into())))
}

/// Split `---\nyaml\n---\nbody` into its two parts.
fn front_matter(path: &str, text: &str) -> Result<(Value, String), Error> {
    let rest = text
        .strip_prefix("---\n")
        .ok_or_else(|| file_error(path, "must start with a `---` front matter block"))?;
    let (yaml, body) = rest
        .split_once("\n---\n")
        .ok_or_else(|| file_error(path, "front matter is not closed by `---`"))?;
    let front: Value = serde_norway::from_str(yaml).map_err(|e| file_error(path, e.to_string()))?;
    Ok((front, body.trim().to_owned()))
}

/// Read every declaration: from the spec's operations and from `files`
/// (paths relative to `openapi/`).
pub fn read(spec: &Spec, files: &BTreeMap<String, String>) -> Result<Surface, Error> {
    let mut surface = Surface::default();
    for op in &spec.operations {
        read_operation(spec, op, &mut surface)?;
    }
    for (path, text) in files {
        if let Some(name) = path.strip_prefix("mcp/resources/") {
            if !name.ends_with(".md") && !name.ends_with(".json") {
                continue;
            }
            let (front, body) = front_matter(path, text)?;
            let decl: ResourceDecl =
                serde_json::from_value(front).map_err(|e| file_error(path, e.to_string()))?;
            if decl.arguments.is_some() || decl.transform.is_some() {
                return Err(file_error(
                    path,
                    "a static resource takes no `arguments` or `transform`",
                ));
            }
            let mime_type = decl.mime_type.unwrap_or_else(|| {
                if name.ends_with(".json") {
                    "application/json"
                } else {
                    "text/markdown"
                }
                .to_owned()
            });
            surface.resources.push(Resource {
                uri: decl.uri,
                name: decl.name,
                title: decl.title,
                description: decl.description,
                mime_type,
                source: Source::Static { text: body },
            });
        }
    }
    for (path, text) in files {
        if path.starts_with("mcp/prompts/") && path.ends_with(".md") {
            let prompt = read_prompt(spec, &surface, path, text)?;
            surface.prompts.push(prompt);
        }
    }
    check_unique(&surface)?;
    for r in &surface.resources {
        if let Source::Static { text } = &r.source {
            check_mentions(spec, &surface, &format!("resource {}", r.uri), text, &[])?;
        }
    }
    Ok(surface)
}

/// Every tool and resource `text` (or `extra`) names must exist.
fn check_mentions(
    spec: &Spec,
    surface: &Surface,
    path: &str,
    text: &str,
    extra: &[String],
) -> Result<(), Error> {
    for tool in mentions(text, TOOL_PREFIX) {
        if spec.operation(&tool).is_none() {
            return Err(file_error(
                path,
                format!("names tool `{tool}`, which does not exist"),
            ));
        }
    }
    for uri in mentions(text, URI_SCHEME)
        .into_iter()
        .chain(extra.iter().cloned())
    {
        let known = surface.resources.iter().any(|r| r.uri == uri)
            || surface
                .templates
                .iter()
                .any(|t| matches_template(&t.uri_template, &uri));
        if !known {
            return Err(file_error(
                path,
                format!("names resource `{uri}`, which does not exist"),
            ));
        }
    }
    Ok(())
}

fn read_operation(spec: &Spec, op: &Operation, surface: &mut Surface) -> Result<(), Error> {
    let id = &op.operation_id;
    if let Some(raw) = &op.extension.resource {
        let decl = declaration(id, "resource", raw)?;
        if decl.uri.contains('{') {
            return Err(Error::invalid(
                id,
                "`x-mcp.resource.uri` has a `{…}`: declare it as `resource_template`",
            ));
        }
        let args = decl
            .arguments
            .unwrap_or_else(|| Value::Object(Default::default()));
        let props = op.input_schema["properties"].as_object();
        for key in args
            .as_object()
            .map(|a| a.keys().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            if !props.is_some_and(|p| p.contains_key(key)) {
                return Err(Error::invalid(
                    id,
                    format!("`x-mcp.resource.arguments.{key}` is not an argument of the tool"),
                ));
            }
        }
        surface.resources.push(Resource {
            uri: decl.uri,
            name: decl.name,
            title: decl.title,
            description: decl.description,
            mime_type: decl
                .mime_type
                .unwrap_or_else(|| "application/json".to_owned()),
            source: Source::Tool {
                tool: op.tool_name.clone(),
                args,
                transform: decl.transform,
            },
        });
    }
    if let Some(raw) = &op.extension.resource_template {
        let decl = declaration(id, "resource_template", raw)?;
        let vars = crate::spec::braced(&decl.uri);
        let [param] = vars.as_slice() else {
            return Err(Error::invalid(
                id,
                "`x-mcp.resource_template.uri` must have exactly one `{variable}`",
            ));
        };
        let param = (*param).to_owned();
        if !op.params.iter().any(|p| p.name == param) {
            return Err(Error::invalid(
                id,
                format!("resource template variable `{{{param}}}` is not a parameter"),
            ));
        }
        surface.templates.push(Template {
            uri_template: decl.uri,
            name: decl.name,
            title: decl.title,
            description: decl.description,
            tool: op.tool_name.clone(),
            param,
            complete: list_tool(spec, &op.domain),
        });
    }
    Ok(())
}

/// `x-mcp.<key>` read as a resource declaration, with its URI checked.
fn declaration(id: &str, key: &str, raw: &Value) -> Result<ResourceDecl, Error> {
    let decl: ResourceDecl = serde_json::from_value(raw.clone())
        .map_err(|e| Error::invalid(id, format!("`x-mcp.{key}`: {e}")))?;
    check_uri(id, &decl.uri)?;
    Ok(decl)
}

fn check_uri(id: &str, uri: &str) -> Result<(), Error> {
    if !uri.starts_with(URI_SCHEME) {
        return Err(Error::invalid(
            id,
            format!("resource uri `{uri}` must start with {URI_SCHEME}"),
        ));
    }
    Ok(())
}

/// The `smartalex_list_…` tool of a domain.
fn list_tool(spec: &Spec, domain: &str) -> Option<String> {
    list_operation(spec, domain).map(|o| o.tool_name.clone())
}

fn list_operation<'s>(spec: &'s Spec, domain: &str) -> Option<&'s Operation> {
    spec.operations
        .iter()
        .find(|o| o.domain == domain && o.method == "GET" && o.operation_id.starts_with("list_"))
}

fn read_prompt(spec: &Spec, surface: &Surface, path: &str, text: &str) -> Result<Prompt, Error> {
    let (front, template) = front_matter(path, text)?;
    let front: PromptFront =
        serde_json::from_value(front).map_err(|e| file_error(path, e.to_string()))?;
    let placeholders = placeholders(path, &template)?;
    for p in &placeholders {
        if !front.arguments.iter().any(|a| &a.name == p) {
            return Err(file_error(
                path,
                format!("`{{{{{p}}}}}` is not a declared argument"),
            ));
        }
    }
    let mut completions = Vec::new();
    let mut checks = Vec::new();
    for arg in &front.arguments {
        if !placeholders.contains(&arg.name) {
            return Err(file_error(
                path,
                format!("argument `{}` is never used in the text", arg.name),
            ));
        }
        checks.push(arg_check(spec, path, arg)?);
        completions.push(match &arg.complete {
            None => None,
            Some(domain) => Some(list_tool(spec, domain).ok_or_else(|| {
                file_error(
                    path,
                    format!(
                        "argument `{}` completes from `{domain}`, which has no list tool",
                        arg.name
                    ),
                )
            })?),
        });
    }
    check_mentions(spec, surface, path, &template, &front.resources)?;
    Ok(Prompt {
        name: front.name,
        title: front.title,
        description: front.description,
        arguments: front.arguments,
        completions,
        checks,
        resources: front.resources,
        template,
    })
}

/// How `arg`'s value is checked: as the id of a record of its `complete`
/// domain, or as the tool argument `values_of` names.
fn arg_check(spec: &Spec, path: &str, arg: &PromptArg) -> Result<ArgCheck, Error> {
    let fail = |message: String| file_error(path, format!("argument `{}` {message}", arg.name));
    match (&arg.complete, &arg.values_of) {
        (Some(_), Some(_)) => Err(fail(
            "has both `complete` and `values_of`: an id argument's values come from its domain"
                .to_owned(),
        )),
        (Some(domain), None) => match get_tool(spec, domain) {
            Some((op, param)) => Ok(ArgCheck {
                schema: op.input_schema["properties"]
                    .get(&param)
                    .map(without_description),
                lookup: Some((op.tool_name.clone(), param)),
            }),
            // No `get_…`: ids are checked against the list's records.
            None => Ok(ArgCheck {
                schema: list_operation(spec, domain)
                    .and_then(|op| {
                        op.output_schema
                            .pointer("/properties/data/items/properties/id")
                    })
                    .map(without_description),
                lookup: None,
            }),
        },
        (None, Some(target)) => {
            let (tool, name) = target.split_once('.').ok_or_else(|| {
                fail(format!(
                    "has `values_of: {target}`, which is not `<tool>.<argument>`"
                ))
            })?;
            let op = spec.operation(tool).ok_or_else(|| {
                fail(format!(
                    "takes the values of tool `{tool}`, which does not exist"
                ))
            })?;
            let schema = op.input_schema["properties"].get(name).ok_or_else(|| {
                fail(format!(
                    "takes the values of `{name}`, which is not an argument of {tool}"
                ))
            })?;
            if schema["type"] != "string" {
                return Err(fail(format!(
                    "takes the values of {tool}'s `{name}`, which is not a string (prompt arguments are strings)"
                )));
            }
            Ok(ArgCheck {
                schema: Some(without_description(schema)),
                lookup: None,
            })
        }
        (None, None) => Ok(ArgCheck::default()),
    }
}

/// The `get_…` operation of a domain that reads one record by its single
/// path parameter, and that parameter.
fn get_tool<'s>(spec: &'s Spec, domain: &str) -> Option<(&'s Operation, String)> {
    spec.operations.iter().find_map(|o| {
        let [param] = o.params.as_slice() else {
            return None;
        };
        (o.domain == domain
            && o.method == "GET"
            && o.operation_id.starts_with("get_")
            && param.location == Location::Path)
            .then(|| (o, param.name.clone()))
    })
}

/// A schema as a check needs it: what it says the value is, not the prose.
fn without_description(schema: &Value) -> Value {
    let mut schema = schema.clone();
    if let Some(m) = schema.as_object_mut() {
        m.remove("description");
    }
    schema
}

/// `smartalex://contacts/{id}` matches `smartalex://contacts/{id}` and
/// `smartalex://contacts/<anything without a slash>`.
fn matches_template(template: &str, uri: &str) -> bool {
    let Some((head, rest)) = template.split_once('{') else {
        return template == uri;
    };
    let tail = rest.split_once('}').map_or("", |(_, t)| t);
    uri.strip_prefix(head)
        .and_then(|u| u.strip_suffix(tail))
        .is_some_and(|v| !v.is_empty() && !v.contains('/'))
}

/// Every `{{name}}`, `{{#name}}` and `{{/name}}`; sections must balance.
fn placeholders(path: &str, template: &str) -> Result<Vec<String>, Error> {
    let mut out: Vec<String> = Vec::new();
    let mut open: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| file_error(path, "a `{{` is never closed"))?;
        let tag = after[..end].trim();
        let (kind, name) = match tag.chars().next() {
            Some('#') => ('#', tag[1..].trim()),
            Some('/') => ('/', tag[1..].trim()),
            _ => (' ', tag),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(file_error(
                path,
                format!("`{{{{{tag}}}}}` is not a placeholder (letters, digits and _)"),
            ));
        }
        match kind {
            '#' => open.push(name.to_owned()),
            '/' if open.pop().as_deref() != Some(name) => {
                return Err(file_error(
                    path,
                    format!("`{{{{/{name}}}}}` closes a section that is not open"),
                ));
            }
            _ => {}
        }
        if !out.iter().any(|o| o == name) {
            out.push(name.to_owned());
        }
        rest = &after[end + 2..];
    }
    if let Some(name) = open.pop() {
        return Err(file_error(
            path,
            format!("section `{{{{#{name}}}}}` is never closed"),
        ));
    }
    Ok(out)
}

/// Every token starting with `prefix`, up to the first character that can't
/// be in a tool name or URI.
fn mentions(text: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let token: String = rest[at..]
            .chars()
            .take_while(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '/' | '{' | '}' | '-')
            })
            .collect();
        let token = token.trim_end_matches(['/', ':']).to_owned();
        rest = &rest[at + token.len().max(prefix.len())..];
        if !out.contains(&token) {
            out.push(token);
        }
    }
    out
}

fn check_unique(surface: &Surface) -> Result<(), Error> {
    let mut seen: Vec<&str> = Vec::new();
    let uris = surface
        .resources
        .iter()
        .map(|r| r.uri.as_str())
        .chain(surface.templates.iter().map(|t| t.uri_template.as_str()));
    for uri in uris {
        if seen.contains(&uri) {
            return Err(Error::spec(ErrorKind::Invalid(format!(
                "resource `{uri}` is declared twice"
            ))));
        }
        seen.push(uri);
    }
    let mut names: Vec<&str> = Vec::new();
    for p in &surface.prompts {
        if names.contains(&p.name.as_str()) {
            return Err(Error::spec(ErrorKind::Invalid(format!(
                "prompt `{}` is declared twice",
                p.name
            ))));
        }
        names.push(&p.name);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_sections() {
        let p = placeholders("t", "Goal: {{goal}}. {{#agent}}Use {{agent}}.{{/agent}}").unwrap();
        assert_eq!(p, vec!["goal", "agent"]);
        assert!(placeholders("t", "{{#a}} open").is_err());
        assert!(placeholders("t", "{{/a}}").is_err());
        assert!(placeholders("t", "{{not valid}}").is_err());
    }

    #[test]
    fn finds_tool_and_uri_mentions() {
        let text = "Call `smartalex_list_calls`, then read smartalex://calls/{id} and smartalex://deals/pipeline.";
        assert_eq!(mentions(text, TOOL_PREFIX), vec!["smartalex_list_calls"]);
        assert_eq!(
            mentions(text, URI_SCHEME),
            vec!["smartalex://calls/{id}", "smartalex://deals/pipeline"]
        );
    }

    #[test]
    fn template_matching() {
        assert!(matches_template(
            "smartalex://contacts/{id}",
            "smartalex://contacts/{id}"
        ));
        assert!(matches_template(
            "smartalex://contacts/{id}",
            "smartalex://contacts/abc"
        ));
        assert!(!matches_template(
            "smartalex://contacts/{id}",
            "smartalex://contacts/"
        ));
        assert!(!matches_template(
            "smartalex://contacts/{id}",
            "smartalex://contacts/a/b"
        ));
    }
}

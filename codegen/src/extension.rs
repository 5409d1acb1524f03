//! `x-mcp`: what plain OpenAPI cannot say about a tool.
//!
//! Kept small on purpose: an operation carries `x-mcp` only where the
//! default derivation (in [`crate::spec`]) is wrong, and every key is checked
//! here, so a typo fails the build instead of being silently ignored.
//!
//! | key | meaning |
//! |---|---|
//! | `action` | the phrase in `Failed to <action>: …` |
//! | `annotations` | overrides of readOnlyHint, destructiveHint, idempotentHint, openWorldHint |
//! | `confirm` | a question, with `{arg}` placeholders, put to the user before the tool runs |
//! | `long_running` | report progress while it runs |
//! | `resource`, `resource_template` | MCP resources read through this operation ([`crate::surface`]) |

use serde_json::Value;

use crate::error::Error;
use crate::operation::{Annotations, Declarations};

/// What an operation's `x-mcp` says.
#[derive(Default)]
pub(crate) struct Extension {
    pub(crate) action: Option<String>,
    pub(crate) annotations: Annotations,
    pub(crate) confirm: Option<String>,
    pub(crate) long_running: bool,
    pub(crate) declarations: Declarations,
}

impl Extension {
    pub(crate) fn apply(&self, a: &mut Annotations) {
        let o = &self.annotations;
        a.read_only = o.read_only.or(a.read_only);
        a.destructive = o.destructive.or(a.destructive);
        a.idempotent = o.idempotent.or(a.idempotent);
        a.open_world = o.open_world.or(a.open_world);
    }
}

pub(crate) fn read_extension(id: &str, ext: &Value) -> Result<Extension, Error> {
    let mut out = Extension::default();
    let Some(map) = ext.as_object() else {
        return match ext {
            Value::Null => Ok(out),
            _ => Err(Error::invalid(id, "`x-mcp` must be an object")),
        };
    };
    for (key, value) in map {
        match key.as_str() {
            "action" => {
                out.action = Some(non_empty(id, "action", value)?);
            }
            "annotations" => {
                let obj = value
                    .as_object()
                    .ok_or_else(|| Error::invalid(id, "`x-mcp.annotations` must be an object"))?;
                for (hint, v) in obj {
                    let b = v.as_bool().ok_or_else(|| {
                        Error::invalid(id, format!("`x-mcp.annotations.{hint}` must be a boolean"))
                    })?;
                    let slot = match hint.as_str() {
                        "readOnlyHint" => &mut out.annotations.read_only,
                        "destructiveHint" => &mut out.annotations.destructive,
                        "idempotentHint" => &mut out.annotations.idempotent,
                        "openWorldHint" => &mut out.annotations.open_world,
                        other => {
                            return Err(Error::invalid(
                                id,
                                format!("unknown annotation `x-mcp.annotations.{other}`"),
                            ));
                        }
                    };
                    *slot = Some(b);
                }
            }
            "confirm" => {
                out.confirm = Some(non_empty(id, "confirm", value)?);
            }
            "long_running" => {
                out.long_running = value
                    .as_bool()
                    .ok_or_else(|| Error::invalid(id, "`x-mcp.long_running` must be a boolean"))?;
            }
            "resource" => out.declarations.resource = Some(value.clone()),
            "resource_template" => out.declarations.resource_template = Some(value.clone()),
            other => {
                return Err(Error::invalid(
                    id,
                    format!(
                        "unknown `x-mcp` key `{other}` (known: action, annotations, confirm, long_running, resource, resource_template)"
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// `x-mcp.<key>` as a non-empty string.
fn non_empty(id: &str, key: &str, value: &Value) -> Result<String, Error> {
    value
        .as_str()
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
        .ok_or_else(|| Error::invalid(id, format!("`x-mcp.{key}` must be a non-empty string")))
}

//! Prompts: conversation templates for the multi-step jobs users want.
//!
//! A prompt's text lives in `openapi/mcp/prompts/` and uses a deliberately
//! tiny template language — `{{arg}}`, and `{{#arg}}…{{/arg}}` kept only when
//! the argument was given — whose every placeholder the build has already
//! checked. A template engine crate would add a dependency and runtime
//! parsing for no gain over these forty lines.
//!
//! `prompts/get` embeds the prompt's resources, read live, ahead of the
//! instructions, so the model starts with the workspace's real data.

use rmcp::model::{GetPromptResult, Prompt, PromptArgument, PromptMessage, Role};
use serde_json::{Map, Value};

use crate::gateway::Gateway;
use crate::registry::Registry;
use crate::resources::ReadError;
use crate::surface::{PROMPTS, PromptSpec};

/// Why a prompt could not be produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptError {
    NotFound(String),
    /// Missing required or unknown arguments, or non-string values.
    Arguments(String),
}

impl Registry {
    /// `prompts/list` entries.
    pub fn prompts(&self) -> Vec<Prompt> {
        PROMPTS
            .iter()
            .map(|p| {
                let args = p
                    .arguments
                    .iter()
                    .map(|a| {
                        PromptArgument::new(a.name)
                            .with_description(a.description)
                            .with_required(a.required)
                    })
                    .collect();
                Prompt::new(p.name, Some(p.description), Some(args)).with_title(p.title)
            })
            .collect()
    }

    /// Render `name` with `args`, embedding its resources.
    pub async fn get_prompt(
        &self,
        gateway: &Gateway,
        name: &str,
        args: Option<Map<String, Value>>,
    ) -> Result<GetPromptResult, PromptError> {
        let spec = PROMPTS
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| PromptError::NotFound(name.to_owned()))?;
        let values = arguments(spec, args.unwrap_or_default())?;
        let mut messages = Vec::new();
        for uri in spec.resources {
            let message = match self.read_resource(gateway, uri).await {
                Ok(contents) => {
                    PromptMessage::new(Role::User, rmcp::model::ContentBlock::resource(contents))
                }
                Err(ReadError::Failed(text)) => {
                    PromptMessage::new_text(Role::User, format!("(Could not read {uri}: {text})"))
                }
                // A resource hidden by --tools/--read-only is simply left out.
                Err(ReadError::NotFound(_)) => continue,
            };
            messages.push(message);
        }
        messages.push(PromptMessage::new_text(
            Role::User,
            render(spec.template, &values),
        ));
        Ok(GetPromptResult::new(messages).with_description(spec.description))
    }
}

/// Check `args` against the prompt's declared arguments.
fn arguments(
    spec: &PromptSpec,
    args: Map<String, Value>,
) -> Result<Vec<(&'static str, String)>, PromptError> {
    let mut problems = Vec::new();
    for key in args.keys() {
        if !spec.arguments.iter().any(|a| a.name == key) {
            let known: Vec<&str> = spec.arguments.iter().map(|a| a.name).collect();
            problems.push(format!(
                "`{key}` is not an argument of {} (it takes: {})",
                spec.name,
                known.join(", ")
            ));
        }
    }
    let mut values = Vec::new();
    for a in spec.arguments {
        match args.get(a.name) {
            Some(Value::String(s)) if !s.trim().is_empty() => {
                values.push((a.name, s.trim().to_owned()))
            }
            Some(Value::String(_)) | None | Some(Value::Null) => {
                if a.required {
                    problems.push(format!("`{}` is required: {}", a.name, a.description));
                }
            }
            Some(other) => problems.push(format!("`{}` must be a string, got {other}", a.name)),
        }
    }
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(PromptError::Arguments(problems.join("; ")))
    }
}

/// Fill `{{arg}}` and keep `{{#arg}}…{{/arg}}` only when `arg` has a value.
pub(crate) fn render(template: &str, values: &[(&str, String)]) -> String {
    let value = |name: &str| {
        values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    };
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let tag = after[..end].trim();
        rest = &after[end + 2..];
        if let Some(name) = tag.strip_prefix('#') {
            let close = format!("{{{{/{}}}}}", name.trim());
            let (inner, tail) = rest.split_once(close.as_str()).unwrap_or((rest, ""));
            if value(name.trim()).is_some() {
                out.push_str(&render(inner, values));
            }
            rest = tail;
        } else {
            out.push_str(value(tag).unwrap_or_default());
        }
    }
    out.push_str(rest);
    // Dropped sections leave blank lines behind; keep at most one.
    let mut tidy = String::with_capacity(out.len());
    for line in out.lines() {
        if line.trim().is_empty() && tidy.ends_with("\n\n") {
            continue;
        }
        tidy.push_str(line.trim_end());
        tidy.push('\n');
    }
    tidy.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_values_and_sections() {
        let t = "Goal: {{goal}}.\n\n{{#agent}}Use {{agent}}.{{/agent}}\n\nGo.";
        assert_eq!(
            render(t, &[("goal", "20 demos".into()), ("agent", "A1".into())]),
            "Goal: 20 demos.\n\nUse A1.\n\nGo."
        );
        assert_eq!(
            render(t, &[("goal", "20 demos".into())]),
            "Goal: 20 demos.\n\nGo."
        );
    }
}

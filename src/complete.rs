//! `completion/complete`: real ids for prompt arguments and template
//! variables, from the gateway.
//!
//! Values are ids (what the argument takes), matched on the id's start or
//! anywhere in the record's name, so typing "ada" offers Ada's contact id.
//! A prompt argument with a fixed list of values (`values_of` an `enum`)
//! is offered those values, matched on their start.

use serde_json::{Map, Value, json};

use crate::gateway::Gateway;
use crate::registry::{Approval, Outcome, Registry};
use crate::surface::{PROMPTS, TEMPLATES};

/// At most this many values, as MCP allows.
const MAX_VALUES: usize = 100;

/// What a completion reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    Prompt { name: &'a str, argument: &'a str },
    Template { uri: &'a str, argument: &'a str },
}

impl Registry {
    /// Ids matching `typed` for `target`, and whether there are more.
    pub async fn complete(
        &self,
        gateway: &Gateway,
        target: Target<'_>,
        typed: &str,
    ) -> (Vec<String>, bool) {
        let prompt_arg = |name: &str, argument: &str| {
            PROMPTS
                .iter()
                .find(|p| p.name == name)
                .and_then(|p| p.arguments.iter().find(|a| a.name == argument))
        };
        if let Target::Prompt { name, argument } = target {
            let fixed = prompt_arg(name, argument)
                .map(crate::prompts::allowed_values)
                .unwrap_or_default();
            if !fixed.is_empty() {
                let typed = typed.trim().to_lowercase();
                let mut values: Vec<String> = fixed
                    .into_iter()
                    .filter(|v| v.to_lowercase().starts_with(&typed))
                    .collect();
                let more = values.len() > MAX_VALUES;
                values.truncate(MAX_VALUES);
                return (values, more);
            }
        }
        let source = match target {
            Target::Prompt { name, argument } => {
                prompt_arg(name, argument).and_then(|a| a.complete)
            }
            Target::Template { uri, argument } => TEMPLATES
                .iter()
                .find(|t| t.uri_template == uri && t.param == argument)
                .and_then(|t| t.complete),
        };
        let Some(list_tool) = source.filter(|t| self.contains(t)) else {
            return (Vec::new(), false);
        };
        let mut args = Map::new();
        args.insert("per_page".to_owned(), json!(MAX_VALUES));
        let Ok(Outcome::Ok(output)) = self
            .call_on(gateway, list_tool, Some(args), Approval::FromArguments)
            .await
        else {
            return (Vec::new(), false);
        };
        let body = output.body();
        let typed = typed.trim().to_lowercase();
        let mut values: Vec<String> = body["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| {
                typed.is_empty()
                    || r["id"].as_str().is_some_and(|id| id.starts_with(&typed))
                    || label(r).contains(&typed)
            })
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .collect();
        let more = values.len() > MAX_VALUES
            || body["total"]
                .as_u64()
                .is_some_and(|t| t > MAX_VALUES as u64);
        values.truncate(MAX_VALUES);
        (values, more)
    }
}

/// A record's human name, lower-cased: `name`, `deal_name`, or first + last.
fn label(r: &Value) -> String {
    let text = |k: &str| r[k].as_str().unwrap_or_default();
    [
        text("name"),
        text("deal_name"),
        text("first_name"),
        text("last_name"),
        text("phone_number"),
    ]
    .join(" ")
    .to_lowercase()
}

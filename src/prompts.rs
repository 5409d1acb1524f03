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
//!
//! Argument values are checked like tool arguments, from the same spec (the
//! generator derives each argument's check, see `codegen/src/surface.rs`):
//! an id argument (`complete: <domain>`) must be a UUID and name a record of
//! the workspace, looked up with the domain's `get_…` tool (or found in its
//! list); an argument declared `values_of: <tool>.<argument>` takes what that
//! tool argument takes, e.g. one of the deal stages. A refusal names the
//! argument, says what it must be, and where valid ids come from. Only a
//! definite "not found" refuses an id: when the lookup cannot answer (no
//! key, an outage, its tool not served) the prompt renders, and the first
//! tool call meets the same problem with its own message.

use rmcp::model::{GetPromptResult, Prompt, PromptArgument, PromptMessage, Role};
use serde_json::{Map, Value, json};

use crate::error::CallError;
use crate::gateway::Gateway;
use crate::registry::Registry;
use crate::resources::ReadError;
use crate::surface::{PROMPTS, PromptArgSpec, PromptSpec};
use smartalex_schema::Schema;

/// Records per page when an id is looked for in a list (the spec's maximum).
const SCAN_PAGE: u64 = 100;
/// Pages looked through before an id is left unchecked.
const SCAN_PAGES: u64 = 10;

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
        let served = |tool: &str| self.contains(tool);
        let values = arguments(spec, args.unwrap_or_default(), &served)?;
        self.check_ids(gateway, spec, &values).await?;
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

    /// Every id argument given names a record of the workspace.
    async fn check_ids(
        &self,
        gateway: &Gateway,
        spec: &PromptSpec,
        values: &[(&str, String)],
    ) -> Result<(), PromptError> {
        let served = |tool: &str| self.contains(tool);
        let mut problems = Problems::default();
        for a in spec.arguments.iter().filter(|a| a.complete.is_some()) {
            let Some((_, id)) = values.iter().find(|(n, _)| *n == a.name) else {
                continue;
            };
            if self.exists(gateway, a, id).await == Some(false) {
                problems.say(format!(
                    "`{}` is not the id of any {} in this workspace (got {})",
                    a.name,
                    record_noun(a),
                    Value::String(id.clone())
                ));
                problems.hint(format!(
                    "Verify the UUID is correct, or {}; resources are workspace-scoped.",
                    where_ids_are(a, &served)
                ));
            }
        }
        problems.into_result(())
    }

    /// Whether `id` names a record for `a`; `None` when nobody can tell.
    async fn exists(&self, gateway: &Gateway, a: &PromptArgSpec, id: &str) -> Option<bool> {
        if let Some(lookup) = a.lookup {
            if !self.contains(lookup.tool) {
                return None;
            }
            let mut args = Map::new();
            args.insert(lookup.param.to_owned(), json!(id));
            return match self.fetch_on(gateway, lookup.tool, args).await {
                Ok(_) => Some(true),
                Err(CallError::Gateway(g))
                    if g.status == 404 && !g.error.starts_with("No route found") =>
                {
                    Some(false)
                }
                Err(e) => {
                    tracing::debug!(
                        tool = lookup.tool,
                        error = e.kind(),
                        "prompt argument left unchecked"
                    );
                    None
                }
            };
        }
        // No tool reads one record of this domain: look through its list.
        let list = a.complete.filter(|t| self.contains(t))?;
        for page in 1..=SCAN_PAGES {
            let mut args = Map::new();
            args.insert("page".to_owned(), json!(page));
            args.insert("per_page".to_owned(), json!(SCAN_PAGE));
            let body = self.fetch_on(gateway, list, args).await.ok()?.body();
            let records = body["data"].as_array()?;
            if records.iter().any(|r| r["id"] == id) {
                return Some(true);
            }
            let seen = (page - 1) * SCAN_PAGE + records.len() as u64;
            if (records.len() as u64) < SCAN_PAGE
                || body["total"].as_u64().is_some_and(|t| t <= seen)
            {
                return Some(false);
            }
        }
        None
    }
}

/// What a refusal says, and how to recover, collected so the model gets
/// every problem at once.
#[derive(Debug, Default)]
struct Problems {
    said: Vec<String>,
    hints: Vec<String>,
}

impl Problems {
    fn say(&mut self, problem: String) {
        self.said.push(problem);
    }

    fn hint(&mut self, hint: String) {
        if !self.hints.contains(&hint) {
            self.hints.push(hint);
        }
    }

    /// `a; b. Hint. Hint.` — the problems first, then what to do about them.
    fn into_result<T>(self, ok: T) -> Result<T, PromptError> {
        if self.said.is_empty() {
            return Ok(ok);
        }
        let mut text = self.said.join("; ");
        if !self.hints.is_empty() {
            text.push_str(if text.ends_with('.') { " " } else { ". " });
            text.push_str(&self.hints.join(" "));
        }
        Err(PromptError::Arguments(text))
    }
}

/// Check `args` against the prompt's declared arguments, and each value
/// against its schema; `served` says which tools this server offers (for
/// the hint about where ids come from).
fn arguments(
    spec: &PromptSpec,
    args: Map<String, Value>,
    served: &dyn Fn(&str) -> bool,
) -> Result<Vec<(&'static str, String)>, PromptError> {
    let mut problems = Problems::default();
    for key in args.keys() {
        if !spec.arguments.iter().any(|a| a.name == key) {
            let known: Vec<&str> = spec.arguments.iter().map(|a| a.name).collect();
            problems.say(format!(
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
                let value = s.trim().to_owned();
                let wrong = violations(a, &value);
                if !wrong.is_empty() && a.complete.is_some() {
                    problems.hint(format!("{}.", capitalized(&where_ids_are(a, served))));
                }
                for message in wrong {
                    problems.say(format!("`{}` {message}", a.name));
                }
                values.push((a.name, value));
            }
            Some(Value::String(_)) | None | Some(Value::Null) => {
                if a.required {
                    problems.say(format!("`{}` is required: {}", a.name, a.description));
                }
            }
            Some(other) => problems.say(format!("`{}` must be a string, got {other}", a.name)),
        }
    }
    problems.into_result(values)
}

/// What `value` breaks in `a`'s schema, in the words tool arguments get.
fn violations(a: &PromptArgSpec, value: &str) -> Vec<String> {
    let Some(schema) = a.schema else {
        return Vec::new();
    };
    match Schema::compile(schema) {
        Ok(schema) => schema
            .check(&Value::String(value.to_owned()))
            .into_iter()
            .map(|v| v.message)
            .collect(),
        Err(e) => vec![format!(
            "cannot be checked: its schema does not compile ({e})"
        )],
    }
}

/// The values `a` takes when they are a fixed list (its schema's `enum`).
pub(crate) fn allowed_values(a: &PromptArgSpec) -> Vec<String> {
    let schema: Value = a
        .schema
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    schema["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// `use smartalex_list_agents (or completion/complete on `agent_id`) to find
/// valid IDs`, or, when that tool is not served, to ask the user.
fn where_ids_are(a: &PromptArgSpec, served: &dyn Fn(&str) -> bool) -> String {
    match a.complete.filter(|t| served(t)) {
        Some(list) => format!(
            "use {list} (or completion/complete on `{}`) to find valid IDs",
            a.name
        ),
        None => "ask the user for the right one (this server does not list them)".to_owned(),
    }
}

/// What an id argument names, from its tools' domain: `agent`, `phone number`.
fn record_noun(a: &PromptArgSpec) -> String {
    a.lookup
        .map(|l| l.tool)
        .or(a.complete)
        .and_then(crate::tools::find)
        .map(|t| {
            let domain = t.domain.strip_suffix('s').unwrap_or(t.domain);
            domain.replace('_', " ")
        })
        .unwrap_or_else(|| "record".to_owned())
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
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

    fn prompt(name: &str) -> &'static PromptSpec {
        PROMPTS.iter().find(|p| p.name == name).unwrap()
    }

    fn check(
        name: &str,
        args: Value,
        served: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<String>, String> {
        let Value::Object(args) = args else { panic!() };
        match arguments(prompt(name), args, served) {
            Ok(values) => Ok(values
                .into_iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect()),
            Err(PromptError::Arguments(why)) => Err(why),
            Err(other) => panic!("{other:?}"),
        }
    }

    const ALL: &dyn Fn(&str) -> bool = &|_| true;

    #[test]
    fn id_arguments_must_be_uuids_and_say_where_ids_are() {
        assert_eq!(
            check("campaign-strategy", json!({"goal": "g", "agent_id": "20"}), ALL),
            Err("`agent_id` must be a UUID like a1b2c3d4-e5f6-7890-abcd-ef1234567890 (got \"20\"). \
                 Use smartalex_list_agents (or completion/complete on `agent_id`) to find valid IDs."
                .to_owned())
        );
        // Every problem at once, the existing texts unchanged.
        assert_eq!(
            check("lead-qualification", json!({"campaign_id": "c-1", "x": 1}), ALL),
            Err("`x` is not an argument of lead-qualification (it takes: campaign_id, criteria); \
                 `campaign_id` must be a UUID like a1b2c3d4-e5f6-7890-abcd-ef1234567890 (got \"c-1\"). \
                 Use smartalex_list_campaigns (or completion/complete on `campaign_id`) to find valid IDs."
                .to_owned())
        );
        // With --tools narrowing the list tool away, no tool to point at.
        let why = check("agent-design", json!({"agent_id": "x"}), &|_| false).unwrap_err();
        assert!(
            why.ends_with(". Ask the user for the right one (this server does not list them)."),
            "{why}"
        );
        assert_eq!(
            check(
                "campaign-strategy",
                json!({"goal": " g ", "agent_id": " A1B2C3D4-E5F6-7890-ABCD-EF1234567890 "}),
                ALL
            ),
            Ok(vec![
                "goal=g".to_owned(),
                "agent_id=A1B2C3D4-E5F6-7890-ABCD-EF1234567890".to_owned()
            ])
        );
    }

    #[test]
    fn enum_arguments_take_only_their_values() {
        assert_eq!(
            check("pipeline-review", json!({"stage": "won"}), ALL),
            Err("`stage` must be one of: lead, qualified, showing, offer, under_contract, closed_won, closed_lost (got \"won\")".to_owned())
        );
        assert_eq!(
            check("pipeline-review", json!({"stage": "offer"}), ALL),
            Ok(vec!["stage=offer".to_owned()])
        );
        let stage = &prompt("pipeline-review").arguments[0];
        assert_eq!(allowed_values(stage).len(), 7);
        assert!(allowed_values(&prompt("campaign-strategy").arguments[1]).is_empty());
    }

    #[test]
    fn existing_messages_are_unchanged() {
        assert_eq!(
            check("campaign-strategy", json!({"gaol": "x", "agent_id": 20}), ALL),
            Err("`gaol` is not an argument of campaign-strategy (it takes: goal, agent_id); \
                 `goal` is required: What the campaign should achieve, e.g. \"book 20 property viewings this month\"; \
                 `agent_id` must be a string, got 20"
                .to_owned())
        );
    }

    #[test]
    fn every_id_argument_is_checked_from_the_spec() {
        for p in PROMPTS {
            for a in p.arguments.iter().filter(|a| a.complete.is_some()) {
                assert!(
                    a.schema.is_some_and(|s| s.contains("\"uuid\"")),
                    "{} {}",
                    p.name,
                    a.name
                );
                assert!(a.lookup.is_some(), "{} {}: no get tool", p.name, a.name);
            }
        }
        assert_eq!(
            record_noun(&prompt("campaign-strategy").arguments[1]),
            "agent"
        );
        assert_eq!(record_noun(&deal_arg()), "deal");
    }

    /// An id argument of a domain with no `get_…` tool: found in the list.
    fn deal_arg() -> PromptArgSpec {
        PromptArgSpec {
            name: "deal_id",
            description: "A deal",
            required: false,
            complete: Some("smartalex_list_deals"),
            schema: Some("{\"type\":\"string\",\"format\":\"uuid\"}"),
            lookup: None,
        }
    }

    #[cfg(feature = "sandbox")]
    #[tokio::test]
    async fn ids_are_looked_up_or_found_in_the_list() {
        use crate::gateway::KeyState;
        use crate::tools::Selection;
        use smartalex_sandbox::{Db, SandboxOptions};

        let dir = tempfile::tempdir().unwrap();
        let options = SandboxOptions::new(Db::Path(dir.path().join("demo.db")));
        let running = smartalex_sandbox::start("127.0.0.1:0".parse().unwrap(), options)
            .await
            .unwrap();
        let key = KeyState::Valid(crate::ApiKey::parse(&running.api_key).unwrap());
        let gateway = Gateway::new(running.url(), key, crate::Timeouts::default());
        let registry = Registry::new(
            &Selection::default(),
            Gateway::new(running.url(), KeyState::Missing, crate::Timeouts::default()),
        );
        let first_id = |tool: &'static str| {
            let (registry, gateway) = (&registry, &gateway);
            async move {
                let out = registry.fetch_on(gateway, tool, Map::new()).await.unwrap();
                out.body()["data"][0]["id"].as_str().unwrap().to_owned()
            }
        };
        let nobody = "00000000-0000-4000-8000-000000000000";

        let agent = &prompt("campaign-strategy").arguments[1];
        let agent_id = first_id("smartalex_list_agents").await;
        assert_eq!(
            registry.exists(&gateway, agent, &agent_id).await,
            Some(true)
        );
        assert_eq!(registry.exists(&gateway, agent, nobody).await, Some(false));

        let deal_id = first_id("smartalex_list_deals").await;
        assert_eq!(
            registry.exists(&gateway, &deal_arg(), &deal_id).await,
            Some(true)
        );
        assert_eq!(
            registry.exists(&gateway, &deal_arg(), nobody).await,
            Some(false)
        );

        // No key: nobody can tell, so the id is not refused.
        let keyless = registry.gateway();
        assert_eq!(registry.exists(keyless, agent, nobody).await, None);
        assert_eq!(registry.exists(keyless, &deal_arg(), nobody).await, None);
        // Not served (--tools): not looked up.
        let narrow = Registry::new(
            &Selection::new(false, Some(vec!["contacts".into()])).unwrap(),
            Gateway::new(running.url(), KeyState::Missing, crate::Timeouts::default()),
        );
        assert_eq!(narrow.exists(&gateway, agent, nobody).await, None);

        let spec = prompt("campaign-strategy");
        let values = [("goal", "g".to_owned()), ("agent_id", nobody.to_owned())];
        assert_eq!(
            registry.check_ids(&gateway, spec, &values).await,
            Err(PromptError::Arguments(format!(
                "`agent_id` is not the id of any agent in this workspace (got \"{nobody}\"). \
                 Verify the UUID is correct, or use smartalex_list_agents (or completion/complete on `agent_id`) \
                 to find valid IDs; resources are workspace-scoped."
            )))
        );
        let values = [("goal", "g".to_owned()), ("agent_id", agent_id)];
        assert_eq!(registry.check_ids(&gateway, spec, &values).await, Ok(()));
    }

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

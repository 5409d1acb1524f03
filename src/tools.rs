//! The tool table, as generated from the spec, and which tools a server serves.
//!
//! The table itself is data emitted by the build (`TOOLS`); this module only
//! defines its types and the selection rules (`--read-only`, `--tools`).

mod generated {
    include!(concat!(env!("OUT_DIR"), "/tools.rs"));
}

pub use generated::{DOMAINS, TOOLS};

/// MCP tool annotations (hints), as derived from the HTTP method and `x-mcp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Annotations {
    pub read_only: Option<bool>,
    pub destructive: Option<bool>,
    pub idempotent: Option<bool>,
    pub open_world: Option<bool>,
}

/// One tool: an operation of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// The operation's tag.
    pub domain: &'static str,
    /// The phrase in `Failed to <action>: …`.
    pub action: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    pub success_status: u16,
    pub annotations: Annotations,
    /// Compact JSON Schema of the arguments.
    pub input_schema: &'static str,
    /// Compact JSON Schema of the success response.
    pub output_schema: &'static str,
    /// The question put to the user before running (`{arg}` placeholders).
    pub confirm: Option<&'static str>,
    /// Report progress while it runs.
    pub long_running: bool,
    /// Where the success response carries text written by third parties
    /// (`x-untrusted` in the spec): `data/*/notes`, `*` for every item.
    pub untrusted: &'static [&'static str],
}

impl ToolSpec {
    /// The confirmation question with the call's arguments filled in.
    pub fn confirmation(
        &self,
        args: &serde_json::Map<String, serde_json::Value>,
    ) -> Option<String> {
        let template = self.confirm?;
        let mut out = String::new();
        let mut rest = template;
        while let Some((head, tail)) = rest.split_once('{') {
            out.push_str(head);
            let Some((name, after)) = tail.split_once('}') else {
                out.push('{');
                rest = tail;
                continue;
            };
            match args.get(name) {
                Some(serde_json::Value::String(s)) => out.push_str(&readable(s)),
                Some(v) => out.push_str(&v.to_string()),
                None => out.push_str(name),
            }
            rest = after;
        }
        out.push_str(rest);
        Some(out)
    }

    /// Read-only by its annotations.
    pub fn is_read_only(&self) -> bool {
        self.annotations.read_only == Some(true)
    }
}

/// A North American E.164 number grouped as people read it
/// (`+14155550100` → `+1 415 555 0100`); anything else as is.
fn readable(value: &str) -> std::borrow::Cow<'_, str> {
    let digits = value
        .strip_prefix("+1")
        .filter(|d| d.len() == 10 && d.bytes().all(|b| b.is_ascii_digit()));
    match digits {
        Some(d) => format!("+1 {} {} {}", &d[..3], &d[3..6], &d[6..]).into(),
        None => value.into(),
    }
}

/// The tool called `name`, served or not.
pub fn find(name: &str) -> Option<&'static ToolSpec> {
    TOOLS.iter().find(|t| t.name == name)
}

/// The `smartalex_list_…` tool of a domain: where to find valid ids.
pub fn list_tool(domain: &str) -> Option<&'static ToolSpec> {
    TOOLS
        .iter()
        .find(|t| t.domain == domain && t.is_read_only() && t.name.contains("_list_"))
}

/// Which tools to serve.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Only read-only tools.
    pub read_only: bool,
    /// Only these domains (tags); `None` = all.
    pub domains: Option<Vec<String>>,
}

impl Selection {
    /// Check `domains` against the spec's tags.
    pub fn new(read_only: bool, domains: Option<Vec<String>>) -> Result<Self, String> {
        let unknown = domains
            .iter()
            .flatten()
            .find(|d| !DOMAINS.contains(&d.as_str()));
        if let Some(bad) = unknown {
            return Err(format!(
                "unknown tool domain `{bad}`; the domains are: {}",
                DOMAINS.join(", ")
            ));
        }
        Ok(Self { read_only, domains })
    }

    /// The selected tools, in table order.
    pub fn tools(&self) -> impl Iterator<Item = &'static ToolSpec> + '_ {
        TOOLS.iter().filter(move |t| {
            (!self.read_only || t.is_read_only())
                && self
                    .domains
                    .as_ref()
                    .is_none_or(|ds| ds.iter().any(|d| d == t.domain))
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn confirmation_questions_fill_and_read_well() {
        let buy = find("smartalex_buy_phone_number").unwrap();
        let args = json!({"phone_number": "+14155550100"});
        let q = buy.confirmation(args.as_object().unwrap()).unwrap();
        assert!(q.starts_with("Buy +1 415 555 0100 for $1.66/month?"), "{q}");
        let args = json!({"phone_number": "+442071838750"});
        assert!(
            buy.confirmation(args.as_object().unwrap())
                .unwrap()
                .starts_with("Buy +442071838750 for")
        );
        assert_eq!(
            find("smartalex_list_contacts")
                .unwrap()
                .confirmation(&serde_json::Map::new()),
            None
        );
    }
}

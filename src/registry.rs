//! The tools one server serves: their MCP descriptions, argument checks and
//! the call path from arguments to result.
//!
//! Both the MCP server and `smartalex-mcp call` go through [`Registry::call`],
//! so what a script sees is exactly what an assistant sees. Arguments are
//! checked against the tool's JSON Schema *before* anything is sent, and every
//! violation is reported at once, with its path and what was expected — a
//! model fixes all of them in one retry instead of one per round trip.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool, ToolAnnotations};
use serde_json::{Map, Value};

use crate::changes::Live;
use crate::error::{CallError, Violation, snippet};
use crate::gateway::Gateway;
use crate::shape::Shape;
use crate::tools::{Selection, ToolSpec};
use crate::written::Written;
use smartalex_schema::Schema;

/// One served tool.
#[derive(Debug)]
struct Entry {
    spec: &'static ToolSpec,
    tool: Tool,
    schema: OnceLock<Result<Schema, String>>,
    shape: OnceLock<Result<Shape, String>>,
}

/// The served tools, and the gateway they call unless a caller names another.
///
/// On stdio there is one user and one gateway credential, so the registry
/// owns it. In cloud mode every HTTP request carries its own credential: the
/// server passes that request's [`Gateway`] to [`Registry::call_on`] and the
/// other `*_on`-style methods, and the registry's own gateway has no key.
#[derive(Debug)]
pub struct Registry {
    entries: Vec<Entry>,
    gateway: Arc<Gateway>,
    /// Changes heard for live resources ([`crate::live`]).
    live: Live,
}

/// Whether the user already approved a tool that asks first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// The client asked the user, who said yes.
    Granted,
    /// Only an explicit `confirm: true` argument counts.
    FromArguments,
}

/// The argument that carries approval when the client cannot ask.
pub const CONFIRM_ARG: &str = "confirm";

/// The result of one call, before it is put on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The gateway's JSON answer.
    Ok(Output),
    /// A failed call: the text for the assistant.
    Failed(String),
}

/// One tool call as an operator sees it: never its arguments or answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallReport {
    pub tool: &'static str,
    /// `ok`, or why it failed (`CallError::kind`: `gateway_4xx`,
    /// `invalid_arguments`, `timeout`, …).
    pub outcome: &'static str,
    /// The gateway's HTTP status, when it answered.
    pub status: Option<u16>,
    pub elapsed: Duration,
}

impl CallReport {
    fn log(&self) {
        let micros = u64::try_from(self.elapsed.as_micros()).unwrap_or(u64::MAX);
        let status = self.status.unwrap_or(0);
        if self.outcome == "ok" {
            tracing::info!(target: "smartalex_mcp::calls", tool = self.tool, outcome = self.outcome, status, micros, "tool call");
        } else {
            tracing::warn!(target: "smartalex_mcp::calls", tool = self.tool, outcome = self.outcome, status, micros, "tool call failed");
        }
    }
}

/// A successful call's answer, ready for the wire: checked against the
/// tool's output schema, third parties' text fenced ([`crate::untrusted`])
/// and the whole within [`MAX_RESULT_BYTES`](crate::truncate::MAX_RESULT_BYTES).
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// The answer as compact JSON; it matches the tool's output schema.
    pub text: String,
    /// What was cut to fit, and how to get it, if anything was.
    pub note: Option<String>,
    /// `text` as it stands inside a JSON string, when the scan wrote it
    /// ([`crate::written`]); the text block is spliced from it.
    escaped: Option<Vec<u8>>,
}

impl Output {
    /// `text` (the answer as compact JSON, `escaped` its string form), cut
    /// to `limit` bytes if longer.
    fn fit(spec: &ToolSpec, text: String, escaped: Vec<u8>, limit: usize) -> Self {
        if text.len() <= limit {
            return Self {
                text,
                note: None,
                escaped: Some(escaped),
            };
        }
        // Rare: only a result over the limit is parsed into a tree to cut,
        // and the text that is left is escaped when it is written.
        crate::buffers::give(escaped);
        let mut text = text;
        let Ok(mut body) = serde_json::from_str::<Value>(&text) else {
            return Self {
                text,
                note: None,
                escaped: None,
            };
        };
        let pages = spec.input_schema.contains("\"per_page\"");
        let note = crate::truncate::fit(&mut body, &mut text, limit, pages);
        Self {
            text,
            note,
            escaped: None,
        }
    }

    /// The answer as a JSON value (resources and completions work on it).
    pub fn body(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

impl Registry {
    pub fn new(selection: &Selection, gateway: Gateway) -> Self {
        let entries = selection
            .tools()
            .map(|spec| Entry {
                spec,
                tool: mcp_tool(spec),
                schema: OnceLock::new(),
                shape: OnceLock::new(),
            })
            .collect();
        Self {
            entries,
            gateway: Arc::new(gateway),
            live: Live::default(),
        }
    }

    /// The feed of changes subscribers hear, and the poll interval.
    pub fn live(&self) -> &Live {
        &self.live
    }

    /// The registry's own gateway (the configured key, on stdio).
    pub fn gateway(&self) -> &Arc<Gateway> {
        &self.gateway
    }

    /// The MCP `tools/list` entries.
    pub fn tools(&self) -> Vec<Tool> {
        self.entries.iter().map(|e| e.tool.clone()).collect()
    }

    /// The served tool specs.
    pub fn specs(&self) -> impl Iterator<Item = &'static ToolSpec> + '_ {
        self.entries.iter().map(|e| e.spec)
    }

    /// Is `name` served?
    pub fn contains(&self, name: &str) -> bool {
        self.entry(name).is_some()
    }

    fn entry(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.spec.name == name)
    }

    /// The spec of a served tool.
    pub fn spec(&self, name: &str) -> Option<&'static ToolSpec> {
        self.entry(name).map(|e| e.spec)
    }

    /// Validate and call `name`, requiring `confirm: true` for tools that ask
    /// first. `Err` only for a tool that is not served.
    pub async fn call(
        &self,
        name: &str,
        args: Option<Map<String, Value>>,
    ) -> Result<Outcome, CallError> {
        self.call_on(&self.gateway, name, args, Approval::FromArguments)
            .await
    }

    /// Validate and call `name` through `gateway`. `Err` only for a tool that
    /// is not served.
    pub async fn call_on(
        &self,
        gateway: &Gateway,
        name: &str,
        args: Option<Map<String, Value>>,
        approval: Approval,
    ) -> Result<Outcome, CallError> {
        self.call_reported(gateway, name, args, approval)
            .await
            .map(|(outcome, _)| outcome)
    }

    /// [`Self::call_on`], and what an operator needs to know about the call,
    /// which is also logged (at `info`, a failure at `warn`; target
    /// `smartalex_mcp::calls`).
    pub async fn call_reported(
        &self,
        gateway: &Gateway,
        name: &str,
        args: Option<Map<String, Value>>,
        approval: Approval,
    ) -> Result<(Outcome, CallReport), CallError> {
        let started = Instant::now();
        let entry = self
            .entry(name)
            .ok_or_else(|| CallError::UnknownTool(name.to_owned()))?;
        let (outcome, failure) = self.run(entry, gateway, args, approval).await;
        let report = CallReport {
            tool: entry.spec.name,
            outcome: failure.as_ref().map_or("ok", CallError::kind),
            status: match &failure {
                None => Some(entry.spec.success_status),
                Some(e) => e.status(),
            },
            elapsed: started.elapsed(),
        };
        report.log();
        Ok((outcome, report))
    }

    /// Validate, ask, send: the outcome, and why it failed if it did.
    async fn run(
        &self,
        entry: &Entry,
        gateway: &Gateway,
        args: Option<Map<String, Value>>,
        approval: Approval,
    ) -> (Outcome, Option<CallError>) {
        let failed = |e: CallError| (Outcome::Failed(e.message(entry.spec)), Some(e));
        let mut args = match entry.checked(args.unwrap_or_default()) {
            Ok(args) => args,
            Err(e) => return failed(e),
        };
        if entry.spec.confirm.is_some() {
            let confirmed = args.remove(CONFIRM_ARG) == Some(Value::Bool(true));
            if approval == Approval::FromArguments && !confirmed {
                let question = entry.spec.confirmation(&args).unwrap_or_default();
                return failed(CallError::ConfirmationRequired { question });
            }
        }
        match entry.send(gateway, args).await {
            Ok(output) => (Outcome::Ok(output), None),
            Err(e) => failed(e),
        }
    }

    /// Validate and call `name`, a tool that does not ask first, through
    /// `gateway`, keeping a failure typed: for callers that act on *why* it
    /// failed (a prompt checking that an id exists tells 404 from an outage).
    pub(crate) async fn fetch_on(
        &self,
        gateway: &Gateway,
        name: &str,
        args: Map<String, Value>,
    ) -> Result<Output, CallError> {
        let entry = self
            .entry(name)
            .ok_or_else(|| CallError::UnknownTool(name.to_owned()))?;
        let args = entry.checked(args)?;
        if entry.spec.confirm.is_some() {
            let question = entry.spec.confirmation(&args).unwrap_or_default();
            return Err(CallError::ConfirmationRequired { question });
        }
        entry.send(gateway, args).await
    }
}

impl Entry {
    /// Send checked arguments and shape the answer.
    async fn send(&self, gateway: &Gateway, args: Map<String, Value>) -> Result<Output, CallError> {
        let reply = gateway.call(self.spec, args).await?;
        self.output(&reply.body)
    }

    /// The gateway's answer checked, fenced and written compact in one pass
    /// ([`crate::shape`]), then cut to fit if it must be.
    fn output(&self, answer: &[u8]) -> Result<Output, CallError> {
        let shape = self
            .shape
            .get_or_init(|| Shape::compile(self.spec.output_schema, self.spec.untrusted))
            .as_ref()
            .map_err(|e| {
                CallError::BadPayload(format!(
                    "the tool's output schema could not be compiled ({e})"
                ))
            })?;
        // Fences add about a third to a page of contacts, and escaping its
        // quotes a tenth more.
        let room = answer.len() + answer.len() / 2 + 64;
        let mut out = Written::new(
            crate::buffers::take(room),
            crate::buffers::take(room + room / 4),
        );
        if let Err(misfit) = shape.transcode(answer, &mut out) {
            let first = answer.iter().find(|b| !b.is_ascii_whitespace());
            if !matches!(first, Some(b'{') | Some(b'[')) {
                return Err(CallError::NonJson {
                    status: None,
                    snippet: snippet(answer),
                });
            }
            // The SDK's own words where its types reject the answer too.
            let why = crate::dispatch::explain(self.spec.name, answer)
                .unwrap_or_else(|| misfit.to_string());
            return Err(CallError::BadPayload(why));
        }
        let Written { json, text } = out;
        let json = String::from_utf8(json).map_err(|e| CallError::BadPayload(e.to_string()))?;
        Ok(Output::fit(
            self.spec,
            json,
            text,
            crate::truncate::MAX_RESULT_BYTES,
        ))
    }

    /// `args`, if they fit the tool's input schema. The schema is compiled
    /// on first use: a server that is only asked `tools/list` never pays for
    /// it.
    fn checked(&self, args: Map<String, Value>) -> Result<Map<String, Value>, CallError> {
        let schema = self
            .schema
            .get_or_init(|| Schema::compile(self.spec.input_schema));
        let instance = Value::Object(args);
        let violations = match schema {
            Ok(schema) => schema.check(&instance),
            Err(e) => vec![Violation::other(
                "",
                format!("the tool's schema could not be compiled ({e})"),
            )],
        };
        match instance {
            Value::Object(args) if violations.is_empty() => Ok(args),
            _ => Err(CallError::InvalidArguments(violations)),
        }
    }
}

impl Outcome {
    /// As an MCP tool result: the answer as `structuredContent` (it matches
    /// the tool's `outputSchema`) plus the same as compact JSON text for
    /// clients that ignore structured output, and, when it had to be cut, a
    /// second text block saying what is missing; or an `isError` result.
    pub fn into_result(self) -> CallToolResult {
        match self {
            Outcome::Ok(output) => {
                let body = output.body();
                Self::success(output.text, body, output.note)
            }
            Outcome::Failed(text) => CallToolResult::error(vec![ContentBlock::text(text)]),
        }
    }

    /// [`Outcome::into_result`] for a transport that splices answers in
    /// ([`crate::splice`]): the answer itself waits to be written, and the
    /// result carries its placeholders.
    pub(crate) fn into_spliced_result(self) -> CallToolResult {
        match self {
            Outcome::Ok(output) => {
                let (structured, text) = crate::splice::stash_answer(output.text, output.escaped);
                Self::success(text, structured, output.note)
            }
            failed => failed.into_result(),
        }
    }

    fn success(text: String, structured: Value, note: Option<String>) -> CallToolResult {
        let mut content = vec![ContentBlock::text(text)];
        content.extend(note.map(ContentBlock::text));
        let mut result = CallToolResult::success(content);
        result.structured_content = Some(structured);
        result
    }
}

/// The MCP description of a tool, from the generated table.
fn mcp_tool(spec: &'static ToolSpec) -> Tool {
    let schema: JsonObject = serde_json::from_str(spec.input_schema)
        .expect("input schemas are generated from parsed JSON");
    let output: JsonObject = serde_json::from_str(spec.output_schema)
        .expect("output schemas are generated from parsed JSON");
    let a = spec.annotations;
    let mut tool = if spec.untrusted.is_empty() {
        Tool::new(spec.name, spec.description, Arc::new(schema))
    } else {
        let description = format!("{} {}", spec.description, crate::untrusted::TOOL_NOTE);
        Tool::new(spec.name, description, Arc::new(schema))
    };
    tool.output_schema = Some(Arc::new(output));
    tool.title = Some(spec.title.to_owned());
    tool.annotations = Some(ToolAnnotations::from_raw(
        None,
        a.read_only,
        a.destructive,
        a.idempotent,
        a.open_world,
    ));
    tool
}

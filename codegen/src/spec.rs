//! Reading the gateway spec into the operations the tools are made from.
//!
//! This is the one place that decides what an operation means for MCP: its
//! tool name, title, description, domain (tag), error-message action phrase
//! and annotations, and which arguments it takes. Everything else (tool table,
//! dispatch, snapshots) reads [`Operation`], so the derivation rules live here
//! once. Whatever plain OpenAPI cannot say comes from a small `x-mcp`
//! extension, used only where the default derivation is wrong.
//!
//! It also enforces the shapes progenitor can generate without panicking, so a
//! bad spec fails with a message naming the operation instead.

use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::extension::read_extension;
use crate::operation::{Annotations, Location, Operation, Param};
use crate::schema;

/// Prefix of every tool name, so tools don't collide with other servers'.
pub const TOOL_PREFIX: &str = "smartalex_";

/// MCP limits tool names to 64 characters of `[A-Za-z0-9_-]`.
const MAX_TOOL_NAME: usize = 64;

const METHODS: [&str; 8] = [
    "get", "post", "put", "patch", "delete", "options", "head", "trace",
];

/// A parsed spec: the raw document (for `$ref` resolution) and its operations
/// in document order.
#[derive(Debug, Clone)]
pub struct Spec {
    pub(crate) openapi: openapiv3::OpenAPI,
    /// Every operation, in the order the document lists them.
    pub operations: Vec<Operation>,
}

impl Spec {
    /// Parse YAML (or JSON) text and check every operation.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let doc: Value = serde_norway::from_str(text)
            .map_err(|e| Error::spec(ErrorKind::Parse(e.to_string())))?;
        let version = doc.get("openapi").and_then(Value::as_str).unwrap_or("");
        if !version.starts_with("3.0.") {
            return Err(Error::spec(ErrorKind::Parse(format!(
                "`openapi` must be 3.0.x, found `{version}`"
            ))));
        }
        let openapi: openapiv3::OpenAPI = serde_json::from_value(doc.clone())
            .map_err(|e| Error::spec(ErrorKind::Parse(e.to_string())))?;
        let operations = read_operations(&doc)?;
        Ok(Self {
            openapi,
            operations,
        })
    }

    /// The operation behind a tool name.
    pub fn operation(&self, tool_name: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.tool_name == tool_name)
    }
}

fn read_operations(doc: &Value) -> Result<Vec<Operation>, Error> {
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::spec(ErrorKind::Parse("no `paths` object".into())))?;
    let mut ops: Vec<Operation> = Vec::new();
    for (path, item) in paths {
        let item = item.as_object().ok_or_else(|| {
            Error::spec(ErrorKind::Invalid(format!(
                "path `{path}` is not an object"
            )))
        })?;
        if item.contains_key("$ref") {
            return Err(Error::spec(ErrorKind::Invalid(format!(
                "path `{path}` uses $ref, which progenitor does not support"
            ))));
        }
        let shared = item.get("parameters").cloned().unwrap_or(Value::Null);
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let operation = read_operation(doc, path, method, op, &shared)?;
            if let Some(dup) = ops.iter().find(|o| {
                o.operation_id == operation.operation_id || o.tool_name == operation.tool_name
            }) {
                return Err(Error::invalid(
                    &operation.operation_id,
                    format!(
                        "its operationId or tool name is also used by `{}`",
                        dup.operation_id
                    ),
                ));
            }
            ops.push(operation);
        }
    }
    if ops.is_empty() {
        return Err(Error::spec(ErrorKind::Invalid(
            "the spec has no operations".into(),
        )));
    }
    Ok(ops)
}

fn read_operation(
    doc: &Value,
    path: &str,
    method: &str,
    op: &Value,
    shared_params: &Value,
) -> Result<Operation, Error> {
    let where_ = format!("{} {path}", method.to_uppercase());
    let operation_id = op
        .get("operationId")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::spec(ErrorKind::Invalid(format!("{where_} has no operationId"))))?
        .to_owned();
    let id = operation_id.as_str();
    if !is_snake_case(id) {
        return Err(Error::invalid(
            id,
            "operationId must be snake_case ([a-z][a-z0-9_]*): it names the Rust method and the tool",
        ));
    }

    let ext = op.get("x-mcp").cloned().unwrap_or(Value::Null);
    let ext = read_extension(id, &ext)?;

    let tool_name = format!("{TOOL_PREFIX}{id}");
    if tool_name.len() > MAX_TOOL_NAME {
        return Err(Error::invalid(
            id,
            format!(
                "tool name `{tool_name}` is {} characters; MCP clients accept at most {MAX_TOOL_NAME}",
                tool_name.len()
            ),
        ));
    }

    let tags: Vec<&str> = op
        .get("tags")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let [domain] = tags.as_slice() else {
        return Err(Error::invalid(
            id,
            format!("needs exactly one tag (its domain), found {}", tags.len()),
        ));
    };

    let title = non_empty_str(op, "summary")
        .ok_or_else(|| Error::invalid(id, "needs a `summary`: it becomes the tool's title"))?;
    let description = non_empty_str(op, "description").ok_or_else(|| {
        Error::invalid(
            id,
            "needs a `description`: it tells the model when to use the tool",
        )
    })?;

    let params = read_params(doc, id, path, shared_params, op.get("parameters"))?;
    let body = read_body(doc, id, op.get("requestBody"))?;
    let body_props = body
        .as_ref()
        .and_then(|b| b.get("properties"))
        .and_then(Value::as_object);
    if let Some(p) =
        body_props.and_then(|props| params.iter().find(|p| props.contains_key(&p.name)))
    {
        return Err(Error::invalid(
            id,
            format!(
                "body property `{}` has the same name as a parameter; tool arguments would collide",
                p.name
            ),
        ));
    }
    let Success {
        status: success_status,
        schema: output_schema,
        untrusted,
        example,
    } = read_success(doc, id, op.get("responses"))?;
    let error_statuses: Vec<u16> = op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|r| r.keys())
        .filter_map(|code| code.parse::<u16>().ok())
        .filter(|code| *code >= 300)
        .collect();

    let method_upper = method.to_uppercase();
    let mut annotations = default_annotations(&method_upper);
    ext.apply(&mut annotations);
    let mut input_schema = schema::input_schema(&params, body.as_ref());
    if let Some(question) = &ext.confirm {
        let props = input_schema["properties"]
            .as_object_mut()
            .expect("built as an object");
        for name in braced(question) {
            if !props.contains_key(name) {
                return Err(Error::invalid(
                    id,
                    format!("`x-mcp.confirm` uses `{{{name}}}`, which is not an argument"),
                ));
            }
        }
        if props.contains_key(CONFIRM_ARG) {
            return Err(Error::invalid(
                id,
                format!("`{CONFIRM_ARG}` is reserved for confirmations"),
            ));
        }
        props.insert(
            CONFIRM_ARG.to_owned(),
            serde_json::json!({"type": "boolean", "description": "true once the user approved"}),
        );
    }
    Ok(Operation {
        action: ext.action.unwrap_or_else(|| id.replace('_', " ")),
        tool_name,
        title,
        description,
        domain: (*domain).to_owned(),
        method: method_upper,
        path: path.to_owned(),
        annotations,
        params,
        body,
        input_schema,
        output_schema,
        success_status,
        example,
        error_statuses,
        untrusted,
        confirm: ext.confirm,
        long_running: ext.long_running,
        extension: ext.declarations,
        operation_id,
    })
}

/// The argument that carries a user's approval when the client cannot ask.
pub const CONFIRM_ARG: &str = "confirm";

/// GET reads; DELETE destroys (idempotently); PUT/PATCH replace or merge
/// (idempotently); POST adds. None of them reaches outside the workspace
/// unless `x-mcp` says so.
/// Whether an HTTP method only reads (RFC 9110's safe methods): the
/// tool's default read-only hint, and the access the sandbox requires.
pub(crate) fn reads(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

fn default_annotations(method: &str) -> Annotations {
    let (read_only, destructive, idempotent) = match method {
        m if reads(m) => (true, None, None),
        "DELETE" => (false, Some(true), Some(true)),
        "PUT" | "PATCH" => (false, Some(false), Some(true)),
        _ => (false, Some(false), Some(false)),
    };
    Annotations {
        read_only: Some(read_only),
        destructive,
        idempotent,
        open_world: Some(false),
    }
}

fn read_params(
    doc: &Value,
    id: &str,
    path: &str,
    shared: &Value,
    own: Option<&Value>,
) -> Result<Vec<Param>, Error> {
    let mut params: Vec<Param> = Vec::new();
    let lists = [shared, own.unwrap_or(&Value::Null)];
    for list in lists {
        let Some(list) = list.as_array() else {
            continue;
        };
        for raw in list {
            let raw = schema::resolve_ref(doc, id, raw)?;
            let name = raw
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::invalid(id, "a parameter has no name"))?;
            let location = match raw.get("in").and_then(Value::as_str) {
                Some("path") => Location::Path,
                Some("query") => Location::Query,
                Some(other) => {
                    return Err(Error::invalid(
                        id,
                        format!(
                            "parameter `{name}` is in `{other}`; tools take path and query parameters only"
                        ),
                    ));
                }
                None => {
                    return Err(Error::invalid(
                        id,
                        format!("parameter `{name}` has no `in`"),
                    ));
                }
            };
            let Some(raw_schema) = raw.get("schema") else {
                return Err(Error::invalid(
                    id,
                    format!("parameter `{name}` needs a `schema` (`content` is not supported)"),
                ));
            };
            let mut schema = schema::portable(doc, id, raw_schema)?;
            if let (Some(desc), Some(obj)) = (raw.get("description"), schema.as_object_mut()) {
                obj.entry("description").or_insert(desc.clone());
            }
            let required = location == Location::Path
                || raw
                    .get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
            // An operation-level parameter overrides a path-level one of that name.
            params.retain(|p| p.name != name);
            params.push(Param {
                name: name.to_owned(),
                location,
                required,
                schema,
            });
        }
    }
    let segments = braced(path);
    for seg in &segments {
        if !params
            .iter()
            .any(|p| p.location == Location::Path && p.name == *seg)
        {
            return Err(Error::invalid(
                id,
                format!("path segment `{{{seg}}}` has no path parameter"),
            ));
        }
    }
    if let Some(p) = params
        .iter()
        .find(|p| p.location == Location::Path && !segments.contains(&p.name.as_str()))
    {
        return Err(Error::invalid(
            id,
            format!("path parameter `{}` does not appear in `{path}`", p.name),
        ));
    }
    Ok(params)
}

/// The `{name}`s in a path, URI template or confirmation question.
pub(crate) fn braced(text: &str) -> Vec<&str> {
    text.split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name))
        .collect()
}

fn read_body(doc: &Value, id: &str, body: Option<&Value>) -> Result<Option<Value>, Error> {
    let Some(body) = body else { return Ok(None) };
    let body = schema::resolve_ref(doc, id, body)?;
    let content = body
        .get("content")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::invalid(id, "requestBody has no `content`"))?;
    if content.len() != 1 {
        return Err(Error::invalid(
            id,
            format!(
                "requestBody must have exactly one media type (application/json), found {}",
                content.len()
            ),
        ));
    }
    let media = content
        .get("application/json")
        .ok_or_else(|| Error::invalid(id, "requestBody must be `application/json`"))?;
    let raw = media
        .get("schema")
        .ok_or_else(|| Error::invalid(id, "requestBody has no schema"))?;
    let schema = schema::portable(doc, id, raw)?;
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        return Err(Error::invalid(
            id,
            "requestBody schema must be an object: its properties become tool arguments",
        ));
    }
    // The sandbox writes a checked body's members to storage by name, so
    // only the schema's own members may get through.
    if schema.get("additionalProperties") != Some(&Value::Bool(false)) {
        return Err(Error::invalid(
            id,
            "requestBody schema must set `additionalProperties: false`: the gateway refuses unknown fields",
        ));
    }
    // The sandbox checks every request body with this schema, compiled when
    // it starts: one that does not compile fails here, not as a 500 per call.
    smartalex_schema::Schema::compile(&schema.to_string())
        .map_err(|e| Error::invalid(id, format!("requestBody schema: {e}")))?;
    Ok(Some(schema))
}

/// What an operation answers when it succeeds.
struct Success {
    status: u16,
    schema: Value,
    untrusted: Vec<String>,
    example: Value,
}

fn read_success(doc: &Value, id: &str, responses: Option<&Value>) -> Result<Success, Error> {
    let responses = responses
        .and_then(Value::as_object)
        .ok_or_else(|| Error::invalid(id, "has no `responses`"))?;
    let ok: Vec<(&String, &Value)> = responses
        .iter()
        .filter(|(code, _)| code.starts_with('2'))
        .collect();
    let [(code, resp)] = ok.as_slice() else {
        return Err(Error::invalid(
            id,
            format!(
                "needs exactly one 2xx response (progenitor needs one success type), found {}",
                ok.len()
            ),
        ));
    };
    let status: u16 = code
        .parse()
        .map_err(|_| Error::invalid(id, format!("response code `{code}` is not a number")))?;
    let resp = schema::resolve_ref(doc, id, resp)?;
    let Some(content) = resp.get("content").and_then(Value::as_object) else {
        return Err(Error::invalid(
            id,
            format!("the {status} response has no JSON content; tools answer with JSON objects"),
        ));
    };
    let media = content.get("application/json").ok_or_else(|| {
        Error::invalid(
            id,
            format!("the {status} response must be application/json"),
        )
    })?;
    let raw = media
        .get("schema")
        .ok_or_else(|| Error::invalid(id, format!("the {status} response has no schema")))?;
    let schema = schema::portable(doc, id, raw)?;
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        return Err(Error::invalid(
            id,
            format!("the {status} response schema must be an object"),
        ));
    }
    let untrusted = schema::untrusted_paths(doc, id, raw)?;
    let example = media.get("example").cloned().ok_or_else(|| {
        Error::invalid(
            id,
            format!(
                "the {status} response has no `example`; the sandbox answers an operation it does not simulate with it"
            ),
        )
    })?;
    let checker = smartalex_schema::Schema::compile(&schema.to_string())
        .map_err(|e| Error::invalid(id, format!("the {status} response schema: {e}")))?;
    if let Some(v) = checker.check(&example).first() {
        let at = if v.path.is_empty() {
            String::new()
        } else {
            format!(" at `{}`", v.path)
        };
        return Err(Error::invalid(
            id,
            format!(
                "the {status} response's `example` does not match its schema{at}: it {}",
                v.message
            ),
        ));
    }
    Ok(Success {
        status,
        schema,
        untrusted,
        example,
    })
}

fn non_empty_str(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
}

fn is_snake_case(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The tags declared at the top level, in order: the domains.
pub fn domains(spec: &Spec) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for op in &spec.operations {
        if !out.contains(&op.domain) {
            out.push(op.domain.clone());
        }
    }
    out
}

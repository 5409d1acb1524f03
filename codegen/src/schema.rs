//! OpenAPI 3.0 schemas → portable JSON Schema for MCP tool inputs.
//!
//! Tool schemas are read by every MCP client and every model, and several of
//! them handle only a plain subset of JSON Schema: no `$ref`/`$defs`, no type
//! arrays, a root `type: object`. So every `$ref` is inlined here, OpenAPI-only
//! keywords are dropped or translated, and what a model does not need to call
//! the tool correctly (titles, examples, xml) is left out: the tool surface is
//! paid for in context on every conversation. Constraints (enum, format,
//! pattern, bounds, required) are always kept: they are what lets the server
//! reject bad input before a network call.

use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};
use crate::operation::Param;

/// Keywords that carry no meaning for a tool caller, or are OpenAPI-only.
const DROPPED: [&str; 9] = [
    "title",
    "example",
    "examples",
    "xml",
    "externalDocs",
    "readOnly",
    "writeOnly",
    "deprecated",
    "discriminator",
];

/// Composition keywords the portable subset does not allow.
const UNSUPPORTED: [&str; 4] = ["oneOf", "anyOf", "allOf", "not"];

/// Follow a local `$ref` (`#/a/b/c`) once, returning the target.
pub(crate) fn resolve_ref<'a>(doc: &'a Value, op: &str, v: &'a Value) -> Result<&'a Value, Error> {
    match v.get("$ref").and_then(Value::as_str) {
        None => Ok(v),
        Some(r) => {
            let pointer = r.strip_prefix('#').ok_or_else(|| {
                Error::op(
                    op,
                    ErrorKind::Reference(format!("`{r}` is not a local reference")),
                )
            })?;
            doc.pointer(pointer).ok_or_else(|| {
                Error::op(op, ErrorKind::Reference(format!("`{r}` does not resolve")))
            })
        }
    }
}

/// Where a response carries text written by third parties: the paths of the
/// string properties marked `x-untrusted: true`, as `data/*/notes` (`*` for
/// every array item). Call after [`portable`] accepted the schema, so no
/// reference is recursive.
pub(crate) fn untrusted_paths(doc: &Value, op: &str, schema: &Value) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    untrusted_inner(doc, op, schema, String::new(), &mut out)?;
    Ok(out)
}

fn untrusted_inner(
    doc: &Value,
    op: &str,
    schema: &Value,
    at: String,
    out: &mut Vec<String>,
) -> Result<(), Error> {
    let schema = resolve_ref(doc, op, schema)?;
    if schema.get("x-untrusted") == Some(&Value::Bool(true)) {
        if schema.get("type").and_then(Value::as_str) != Some("string") {
            return Err(Error::invalid(
                op,
                format!("`x-untrusted` marks `{at}`, which is not a string"),
            ));
        }
        out.push(at);
        return Ok(());
    }
    let join = |key: &str| {
        if at.is_empty() {
            key.to_owned()
        } else {
            format!("{at}/{key}")
        }
    };
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (key, sub) in props {
            untrusted_inner(doc, op, sub, join(key), out)?;
        }
    }
    if let Some(items) = schema.get("items") {
        untrusted_inner(doc, op, items, join("*"), out)?;
    }
    Ok(())
}

/// Inline every `$ref` and reduce the schema to the portable subset.
pub(crate) fn portable(doc: &Value, op: &str, schema: &Value) -> Result<Value, Error> {
    let mut stack = Vec::new();
    portable_inner(doc, op, schema, &mut stack)
}

fn portable_inner(
    doc: &Value,
    op: &str,
    schema: &Value,
    stack: &mut Vec<String>,
) -> Result<Value, Error> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        if stack.iter().any(|s| s == r) {
            return Err(Error::op(
                op,
                ErrorKind::Reference(format!(
                    "`{r}` refers to itself; tool schemas cannot be recursive"
                )),
            ));
        }
        let target = resolve_ref(doc, op, schema)?;
        stack.push(r.to_owned());
        let out = portable_inner(doc, op, target, stack);
        stack.pop();
        return out;
    }
    let Some(obj) = schema.as_object() else {
        return Err(Error::invalid(
            op,
            format!("schema is not an object: {schema}"),
        ));
    };
    let mut out = Map::new();
    for (key, value) in obj {
        // `nullable` is dropped: for a tool caller a nullable value is simply
        // optional, and JSON Schema's `["string","null"]` is exactly what
        // portable schemas must not use.
        if DROPPED.contains(&key.as_str()) || key.starts_with("x-") || key == "nullable" {
            continue;
        }
        if UNSUPPORTED.contains(&key.as_str()) {
            return Err(Error::invalid(
                op,
                format!(
                    "schema uses `{key}`; tool schemas here allow plain object/array/scalar types only"
                ),
            ));
        }
        let value = match key.as_str() {
            "type" => {
                if !value.is_string() {
                    return Err(Error::invalid(op, "`type` must be a single string"));
                }
                value.clone()
            }
            "properties" => {
                let props = value
                    .as_object()
                    .ok_or_else(|| Error::invalid(op, "`properties` must be an object"))?;
                let mut p = Map::new();
                for (name, s) in props {
                    p.insert(name.clone(), portable_inner(doc, op, s, stack)?);
                }
                Value::Object(p)
            }
            "items" => portable_inner(doc, op, value, stack)?,
            "additionalProperties" if value.is_object() => portable_inner(doc, op, value, stack)?,
            // OpenAPI 3.0 writes exclusive bounds as booleans next to
            // minimum/maximum; JSON Schema wants the bound itself.
            "exclusiveMinimum" | "exclusiveMaximum" => {
                if value.as_bool() == Some(true) {
                    let bound = if key == "exclusiveMinimum" {
                        "minimum"
                    } else {
                        "maximum"
                    };
                    if let Some(n) = obj.get(bound) {
                        out.insert(key.clone(), n.clone());
                    }
                }
                continue;
            }
            "minimum" | "maximum"
                if obj
                    .get(if key == "minimum" {
                        "exclusiveMinimum"
                    } else {
                        "exclusiveMaximum"
                    })
                    .and_then(Value::as_bool)
                    == Some(true) =>
            {
                continue;
            }
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    Ok(Value::Object(out))
}

/// The tool's input schema: one object whose properties are the path and
/// query parameters followed by the body's properties.
pub(crate) fn input_schema(params: &[Param], body: Option<&Value>) -> Value {
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    for p in params {
        properties.insert(p.name.clone(), p.schema.clone());
        if p.required {
            required.push(Value::String(p.name.clone()));
        }
    }
    if let Some(body) = body {
        if let Some(props) = body.get("properties").and_then(Value::as_object) {
            for (name, s) in props {
                properties.insert(name.clone(), s.clone());
            }
        }
        if let Some(req) = body.get("required").and_then(Value::as_array) {
            required.extend(req.iter().cloned());
        }
    }
    let mut root = Map::new();
    root.insert("type".into(), "object".into());
    root.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        root.insert("required".into(), Value::Array(required));
    }
    root.insert("additionalProperties".into(), Value::Bool(false));
    Value::Object(root)
}

/// The keywords a tool input schema may use: exactly what the server's
/// argument validator implements (the `smartalex-schema` crate), plus annotations.
const INPUT_KEYWORDS: [&str; 19] = [
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "uniqueItems",
    "pattern",
    "format",
    "description",
    "default",
];

/// The string formats the validator checks.
const INPUT_FORMATS: [&str; 5] = ["uuid", "uri", "email", "date", "date-time"];

/// Checks that a finished input schema is portable — root object, no
/// `$ref`, no type arrays — and uses only what the server validates, so a
/// spec change can never add a constraint that is silently not enforced.
pub(crate) fn check_portable(op: &str, schema: &Value) -> Result<(), Error> {
    if schema.get("type").and_then(Value::as_str) != Some("object") {
        return Err(Error::invalid(
            op,
            "input schema root must be `type: object`",
        ));
    }
    check_node(op, "", schema)
}

fn check_node(op: &str, at: &str, v: &Value) -> Result<(), Error> {
    let Some(m) = v.as_object() else {
        return Err(Error::invalid(
            op,
            format!("input schema {at}: not a schema object"),
        ));
    };
    for (k, x) in m {
        if !INPUT_KEYWORDS.contains(&k.as_str()) {
            return Err(Error::invalid(
                op,
                format!("input schema {at}: `{k}` is not supported in tool arguments"),
            ));
        }
        match k.as_str() {
            "type" if !x.is_string() => {
                return Err(Error::invalid(
                    op,
                    format!("input schema {at}: type arrays are not portable"),
                ));
            }
            "format" if !x.as_str().is_some_and(|f| INPUT_FORMATS.contains(&f)) => {
                return Err(Error::invalid(
                    op,
                    format!(
                        "input schema {at}: format {x} is not checked (use one of {})",
                        INPUT_FORMATS.join(", ")
                    ),
                ));
            }
            "additionalProperties" if x != &Value::Bool(false) => {
                return Err(Error::invalid(
                    op,
                    format!("input schema {at}: additionalProperties may only be false"),
                ));
            }
            "properties" => {
                for (name, s) in x.as_object().into_iter().flatten() {
                    check_node(op, &format!("{at}/{name}"), s)?;
                }
            }
            "items" => check_node(op, &format!("{at}[]"), x)?,
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn inlines_refs_and_drops_openapi_only_keywords() {
        let doc = json!({"components": {"schemas": {"Stage": {"type": "string", "enum": ["a", "b"], "example": "a", "title": "Stage"}}}});
        let s = json!({"type": "object", "nullable": true, "properties": {"stage": {"$ref": "#/components/schemas/Stage"}}});
        let out = portable(&doc, "op", &s).unwrap();
        assert_eq!(
            out,
            json!({"type": "object", "properties": {"stage": {"type": "string", "enum": ["a", "b"]}}})
        );
    }

    #[test]
    fn untrusted_paths_follow_refs_and_arrays_and_refuse_non_strings() {
        let doc = json!({"components": {"schemas": {"Turn": {"type": "object", "properties": {
            "text": {"type": "string", "x-untrusted": true}, "at": {"type": "number"}}}}}});
        let s = json!({"type": "object", "properties": {
            "summary": {"type": "string", "x-untrusted": true},
            "id": {"type": "string"},
            "transcript": {"type": "array", "items": {"$ref": "#/components/schemas/Turn"}}}});
        let mut got = untrusted_paths(&doc, "op", &s).unwrap();
        got.sort();
        assert_eq!(got, ["summary", "transcript/*/text"]);
        let bad = json!({"type": "object", "properties": {"n": {"type": "integer", "x-untrusted": true}}});
        let e = untrusted_paths(&doc, "op", &bad).unwrap_err();
        assert!(
            e.to_string()
                .contains("`x-untrusted` marks `n`, which is not a string"),
            "{e}"
        );
    }

    #[test]
    fn translates_exclusive_bounds() {
        let doc = json!({});
        let s = json!({"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 5});
        assert_eq!(
            portable(&doc, "op", &s).unwrap(),
            json!({"type": "number", "exclusiveMinimum": 0, "maximum": 5})
        );
    }

    #[test]
    fn refuses_recursion_and_composition() {
        let doc = json!({"components": {"schemas": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}}}}}});
        let e = portable(&doc, "op", &json!({"$ref": "#/components/schemas/Node"})).unwrap_err();
        assert!(e.to_string().contains("refers to itself"), "{e}");
        let e = portable(&doc, "op", &json!({"oneOf": [{"type": "string"}]})).unwrap_err();
        assert!(e.to_string().contains("`oneOf`"), "{e}");
    }

    #[test]
    fn check_portable_catches_leftovers() {
        assert!(
            check_portable(
                "op",
                &json!({"type": "object", "properties": {"a": {"type": ["string", "null"]}}})
            )
            .is_err()
        );
        assert!(check_portable("op", &json!({"type": "array"})).is_err());
        let ipv4 =
            json!({"type": "object", "properties": {"a": {"type": "string", "format": "ipv4"}}});
        assert!(
            check_portable("op", &ipv4)
                .unwrap_err()
                .to_string()
                .contains("format \"ipv4\" is not checked")
        );
        let min_props =
            json!({"type": "object", "properties": {"a": {"type": "object", "minProperties": 1}}});
        assert!(
            check_portable("op", &min_props)
                .unwrap_err()
                .to_string()
                .contains("`minProperties` is not supported")
        );
        assert!(
            check_portable(
                "op",
                &json!({"type": "object", "properties": {"a": {"$ref": "#/x"}}})
            )
            .is_err()
        );
        assert!(check_portable("op", &json!({"type": "object", "properties": {}})).is_ok());
    }
}

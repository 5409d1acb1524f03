//! The typed SDK: progenitor's client for the spec, as formatted Rust.
//!
//! progenitor panics on some spec shapes instead of returning an error. The
//! checks in [`crate::spec`] reject the shapes we know of first; this module
//! contains whatever is left, so a surprise still fails the build with one
//! line instead of a backtrace.

use std::panic::{self, AssertUnwindSafe};

use progenitor_impl::{GenerationSettings, Generator, InterfaceStyle, TagStyle};

use crate::error::{Error, ErrorKind};
use crate::spec::Spec;

/// Generate the client source for `spec`.
pub fn generate(spec: &Spec) -> Result<String, Error> {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged);
    for schema in optional_lists(spec) {
        settings.with_conversion(
            schema,
            "::std::vec::Vec<::std::string::String>",
            [].into_iter(),
        );
    }
    let mut generator = Generator::new(&settings);

    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        generator.generate_tokens(&spec.openapi)
    }));
    panic::set_hook(previous_hook);

    let tokens = match outcome {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(e)) => return Err(Error::spec(ErrorKind::Progenitor(e.to_string()))),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "it panicked".to_owned());
            return Err(Error::spec(ErrorKind::Progenitor(first_line(&msg))));
        }
    };
    let file: syn::File = syn::parse2(tokens)
        .map_err(|e| Error::spec(ErrorKind::Progenitor(format!("emitted invalid Rust: {e}"))))?;
    Ok(prettyplease::unparse(&file))
}

/// The schemas of the optional lists of strings in request bodies, to be
/// generated as `Option<Vec<String>>`.
///
/// typify writes an optional array as a bare `Vec` that is left out when it
/// is empty, so `ContactUpdate { tags: vec![], .. }` would send `{}`: the
/// update meant to clear the tags changes nothing. As `Option<Vec<_>>`,
/// `None` is left out and `Some(vec![])` is sent as `[]`. (typify matches a
/// conversion on the whole schema but its description, so a response list
/// of the very same schema becomes an `Option` too.)
fn optional_lists(spec: &Spec) -> Vec<schemars::schema::SchemaObject> {
    let mut out: Vec<schemars::schema::SchemaObject> = Vec::new();
    for body in spec.operations.iter().filter_map(|op| op.body.as_ref()) {
        let required: Vec<&str> = body["required"]
            .as_array()
            .map(|r| r.iter().filter_map(serde_json::Value::as_str).collect())
            .unwrap_or_default();
        let properties = body["properties"].as_object().into_iter().flatten();
        for (prop, schema) in properties {
            let strings = schema["type"] == "array"
                && schema["items"]["type"] == "string"
                && schema["items"].get("format").is_none()
                && schema["items"].get("enum").is_none();
            if required.contains(&prop.as_str()) || !strings {
                continue;
            }
            let mut schema = schema.clone();
            if let Some(m) = schema.as_object_mut() {
                m.remove("description");
            }
            if let Ok(object) = serde_json::from_value(schema)
                && !out.contains(&object)
            {
                out.push(object);
            }
        }
    }
    out
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_owned()
}

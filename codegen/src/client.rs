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

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_owned()
}

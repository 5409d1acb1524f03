//! Wiring only: read `openapi/gateway.yaml`, let the generator produce the
//! client, tool table and dispatch, write them to `OUT_DIR`. All logic (and its
//! tests) lives in the `smartalex-mcp-codegen` crate.

use std::{env, fs, path::PathBuf, process};

fn main() {
    println!("cargo::rerun-if-changed=openapi");
    let spec_path = "openapi/gateway.yaml";
    let text = fs::read_to_string(spec_path).unwrap_or_else(|e| fail(&format!("{spec_path}: {e}")));
    let generated = smartalex_mcp_codegen::generate(&text)
        .unwrap_or_else(|e| fail(&format!("{spec_path}: {e}")));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for (name, source) in [
        ("client.rs", &generated.client),
        ("tools.rs", &generated.tools),
        ("dispatch.rs", &generated.dispatch),
    ] {
        fs::write(out.join(name), source).unwrap_or_else(|e| fail(&format!("{name}: {e}")));
    }
}

/// One line, no backtrace: the message names the operation to fix.
fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    process::exit(1);
}

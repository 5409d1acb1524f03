//! Wiring only: the gateway spec in, the sandbox's operation table out (to
//! `OUT_DIR/operations.rs`). The generator (`smartalex-mcp-codegen`) checks
//! the spec first, so a bad one fails with one line naming the operation.
//!
//! `openapi/` is the repository's top-level spec directory (a link in the
//! repository, a copy in the packaged crate).

use std::path::{Path, PathBuf};
use std::{env, fs, process};

fn main() {
    let spec_path = Path::new("openapi").join("gateway.yaml");
    println!("cargo::rerun-if-changed={}", spec_path.display());
    let text = fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| fail(&format!("{}: {e}", spec_path.display())));
    let operations = smartalex_mcp_codegen::generate_operations(&text)
        .unwrap_or_else(|e| fail(&format!("openapi/: {e}")));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("operations.rs"), operations)
        .unwrap_or_else(|e| fail(&format!("operations.rs: {e}")));
}

/// One line, no backtrace: the message names what to fix.
fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    process::exit(1);
}

//! What the workspace's build scripts share: read `openapi/`, generate,
//! write to `OUT_DIR`, and fail with one line naming what to fix.
//!
//! Each crate that generates from the spec (the SDK, the sandbox, the
//! server) has a build script of a few lines that calls this, so they read
//! the spec and report a bad one the same way.

use std::path::{Path, PathBuf};
use std::{env, fs, process};

use crate::Error;

/// The body of a build script that makes one file from
/// `openapi/gateway.yaml` (relative to the crate): `file` in `OUT_DIR`,
/// from what `generate` makes of the spec's text.
#[allow(
    clippy::print_stdout,
    reason = "stdout is how a build script speaks to cargo"
)]
pub fn spec_to_out_dir(file: &str, generate: impl FnOnce(&str) -> Result<String, Error>) {
    let spec_path = Path::new("openapi").join("gateway.yaml");
    println!("cargo::rerun-if-changed={}", spec_path.display());
    let text = fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| fail(&format!("{}: {e}", spec_path.display())));
    let source = generate(&text).unwrap_or_else(|e| fail(&format!("openapi/: {e}")));
    write_out(file, &source);
}

/// Write `source` to `file` in `OUT_DIR`.
pub fn write_out(file: &str, source: &str) {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join(file), source).unwrap_or_else(|e| fail(&format!("{file}: {e}")));
}

/// One line, no backtrace: the message names what to fix.
pub fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    process::exit(1);
}

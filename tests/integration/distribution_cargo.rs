//! Issue 12, the crates.io path: `cargo package` packs the server, the SDK
//! (`smartalex`), the generator their build scripts need and the schema
//! checker, and
//! `cargo install` builds a working
//! `smartalex-mcp` from those `.crate` files alone — the build script finds
//! `openapi/` inside the package, not in this checkout.
//!
//! Those three are not on crates.io yet, so the install resolves them from
//! their own packaged crates through `[patch]`es, `--locked` to the packaged
//! lock file and `--offline`. It builds `--debug` into this workspace's
//! target directory, so dependencies compiled before are reused (the first
//! run compiles those whose features differ from the test build's).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::distribution::{repo, run_ok, scratch};

/// `cargo`, run in this checkout as if from a shell.
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // The outer `cargo test` sets these for the test binary; the inner
    // cargo must read its own manifest.
    for var in [
        "CARGO_MANIFEST_DIR",
        "CARGO_PKG_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "RUSTC_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    cmd.current_dir(repo());
    cmd
}

fn unpack(krate: &Path, into: &Path) -> PathBuf {
    run_ok(
        Command::new("tar")
            .arg("xzf")
            .arg(krate)
            .arg("-C")
            .arg(into),
    );
    let stem = krate
        .file_name()
        .unwrap()
        .to_string_lossy()
        .trim_end_matches(".crate")
        .to_owned();
    into.join(stem)
}

/// The crates the server needs that are not on crates.io yet: each is
/// packaged beside the server and patched in from its unpacked crate.
const UNPUBLISHED: [&str; 5] = [
    "smartalex-schema",
    "smartalex",
    "smartalex-mcp-codegen",
    "smartalex-serve",
    "smartalex-sandbox",
];

#[test]
fn cargo_install_builds_the_server_from_the_packaged_crates() {
    let dir = scratch("cargo");
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or(target, PathBuf::from);
    let version = env!("CARGO_PKG_VERSION");

    // The crates in one go (Cargo >= 1.90): the server's dependencies on
    // the others are resolved against those being packaged.
    let mut package = cargo();
    package.args(["package", "--offline", "--allow-dirty", "--no-verify"]);
    for name in UNPUBLISHED.iter().chain(&["smartalex-mcp"]) {
        package.args(["-p", name]);
    }
    run_ok(package.arg("--target-dir").arg(dir.join("package-target")));
    let packaged = dir.join("package-target/package");
    // Unpacked outside this checkout, or cargo would take them for members
    // of its workspace.
    let outside = tempfile::tempdir().unwrap();
    let server = unpack(
        &packaged.join(format!("smartalex-mcp-{version}.crate")),
        outside.path(),
    );
    let unpacked: Vec<(&str, PathBuf)> = UNPUBLISHED
        .iter()
        .map(|name| {
            let krate = packaged.join(format!("{name}-{version}.crate"));
            (*name, unpack(&krate, outside.path()))
        })
        .collect();
    // The SDK and the sandbox generate from the spec in their build
    // scripts: each crate carries it.
    for (name, krate) in &unpacked {
        if ["smartalex", "smartalex-sandbox"].contains(name) {
            assert!(
                krate.join("openapi/gateway.yaml").is_file(),
                "{name} does not carry the spec its build script reads"
            );
        }
    }

    // What the crate carries: the spec and the prompts its build script
    // reads, and none of the repository's tests or packaging.
    for needed in [
        "build.rs",
        "openapi/gateway.yaml",
        "openapi/mcp/prompts/call-analysis.md",
        "README.md",
        "Cargo.lock",
    ] {
        assert!(server.join(needed).is_file(), "the crate lacks {needed}");
    }
    for left_out in [
        "tests",
        "benches",
        "packaging",
        "server.json",
        "codegen",
        "schema",
        "sdk",
        "serve",
        "sandbox",
    ] {
        assert!(
            !server.join(left_out).exists(),
            "the crate carries {left_out}"
        );
    }

    // The packaged lock file pins the unpublished crates from crates.io;
    // patched to their unpacked crates they are path dependencies, which a
    // lock file records without a source or checksum. Everything else stays
    // as packaged.
    let lock_path = server.join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path).unwrap();
    let lock: Vec<String> = lock
        .split("\n[[package]]\n")
        .map(|entry| {
            if UNPUBLISHED
                .iter()
                .any(|name| entry.starts_with(&format!("name = \"{name}\"\n")))
            {
                entry
                    .split('\n')
                    .filter(|l| !l.starts_with("source = ") && !l.starts_with("checksum = "))
                    .collect::<Vec<_>>()
                    .join("\n")
            } else {
                entry.to_owned()
            }
        })
        .collect();
    std::fs::write(&lock_path, lock.join("\n[[package]]\n")).unwrap();
    let root = dir.join("install");
    let mut install = cargo();
    install
        .args([
            "install",
            "--offline",
            "--locked",
            "--debug",
            "--no-track",
            "--root",
        ])
        .arg(&root)
        .arg("--path")
        .arg(&server);
    for (name, path) in &unpacked {
        install.arg("--config").arg(format!(
            "patch.crates-io.{name}.path={:?}",
            path.to_str().unwrap()
        ));
    }
    run_ok(install.env("CARGO_TARGET_DIR", &target));

    let installed = root.join("bin/smartalex-mcp");
    let out = run_ok(Command::new(&installed).arg("--version"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("smartalex-mcp {version}")
    );
    let tools =
        run_ok(Command::new(&installed).args(["--sandbox", "--db", ":memory:", "tools", "--json"]));
    let ours = run_ok(Command::new(crate::common::bin()).args([
        "--sandbox",
        "--db",
        ":memory:",
        "tools",
        "--json",
    ]));
    assert_eq!(
        tools.stdout, ours.stdout,
        "the installed binary serves other tools"
    );
}

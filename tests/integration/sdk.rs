//! The SDK promise: the `smartalex` crate is the typed client and nothing
//! else — no features to remember, no server, no database, and no C crypto
//! library heavier than ring.

use std::process::Command;

/// The crates `package` pulls in (normal dependencies, this platform).
fn dependencies(package: &str) -> Vec<String> {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
            "--manifest-path",
            manifest,
            "-p",
            package,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_sdk_alone_pulls_no_server_and_no_database() {
    let sdk = dependencies("smartalex");
    for forbidden in [
        "rmcp",
        "axum",
        "rusqlite",
        "libsqlite3-sys",
        "clap",
        "jsonschema",
        "tracing-subscriber",
        "redis",
        "aws-lc-sys",
        "smartalex-mcp",
    ] {
        assert!(
            !sdk.iter().any(|c| c == forbidden),
            "the SDK pulls {forbidden}"
        );
    }
    for needed in [
        "progenitor-client",
        "reqwest",
        "rustls",
        "ring",
        "serde",
        "uuid",
        "chrono",
    ] {
        assert!(sdk.iter().any(|c| c == needed), "the SDK lacks {needed}");
    }
    // And the server really is more: the checks above can fail.
    let server = dependencies("smartalex-mcp");
    assert!(server.iter().any(|c| c == "rmcp") && server.iter().any(|c| c == "rusqlite"));
    assert!(server.iter().any(|c| c == "smartalex"));
}

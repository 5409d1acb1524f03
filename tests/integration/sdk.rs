//! The SDK promise: `default-features = false` is only the typed client.

use std::process::Command;

#[test]
fn the_sdk_alone_pulls_no_server_and_no_database() {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let tree = |features: &[&str]| {
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
                "smartalex-mcp",
            ])
            .args(features)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let crates = |t: &str| -> Vec<String> {
        t.lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_owned)
            .collect()
    };
    let sdk = crates(&tree(&["--no-default-features"]));
    for forbidden in [
        "rmcp",
        "axum",
        "rusqlite",
        "libsqlite3-sys",
        "clap",
        "jsonschema",
        "tracing-subscriber",
    ] {
        assert!(
            !sdk.iter().any(|c| c == forbidden),
            "the SDK pulls {forbidden}"
        );
    }
    for needed in ["progenitor-client", "reqwest", "serde", "uuid", "chrono"] {
        assert!(sdk.iter().any(|c| c == needed), "the SDK lacks {needed}");
    }
    // And the default build really is the server: the check above can fail.
    let full = crates(&tree(&[]));
    assert!(full.iter().any(|c| c == "rmcp") && full.iter().any(|c| c == "rusqlite"));
}

//! The crates are the products: the `smartalex` SDK is the typed client and
//! nothing else — no features to remember, no server, no database, and no C
//! crypto library heavier than ring; the sandbox gateway is no MCP server;
//! cloud mode without the sandbox compiles no SQLite. And its request types
//! can say what a call means: an empty list clears a list.

use std::process::Command;

/// The crates `package` pulls in (normal dependencies, this platform).
fn dependencies(package: &str) -> Vec<String> {
    dependencies_with(package, &[])
}

/// The crates `package` pulls in with `args` (features) added.
fn dependencies_with(package: &str, args: &[&str]) -> Vec<String> {
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
        .args(args)
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

#[test]
fn the_sandbox_is_no_mcp_server_and_cloud_mode_needs_no_sqlite() {
    let sandbox = dependencies("smartalex-sandbox");
    for forbidden in ["rmcp", "smartalex-mcp", "redis", "tracing-subscriber"] {
        assert!(
            !sandbox.iter().any(|c| c == forbidden),
            "the sandbox pulls {forbidden}"
        );
    }
    for needed in ["rusqlite", "axum", "smartalex-serve", "smartalex-schema"] {
        assert!(
            sandbox.iter().any(|c| c == needed),
            "the sandbox lacks {needed}"
        );
    }
    let cloud = dependencies_with(
        "smartalex-mcp",
        &["--no-default-features", "--features", "http"],
    );
    for forbidden in ["rusqlite", "libsqlite3-sys", "smartalex-sandbox"] {
        assert!(
            !cloud.iter().any(|c| c == forbidden),
            "cloud mode without the sandbox pulls {forbidden}"
        );
    }
    assert!(cloud.iter().any(|c| c == "smartalex-serve"));
}

/// An optional list in a request body is an `Option`: `Some(vec![])` is
/// sent as `[]` and clears the list, `None` is left out and keeps it (a bare
/// `Vec`, left out when empty, could not clear it).
#[tokio::test]
async fn the_sdk_clears_a_list_with_an_empty_one() {
    use serde_json::json;
    use smartalex::types;

    let sb = crate::sandbox_harness::start().await;
    let key = smartalex::ApiKey::parse(&sb.key).unwrap();
    let client = smartalex::connect(&sb.base, Some(&key), smartalex::Timeouts::default()).unwrap();
    let create: types::ContactCreate =
        serde_json::from_value(json!({"first_name": "Ann", "tags": ["hot", "buyer"]})).unwrap();
    let made = client.create_contact(&create).await.unwrap().into_inner();
    assert_eq!(made.tags, ["hot", "buyer"]);

    let keep: types::ContactUpdate =
        serde_json::from_value(json!({"notes": "Call after 5pm"})).unwrap();
    assert_eq!(keep.tags, None);
    let kept = client
        .update_contact(&made.id, &keep)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(kept.tags, ["hot", "buyer"]);

    let clear = types::ContactUpdate {
        tags: Some(Vec::new()),
        ..keep
    };
    assert_eq!(serde_json::to_value(&clear).unwrap()["tags"], json!([]));
    let cleared = client
        .update_contact(&made.id, &clear)
        .await
        .unwrap()
        .into_inner();
    assert!(cleared.tags.is_empty(), "{:?}", cleared.tags);
}

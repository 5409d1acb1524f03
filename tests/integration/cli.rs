//! The command line: `tools`, `call`, `--help`, exit codes.

use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::common::fake_gateway::{FakeGateway, Script};
use crate::common::{TEST_KEY, bin};

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env_remove("SMARTALEX_API_KEY")
        .env_remove("SMARTALEX_API_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["stdio", "--help"],
        vec!["tools", "--help"],
        vec!["call", "--help"],
        vec!["sandbox", "--help"],
    ] {
        let o = run(&args, &[]);
        assert!(o.status.success(), "{args:?}");
        assert!(
            stdout(&o).contains("Usage: smartalex-mcp"),
            "{args:?}: {}",
            stdout(&o)
        );
    }
}

#[test]
fn tools_prints_a_table_and_json() {
    let o = run(&["tools"], &[]);
    assert!(o.status.success());
    let table = stdout(&o);
    assert!(table.contains("contacts:") && table.contains("smartalex_get_platform_status"));
    assert_eq!(
        table
            .lines()
            .filter(|l| l.trim_start().starts_with("smartalex_"))
            .count(),
        smartalex_mcp::tools::TOOLS.len()
    );

    let o = run(&["tools", "--json", "--read-only"], &[]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["tools"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["annotations"]["readOnlyHint"] == true)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn call_prints_the_result_and_sets_the_exit_code() {
    let gw = FakeGateway::start(Script::json(
        200,
        json!({"status": "healthy", "version": "1.0.0", "uptime_seconds": 12,
               "usage": {"contacts": 1, "agents": 2, "campaigns": 3, "calls": 4, "deals": 5, "phone_numbers": 6, "webhooks": 7}}),
    ))
    .await;
    let url = gw.url();
    let call = move |args: &'static [&'static str]| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            run(
                args,
                &[("SMARTALEX_API_URL", &url), ("SMARTALEX_API_KEY", TEST_KEY)],
            )
        })
    };
    let ok = call(&["call", "smartalex_get_platform_status"])
        .await
        .unwrap();
    assert!(ok.status.success());
    let v: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(v["usage"]["webhooks"], 7);

    let bad = call(&["call", "smartalex_get_contact", r#"{"id": 5}"#])
        .await
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stdout(&bad).starts_with("Failed to get contact: invalid arguments: id: must be a string")
    );

    let unknown = run(&["call", "smartalex_nope"], &[]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown tool `smartalex_nope`"));
    let not_json = run(&["call", "smartalex_list_deals", "{oops"], &[]);
    assert_eq!(not_json.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&not_json.stderr).contains("ARGS is not valid JSON"));
    let hidden = run(&["call", "--read-only", "smartalex_delete_deal", "{}"], &[]);
    assert!(String::from_utf8_lossy(&hidden.stderr).contains("excluded it"));
}

#[test]
fn a_client_that_hangs_up_before_initialize_is_a_clean_exit() {
    let out = Command::new(bin())
        .env_remove("SMARTALEX_API_KEY")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "stdout is the protocol channel");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("error"));
}

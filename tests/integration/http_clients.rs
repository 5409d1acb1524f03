//! Cloud mode with the official clients: the Python SDK (API keys in both
//! protocol eras, and the whole OAuth flow) and the MCP conformance suite.

use std::path::PathBuf;

use serde_json::json;

use crate::common::clients::{conformance, python_report};
use crate::common::http::McpHttp;
use crate::common::{auth_proxy, bin, fenced};
use crate::sandbox_harness;

#[tokio::test]
async fn python_sdk_over_http_with_api_keys_in_both_eras() {
    let sb = sandbox_harness::start().await;
    let a = sb.workspace_key("Acme").await;
    let b = sb.workspace_key("Bolt").await;
    let server = McpHttp::start(&[], &[("SMARTALEX_API_URL", &sb.base)]).await;
    let url = server.url.clone();
    let report = tokio::task::spawn_blocking(move || {
        python_report("http_session.py", [url.as_str(), &a, &b], &[])
    })
    .await
    .unwrap();
    for (era, version) in [("legacy", "2025-11-25"), ("stateless", "2026-07-28")] {
        let r = &report[era];
        assert_eq!(r["protocol_version"], version, "{report}");
        assert_eq!(r["tools"], smartalex_mcp::tools::TOOLS.len());
        assert_eq!(r["resources"], smartalex_mcp::surface::RESOURCES.len());
        assert_eq!(r["prompts"], smartalex_mcp::surface::PROMPTS.len());
        assert_eq!(r["create_error"], false, "{r}");
        assert!(
            r["resource_first_name"]
                .as_str()
                .unwrap()
                .starts_with("<untrusted>Ada")
        );
        assert!(r["prompt_messages"].as_u64().unwrap() >= 2);
        assert_eq!(r["delete_error"], false, "{r}");
        assert_eq!(r["agent_gone"], true, "{r}");
        assert_eq!(r["b_sees_a"], false, "workspace B saw A's contact: {r}");
        assert_eq!(r["b_get_error"], true);
        assert!(
            r["b_get_text"].as_str().unwrap().contains("not found"),
            "{r}"
        );
    }
    // Both deletions were confirmed by asking the user.
    let asked = report["asked"].as_array().unwrap();
    assert_eq!(asked.len(), 2, "{report}");
    assert!(asked.iter().all(|q| {
        q.as_str()
            .unwrap()
            .starts_with("Permanently delete voice agent")
    }));
    assert!(!server.stderr().contains(&sb.key));
}

#[tokio::test]
async fn python_sdk_runs_the_whole_oauth_flow() {
    let sb = sandbox_harness::start().await;
    // Two workspaces to choose from; the user picks Bolt.
    let acme = sb.workspace_key("Acme").await;
    sb.workspace_key("Bolt").await;
    sb.send(
        Some(&acme),
        "POST",
        "/contacts",
        Some(json!({"first_name": "Acme-only"}).to_string().into_bytes()),
    )
    .await
    .expect(201);
    // The MCP server exchanges tokens as its provisioned confidential client.
    let secret = "cloud-mode-exchange-secret-0123";
    let server = McpHttp::start(
        &[],
        &[
            ("SMARTALEX_API_URL", &sb.base),
            ("SMARTALEX_OAUTH_CLIENT_ID", "cloud-mode"),
            ("SMARTALEX_OAUTH_CLIENT_SECRET", secret),
        ],
    )
    .await;
    sb.running
        .provision_exchange_client(&smartalex_sandbox::ExchangeClient {
            client_id: "cloud-mode".into(),
            client_secret: secret.into(),
            audiences: vec![server.url.clone()],
        })
        .await
        .unwrap();
    let url = server.url.clone();
    let link = sb.running.consent_url().unwrap();
    let report = tokio::task::spawn_blocking(move || {
        python_report("http_oauth.py", [url.as_str(), "Bolt", link.as_str()], &[])
    })
    .await
    .unwrap();
    let workspaces: Vec<&str> = report["consent_workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        workspaces.contains(&"Acme") && workspaces.contains(&"Bolt"),
        "{report}"
    );
    assert_eq!(
        report["authorize"]["code_challenge_method"],
        json!(["S256"])
    );
    assert_eq!(report["authorize"]["resource"], json!([server.url]));
    assert_eq!(report["create"]["error"], false, "{report}");
    assert_eq!(
        report["names"],
        json!([fenced("Olive")]),
        "acted in Bolt only: {report}"
    );
    assert_eq!(report["has_refresh"], true);
    assert_eq!(report["refresh_status"], 200);
    assert_eq!(report["refresh_rotated"], true);
    assert_eq!(report["access_changed"], true);
    assert_eq!(report["replay"]["status"], 400);
    assert_eq!(report["replay"]["error"], "invalid_grant");
    assert_eq!(report["after_refresh"]["error"], false);
    assert_eq!(report["after_refresh"]["names"], json!([fenced("Olive")]));
    let foreign = &report["foreign_audience"];
    assert_eq!(foreign["status"], 401, "{report}");
    assert_eq!(foreign["body"], r#"{"error":"Invalid or expired token."}"#);
    assert!(
        foreign["challenge"]
            .as_str()
            .unwrap()
            .contains("invalid_token")
    );
    let log = server.stderr();
    assert!(
        !log.contains("sa_oat_") && !log.contains("sa_ort_") && !log.contains(secret),
        "a token leaked: {log}"
    );
}

/// The official conformance suite, with the requirement set of each
/// protocol era it serves (`--requirements`: exactly the scenarios a
/// revision requires), against `http --sandbox` with an API key.
#[tokio::test]
async fn conformance_requirements_pass_against_http_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sandbox.db");
    let db_arg = db.to_str().unwrap();
    let server = McpHttp::start(
        &[
            "--sandbox",
            "--db",
            db_arg,
            "--rate-limit",
            "0",
            "--public-rate-limit",
            "0",
        ],
        &[],
    )
    .await;
    let key = std::process::Command::new(bin())
        .args(["sandbox", "key", "--db", db_arg])
        .output()
        .unwrap();
    assert!(key.status.success());
    let key = String::from_utf8(key.stdout).unwrap().trim().to_owned();
    // With --sandbox, the embedded sandbox is the authorization server.
    let metadata: serde_json::Value = smartalex::http_client()
        .build()
        .unwrap()
        .get(format!(
            "{}/.well-known/oauth-protected-resource/mcp",
            server.origin()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["authorization_servers"], json!([server.gateway]));
    let proxy = auth_proxy::start(&server.origin(), &key).await;

    for (revision, must_pass) in [
        (
            "2025-11-25",
            &[
                "server-initialize",
                "ping",
                "tools-list",
                "resources-list",
                "prompts-list",
                "completion-complete",
                "logging-set-level",
                "server-session-lifecycle",
                "dns-rebinding-protection",
            ][..],
        ),
        (
            "2026-07-28",
            &[
                "tools-list",
                "resources-list",
                "prompts-list",
                "completion-complete",
                "sep-2164-resource-not-found",
                "caching",
                "http-header-validation",
                "dns-rebinding-protection",
            ][..],
        ),
    ] {
        let (stdout, results) = run_conformance(&proxy, revision, dir.path()).await;
        for scenario in must_pass {
            let passed = format!("✓ {scenario}: ");
            assert!(
                stdout.lines().any(|l| l.starts_with(&passed)),
                "{revision}: {scenario} did not pass:\n{stdout}"
            );
        }
        if revision == "2026-07-28" {
            // server-stateless is in the baseline for its 4 checks that need
            // the suite's diagnostic tools; every other check must pass.
            let checks = checks(&results, "server-stateless");
            let failing: Vec<_> = checks
                .iter()
                .filter(|(_, status, message)| {
                    status == "FAILURE" && !message.starts_with("Not testable")
                })
                .collect();
            assert!(failing.is_empty(), "{failing:?}");
            for method in [
                "initialize",
                "ping",
                "logging-setlevel",
                "resources-subscribe",
            ] {
                let id = format!("sep-2575-http-server-method-not-found-404-{method}");
                assert!(
                    checks.iter().any(|(i, s, _)| *i == id && s == "SUCCESS"),
                    "{id}: {checks:?}"
                );
            }
        }
    }
}

/// Run the suite's `revision` requirement set through `proxy` with its
/// baseline (`tests/conformance/expected-failures-<revision>.yml`): exit 0
/// means every scenario outside the baseline passed and every one in it
/// still fails (a stale entry is an error too). Returns the output and the
/// results directory.
async fn run_conformance(proxy: &str, revision: &str, dir: &std::path::Path) -> (String, PathBuf) {
    let baseline = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!(
        "tests/conformance/expected-failures-{revision}.yml"
    ));
    let results = dir.join(format!("results-{revision}"));
    let url = format!("{proxy}/mcp");
    let (revision_arg, results_arg) = (revision.to_owned(), results.clone());
    let out = tokio::task::spawn_blocking(move || {
        let (node, cli) = conformance();
        std::process::Command::new(node)
            .arg(cli)
            .args(["server", "--url", &url, "--requirements", &revision_arg])
            .arg("--expected-failures")
            .arg(&baseline)
            .arg("-o")
            .arg(&results_arg)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "conformance {revision} failed:\n{stdout}\n{stderr}\nfailed checks:\n{}",
        failed_checks(&results),
    );
    (stdout + &stderr, results)
}

/// The checks of one scenario's run: (id, status, message).
fn checks(results: &std::path::Path, scenario: &str) -> Vec<(String, String, String)> {
    let prefix = format!("server-{scenario}-");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(results).into_iter().flatten().flatten() {
        if !entry.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        let text = std::fs::read_to_string(entry.path().join("checks.json")).unwrap();
        let checks: serde_json::Value = serde_json::from_str(&text).unwrap();
        for c in checks.as_array().into_iter().flatten() {
            let field = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            out.push((field("id"), field("status"), field("errorMessage")));
        }
    }
    assert!(!out.is_empty(), "no results for {scenario}");
    out
}

fn failed_checks(results: &std::path::Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(results).into_iter().flatten().flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path().join("checks.json")) else {
            continue;
        };
        let checks: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        for c in checks.as_array().into_iter().flatten() {
            if c["status"] == "FAILURE" {
                out.push_str(&format!(
                    "{}: {}: {}\n",
                    entry.file_name().to_string_lossy(),
                    c["id"],
                    c["errorMessage"]
                ));
            }
        }
    }
    out
}

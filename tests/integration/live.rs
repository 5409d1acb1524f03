//! Live resources: subscribers hear `notifications/resources/updated` when
//! what they watch changes — pushed by the embedded sandbox's events, with
//! the official Python SDK in both eras, and noticed by polls where nothing
//! is pushed.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::clients::python_report;
use crate::common::fake_gateway::{FakeGateway, Script};
use crate::common::http::McpHttp;
use crate::common::stdio::StdioServer;
use crate::common::{TEST_KEY, bin};
use crate::sandbox_harness;
use smartalex_sandbox::{Db, SandboxOptions};

fn sandbox_key(db: &str, workspace: &str) -> String {
    let out = std::process::Command::new(bin())
        .args(["sandbox", "key", "--db", db, "--workspace", workspace])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn python_sdk_hears_sandbox_changes_in_both_eras() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sandbox.db");
    let db = db.to_str().unwrap().to_owned();
    let server = McpHttp::start(&["--sandbox", "--db", &db, "--rate-limit", "0"], &[]).await;
    let key = sandbox_key(&db, "default");
    let other = sandbox_key(&db, "elsewhere");
    assert_heard(&python_live(&server.url, &key, &other).await);
}

/// Run `live_resources.py` against `url` with two workspaces' keys.
async fn python_live(url: &str, key: &str, other: &str) -> Value {
    let args = [url.to_owned(), key.to_owned(), other.to_owned()];
    tokio::task::spawn_blocking(move || python_report("live_resources.py", &args, &[]))
        .await
        .unwrap()
}

/// Both eras heard both watched resources within 2 s of the change, and
/// nothing reached the other workspace.
fn assert_heard(report: &Value) {
    let watched = ["smartalex://calls/recent", "smartalex://campaigns/active"];
    for (era, version) in [("legacy", "2025-11-25"), ("stateless", "2026-07-28")] {
        let r = &report[era];
        assert_eq!(r["protocol_version"], version, "{report}");
        assert_eq!(r["after_sent"], true, "{report}");
        for uri in watched {
            let seconds = r["seconds"][uri]
                .as_f64()
                .unwrap_or_else(|| panic!("{era}: no update of {uri}: {report}"));
            assert!(seconds <= 2.0, "{era}: {uri} after {seconds} s: {report}");
        }
    }
    assert_eq!(report["legacy"]["unknown_uri_error"][0], -32002, "{report}");
    assert_eq!(
        report["legacy"]["other_workspace_heard"],
        json!([]),
        "{report}"
    );
    // A URI the server does not serve is left out of the listen filter.
    assert_eq!(report["stateless"]["honored"], json!(watched), "{report}");
}

/// Cloud mode, against a gateway in another process: the first subscriber
/// of a workspace registers a webhook, whose signed deliveries drive the
/// updates (polls are off, so nothing else could).
#[tokio::test]
async fn cloud_mode_hears_the_gateways_signed_webhooks() {
    let dir = tempfile::tempdir().unwrap();
    let sb = sandbox_harness::start_with(SandboxOptions {
        rate_limit_per_min: 100_000,
        allow_private_urls: true,
        ..SandboxOptions::new(Db::Path(dir.path().join("gateway.db")))
    })
    .await;
    let other = sb.workspace_key("elsewhere").await;
    let mut server = McpHttp::start(
        &["--rate-limit", "0", "--resource-poll", "0"],
        &[("SMARTALEX_API_URL", &sb.base)],
    )
    .await;
    assert_heard(&python_live(&server.url, &sb.key, &other).await);
    let hooks = sb.get("/webhooks").await;
    let urls: Vec<&str> = hooks.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["url"].as_str().unwrap())
        .collect();
    // One registration for the workspace, however many subscribers.
    assert_eq!(urls.len(), 1, "{urls:?}");
    assert!(urls[0].starts_with(&format!("{}/hooks/", server.origin())));
    // A forged delivery to it is refused.
    let forged = smartalex::http_client()
        .build()
        .unwrap()
        .post(urls[0])
        .header("x-smartalex-timestamp", "1")
        .header("x-smartalex-signature", "v1=00")
        .body(r#"{"type":"call.completed","data":{}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    // Shutting down deletes it.
    assert!(server.terminate(Duration::from_secs(20)).await.success());
    let hooks = sb.get("/webhooks").await;
    assert_eq!(hooks.body["data"], json!([]), "{}", hooks.body);
}

fn status(uptime: u64) -> Script {
    Script::json(
        200,
        json!({"status": "healthy", "version": "1.0.0", "uptime_seconds": uptime,
            "usage": {"contacts": 1, "agents": 1, "campaigns": 0, "calls": 0, "deals": 0,
                "phone_numbers": 0, "webhooks": 0}}),
    )
}

/// Read notifications for `within`; the URIs of the resource updates.
async fn updates(s: &mut StdioServer, within: Duration) -> Vec<String> {
    let until = Instant::now() + within;
    let mut uris = Vec::new();
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        let Ok(Some(line)) = tokio::time::timeout(left, s.next_line()).await else {
            break;
        };
        let msg: Value = serde_json::from_str(&line).unwrap();
        if msg["method"] == "notifications/resources/updated" {
            uris.push(msg["params"]["uri"].as_str().unwrap().to_owned());
        }
    }
    uris
}

#[tokio::test]
async fn polls_notice_what_the_gateway_does_not_push() {
    let gw = FakeGateway::start(status(10)).await;
    let (mut s, init) = StdioServer::initialized(
        &["--resource-poll", "1"],
        &[
            ("SMARTALEX_API_URL", &gw.url()),
            ("SMARTALEX_API_KEY", TEST_KEY),
        ],
    )
    .await;
    assert_eq!(
        init["result"]["capabilities"]["resources"]["subscribe"],
        true
    );
    let r = s
        .request(
            "resources/subscribe",
            json!({"uri": "smartalex://platform/status"}),
        )
        .await;
    assert_eq!(r["result"], json!({}), "{r}");
    // Unchanged: nothing to hear.
    assert!(
        updates(&mut s, Duration::from_millis(2500))
            .await
            .is_empty()
    );
    gw.set(status(11));
    let heard = updates(&mut s, Duration::from_secs(3)).await;
    assert_eq!(heard, ["smartalex://platform/status"]);
    // Unsubscribed: changes go unheard.
    let r = s
        .request(
            "resources/unsubscribe",
            json!({"uri": "smartalex://platform/status"}),
        )
        .await;
    assert_eq!(r["result"], json!({}), "{r}");
    gw.set(status(12));
    assert!(
        updates(&mut s, Duration::from_millis(2500))
            .await
            .is_empty()
    );
    s.finish().await;
}

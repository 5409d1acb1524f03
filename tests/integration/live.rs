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
    let url = server.url.clone();
    let report = tokio::task::spawn_blocking(move || {
        python_report("live_resources.py", [url.as_str(), &key, &other], &[])
    })
    .await
    .unwrap();
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

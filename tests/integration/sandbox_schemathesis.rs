//! Schemathesis against the sandbox, with the project's spec: thousands of
//! generated requests (valid, invalid, stateful sequences, wrong methods,
//! missing auth) and every check it has — no 5xx, every status, header and
//! body as the spec declares, invalid data refused, deleted resources gone,
//! auth enforced, `Allow` on 405s.
//!
//! Two exclusions, on purpose:
//! * `positive_data_acceptance`: a schema-valid request may still break a
//!   domain rule the schema cannot express (an `agent_id` that does not
//!   exist, starting a completed campaign, `+1000000` as a phone number to
//!   buy), and the sandbox refuses those, as the real gateway does.
//! * the Quick Setup and create-webhook operations: they make the sandbox
//!   fetch or POST to generated URLs, and tests talk to loopback only.
//!
//! Schemathesis is installed (once, pinned) into a venv under cargo's
//! target tmp dir.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use smartalex_sandbox::{Db, SandboxOptions};

use crate::sandbox_harness::start_with;

const SCHEMATHESIS: &str = "schemathesis==4.32.5";

fn schemathesis() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("schemathesis");
    let exe = dir.join("bin/schemathesis");
    let stamp = dir.join(".installed");
    if fs::read_to_string(&stamp).ok().as_deref() != Some(SCHEMATHESIS) {
        let _ = fs::remove_dir_all(&dir);
        let ok = |c: &mut Command| c.status().is_ok_and(|s| s.success());
        assert!(
            ok(Command::new("python3").args(["-m", "venv"]).arg(&dir)),
            "python3 -m venv"
        );
        assert!(
            ok(Command::new(dir.join("bin/pip")).args([
                "install",
                "-q",
                "--disable-pip-version-check",
                SCHEMATHESIS
            ])),
            "pip install {SCHEMATHESIS}"
        );
        fs::write(&stamp, SCHEMATHESIS).expect("stamp");
    }
    exe
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_that_contradicts_the_spec() {
    let exe = tokio::task::spawn_blocking(schemathesis)
        .await
        .expect("install");
    let sb = start_with(SandboxOptions {
        rate_limit_per_min: u32::MAX,
        allow_private_urls: false,
        ..SandboxOptions::new(Db::Memory)
    })
    .await;
    let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/gateway.yaml");
    let (url, auth) = (sb.base.clone(), format!("Authorization: Bearer {}", sb.key));
    // Schemathesis and Hypothesis keep caches in the working directory: not the repo.
    let workdir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("schemathesis-run");
    fs::create_dir_all(&workdir).expect("workdir");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(exe)
            .current_dir(workdir)
            .args(["run", spec, "--url", &url, "-H", &auth])
            .args([
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance",
            ])
            .args([
                "--exclude-operation-id",
                "create_agent",
                "--exclude-operation-id",
                "create_webhook",
            ])
            .args(["--max-examples", "15", "--seed", "20261121", "--no-color"])
            .env("SCHEMATHESIS_TELEMETRY", "false")
            .output()
            .expect("run schemathesis")
    })
    .await
    .expect("schemathesis");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("Tested: 26"), "{report}");
}

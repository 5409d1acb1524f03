//! The spec-driven promise, end to end: an operation added to
//! `openapi/gateway.yaml` is a working tool on the next build, with no Rust
//! edited — listed by the server, routed and authorized by the embedded
//! sandbox, and answered from its documented example until someone writes
//! its simulation. And an operation without an example does not build: the
//! build stops with one line naming it.
//!
//! The test copies this checkout, adds `DELETE /contacts/{id}` to the copy's
//! spec and builds the copy into its own target directory, `spec-copy`
//! beside this workspace's: the copy's crates sit at the same paths in
//! their workspace as ours do in this one, so Cargo would give them the
//! same artifact names and each build would overwrite the other's. Kept
//! between runs, a rerun builds only what changed; without debug info, the
//! first build is a quarter shorter.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::common::stdio::StdioServer;
use crate::distribution::{repo, run_ok, scratch};

/// What a build of the server package reads.
const COPIED: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "build.rs",
    "README.md",
    "rust-toolchain.toml",
    "src",
    "openapi",
    "codegen",
    "schema",
    "sdk",
    "serve",
    "sandbox",
    "tests",
    "benches",
];

/// The new operation, as a maintainer would write it.
const DELETE_CONTACT: &str = r#"    delete:
      operationId: delete_contact
      tags: [contacts]
      summary: Delete contact
      description: Permanently delete a contact and its notes. This cannot be undone.
      x-mcp:
        confirm: "Permanently delete contact {id}? This cannot be undone."
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, format: uuid}}
      responses:
        '200':
          description: The contact was deleted.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Deleted'}
              example: {id: 3f2b8c1e-7d4a-4e2b-9c1f-5a6d7e8f9a0b, deleted: true}
        '401': {$ref: '#/components/responses/Unauthorized'}
        '403': {$ref: '#/components/responses/Forbidden'}
        '404': {$ref: '#/components/responses/NotFound'}
        '429': {$ref: '#/components/responses/TooManyRequests'}
        '500': {$ref: '#/components/responses/InternalError'}
"#;

const EXAMPLE_LINE: &str =
    "              example: {id: 3f2b8c1e-7d4a-4e2b-9c1f-5a6d7e8f9a0b, deleted: true}\n";

/// A copy of `from` at `to`; links stay links (`sdk/openapi` is the spec).
fn copy_tree(from: &Path, to: &Path) {
    if let Ok(link) = std::fs::read_link(from) {
        std::os::unix::fs::symlink(link, to).unwrap();
    } else if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() == "target" {
                continue;
            }
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    }
}

/// This checkout, copied to `dir`, with `DELETE /contacts/{id}` in its
/// spec.
fn copy_with_new_operation(dir: &Path) -> PathBuf {
    let copy = dir.join("checkout");
    for name in COPIED {
        copy_tree(&repo().join(name), &copy.join(name));
    }
    let spec_path = copy.join("openapi/gateway.yaml");
    let spec = std::fs::read_to_string(&spec_path).unwrap();
    let anchor = "  /contacts/{id}:\n";
    assert_eq!(
        spec.matches(anchor).count(),
        1,
        "the spec has one /contacts/{{id}}"
    );
    assert!(!spec.contains("operationId: delete_contact"));
    std::fs::write(
        &spec_path,
        spec.replacen(anchor, &format!("{anchor}{DELETE_CONTACT}"), 1),
    )
    .unwrap();
    copy
}

/// `spec-copy` beside this workspace's target directory.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repo().join("target"), PathBuf::from)
        .join("spec-copy")
}

/// `cargo build` of the copy's binary, into its own target directory.
fn build(copy: &Path) -> Output {
    let mut cmd = crate::distribution_cargo::cargo();
    cmd.current_dir(copy)
        .args(["build", "--offline", "--locked", "--bin", "smartalex-mcp"])
        .env("CARGO_TARGET_DIR", target_dir())
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
        .output()
        .expect("run cargo")
}

fn key(binary: &Path, db: &Path, extra: &[&str]) -> String {
    let out = run_ok(
        Command::new(binary)
            .args(["sandbox", "key", "--db", db.to_str().unwrap()])
            .args(extra),
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

async fn authorized_from_its_tag_and_method(binary: &Path, db: &Path, id: &str) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut gateway = tokio::process::Command::new(binary)
        .args(["sandbox", "--listen", &listen, "--db", db.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = format!("http://{listen}/contacts/{id}");
    let http = smartalex::http_client().build().unwrap();
    let delete = |key: String| {
        let request = http.delete(&url).bearer_auth(key);
        async move {
            let response = request.send().await.ok()?;
            let status = response.status().as_u16();
            Some((status, response.json::<Value>().await.ok()?))
        }
    };
    let owner = key(binary, db, &[]);
    let mut answered = None;
    for _ in 0..100 {
        answered = delete(owner.clone()).await;
        if answered.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        answered,
        Some((
            200,
            json!({"id": "3f2b8c1e-7d4a-4e2b-9c1f-5a6d7e8f9a0b", "deleted": true})
        ))
    );
    let read_only = key(binary, db, &["--read-only"]);
    assert_eq!(
        delete(read_only).await,
        Some((
            403,
            json!({"error": "API key does not have write permission"})
        ))
    );
    let deals_only = key(binary, db, &["--permissions", "deals"]);
    assert_eq!(
        delete(deals_only).await,
        Some((403, json!({"error": "Insufficient permissions"})))
    );
    assert_eq!(delete("sa_test_nope".into()).await.map(|a| a.0), Some(401));
    gateway.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operation_added_to_the_spec_works_against_the_embedded_sandbox() {
    let dir = scratch("new-operation");
    let copy = copy_with_new_operation(&dir);
    let built = build(&copy);
    assert!(
        built.status.success(),
        "the copy with a new operation does not build:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let binary = target_dir().join("debug").join("smartalex-mcp");
    let db = dir.join("sandbox.db");

    // The sandbox says which operations it answers from examples.
    let help = Command::new(&binary)
        .args(["sandbox", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Answered from the spec's examples (not simulated yet): delete_contact."),
        "{help}"
    );

    let mut server = StdioServer::spawn_program(
        binary.as_os_str(),
        &["--sandbox", "--db", db.to_str().unwrap()],
        &[],
    );
    server.initialize().await;
    let tools = server.request("tools/list", json!({})).await;
    let tool = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "smartalex_delete_contact")
        .expect("the new operation is a tool");
    assert_eq!(tool["annotations"]["destructiveHint"], true);

    // A contact to delete, made through the simulated operations.
    let created = server
        .call(
            "smartalex_create_contact",
            json!({"first_name": "Dana", "email": "dana@example.com"}),
        )
        .await;
    let id = created["structuredContent"]["id"]
        .as_str()
        .expect("a created contact")
        .to_owned();

    // Without approval, the tool asks first (from the spec's x-mcp.confirm).
    let asked = server
        .call("smartalex_delete_contact", json!({"id": id}))
        .await;
    assert_eq!(asked["isError"], true, "{asked}");
    assert!(
        crate::common::stdio::text(&asked).contains(&format!("Permanently delete contact {id}?")),
        "{asked}"
    );

    // Approved, the embedded sandbox answers from the documented example.
    let deleted = server
        .call(
            "smartalex_delete_contact",
            json!({"id": id, "confirm": true}),
        )
        .await;
    assert_ne!(deleted["isError"], true, "{deleted}");
    assert_eq!(
        deleted["structuredContent"],
        json!({"id": "3f2b8c1e-7d4a-4e2b-9c1f-5a6d7e8f9a0b", "deleted": true}),
        "{deleted}"
    );
    let (_, stderr) = server.finish().await;
    assert!(
        stderr.contains("Answered from the spec's examples (not simulated yet): delete_contact."),
        "the start-up log lists it:\n{stderr}"
    );

    // Over HTTP it is authorized like every other write of its domain.
    authorized_from_its_tag_and_method(&binary, &db, &id).await;

    // The same operation without its example does not build, and the build
    // says why in one line that names it.
    let spec_path = copy.join("openapi/gateway.yaml");
    let spec = std::fs::read_to_string(&spec_path).unwrap();
    assert_eq!(spec.matches(EXAMPLE_LINE).count(), 1);
    std::fs::write(&spec_path, spec.replacen(EXAMPLE_LINE, "", 1)).unwrap();
    let failed = build(&copy);
    assert!(!failed.status.success(), "a spec without the example built");
    let stderr = String::from_utf8_lossy(&failed.stderr);
    // One line from each build script that reads the spec (the SDK's and
    // the server's; Cargo may stop before the second runs), and nothing else
    // naming the operation.
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| l.contains("delete_contact"))
        .collect();
    let expected = "error: openapi/: operation `delete_contact`: the 200 response has no `example`; the sandbox answers an operation it does not simulate with it";
    assert!(
        !lines.is_empty() && lines.iter().all(|l| *l == expected),
        "{stderr}"
    );
}

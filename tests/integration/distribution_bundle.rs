//! Issue 12, the MCP bundle: the manifest passes the official `mcpb
//! validate`, `packaging/mcpb/pack.mjs` packs a bundle with the official
//! CLI, and the binary inside it — unpacked by that CLI, started the way
//! Claude Desktop starts it from `mcp_config` — answers MCP, with the
//! sandbox switch on. The release form of `server.json` that lists the
//! bundle (written by `packaging/sync.mjs --mcpb`) meets the registry rules.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::stdio::StdioServer;
use crate::common::{bin, clients};
use crate::distribution::{packaged_binary, repo, run_ok, scratch};
use crate::distribution_registry::{read_json, registry_problems};

#[test]
fn the_pinned_mcpb_cli_is_the_one_the_tests_use() {
    let pack = std::fs::read_to_string(repo().join("packaging/mcpb/pack.mjs")).unwrap();
    assert!(
        pack.contains(&format!("\"{}\"", clients::MCPB)),
        "pack.mjs pins another mcpb"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bundle_validates_packs_and_its_binary_serves_mcp() {
    let (node, mcpb) = tokio::task::spawn_blocking(clients::mcpb).await.unwrap();
    let dir = scratch("mcpb");

    let validated = run_ok(
        Command::new(&node)
            .arg(&mcpb)
            .arg("validate")
            .arg(repo().join("packaging/mcpb/manifest.json")),
    );
    let said = String::from_utf8_lossy(&validated.stdout);
    assert!(said.contains("Manifest schema validation passes"), "{said}");

    let packed = run_ok(
        Command::new(&node)
            .arg(repo().join("packaging/mcpb/pack.mjs"))
            .args([
                "--binary",
                packaged_binary(),
                "--platform",
                "linux-x64",
                "--mcpb",
            ])
            .arg(&mcpb)
            .arg("--out")
            .arg(&dir),
    );
    let bundle = PathBuf::from(String::from_utf8(packed.stdout).unwrap().trim());
    assert_eq!(
        bundle.file_name().unwrap().to_string_lossy(),
        format!("smartalex-mcp-{}-linux-x64.mcpb", env!("CARGO_PKG_VERSION"))
    );

    let unpacked = dir.join("unpacked");
    run_ok(
        Command::new(&node)
            .arg(&mcpb)
            .arg("unpack")
            .arg(&bundle)
            .arg(&unpacked),
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(unpacked.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["compatibility"]["platforms"], json!(["linux"]));
    assert_eq!(manifest["user_config"]["api_key"]["sensitive"], true);
    let config = &manifest["server"]["mcp_config"];
    assert_eq!(config["env"]["SMARTALEX_API_KEY"], "${user_config.api_key}");

    // Start it as Claude Desktop would: `${__dirname}` is the unpacked
    // bundle; the user turned the sandbox on and left the key empty.
    let dirname = unpacked.to_str().unwrap();
    let command = config["command"]
        .as_str()
        .unwrap()
        .replace("${__dirname}", dirname);
    let resolve = |v: &Value| {
        v.as_str()
            .unwrap()
            .replace("${user_config.api_key}", "")
            .replace("${user_config.sandbox}", "true")
    };
    let env: Vec<(String, String)> = config["env"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), resolve(v)))
        .chain([(
            "HOME".to_owned(),
            dir.join("home").to_string_lossy().into_owned(),
        )])
        .collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let args: Vec<&str> = config["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let mut server = StdioServer::spawn_program(command.as_ref(), &args, &env);
    let init = server.initialize().await;
    assert_eq!(
        init["result"]["serverInfo"]["name"], "smartalex-mcp",
        "{init}"
    );
    assert_eq!(
        init["result"]["serverInfo"]["version"],
        env!("CARGO_PKG_VERSION")
    );
    // The sandbox switch works: a call succeeds with no key at all.
    let listed = server.call("smartalex_list_agents", json!({})).await;
    assert_eq!(listed["isError"], false, "{listed}");
    server.finish().await;

    // The release's server.json lists this bundle with its hash.
    let release = dir.join("server.json");
    std::fs::copy(repo().join("server.json"), &release).unwrap();
    let url = format!(
        "https://github.com/getsmartalex/smartalex-mcp/releases/download/v{0}/smartalex-mcp-{0}-linux-x64.mcpb",
        env!("CARGO_PKG_VERSION")
    );
    run_ok(
        Command::new(&node)
            .arg(repo().join("packaging/sync.mjs"))
            .args(["--binary", bin(), "--mcpb"])
            .arg(&bundle)
            .args(["--mcpb-url", &url, "--server-json"])
            .arg(&release),
    );
    let server_json: Value = serde_json::from_slice(&std::fs::read(&release).unwrap()).unwrap();
    let problems = registry_problems(&server_json);
    assert!(problems.is_empty(), "{problems:#?}");
    let listed = server_json["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["registryType"] == "mcpb")
        .expect("the bundle is listed");
    assert_eq!(listed["identifier"], url);
    let sha: String = Sha256::digest(std::fs::read(&bundle).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(listed["fileSha256"], sha);
    // Everything else is the committed file.
    let mut without = server_json.clone();
    without["packages"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["registryType"] != "mcpb");
    assert_eq!(without, read_json("server.json"));
}

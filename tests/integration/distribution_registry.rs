//! Issue 12, the metadata half: `server.json` meets the MCP Registry's
//! published constraints (the 2025-12-11 schema, the official registry's
//! extra rules, each package type's ownership proof), and every packaging
//! file that restates a fact agrees with Cargo.toml and the binary
//! (`packaging/sync.mjs --check`).
//!
//! The constraints are written out here, not fetched: the tests stay
//! offline, and each rule has a case below that breaks it.

use std::process::Command;

use serde_json::{Value, json};

use crate::common::bin;
use crate::distribution::{repo, run_ok};

pub const SCHEMA: &str =
    "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json";
/// The product documents' cloud endpoint.
const CLOUD_ENDPOINT: &str = "https://api.getsmartalex.com/functions/v1/mcp-server";
const PUBLISHER_META: &str = "io.modelcontextprotocol.registry/publisher-provided";

pub fn read_json(path: &str) -> Value {
    let text = std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn is_reverse_dns(namespace: &str) -> bool {
    let labels: Vec<&str> = namespace.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// A single version, not a range (`^1`, `~1`, `>=1`, `1.x`, `1.*`, `latest`).
fn is_exact_version(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 255
        && v != "latest"
        && !v.contains(['^', '~', '>', '<', '*', ' ', '|', '='])
        && !v.split('.').any(|part| part.eq_ignore_ascii_case("x"))
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
}

fn str_len(v: &Value) -> Option<usize> {
    v.as_str().map(|s| s.chars().count())
}

/// Every way `server` breaks the registry's rules, as readable lines.
pub fn registry_problems(server: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut bad = |what: String| out.push(what);
    if server["$schema"] != SCHEMA {
        bad(format!("$schema must be {SCHEMA}"));
    }
    let name = server["name"].as_str().unwrap_or_default();
    let name_ok = name.len() >= 3
        && name.len() <= 200
        && name.matches('/').count() == 1
        && name.split_once('/').is_some_and(|(ns, server)| {
            is_reverse_dns(ns)
                && !server.is_empty()
                && server
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                && server.starts_with(|c: char| c.is_ascii_alphanumeric())
                && server.ends_with(|c: char| c.is_ascii_alphanumeric())
        });
    if !name_ok {
        bad(format!(
            "name {name:?}: reverse-DNS namespace, one '/', 3-200 characters"
        ));
    }
    match str_len(&server["description"]) {
        Some(1..=100) => {}
        _ => bad("description: 1 to 100 characters".into()),
    }
    if !server["title"].is_null() && !matches!(str_len(&server["title"]), Some(1..=100)) {
        bad("title: 1 to 100 characters".into());
    }
    if !server["version"].as_str().is_some_and(is_exact_version) {
        bad(format!("version {}: one exact version", server["version"]));
    }
    for url in ["websiteUrl"] {
        if !server[url].is_null()
            && !server[url]
                .as_str()
                .is_some_and(|u| u.starts_with("https://"))
        {
            bad(format!("{url}: an https URL"));
        }
    }
    if !server["repository"].is_null()
        && (server["repository"]["url"].as_str().is_none()
            || server["repository"]["source"].as_str().is_none())
    {
        bad("repository: url and source are required".into());
    }
    for (i, pkg) in server["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = format!("packages[{i}]");
        let kind = pkg["registryType"].as_str().unwrap_or_default();
        let id = pkg["identifier"].as_str().unwrap_or_default();
        if id.is_empty() {
            bad(format!("{at}: identifier is required"));
        }
        if !matches!(
            pkg["transport"]["type"].as_str(),
            Some("stdio" | "streamable-http" | "sse")
        ) {
            bad(format!(
                "{at}: transport.type must be stdio, streamable-http or sse"
            ));
        }
        if !pkg["version"].is_null() && !pkg["version"].as_str().is_some_and(is_exact_version) {
            bad(format!("{at}: version must be one exact version"));
        }
        let base = pkg["registryBaseUrl"].as_str();
        match kind {
            "npm" | "cargo" => {
                let official = if kind == "npm" {
                    "https://registry.npmjs.org"
                } else {
                    "https://crates.io"
                };
                if base.is_some_and(|b| b != official) {
                    bad(format!(
                        "{at}: the official registry accepts only {official}"
                    ));
                }
                if pkg["version"].is_null() {
                    bad(format!("{at}: {kind} packages need a version"));
                }
            }
            "mcpb" => {
                if !(id.starts_with("https://github.com/") || id.starts_with("https://gitlab.com/"))
                    || !id.contains("/releases/")
                    || !id.contains("mcp")
                {
                    bad(format!(
                        "{at}: a GitHub/GitLab release URL containing \"mcp\""
                    ));
                }
                if !pkg["fileSha256"].as_str().is_some_and(is_sha256) {
                    bad(format!("{at}: fileSha256 (64 lowercase hex) is required"));
                }
            }
            "pypi" | "nuget" | "oci" | "go" => {}
            other => bad(format!("{at}: unknown registryType {other:?}")),
        }
        for var in pkg["environmentVariables"].as_array().into_iter().flatten() {
            if var["name"].as_str().is_none_or(str::is_empty) {
                bad(format!("{at}: every environment variable needs a name"));
            }
            if !var["format"].is_null()
                && !matches!(
                    var["format"].as_str(),
                    Some("string" | "number" | "boolean" | "filepath")
                )
            {
                bad(format!(
                    "{at}: format must be string, number, boolean or filepath"
                ));
            }
        }
    }
    for (i, remote) in server["remotes"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        if !matches!(remote["type"].as_str(), Some("streamable-http" | "sse")) {
            bad(format!("remotes[{i}]: type must be streamable-http or sse"));
        }
        let url = remote["url"].as_str().unwrap_or_default();
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.contains(char::is_whitespace)
        {
            bad(format!("remotes[{i}]: url must be an http(s) URL"));
        }
    }
    if let Some(meta) = server["_meta"].as_object() {
        if meta.keys().any(|k| k != PUBLISHER_META) {
            bad(format!(
                "_meta: the official registry keeps only {PUBLISHER_META}"
            ));
        }
        if meta
            .get(PUBLISHER_META)
            .is_some_and(|m| m.to_string().len() > 4096)
        {
            bad("_meta: publisher-provided metadata is limited to 4 KiB".into());
        }
    }
    out
}

/// `mcp-name: NAME` as visible text (crates.io strips HTML comments),
/// followed by a boundary.
fn readme_names(readme: &str, name: &str) -> bool {
    let token = format!("mcp-name: {name}");
    let mut visible = String::new();
    let mut rest = readme;
    while let Some(start) = rest.find("<!--") {
        visible.push_str(&rest[..start]);
        rest = rest[start..]
            .find("-->")
            .map_or("", |end| &rest[start + end + 3..]);
    }
    visible.push_str(rest);
    visible.match_indices(&token).any(|(at, _)| {
        visible[at + token.len()..]
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || c == '<' || c == '`')
    })
}

#[test]
fn server_json_meets_the_registry_constraints_and_states_the_crate_facts() {
    let server = read_json("server.json");
    let problems = registry_problems(&server);
    assert!(problems.is_empty(), "{problems:#?}");

    let name = server["name"].as_str().unwrap();
    assert_eq!(server["version"], env!("CARGO_PKG_VERSION"));
    let packages = server["packages"].as_array().unwrap();
    let of = |kind: &str| {
        packages
            .iter()
            .find(|p| p["registryType"] == kind)
            .unwrap_or_else(|| panic!("no {kind}"))
    };
    let launcher = read_json("packaging/npm/mcp-server/package.json");
    let npm = of("npm");
    assert_eq!(npm["identifier"], launcher["name"]);
    assert_eq!(npm["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(npm["runtimeHint"], "npx");
    let cargo = of("cargo");
    assert_eq!(cargo["identifier"], env!("CARGO_PKG_NAME"));
    assert_eq!(cargo["version"], env!("CARGO_PKG_VERSION"));
    for pkg in [npm, cargo] {
        let key = pkg["environmentVariables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == "SMARTALEX_API_KEY")
            .expect("SMARTALEX_API_KEY is declared");
        assert_eq!(key["isSecret"], true, "{key}");
        assert_eq!(pkg["transport"]["type"], "stdio");
    }
    let remote = &server["remotes"][0];
    assert_eq!(remote["type"], "streamable-http");
    assert_eq!(remote["url"], CLOUD_ENDPOINT);
    assert_eq!(remote["headers"][0]["isSecret"], true);
    // A reverse-DNS namespace is proved by its domain: the remote must live there.
    let (ns, _) = name.split_once('/').unwrap();
    let domain: String = ns.split('.').rev().collect::<Vec<_>>().join(".");
    let host = CLOUD_ENDPOINT
        .trim_start_matches("https://")
        .split('/')
        .next()
        .unwrap();
    assert!(
        host == domain || host.ends_with(&format!(".{domain}")),
        "{host} is not under {domain}"
    );

    // Ownership proofs: npm's `mcpName`, the crate README's visible line.
    assert_eq!(launcher["mcpName"], name);
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(
        readme_names(&readme, name),
        "README.md lacks a visible `mcp-name: {name}`"
    );
}

#[test]
fn each_registry_rule_rejects_what_it_should() {
    let good = read_json("server.json");
    assert!(registry_problems(&good).is_empty());
    let broken = |patch: &dyn Fn(&mut Value)| {
        let mut s = good.clone();
        patch(&mut s);
        registry_problems(&s)
    };
    type Patch<'a> = &'a dyn Fn(&mut Value);
    let cases: [(&str, Patch<'_>); 12] = [
        ("schema", &|s| {
            s["$schema"] = json!(
                "https://static.modelcontextprotocol.io/schemas/2025-07-09/server.schema.json"
            )
        }),
        ("no slash", &|s| {
            s["name"] = json!("com.getsmartalex.mcp-server")
        }),
        ("two slashes", &|s| {
            s["name"] = json!("com.getsmartalex/mcp/server")
        }),
        ("not reverse-DNS", &|s| {
            s["name"] = json!("getsmartalex/mcp-server")
        }),
        ("long description", &|s| {
            s["description"] = json!("x".repeat(101))
        }),
        ("version range", &|s| s["version"] = json!("^0.1.0")),
        ("latest", &|s| s["packages"][0]["version"] = json!("latest")),
        ("npm mirror", &|s| {
            s["packages"][0]["registryBaseUrl"] = json!("https://npm.example.com")
        }),
        ("unknown type", &|s| {
            s["packages"][1]["registryType"] = json!("crates")
        }),
        ("remote type", &|s| s["remotes"][0]["type"] = json!("stdio")),
        ("foreign _meta", &|s| {
            s["_meta"]["com.example/x"] = json!({})
        }),
        ("mcpb without hash", &|s| {
            s["packages"].as_array_mut().unwrap().push(json!({
                "registryType": "mcpb",
                "identifier": "https://github.com/o/r/releases/download/v1/smartalex-mcp.mcpb",
                "transport": {"type": "stdio"}
            }))
        }),
    ];
    for (what, patch) in cases {
        assert!(!broken(patch).is_empty(), "{what} was accepted");
    }
    assert!(readme_names("- `mcp-name: a.b/c`\n", "a.b/c"));
    assert!(
        !readme_names("<!-- mcp-name: a.b/c -->\n", "a.b/c"),
        "hidden in a comment"
    );
    assert!(
        !readme_names("mcp-name: a.b/c.\n", "a.b/c"),
        "glued to a period"
    );
}

#[test]
fn packaging_files_agree_with_cargo_toml_and_the_binary() {
    // Versions, tool and prompt lists, the registry name: sync.mjs derives
    // them and, with --check, fails naming any file that drifted.
    run_ok(
        Command::new("node")
            .arg(repo().join("packaging/sync.mjs"))
            .args(["--check", "--binary", bin()]),
    );
    let manifest = read_json("packaging/mcpb/manifest.json");
    let listed: Value =
        serde_json::from_slice(&run_ok(Command::new(bin()).args(["tools", "--json"])).stdout)
            .unwrap();
    let names = |v: &Value| -> Vec<Value> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].clone())
            .collect()
    };
    assert_eq!(names(&manifest["tools"]), names(&listed["tools"]));
    let prompts = names(&manifest["prompts"]);
    let on_disk = std::fs::read_dir(repo().join("openapi/mcp/prompts"))
        .unwrap()
        .count();
    assert_eq!(prompts.len(), on_disk, "{prompts:?}");
    let server = read_json("server.json");
    assert_eq!(
        server["_meta"][PUBLISHER_META]["tools"],
        json!(names(&listed["tools"]))
    );
}

/// `%XX` escapes back to bytes (query values in the README's links).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).expect("a %XX escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The value of `key` in the query of `link` (up to `&` or `)`).
fn query<'a>(link: &'a str, key: &str) -> Option<&'a str> {
    let start = link.find(&format!("{key}="))? + key.len() + 1;
    let rest = &link[start..];
    Some(&rest[..rest.find(['&', ')']).unwrap_or(rest.len())])
}

#[test]
fn the_readme_install_links_start_the_npm_launcher() {
    use base64::Engine;
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let launcher = read_json("packaging/npm/mcp-server/package.json")["name"].clone();
    let mut configs = Vec::new();
    for link in readme.split("](").skip(1) {
        let link = &link[..link.find(')').unwrap_or(link.len())];
        if link.starts_with("cursor://anysphere.cursor-deeplink/mcp/install?") {
            let config = base64::engine::general_purpose::STANDARD
                .decode(query(link, "config").expect("a config"))
                .unwrap();
            configs.push(serde_json::from_slice::<Value>(&config).unwrap());
        } else if link.starts_with("https://insiders.vscode.dev/redirect/mcp/install?") {
            let config = percent_decode(query(link, "config").expect("a config"));
            let config: Value = serde_json::from_str(&config).unwrap();
            if let Some(key) = config["env"]["SMARTALEX_API_KEY"].as_str() {
                // `${input:ID}` must name an input the link declares, as a password.
                let id = key.trim_start_matches("${input:").trim_end_matches('}');
                let inputs: Value =
                    serde_json::from_str(&percent_decode(query(link, "inputs").unwrap())).unwrap();
                let input = inputs
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|i| i["id"] == id)
                    .unwrap();
                assert_eq!(input["password"], true);
            }
            configs.push(config);
        }
    }
    assert_eq!(
        configs.len(),
        4,
        "two Cursor and two VS Code links: {configs:?}"
    );
    for config in configs {
        assert_eq!(config["command"], "npx", "{config}");
        assert_eq!(config["args"][0], "-y");
        assert_eq!(config["args"][1], launcher);
        let sandbox = config["args"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "--sandbox");
        assert!(
            sandbox != config["env"]["SMARTALEX_API_KEY"].is_string(),
            "a key or the sandbox: {config}"
        );
    }
}

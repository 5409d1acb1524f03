//! Issue 12, the npm half: `npx @smartalex/mcp-server` as users will run
//! it. The packages `packaging/npm/build.mjs` builds (around the binary this
//! test run built) are packed with `npm pack`, installed from the tarballs
//! alone — install scripts off, a fresh cache, `--offline` and a registry
//! address nothing listens on — and then driven by the official Python MCP
//! client through `npx`, and by hand for signals and exit codes.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::stdio::StdioServer;
use crate::common::{bin, clients};

/// Nothing listens here: any registry request fails at once.
const NO_REGISTRY: &str = "http://127.0.0.1:9";
const LAUNCHER: &str = "@smartalex/mcp-server";

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Run `cmd`; panic with its output unless it succeeds.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A fresh directory under cargo's tmp dir for this test's files.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("distribution")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The binary this test run built, without its debug info (225 → ~50 MB):
/// the same code, but quick to pack, zip and install. Made once.
pub fn packaged_binary() -> &'static str {
    static ONCE: OnceLock<String> = OnceLock::new();
    ONCE.get_or_init(|| {
        let path = scratch("binary").join("smartalex-mcp");
        run_ok(
            Command::new("strip")
                .args(["--strip-debug", "-o"])
                .arg(&path)
                .arg(bin()),
        );
        path.to_str().unwrap().to_owned()
    })
}

/// The npm environment of every command here: no registry, no shared cache.
fn npm_env<'a>(cmd: &'a mut Command, root: &Path) -> &'a mut Command {
    cmd.env("npm_config_registry", NO_REGISTRY)
        .env("npm_config_cache", root.join("npm-cache"))
        .env("npm_config_offline", "true")
        .env("npm_config_update_notifier", "false")
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
}

struct Installed {
    root: PathBuf,
    /// The `npm install` prefix (a project directory).
    prefix: PathBuf,
}

impl Installed {
    /// The launcher as npm linked it: `node_modules/.bin/smartalex-mcp`.
    fn launcher(&self) -> PathBuf {
        self.prefix.join("node_modules/.bin/smartalex-mcp")
    }
}

/// Build, pack and install the launcher and this platform's package once.
fn installed() -> &'static Installed {
    static ONCE: OnceLock<Installed> = OnceLock::new();
    ONCE.get_or_init(|| {
        let root = scratch("npm");
        let out = run_ok(
            Command::new("node")
                .arg(repo().join("packaging/npm/build.mjs"))
                .args(["--binary", packaged_binary(), "--pack", "--out"])
                .arg(root.join("packages")),
        );
        let tarballs: Vec<PathBuf> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(PathBuf::from)
            .collect();
        assert_eq!(tarballs.len(), 2, "{tarballs:?}");
        assert!(tarballs.iter().all(|t| t.is_file()), "{tarballs:?}");

        let prefix = root.join("project");
        std::fs::create_dir_all(&prefix).unwrap();
        run_ok(
            npm_env(&mut Command::new("npm"), &root)
                .args([
                    "install",
                    "--ignore-scripts",
                    "--loglevel=error",
                    "--prefix",
                ])
                .arg(&prefix)
                .args(&tarballs),
        );
        Installed { root, prefix }
    })
}

#[test]
fn npx_serves_the_packed_launcher_offline_to_the_python_sdk() {
    let npm = installed();
    let modules = npm.prefix.join("node_modules/@smartalex");
    // npm chose this platform's package by `os`/`cpu` and skipped the other
    // four, which no registry could provide.
    assert!(
        modules
            .join("mcp-server-linux-x64/bin/smartalex-mcp")
            .is_file()
    );
    let mut present: Vec<String> = std::fs::read_dir(&modules)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    assert_eq!(present, ["mcp-server", "mcp-server-linux-x64"]);

    let cache = npm.root.join("npm-cache");
    let prefix = npm.prefix.to_str().unwrap();
    let plan = r#"[{"tool": "smartalex_list_contacts", "args": {"per_page": 1}}]"#;
    let report = clients::python_report(
        "stdio_session.py",
        [
            plan,
            "--",
            // A client starts `npx` in some directory; here, the project
            // the tarballs were installed into.
            "sh",
            "-c",
            "cd \"$0\" && exec npx \"$@\"",
            prefix,
            "-y",
            LAUNCHER,
            "--sandbox",
            "--db",
            ":memory:",
        ],
        &[
            ("npm_config_registry", NO_REGISTRY),
            ("npm_config_cache", cache.to_str().unwrap()),
            ("npm_config_offline", "true"),
            ("npm_config_update_notifier", "false"),
        ],
    );
    assert_eq!(report["server"], "smartalex-mcp");
    let listed: Value =
        serde_json::from_slice(&run_ok(Command::new(bin()).args(["tools", "--json"])).stdout)
            .unwrap();
    let names: Vec<&Value> = listed["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["name"])
        .collect();
    let served: Vec<&Value> = report["tools"].as_array().unwrap().iter().collect();
    assert_eq!(served, names);
    assert_eq!(served.len(), 28, "the product documents 28 tools");
    let call = &report["results"][0];
    assert_eq!(call["isError"], false, "{call}");
}

/// Run the installed launcher with `args`.
fn launch(args: &[&str]) -> Output {
    Command::new(installed().launcher())
        .args(args)
        .env("HOME", &installed().root)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn the_launcher_returns_the_binary_exit_code_and_keeps_stdout_clean() {
    let bad_flag = launch(&["--no-such-flag"]);
    assert_eq!(bad_flag.status.code(), Some(2), "{bad_flag:?}");
    assert!(bad_flag.stdout.is_empty(), "{bad_flag:?}");
    assert!(String::from_utf8_lossy(&bad_flag.stderr).contains("--no-such-flag"));

    let failed_call = launch(&[
        "--sandbox",
        "--db",
        ":memory:",
        "call",
        "smartalex_create_contact",
        "{}",
    ]);
    assert_eq!(failed_call.status.code(), Some(1), "{failed_call:?}");

    let version = launch(&["--version"]);
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("smartalex-mcp {}", env!("CARGO_PKG_VERSION"))
    );
}

fn kill(signal: &str, pid: u32) {
    run_ok(Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signal_to_the_launcher_reaches_the_binary() {
    let launcher = installed().launcher();
    let home = installed().root.to_str().unwrap().to_owned();

    // The stdio server has no SIGTERM handler, so SIGTERM kills it; the
    // launcher, which traps SIGTERM to pass it on, then dies of the same
    // signal — it could not have unless the binary got it first.
    let mut server = StdioServer::spawn_program(
        launcher.as_os_str(),
        &["--sandbox", "--db", ":memory:"],
        &[("HOME", &home)],
    );
    let init = server.initialize().await;
    assert_eq!(
        init["result"]["serverInfo"]["name"], "smartalex-mcp",
        "{init}"
    );
    let pid = server.pid();
    let binary = child_pids(pid);
    assert_eq!(
        binary.len(),
        1,
        "the launcher runs exactly one binary: {binary:?}"
    );
    kill("TERM", pid);
    let status = server.exit_status().await;
    assert_eq!(status.signal(), Some(15), "{status:?}");
    assert!(
        !Path::new(&format!("/proc/{}", binary[0])).exists(),
        "the binary outlived its launcher"
    );

    // `http` stops gracefully on SIGINT: its goodbye line and exit code 0
    // come back through the launcher.
    let mut http = std::process::Command::new(&launcher)
        .args(["http", "--listen", "127.0.0.1:0"])
        .env("HOME", &home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = http.stderr.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut lines = std::io::BufReader::new(stderr).lines();
        // Warnings may come first; the address line is the one to wait for.
        let first = lines
            .by_ref()
            .map(Result::unwrap)
            .find(|l| l.contains("serving MCP at"))
            .expect("http printed its address");
        (first, lines)
    })
    .await
    .unwrap();
    let (first, rest) = lines;
    assert!(
        first.contains("serving MCP at http://127.0.0.1:"),
        "{first}"
    );
    // It has printed its address; one answered request shows it is past
    // installing its signal handlers too (before that, SIGINT kills it,
    // which the launcher would faithfully report as a death by SIGINT).
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut conn = std::net::TcpStream::connect(addr).unwrap();
        conn.write_all(b"GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
    kill("INT", http.id());
    let status = http.wait().unwrap();
    let rest: Vec<String> = rest.map(Result::unwrap).collect();
    assert_eq!(status.code(), Some(0), "{status:?} {rest:?}");
    assert!(
        rest.iter().any(|l| l == "smartalex-mcp: stopped"),
        "{rest:?}"
    );
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut http.stdout.take().unwrap(), &mut stdout).unwrap();
    assert_eq!(stdout, "", "nothing on stdout");
}

/// The children of `pid`, from /proc.
fn child_pids(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let children =
            std::fs::read_to_string(task.unwrap().path().join("children")).unwrap_or_default();
        found.extend(
            children
                .split_whitespace()
                .map(|p| p.parse::<u32>().unwrap()),
        );
    }
    found
}

#[test]
fn the_launcher_says_on_stderr_when_no_package_fits() {
    let root = scratch("npm-missing");
    let copy = root.join("mcp-server");
    run_ok(
        Command::new("cp")
            .arg("-r")
            .arg(
                installed()
                    .prefix
                    .join("node_modules/@smartalex/mcp-server"),
            )
            .arg(&copy),
    );
    let script = copy.join("bin/smartalex-mcp.js");

    // The platform is supported, but its package was not installed.
    let missing = Command::new("node")
        .arg(&script)
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(missing.stdout.is_empty());
    let said = String::from_utf8_lossy(&missing.stderr);
    assert!(
        said.contains("@smartalex/mcp-server-linux-x64 is not installed")
            && said.contains("npm install @smartalex/mcp-server-linux-x64@"),
        "{said}"
    );

    // A platform the package does not ship for.
    let manifest_path = copy.join("package.json");
    let mut manifest: Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    manifest["optionalDependencies"]
        .as_object_mut()
        .unwrap()
        .remove("@smartalex/mcp-server-linux-x64");
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    let unsupported = Command::new("node").arg(&script).output().unwrap();
    assert_eq!(unsupported.status.code(), Some(1));
    assert!(unsupported.stdout.is_empty());
    let said = String::from_utf8_lossy(&unsupported.stderr);
    assert!(
        said.contains("no prebuilt binary for this platform (linux-x64)")
            && said.contains("cargo install smartalex-mcp"),
        "{said}"
    );
}

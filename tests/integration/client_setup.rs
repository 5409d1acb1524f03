//! The README's setup lines for Gemini CLI, Codex and Claude Code, run
//! with those clients as npm ships them: every `gemini mcp add`,
//! `codex mcp add` and `claude mcp add` line of the README, pointed at this
//! build (for `npx -y @smartalex/mcp-server`) and at a local
//! `http --sandbox` (for the cloud URL and key); Claude Code's
//! `claude mcp login` through the sandbox's consent page; then each
//! client's own `mcp list`, which starts or asks every server it has.

use std::path::Path;
use std::process::Command;

use crate::common::bin;
use crate::common::clients::{agent_clis, python_report};
use crate::common::http::McpHttp;

/// The README's lines that start with `prefix`, in shell blocks.
fn readme_lines(prefix: &str) -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut in_sh = false;
    let mut lines = Vec::new();
    // Join `\`-continued lines.
    let joined = readme.replace("\\\n", " ");
    for line in joined.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if in_sh && line.starts_with(prefix) {
            // One command per line: `a && b` runs only `a` (b needs a terminal).
            lines.push(line.split(" && ").next().unwrap().to_owned());
        }
    }
    assert!(!lines.is_empty(), "no `{prefix}` line in the README");
    lines
}

/// Split a shell line into words (double quotes only, as the README uses).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    out.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(word);
    }
    out
}

fn run(
    program: &Path,
    args: &[String],
    home: &Path,
    project: &Path,
    path: &str,
    key: &str,
) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(project)
        .env_clear()
        .env("HOME", home)
        .env("PATH", path)
        .env("SMARTALEX_API_KEY", key)
        .env("CODEX_HOME", home.join(".codex"))
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{} {args:?}:\n{text}",
        program.display()
    );
    text
}

#[tokio::test]
async fn readme_setup_lines_work_in_gemini_codex_and_claude_code() {
    let (node_bin, clis) = tokio::task::spawn_blocking(agent_clis).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cloud.db");
    let server = McpHttp::start(
        &[
            "--sandbox",
            "--db",
            db.to_str().unwrap(),
            "--rate-limit",
            "0",
        ],
        &[],
    )
    .await;
    let key = Command::new(bin())
        .args(["sandbox", "key", "--db", db.to_str().unwrap()])
        .output()
        .unwrap();
    let key = String::from_utf8(key.stdout).unwrap().trim().to_owned();
    let home = dir.path().join("home");
    let project = dir.path().join("project");
    std::fs::create_dir_all(home.join(".gemini")).unwrap();
    std::fs::create_dir_all(home.join(".codex")).unwrap();
    std::fs::create_dir_all(&project).unwrap();
    // What trusting the folder in Gemini CLI's prompt writes.
    std::fs::write(
        home.join(".gemini/trustedFolders.json"),
        serde_json::json!({ project.to_str().unwrap(): "TRUST_FOLDER" }).to_string(),
    )
    .unwrap();
    let path = format!("{}:/usr/bin:/bin", node_bin.display());
    let binary = bin();

    let mut names = Vec::new();
    for client in ["gemini", "codex", "claude"] {
        for line in readme_lines(&format!("{client} mcp add ")) {
            let line = line
                .replace("npx -- -y @smartalex/mcp-server", &format!("{binary} --"))
                .replace("npx -y @smartalex/mcp-server", binary)
                .replace("http://127.0.0.1:8080/mcp", &server.url)
                .replace("sa_test_...", &key);
            let words = words(&line);
            let name = words
                .iter()
                .skip(3)
                .find(|w| w.starts_with("smartalex"))
                .unwrap()
                .clone();
            names.push((client, name));
            run(
                &clis.join(client),
                &words[1..],
                &home,
                &project,
                &path,
                &key,
            );
        }
    }

    // `claude mcp login`: sign in through the consent page, as the operator.
    let login = readme_lines("claude mcp add --transport http smartalex-oauth ");
    assert!(login.len() == 1);
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(readme.contains("&& claude mcp login smartalex-oauth"));
    let log = server.stderr();
    let consent = log
        .split_whitespace()
        .find(|w| w.contains("/oauth/consent?key="))
        .unwrap_or_else(|| panic!("no consent link printed:\n{log}"))
        .to_owned();
    let claude = clis.join("claude");
    let args = [
        claude.to_str().unwrap().to_owned(),
        "smartalex-oauth".to_owned(),
        consent,
        "default".to_owned(),
        project.to_str().unwrap().to_owned(),
    ];
    let env = [
        ("HOME", home.to_str().unwrap().to_owned()),
        ("PATH", path.clone()),
    ];
    let signed_in = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        python_report("claude_login.py", &args, &env)
    })
    .await
    .unwrap();
    assert_eq!(signed_in["status"], 0, "{signed_in}");
    assert_eq!(
        signed_in["authorize"]["code_challenge_method"], "S256",
        "{signed_in}"
    );
    assert_eq!(
        signed_in["authorize"]["resource"],
        server.url.as_str(),
        "{signed_in}"
    );

    let list = |client: &str| {
        run(
            &clis.join(client),
            &["mcp".into(), "list".into()],
            &home,
            &project,
            &path,
            &key,
        )
    };
    let gemini = list("gemini");
    for (_, name) in names.iter().filter(|(c, _)| *c == "gemini") {
        assert!(
            gemini
                .lines()
                .any(|l| l.contains(&format!(" {name}: ")) && l.ends_with("Connected")),
            "gemini: {name} not connected:\n{gemini}"
        );
    }
    let codex = list("codex");
    for (_, name) in names.iter().filter(|(c, _)| *c == "codex") {
        assert!(
            codex.lines().any(|l| l.starts_with(name.as_str())),
            "codex: {name}:\n{codex}"
        );
    }
    assert!(
        codex
            .lines()
            .any(|l| l.starts_with("smartalex-cloud") && l.contains("SMARTALEX_API_KEY")),
        "{codex}"
    );
    let claude = list("claude");
    for (_, name) in names.iter().filter(|(c, _)| *c == "claude") {
        // smartalex-oauth too: signed in above.
        let want = "Connected";
        assert!(
            claude
                .lines()
                .any(|l| l.starts_with(&format!("{name}: ")) && l.contains(want)),
            "claude: {name} not `{want}`:\n{claude}"
        );
    }
}

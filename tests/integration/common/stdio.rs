//! Drive the real binary over stdio with raw JSON-RPC lines, the way an MCP
//! client does, and read back exactly what it wrote to stdout and stderr.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::bin;

/// A `smartalex-mcp` child process speaking JSON-RPC on its stdio.
pub struct StdioServer {
    child: Child,
    stderr: tokio::task::JoinHandle<String>,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    next_id: u64,
}

impl StdioServer {
    /// Spawn with `args` and exactly the environment `env` (plus PATH/HOME).
    pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::spawn_program(bin().as_ref(), args, env)
    }

    /// [`Self::spawn`] for another program that serves MCP on its stdio: a
    /// launcher, or the binary as a package installed it.
    pub fn spawn_program(program: &std::ffi::OsStr, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", std::env::var("HOME").unwrap_or_default())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", program.to_string_lossy()));
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        // Drain stderr as it comes, so a chatty server never blocks on a full pipe.
        let mut err = child.stderr.take().unwrap();
        let stderr = tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let mut buf = Vec::new();
            let _ = err.read_to_end(&mut buf).await;
            String::from_utf8_lossy(&buf).into_owned()
        });
        Self {
            child,
            stderr,
            stdin,
            stdout,
            next_id: 1,
        }
    }

    /// Spawn and complete the 2025-11-25 `initialize` handshake.
    pub async fn initialized(args: &[&str], env: &[(&str, &str)]) -> (Self, Value) {
        let mut s = Self::spawn(args, env);
        let init = s.initialize().await;
        (s, init)
    }

    /// The 2025-11-25 `initialize` handshake; returns the whole response.
    pub async fn initialize(&mut self) -> Value {
        let init = self
            .request(
                "initialize",
                json!({"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "it", "version": "0"}}),
            )
            .await;
        self.notify("notifications/initialized", json!({})).await;
        init
    }

    /// This end of the pipe the server writes its stdout to.
    #[cfg(target_os = "linux")]
    pub fn stdout_pipe(&mut self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.stdout.get_mut().get_ref().as_fd()
    }

    pub async fn send_line(&mut self, line: &str) {
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        self.stdin.write_all(b"\n").await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        let msg = json!({"jsonrpc": "2.0", "method": method, "params": params});
        self.send_line(&msg.to_string()).await;
    }

    /// Send a request and return the whole response message.
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send_line(&msg.to_string()).await;
        self.response_to(json!(id)).await
    }

    /// Send a request; return the messages written before its response
    /// (notifications, requests) and the response.
    pub async fn request_seeing(&mut self, method: &str, params: Value) -> (Vec<Value>, Value) {
        let id = json!(self.next_id);
        self.next_id += 1;
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send_line(&msg.to_string()).await;
        let mut before = Vec::new();
        loop {
            let msg = self.next_message().await;
            if msg.get("id") == Some(&id) && msg.get("method").is_none() {
                return (before, msg);
            }
            before.push(msg);
        }
    }

    /// The next stdout line, which must be a JSON-RPC message (stdout is the
    /// protocol channel).
    async fn next_message(&mut self) -> Value {
        let line = self
            .read_line(Duration::from_secs(20))
            .await
            .expect("server closed stdout");
        let msg: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
        assert_eq!(msg["jsonrpc"], "2.0", "not JSON-RPC: {line}");
        msg
    }

    /// Read stdout lines until the response with `id`; every line must be
    /// JSON-RPC (stdout is the protocol channel).
    pub async fn response_to(&mut self, id: Value) -> Value {
        loop {
            let msg = self.next_message().await;
            if msg.get("id") == Some(&id) {
                return msg;
            }
        }
    }

    /// The next stdout line, however long it takes (`None` at the end).
    pub async fn next_line(&mut self) -> Option<String> {
        self.stdout.next_line().await.unwrap()
    }

    pub async fn read_line(&mut self, timeout: Duration) -> Option<String> {
        tokio::time::timeout(timeout, self.stdout.next_line())
            .await
            .expect("timed out waiting for the server")
            .unwrap()
    }

    /// `tools/call` and return its `result`.
    pub async fn call(&mut self, name: &str, args: Value) -> Value {
        let resp = self
            .request("tools/call", json!({"name": name, "arguments": args}))
            .await;
        resp.get("result")
            .cloned()
            .unwrap_or_else(|| panic!("no result: {resp}"))
    }

    /// The child's process id, to send it a signal.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the server is still running")
    }

    /// Wait (up to 20 s) for the process to end, without closing stdin.
    pub async fn exit_status(&mut self) -> std::process::ExitStatus {
        tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .expect("the server did not exit")
            .unwrap()
    }

    /// Close stdin, wait for exit, and return (all remaining stdout, stderr).
    pub async fn finish(mut self) -> (String, String) {
        drop(self.stdin);
        let mut rest = String::new();
        while let Ok(Some(line)) = self.stdout.next_line().await {
            rest.push_str(&line);
            rest.push('\n');
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        let stderr = tokio::time::timeout(Duration::from_secs(10), self.stderr)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        (rest, stderr)
    }
}

/// A process's resident memory (`VmRSS`) and its peak (`VmHWM`), in KiB.
pub fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The text of a tool result's first content block.
pub fn text(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap_or_default()
}

//! `smartalex-mcp http` as a child process, and raw Streamable HTTP requests
//! to it.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `smartalex-mcp http`.
pub struct McpHttp {
    /// The MCP endpoint, e.g. `http://127.0.0.1:41234/mcp`.
    pub url: String,
    /// The gateway it calls.
    pub gateway: String,
    child: Child,
    stderr: Arc<Mutex<String>>,
}

/// The line `http` prints once it is listening.
const READY: &str = "serving MCP at ";

impl McpHttp {
    /// `smartalex-mcp http --listen 127.0.0.1:0 ARGS…` with `env`.
    pub async fn start(args: &[&str], env: &[(&str, &str)]) -> McpHttp {
        let mut cmd = Command::new(super::bin());
        cmd.args(["http", "--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("SMARTALEX_API_KEY")
            .env_remove("SMARTALEX_REDIS_URL")
            .env("SMARTALEX_LOG", "smartalex_mcp=info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn smartalex-mcp http");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let stderr = Arc::new(Mutex::new(String::new()));
        let ready = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                stderr.lock().unwrap().push_str(&format!("{line}\n"));
                if let Some(rest) = line.split(READY).nth(1) {
                    return Some(rest.to_owned());
                }
            }
            None
        })
        .await
        .expect("http server did not start in 30 s");
        let Some(rest) = ready else {
            let status = child.wait().await.ok();
            panic!(
                "http server exited ({status:?}):\n{}",
                stderr.lock().unwrap()
            );
        };
        // "<url> (gateway <gateway>)"
        let (url, gateway) = rest.split_once(" (gateway ").expect("ready line");
        let gateway = gateway.trim_end_matches(')').to_owned();
        let sink = Arc::clone(&stderr);
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        McpHttp {
            url: url.to_owned(),
            gateway,
            child,
            stderr,
        }
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Its access log is on, and `secret` appears nowhere in its log.
    pub fn assert_log_omits(&self, secret: &str) {
        let log = self.stderr();
        assert!(log.contains("mcp request"), "the access log is on: {log}");
        assert!(!log.contains(secret), "{secret} was logged:\n{log}");
    }

    /// `http://127.0.0.1:PORT` of the endpoint.
    pub fn origin(&self) -> String {
        let rest = self.url.trim_start_matches("http://");
        format!("http://{}", rest.split('/').next().unwrap())
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// SIGTERM, then wait (at most `within`) for the exit status.
    pub async fn terminate(&mut self, within: Duration) -> std::process::ExitStatus {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        tokio::time::timeout(within, self.child.wait())
            .await
            .expect("server did not stop in time")
            .expect("wait")
    }
}

/// A plain client (no proxy, no redirects).
pub fn client() -> reqwest::Client {
    smartalex::http_client()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The headers a well-behaved Streamable HTTP client sends.
pub fn mcp_post(
    http: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
) -> reqwest::RequestBuilder {
    let mut req = http
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    if let Some(b) = bearer {
        req = req.bearer_auth(b);
    }
    req
}

/// Open a 2025-11-25 session as `bearer`: `initialize`, then
/// `notifications/initialized`; the session's id.
pub async fn open_session(http: &reqwest::Client, url: &str, bearer: &str) -> String {
    open_session_as(http, url, bearer, "2025-11-25").await
}

/// Open a session of protocol revision `version` (initialize, then
/// initialized) and return its id.
pub async fn open_session_as(
    http: &reqwest::Client,
    url: &str,
    bearer: &str,
    version: &str,
) -> String {
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": version, "capabilities": {},
        "clientInfo": {"name": "it", "version": "0"}}});
    let r = mcp_post(http, url, Some(bearer))
        .json(&init)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let session = r.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let r = in_session_as(http, url, bearer, &session, version)
        .json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    session
}

/// Whether `response` is an event stream.
pub fn is_event_stream(response: &reqwest::Response) -> bool {
    response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream")
}

/// A GET (the stream) or a DELETE naming 2025-11-25 session `session`.
pub fn session_request(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    bearer: &str,
    session: &str,
) -> reqwest::RequestBuilder {
    http.request(method, url)
        .bearer_auth(bearer)
        .header("accept", "text/event-stream")
        .header("mcp-session-id", session)
        .header("mcp-protocol-version", "2025-11-25")
}

/// A POST within 2025-11-25 session `session`.
pub fn in_session(
    http: &reqwest::Client,
    url: &str,
    bearer: &str,
    session: &str,
) -> reqwest::RequestBuilder {
    in_session_as(http, url, bearer, session, "2025-11-25")
}

/// A POST within session `session`, of protocol revision `version`.
pub fn in_session_as(
    http: &reqwest::Client,
    url: &str,
    bearer: &str,
    session: &str,
    version: &str,
) -> reqwest::RequestBuilder {
    mcp_post(http, url, Some(bearer))
        .header("mcp-session-id", session)
        .header("mcp-protocol-version", version)
}

/// A 2026-07-28 (stateless) request: the protocol version in a header and in
/// `_meta`, with the client's capabilities (none, unless `params` already
/// carries `_meta` with some).
pub fn stateless(id: u64, method: &str, mut params: Value) -> Value {
    let capabilities = params
        .pointer("/_meta/io.modelcontextprotocol~1clientCapabilities")
        .cloned()
        .unwrap_or_else(|| json!({}));
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": capabilities,
        "io.modelcontextprotocol/clientInfo": {"name": "it", "version": "0"},
    });
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

/// Send a stateless request and return (status, headers, JSON body).
pub async fn call_stateless(
    http: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
    id: u64,
    method: &str,
    params: Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    // SEP-2243: the method (and the name it acts on) also ride in headers.
    let name = params
        .get("name")
        .or_else(|| params.get("uri"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut req = mcp_post(http, url, bearer)
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", method);
    if let Some(name) = name {
        req = req.header("mcp-name", name);
    }
    let resp = req
        .json(&stateless(id, method, params))
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| json_from_sse(&text));
    (status, headers, body)
}

/// The last JSON-RPC message of an SSE body (or `Value::String` of the text).
pub fn json_from_sse(text: &str) -> Value {
    text.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .next_back()
        .unwrap_or_else(|| Value::String(text.to_owned()))
}

//! What the sandbox tests share: an in-process sandbox on a loopback port,
//! and an HTTP helper that checks every response it sees against
//! `openapi/gateway.yaml` — the operation's declared status codes, the
//! response schema for that status (formats included), and the rate-limit
//! headers. A test that gets a response the spec does not allow fails there,
//! so the whole suite doubles as a conformance check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use smartalex_sandbox::{self as sandbox, Db, KeySpec, KeyUser, RunningSandbox, SandboxOptions};

/// One operation of the spec.
#[derive(Debug, Clone)]
pub struct Operation {
    pub id: String,
    pub method: String,
    pub path: String,
    /// status → response schema (`None` when the response has no JSON body).
    responses: HashMap<u16, Option<Value>>,
    has_body: bool,
    /// The request body schema, `$ref` resolved.
    pub request_schema: Option<Value>,
}

impl Operation {
    /// The path with every `{param}` replaced by `value`.
    pub fn path_with(&self, value: &str) -> String {
        self.path
            .split('/')
            .map(|s| if s.starts_with('{') { value } else { s })
            .collect::<Vec<_>>()
            .join("/")
    }
    pub fn has_body(&self) -> bool {
        self.has_body
    }
}

pub struct Spec {
    pub operations: Vec<Operation>,
    components: Value,
    error_schema: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

/// The parsed spec, once per test binary.
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/gateway.yaml"))
                .expect("read spec");
        let doc: Value = serde_norway::from_str(&text).expect("parse spec");
        let components = doc["components"].clone();
        let mut operations = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("path item") {
                let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                let mut responses = HashMap::new();
                for (status, response) in op["responses"].as_object().expect("responses") {
                    let response = resolve(&doc, response);
                    let schema = response
                        .pointer("/content/application~1json/schema")
                        .cloned();
                    responses.insert(status.parse().expect("numeric status"), schema);
                }
                let request_schema = op
                    .pointer("/requestBody/content/application~1json/schema")
                    .map(|s| resolve(&doc, s).clone());
                operations.push(Operation {
                    id: id.to_owned(),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    responses,
                    has_body: op.get("requestBody").is_some(),
                    request_schema,
                });
            }
        }
        Spec {
            operations,
            components,
            error_schema: json!({"$ref": "#/components/schemas/Error"}),
            validators: Mutex::new(HashMap::new()),
        }
    })
}

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .expect("resolvable $ref"),
        None => v,
    }
}

impl Spec {
    /// The operation serving `method path`; literal segments beat parameters.
    pub fn find(&self, method: &str, path: &str) -> Option<&Operation> {
        let segments: Vec<&str> = path.split('?').next().unwrap_or("").split('/').collect();
        self.operations
            .iter()
            .filter(|op| op.method == method)
            .filter_map(|op| {
                let tpl: Vec<&str> = op.path.split('/').collect();
                if tpl.len() != segments.len() {
                    return None;
                }
                let mut literal = 0;
                for (t, s) in tpl.iter().zip(&segments) {
                    if t.starts_with('{') {
                        continue;
                    }
                    if t != s {
                        return None;
                    }
                    literal += 1;
                }
                Some((literal, op))
            })
            .max_by_key(|(n, _)| *n)
            .map(|(_, op)| op)
    }

    fn validator(&self, schema: &Value) -> Arc<jsonschema::Validator> {
        let key = schema.to_string();
        let mut cache = self.validators.lock().expect("validator cache");
        cache
            .entry(key)
            .or_insert_with(|| {
                let mut root = schema.clone();
                root["components"] = self.components.clone();
                Arc::new(
                    jsonschema::draft202012::options()
                        .should_validate_formats(true)
                        .build(&root)
                        .unwrap_or_else(|e| panic!("bad schema {schema}: {e}")),
                )
            })
            .clone()
    }

    /// Does this response contradict the spec?
    pub fn check(
        &self,
        method: &str,
        path: &str,
        status: u16,
        headers: &HeaderMap,
        body: &Value,
    ) -> Result<(), String> {
        for h in [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
        ] {
            let value = headers
                .get(h)
                .ok_or_else(|| format!("{method} {path} → {status}: missing {h}"))?;
            value
                .to_str()
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| {
                    format!("{method} {path} → {status}: {h} is not a non-negative integer")
                })?;
        }
        if status == 429 && headers.get("retry-after").is_none() {
            return Err(format!("{method} {path} → 429 without Retry-After"));
        }
        let schema = match self.find(method, path) {
            // No such operation: the only right answer is an error body.
            None if matches!(status, 401 | 404 | 405 | 429) => self.error_schema.clone(),
            None => {
                return Err(format!(
                    "{method} {path} is not in the spec but answered {status}"
                ));
            }
            Some(op) => match op.responses.get(&status) {
                Some(Some(schema)) => schema.clone(),
                Some(None) => return Ok(()),
                None => {
                    return Err(format!(
                        "{} ({method} {path}) answered {status}, which the spec does not declare: {body}",
                        op.id
                    ));
                }
            },
        };
        let validator = self.validator(&schema);
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{method} {path} → {status}: body contradicts the spec: {errors:?}\n{body:#}"
            ))
        }
    }
}

/// A response, already checked against the spec.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    /// The `error` field of an error body.
    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// `body[field]` as a string.
    pub fn str(&self, field: &str) -> &str {
        self.body[field].as_str().unwrap_or("")
    }
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }
}

/// An in-process sandbox on loopback with a key for its default workspace.
pub struct Sandbox {
    pub running: RunningSandbox,
    pub base: String,
    pub key: String,
    pub http: reqwest::Client,
}

/// A sandbox on a fresh `:memory:` database, generous rate limit, private URLs allowed.
pub async fn start() -> Sandbox {
    start_with(SandboxOptions {
        rate_limit_per_min: 100_000,
        allow_private_urls: true,
        ..SandboxOptions::new(Db::Memory)
    })
    .await
}

pub async fn start_with(options: SandboxOptions) -> Sandbox {
    let running = sandbox::start("127.0.0.1:0".parse().expect("addr"), options)
        .await
        .expect("sandbox starts");
    Sandbox {
        base: running.url(),
        key: running.api_key.clone(),
        running,
        http: smartalex::http_client().no_proxy().build().expect("client"),
    }
}

impl Sandbox {
    /// A read+write owner key for a new workspace.
    pub async fn workspace_key(&self, name: &str) -> String {
        self.running
            .create_key(KeySpec::owner(name))
            .await
            .expect("mint key")
    }

    pub async fn key_with(&self, workspace: &str, read_only: bool, user: KeyUser) -> String {
        let spec = KeySpec {
            workspace: workspace.into(),
            read_only,
            user,
            label: None,
        };
        self.running.create_key(spec).await.expect("mint key")
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(Some(&self.key), "GET", path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(
            Some(&self.key),
            "POST",
            path,
            Some(body.to_string().into_bytes()),
        )
        .await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send(
            Some(&self.key),
            "PATCH",
            path,
            Some(body.to_string().into_bytes()),
        )
        .await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Some(&self.key), "DELETE", path, None).await
    }

    /// Any request, with any key (or none) and raw body bytes; the response is checked against the spec.
    pub async fn send(
        &self,
        key: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Resp {
        let method_v = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method_v, format!("{}{path}", self.base));
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body);
        }
        let response = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "{method} {path} → {status}: not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        });
        if let Err(problem) = spec().check(method, path, status, &headers, &body) {
            panic!("{problem}");
        }
        Resp {
            status,
            headers,
            body,
        }
    }
}

/// Poll `f` every 50 ms until it returns `Some`, for at most `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {secs}s waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A request a loopback receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: axum::http::HeaderMap,
    pub body: String,
    pub at: std::time::Instant,
}

/// A loopback HTTP server that records POSTs; it answers 500 to the first
/// `fail_first` of them and waits `delay_ms` before answering.
pub struct Receiver {
    pub url: String,
    seen: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub fn seen(&self) -> Vec<Received> {
        self.seen.lock().expect("seen").clone()
    }
}

pub async fn receiver(fail_first: usize, delay_ms: u64) -> Receiver {
    let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
    let record = seen.clone();
    let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap, body: String| {
        let record = record.clone();
        async move {
            let n = {
                let mut seen = record.lock().expect("seen");
                seen.push(Received {
                    headers,
                    body,
                    at: std::time::Instant::now(),
                });
                seen.len()
            };
            tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
            if n <= fail_first {
                axum::http::StatusCode::INTERNAL_SERVER_ERROR
            } else {
                axum::http::StatusCode::OK
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind receiver");
    let url = format!("http://{}/hooks", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver { url, seen }
}

/// A loopback website: `/` serves `html`, `/old` redirects to `/`, anything else is 404.
pub async fn website(html: &'static str) -> String {
    use axum::response::{Html, Redirect};
    let app = axum::Router::new()
        .route("/", axum::routing::get(move || async move { Html(html) }))
        .route(
            "/old",
            axum::routing::get(|| async { Redirect::permanent("/") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind website");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

/// Create a contact in the sandbox's default workspace; returns its id.
pub async fn contact(sb: &Sandbox, first: &str, phone: Option<&str>, tags: &[&str]) -> String {
    let mut body = json!({"first_name": first, "last_name": "Test", "email": format!("{}@example.com", first.to_lowercase()), "tags": tags});
    if let Some(p) = phone {
        body["phone"] = json!(p);
    }
    sb.post("/contacts", body)
        .await
        .expect(201)
        .str("id")
        .to_owned()
}

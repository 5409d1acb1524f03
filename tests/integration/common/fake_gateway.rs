//! A scripted gateway on a loopback port: answers every request with what the
//! test says (any status, headers and body — including HTML pages and
//! silence), and records what it received.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

/// What the fake answers.
#[derive(Debug, Clone)]
pub enum Script {
    /// A response with this status, content type and body, plus headers.
    Reply {
        status: u16,
        content_type: &'static str,
        body: String,
        headers: Vec<(&'static str, String)>,
    },
    /// Accept the request and never answer.
    Hang,
    /// Wait, then answer as the inner script.
    Slow(Duration, Box<Script>),
}

impl Script {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Script::Reply {
            status,
            content_type: "application/json",
            body: body.to_string(),
            headers: Vec::new(),
        }
    }

    pub fn html(status: u16, body: &str) -> Self {
        Script::Reply {
            status,
            content_type: "text/html",
            body: body.to_owned(),
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        if let Script::Reply { headers, .. } = &mut self {
            headers.push((name, value.to_owned()));
        }
        self
    }
}

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub uri: String,
    pub authorization: Option<String>,
    pub body: String,
}

/// A running fake gateway.
#[derive(Debug, Clone)]
pub struct FakeGateway {
    pub addr: SocketAddr,
    script: Arc<Mutex<Script>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeGateway {
    pub async fn start(script: Script) -> Self {
        let script = Arc::new(Mutex::new(script));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s, r) = (Arc::clone(&script), Arc::clone(&seen));
        let app = Router::new().fallback(move |req: Request| {
            let (script, seen) = (Arc::clone(&s), Arc::clone(&r));
            async move { answer(req, script, seen).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Self { addr, script, seen }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set(&self, script: Script) {
        *self.script.lock().unwrap() = script;
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn answer(req: Request, script: Arc<Mutex<Script>>, seen: Arc<Mutex<Vec<Seen>>>) -> Response {
    if req.uri().path() == "/oauth/introspect" {
        seen.lock().unwrap().push(Seen {
            method: req.method().to_string(),
            uri: req.uri().to_string(),
            authorization: None,
            body: String::new(),
        });
        // Cloud mode asks who a key belongs to: every key is workspace "fake".
        let body =
            r#"{"active":true,"token_type":"api_key","workspace_id":"fake","scope":"read write"}"#;
        let mut resp = Response::new(Body::from(body));
        resp.headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        return resp;
    }
    let method = req.method().to_string();
    let uri = req.uri().to_string();
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    seen.lock().unwrap().push(Seen {
        method,
        uri,
        authorization,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    });
    let mut script = script.lock().unwrap().clone();
    while let Script::Slow(delay, then) = script {
        tokio::time::sleep(delay).await;
        script = *then;
    }
    match script {
        Script::Slow(..) => unreachable!("unwrapped above"),
        Script::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Response::new(Body::empty())
        }
        Script::Reply {
            status,
            content_type,
            body,
            headers,
        } => {
            let mut resp = Response::new(Body::from(body));
            *resp.status_mut() = StatusCode::from_u16(status).unwrap();
            let h = resp.headers_mut();
            h.insert("content-type", HeaderValue::from_static(content_type));
            for (name, value) in headers {
                h.insert(
                    HeaderName::from_static(name),
                    HeaderValue::from_str(&value).unwrap(),
                );
            }
            resp
        }
    }
}

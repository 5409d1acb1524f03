//! A loopback reverse proxy that adds `Authorization: Bearer <key>` to every
//! request and changes nothing else — `Host`, `Origin`, bodies and SSE
//! streams pass through as they are.
//!
//! The MCP conformance suite has no option for credentials (its scenarios
//! are written for servers without authentication); behind this proxy it
//! acts like any client configured with an API key, while the server under
//! test keeps all of its checks on.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;

#[derive(Clone)]
struct Target {
    origin: String,
    bearer: String,
    http: reqwest::Client,
}

/// Hop-by-hop headers, which a proxy must not forward.
const HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "proxy-connection",
    "content-length",
];

/// Start the proxy in front of `origin` (`http://127.0.0.1:PORT`); returns
/// its own origin.
pub async fn start(origin: &str, bearer: &str) -> String {
    let target = Target {
        origin: origin.trim_end_matches('/').to_owned(),
        bearer: bearer.to_owned(),
        http: smartalex::http_client()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    };
    let app = Router::new().fallback(forward).with_state(target);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    format!("http://{addr}")
}

async fn forward(State(target): State<Target>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let bytes = axum::body::to_bytes(body, 64 << 20)
        .await
        .unwrap_or_default();
    let mut out = target
        .http
        .request(parts.method.clone(), format!("{}{path}", target.origin))
        .bearer_auth(&target.bearer)
        .body(bytes);
    for (name, value) in &parts.headers {
        if !HOP.contains(&name.as_str()) && name != "authorization" {
            out = out.header(name.clone(), value.clone());
        }
    }
    match out.send().await {
        Ok(resp) => {
            let mut response = Response::builder().status(resp.status().as_u16());
            for (name, value) in resp.headers() {
                if !HOP.contains(&name.as_str()) {
                    response = response.header(name.clone(), value.clone());
                }
            }
            response
                .body(Body::from_stream(resp.bytes_stream()))
                .unwrap()
        }
        Err(e) => Response::builder()
            .status(StatusCode::BAD_GATEWAY)
            .body(Body::from(format!("proxy: {e}")))
            .unwrap(),
    }
}

//! Attacks on the sandbox's HTTP surface and its OAuth authorization server,
//! one test per hole (issue 10, points 1, 2, 6 and 9), each reproduced
//! against a real sandbox on loopback with real HTTP clients: a page that
//! rebinds DNS, a visitor who is not the operator, a cross-site form, a
//! client laundering tokens through the exchange, a registration flood, and
//! a world-readable database. Each asserts the attack now fails, and how.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};
use smartalex_sandbox::{Db, ExchangeClient, SandboxOptions};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::common::bin;
use crate::common::http::McpHttp;
use crate::sandbox_harness::{Sandbox, start_with};
use crate::sandbox_oauth::{
    ACCESS_TYPE, EXCHANGE, MCP_RESOURCE, REDIRECT, answer, auth_params, browser, consent_page,
    decide_request, form, operator_cookie, pkce, post_form, public_client, redirect_params,
    register, sandbox, tokens,
};

/// GET `path` with these extra headers.
async fn get_with(sb: &Sandbox, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = browser().get(format!("{}{path}", sb.base));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("get")
}

#[tokio::test]
async fn adversarial_dns_rebinding_is_refused_on_every_sandbox_route() {
    let sb = sandbox(Duration::from_secs(900)).await;
    let client_id = public_client(&sb, "c").await;
    let p = pkce("rebind");
    let authorize = format!(
        "/oauth/authorize?{}",
        form(&auth_params(&client_id, &p, MCP_RESOURCE, &[]))
    );
    let cookie = operator_cookie(&sb).await;
    // A page on attacker.example rebinds its name to 127.0.0.1: the browser
    // sends the attacker's Host (and, for its scripts, Origin). Even with
    // the operator's cookie in that browser, nothing answers.
    let rebound = [("host", "attacker.example:80")];
    let foreign_origin = [("origin", "http://attacker.example")];
    for path in [
        "/.well-known/oauth-authorization-server",
        authorize.as_str(),
        "/oauth/consent",
        "/contacts",
        "/platform/status",
    ] {
        for headers in [&rebound[..], &foreign_origin[..]] {
            let mut all = headers.to_vec();
            all.push(("cookie", cookie.as_str()));
            let r = get_with(&sb, path, &all).await;
            assert_eq!(r.status().as_u16(), 403, "{path} {headers:?}");
            let body: Value = r.json().await.expect("json");
            assert_eq!(body["error"], "Forbidden", "{path}");
        }
    }
    for (path, body, kind) in [
        (
            "/oauth/register",
            json!({"redirect_uris": [REDIRECT]}).to_string(),
            "application/json",
        ),
        (
            "/oauth/token",
            form(&[("grant_type", "refresh_token")]),
            "application/x-www-form-urlencoded",
        ),
        (
            "/oauth/authorize",
            form(&[("request_id", "x"), ("decision", "approve")]),
            "application/x-www-form-urlencoded",
        ),
    ] {
        for (name, value) in [rebound[0], foreign_origin[0]] {
            let r = browser()
                .post(format!("{}{path}", sb.base))
                .header(name, value)
                .header("content-type", kind)
                .body(body.clone())
                .send()
                .await
                .expect("post");
            assert_eq!(r.status().as_u16(), 403, "POST {path} with {name}");
        }
    }
    // The sandbox's own names still work, and loopback pages may call it.
    let r = get_with(
        &sb,
        "/.well-known/oauth-authorization-server",
        &[("origin", "http://localhost:6274")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn adversarial_consent_needs_the_operators_secret() {
    let sb = sandbox(Duration::from_secs(900)).await;
    let client_id = public_client(&sb, "c").await;
    let p = pkce("no-operator");
    let query = form(&auth_params(&client_id, &p, MCP_RESOURCE, &[]));
    // Anyone who reaches the port (another local user, a script) without
    // the consent link: told how to get it, shown nothing to approve.
    let r = get_with(&sb, &format!("/oauth/authorize?{query}"), &[]).await;
    assert_eq!(r.status().as_u16(), 403);
    let html = r.text().await.expect("html");
    assert!(html.contains("/oauth/consent?key="), "{html}");
    assert!(!html.contains("request_id") && !html.contains("csrf_token"));
    // Guessing the key: refused, no cookie.
    let guess = get_with(&sb, "/oauth/consent?key=0123456789abcdef0123", &[]).await;
    assert_eq!(guess.status().as_u16(), 403);
    assert!(guess.headers().get("set-cookie").is_none());
    // A made-up cookie is not the operator's either.
    let port = sb.running.addr.port();
    let forged = format!("smartalex_operator_{port}={}", "ab".repeat(32));
    let r = get_with(
        &sb,
        &format!("/oauth/authorize?{query}"),
        &[("cookie", &forged)],
    )
    .await;
    assert_eq!(r.status().as_u16(), 403);
    // Pasting the right key on that page comes back to the request.
    let next = format!("/oauth/authorize?{query}");
    let key = sb.running.consent_key().expect("key").to_owned();
    let pasted = browser()
        .post(format!("{}/oauth/consent", sb.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", sb.base.as_str())
        .body(form(&[("key", &key), ("next", &next)]))
        .send()
        .await
        .expect("paste");
    assert_eq!(pasted.status().as_u16(), 303);
    assert_eq!(
        pasted.headers()["location"].to_str().ok(),
        Some(next.as_str())
    );
    let cookie = pasted.headers()["set-cookie"].to_str().expect("cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite"));
    let cookie = cookie.split(';').next().expect("pair").to_owned();
    let r = get_with(&sb, &next, &[("cookie", &cookie)]).await;
    let page = consent_page(r).await;
    assert!(page.workspaces.contains_key("default"));
}

#[tokio::test]
async fn adversarial_workspace_list_is_not_shown_to_an_unauthenticated_page() {
    let sb = sandbox(Duration::from_secs(900)).await;
    sb.workspace_key("Secret Merger Corp").await;
    let client_id = public_client(&sb, "c").await;
    let p = pkce("list");
    let query = form(&auth_params(&client_id, &p, MCP_RESOURCE, &[]));
    let r = get_with(&sb, &format!("/oauth/authorize?{query}"), &[]).await;
    let html = r.text().await.expect("html");
    assert!(!html.contains("Secret Merger Corp"), "{html}");
    assert!(!html.contains("<option"), "{html}");
    let r = get_with(&sb, "/oauth/consent", &[]).await;
    assert!(!r.text().await.expect("html").contains("Secret Merger Corp"));
}

#[tokio::test]
async fn adversarial_approve_needs_csrf_token_operator_and_same_origin() {
    let sb = sandbox(Duration::from_secs(900)).await;
    let client_id = public_client(&sb, "c").await;
    let p = pkce("csrf");
    let cookie = operator_cookie(&sb).await;
    let page = consent_page(
        get_with(
            &sb,
            &format!(
                "/oauth/authorize?{}",
                form(&auth_params(&client_id, &p, MCP_RESOURCE, &[]))
            ),
            &[("cookie", &cookie)],
        )
        .await,
    )
    .await;
    let ws = page.workspaces["default"].clone();
    let post = |fields: Vec<(&'static str, String)>, headers: Vec<(&'static str, String)>| {
        let sb_base = sb.base.clone();
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let mut req = browser()
                .post(format!("{sb_base}/oauth/authorize"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&pairs));
            for (k, v) in &headers {
                req = req.header(*k, v.as_str());
            }
            req.send().await.expect("post")
        }
    };
    let fields = |csrf: Option<&str>| {
        let mut f = vec![
            ("request_id", page.request_id.clone()),
            ("workspace_id", ws.clone()),
            ("decision", "approve".to_owned()),
        ];
        if let Some(csrf) = csrf {
            f.push(("csrf_token", csrf.to_owned()));
        }
        f
    };
    let own_origin = ("origin", sb.base.clone());
    let with_cookie = ("cookie", cookie.clone());
    for (what, f, h) in [
        // A cross-site form that knows the request id but not the token.
        (
            "no CSRF token",
            fields(None),
            vec![own_origin.clone(), with_cookie.clone()],
        ),
        (
            "a CSRF token of another request",
            fields(Some(&"0".repeat(64))),
            vec![own_origin.clone(), with_cookie.clone()],
        ),
        // Another loopback page (allowed to read metadata) posting the form.
        (
            "another origin",
            fields(Some(&page.csrf)),
            vec![
                ("origin", "http://localhost:6274".to_owned()),
                with_cookie.clone(),
            ],
        ),
        (
            "neither Origin nor Referer",
            fields(Some(&page.csrf)),
            vec![with_cookie.clone()],
        ),
        (
            "no operator cookie",
            fields(Some(&page.csrf)),
            vec![own_origin.clone()],
        ),
    ] {
        let r = post(f, h).await;
        assert_eq!(r.status().as_u16(), 403, "{what}");
        assert!(r.headers().get("location").is_none(), "{what}");
    }
    // The operator's own form still goes through: nothing above consumed it.
    let q =
        redirect_params(&decide_request(&sb, &page.request_id, &page.csrf, &ws, "approve").await);
    assert!(q.contains_key("code"), "{q:?}");
}

/// Tokens for the MCP server (audience `MCP_RESOURCE`) via the whole flow.
async fn mcp_token(sb: &Sandbox) -> String {
    tokens(sb, MCP_RESOURCE, "default", "read write")
        .await
        .1
        .str("access_token")
}

async fn exchange_as(
    sb: &Sandbox,
    subject: &str,
    auth: Option<(&str, &str)>,
    extra: &[(&str, &str)],
) -> crate::sandbox_oauth::Answer {
    let mut pairs = vec![
        ("grant_type", EXCHANGE),
        ("subject_token", subject),
        ("subject_token_type", ACCESS_TYPE),
        ("resource", sb.base.as_str()),
    ];
    pairs.extend_from_slice(extra);
    post_form(sb, "/oauth/token", &pairs, auth).await
}

#[tokio::test]
async fn adversarial_token_exchange_needs_client_auth_and_an_allowed_audience() {
    let sb = sandbox(Duration::from_secs(900)).await;
    let subject = mcp_token(&sb).await;
    // Possession of a token is no longer enough.
    let r = exchange_as(&sb, &subject, None, &[]).await;
    assert_eq!(
        (r.status, r.error()),
        (401, "invalid_client"),
        "{:?}",
        r.body
    );
    // A public client (client_id only) may not exchange.
    let public = public_client(&sb, "public").await;
    let r = exchange_as(&sb, &subject, None, &[("client_id", &public)]).await;
    assert_eq!((r.status, r.error()), (400, "unauthorized_client"));
    // Registering a confidential client that asks for the grant gets no right to it.
    let reg = register(
        &sb,
        json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_basic",
               "grant_types": [EXCHANGE], "exchange_audiences": [MCP_RESOURCE]}),
    )
    .await;
    assert_eq!(reg.status, 201);
    assert!(reg.body.get("exchange_audiences").is_none());
    let (id, secret) = (reg.str("client_id"), reg.str("client_secret"));
    let r = exchange_as(&sb, &subject, Some((&id, &secret)), &[]).await;
    assert_eq!((r.status, r.error()), (400, "unauthorized_client"));
    // A provisioned client, but for another resource: the subject's audience is wrong.
    let other = ExchangeClient {
        client_id: "other-server".into(),
        client_secret: "other-server-secret-0123".into(),
        audiences: vec!["http://127.0.0.1:7/mcp".into()],
    };
    sb.running
        .provision_exchange_client(&other)
        .await
        .expect("provision");
    let r = exchange_as(
        &sb,
        &subject,
        Some((&other.client_id, &other.client_secret)),
        &[],
    )
    .await;
    assert_eq!(
        (r.status, r.error()),
        (400, "invalid_grant"),
        "{:?}",
        r.body
    );
    // The MCP server's own client, with a wrong secret, then the right one.
    let mine = ExchangeClient {
        client_id: "mcp-server".into(),
        client_secret: "mcp-server-secret-0123456".into(),
        audiences: vec![MCP_RESOURCE.into()],
    };
    sb.running
        .provision_exchange_client(&mine)
        .await
        .expect("provision");
    let r = exchange_as(&sb, &subject, Some(("mcp-server", "wrong-secret")), &[]).await;
    assert_eq!((r.status, r.error()), (401, "invalid_client"));
    // A gateway token is not an MCP token: exchanging it is refused too.
    let (_, gw) = tokens(&sb, &sb.base, "default", "read").await;
    let r = exchange_as(
        &sb,
        &gw.str("access_token"),
        Some((&mine.client_id, &mine.client_secret)),
        &[],
    )
    .await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
    // Right client, right audience, but asking for another target.
    let r = exchange_as(
        &sb,
        &subject,
        Some((&mine.client_id, &mine.client_secret)),
        &[("audience", "http://127.0.0.1:7/mcp")],
    )
    .await;
    assert_eq!((r.status, r.error()), (400, "invalid_target"));
    let ok = exchange_as(
        &sb,
        &subject,
        Some((&mine.client_id, &mine.client_secret)),
        &[],
    )
    .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
}

#[tokio::test]
async fn adversarial_oversized_registration_is_refused() {
    let sb = sandbox(Duration::from_secs(900)).await;
    let huge = json!({"redirect_uris": [REDIRECT], "client_name": "x".repeat(20 * 1024)});
    let r = register(&sb, huge).await;
    assert_eq!(
        (r.status, r.error()),
        (413, "invalid_request"),
        "{:?}",
        r.body
    );
    let many: Vec<String> = (0..11)
        .map(|i| format!("http://127.0.0.1:{}/cb", 5000 + i))
        .collect();
    let r = register(&sb, json!({"redirect_uris": many})).await;
    assert_eq!((r.status, r.error()), (400, "invalid_client_metadata"));
    assert!(r.str("error_description").contains("10"), "{:?}", r.body);
    let long_uri = format!("https://a.example/{}", "p".repeat(2100));
    let r = register(&sb, json!({"redirect_uris": [long_uri]})).await;
    assert_eq!((r.status, r.error()), (400, "invalid_client_metadata"));
    // A token request body is bounded the same way.
    let big = "a".repeat(17 * 1024);
    let r = post_form(&sb, "/oauth/token", &[("grant_type", &big)], None).await;
    assert_eq!(r.status, 413);
    // An authorization request too (a 400 page, nothing stored).
    let r = get_with(
        &sb,
        &format!("/oauth/authorize?state={}", "s".repeat(9000)),
        &[],
    )
    .await;
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn adversarial_registration_flood_gets_429() {
    let sb = start_with(SandboxOptions {
        oauth_rate_limit_per_min: 5,
        ..SandboxOptions::new(Db::Memory)
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..8 {
        let r = answer(
            browser()
                .post(format!("{}/oauth/register", sb.base))
                .json(&json!({"redirect_uris": [REDIRECT], "client_name": format!("flood {i}")}))
                .send()
                .await
                .expect("register"),
        )
        .await;
        if r.status == 429 {
            assert!(r.headers.get("retry-after").is_some());
            assert_eq!(r.body["error"], "Too many requests");
        }
        statuses.push(r.status);
    }
    assert_eq!(statuses, [201, 201, 201, 201, 201, 429, 429, 429]);
    // The same budget covers authorization requests and the token endpoint.
    let r = get_with(&sb, "/oauth/authorize?client_id=x", &[]).await;
    assert_eq!(r.status().as_u16(), 429);
    let r = post_form(
        &sb,
        "/oauth/token",
        &[("grant_type", "refresh_token")],
        None,
    )
    .await;
    assert_eq!(r.status, 429);
    // The API's own budget is separate.
    sb.get("/contacts").await.expect(200);
}

#[tokio::test]
async fn adversarial_expired_oauth_rows_are_purged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("purge.db");
    let sb = start_with(SandboxOptions {
        access_token_ttl: Duration::from_secs(2),
        oauth_rate_limit_per_min: 0,
        oauth_purge_interval: Duration::ZERO,
        rate_limit_per_min: 100_000,
        ..SandboxOptions::new(Db::Path(path.clone()))
    })
    .await;
    let count = |kind: &str| -> i64 {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.query_row(
            "SELECT COUNT(*) FROM oauth_tokens WHERE kind = ?1",
            [kind],
            |r| r.get(0),
        )
        .expect("count")
    };
    tokens(&sb, &sb.base, "default", "read").await;
    assert_eq!(count("access"), 1);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // Any OAuth request after expiry triggers the purge.
    public_client(&sb, "trigger").await;
    assert_eq!(count("access"), 0, "expired access tokens are deleted");
    assert_eq!(count("refresh"), 1, "live refresh tokens stay");
}

#[cfg(unix)]
#[tokio::test]
async fn adversarial_database_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("private.db");
    let sb = start_with(SandboxOptions::new(Db::Path(path.clone()))).await;
    sb.post("/contacts", json!({"first_name": "Written"}))
        .await
        .expect(201);
    for name in ["private.db", "private.db-wal", "private.db-shm"] {
        let mode = std::fs::metadata(dir.path().join(name))
            .expect(name)
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{name} is {mode:o}");
    }
}

/// The address an embedded sandbox logged (`… addr=127.0.0.1:PORT …`), and
/// everything read from stderr until then.
async fn embedded_sandbox_addr(stderr: tokio::process::ChildStderr) -> (String, String) {
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = String::new();
    let found = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            seen.push_str(&line);
            seen.push('\n');
            if line.contains("embedded sandbox gateway ready") {
                let addr = line.split("addr=").nth(1)?.split_whitespace().next()?;
                return Some(addr.to_owned());
            }
        }
        None
    })
    .await
    .ok()
    .flatten();
    // Keep draining: a child whose stderr is closed dies on its next log line.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (
        found.unwrap_or_else(|| panic!("no address in stderr:\n{seen}")),
        seen,
    )
}

#[tokio::test]
async fn adversarial_stdio_sandbox_serves_no_oauth_unless_asked() {
    let mut found = HashMap::new();
    for extra in [None, Some("--sandbox-oauth")] {
        let mut cmd = tokio::process::Command::new(bin());
        cmd.args(["--sandbox", "--db", ":memory:"])
            .args(extra)
            .env("SMARTALEX_LOG", "smartalex_mcp=info")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("spawn");
        let (addr, stderr) = embedded_sandbox_addr(child.stderr.take().expect("stderr")).await;
        let metadata = browser()
            .get(format!(
                "http://{addr}/.well-known/oauth-authorization-server"
            ))
            .send()
            .await
            .expect("metadata");
        let consent = browser()
            .get(format!("http://{addr}/oauth/consent"))
            .send()
            .await
            .expect("consent");
        found.insert(
            extra.is_some(),
            (
                metadata.status().as_u16(),
                consent.status().as_u16(),
                stderr.contains("/oauth/consent?key="),
            ),
        );
        child.kill().await.expect("kill");
    }
    // Off: no such routes, so they fall to the API, which wants a key.
    assert_eq!(found[&false], (401, 401, false), "OAuth off by default");
    assert_eq!(
        found[&true],
        (200, 403, true),
        "on when asked, link on stderr"
    );
}

#[tokio::test]
async fn adversarial_http_sandbox_exchanges_as_its_own_client_only() {
    let server = McpHttp::start(&["--sandbox", "--db", ":memory:"], &[]).await;
    let log = server.stderr();
    let link = log
        .lines()
        .find(|l| l.contains("/oauth/consent?key="))
        .unwrap_or_else(|| panic!("no consent link on stderr:\n{log}"))
        .trim()
        .to_owned();
    let gateway = server.gateway.clone();
    let http = browser();
    // The operator's browser opens the link; a client registers and asks.
    let opened = http.get(&link).send().await.expect("link");
    let cookie = opened.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let reg: Value = http
        .post(format!("{gateway}/oauth/register"))
        .json(&json!({"redirect_uris": [REDIRECT]}))
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("json");
    let client_id = reg["client_id"].as_str().expect("client_id");
    let p = pkce("http-sandbox");
    let query = form(&auth_params(client_id, &p, &server.url, &[]));
    let page = consent_page(
        http.get(format!("{gateway}/oauth/authorize?{query}"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("authorize"),
    )
    .await;
    let approved = http
        .post(format!("{gateway}/oauth/authorize"))
        .header("cookie", &cookie)
        .header("origin", gateway.as_str())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("request_id", &page.request_id),
            ("csrf_token", &page.csrf),
            ("workspace_id", &page.workspaces["default"]),
            ("decision", "approve"),
        ]))
        .send()
        .await
        .expect("approve");
    let code = redirect_params(&approved)["code"].clone();
    let tokens: Value = http
        .post(format!("{gateway}/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", client_id),
            ("code_verifier", &p.verifier),
        ]))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let token = tokens["access_token"].as_str().expect("access_token");
    // The MCP server takes it: it exchanged it as its self-provisioned client.
    let r = crate::common::http::mcp_post(&http, &server.url, Some(token))
        .json(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "it", "version": "0"}}}),
        )
        .send()
        .await
        .expect("initialize");
    assert_eq!(r.status().as_u16(), 200, "{}", server.stderr());
    // Anyone else presenting the same token to the exchange is refused.
    let r = http
        .post(format!("{gateway}/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("grant_type", EXCHANGE),
            ("subject_token", token),
            ("subject_token_type", ACCESS_TYPE),
            ("resource", &gateway),
        ]))
        .send()
        .await
        .expect("exchange");
    assert_eq!(r.status().as_u16(), 401);
    let log = server.stderr();
    assert!(!log.contains(token), "a token leaked");
}

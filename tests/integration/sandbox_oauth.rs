//! The sandbox's OAuth 2.1 authorization server, end to end over loopback:
//! discovery, registration, the consent page, codes with PKCE, the three
//! grants, introspection — and the gateway accepting (only) access tokens
//! whose audience is itself. The browser here is the operator's: it has
//! opened the consent link, and posts the consent form from the page.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use smartalex_sandbox::{Db, SandboxOptions};

use crate::sandbox_harness::{Sandbox, contact, start_with};

/// A resource that is not the gateway: what an MCP server would be.
pub(crate) const MCP_RESOURCE: &str = "http://127.0.0.1:9/mcp";
pub(crate) const REDIRECT: &str = "http://127.0.0.1:53682/callback";
pub(crate) const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub(crate) const ACCESS_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

pub(crate) async fn sandbox(access_token_ttl: Duration) -> Sandbox {
    start_with(SandboxOptions {
        rate_limit_per_min: 100_000,
        allow_private_urls: true,
        access_token_ttl,
        oauth_rate_limit_per_min: 0,
        ..SandboxOptions::new(Db::Memory)
    })
    .await
}

/// The operator's cookie (`name=value`): what opening the consent link
/// printed on stderr leaves in the operator's browser.
pub(crate) async fn operator_cookie(sb: &Sandbox) -> String {
    let link = sb.running.consent_url().expect("OAuth is on");
    let r = browser().get(link).send().await.expect("consent link");
    assert_eq!(r.status().as_u16(), 303);
    let set = r.headers()["set-cookie"].to_str().expect("cookie");
    set.split(';').next().expect("name=value").to_owned()
}

/// The consent form's CSRF token for `request_id`, as the sandbox derives
/// it from the operator's key (for requests no page was shown for).
pub(crate) fn csrf_for(sb: &Sandbox, request_id: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let key = sb.running.consent_key().expect("OAuth is on");
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("hmac");
    mac.update(format!("csrf\0{request_id}").as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A confidential client provisioned to exchange tokens minted for `audience`.
pub(crate) async fn exchanger(sb: &Sandbox, audience: &str) -> (String, String) {
    let client = smartalex_sandbox::ExchangeClient {
        client_id: format!("mcp-{}", audience.len()),
        client_secret: "exchange-secret-0123456789".to_owned(),
        audiences: vec![audience.to_owned()],
    };
    sb.running
        .provision_exchange_client(&client)
        .await
        .expect("provision");
    (client.client_id, client.client_secret)
}

/// A client that shows redirects instead of following them.
pub(crate) fn browser() -> reqwest::Client {
    smartalex::http_client()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Answer {
    pub(crate) fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
    pub(crate) fn str(&self, field: &str) -> String {
        self.body[field].as_str().unwrap_or_default().to_owned()
    }
}

pub(crate) async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    Answer {
        status,
        headers,
        body,
    }
}

pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// POST a form to `path`, optionally with HTTP Basic client credentials.
pub(crate) async fn post_form(
    sb: &Sandbox,
    path: &str,
    pairs: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> Answer {
    let mut req = browser()
        .post(format!("{}{path}", sb.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(pairs));
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    answer(req.send().await.expect("post")).await
}

pub(crate) async fn register(sb: &Sandbox, metadata: Value) -> Answer {
    let response = browser()
        .post(format!("{}/oauth/register", sb.base))
        .json(&metadata)
        .send()
        .await
        .expect("register");
    answer(response).await
}

pub(crate) async fn public_client(sb: &Sandbox, name: &str) -> String {
    let r = register(
        sb,
        json!({"redirect_uris": [REDIRECT], "client_name": name}),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.str("client_id")
}

/// A PKCE pair.
pub(crate) struct Pkce {
    pub(crate) verifier: String,
    pub(crate) challenge: String,
}

pub(crate) fn pkce(seed: &str) -> Pkce {
    let verifier = format!("{seed}-{}", "v".repeat(50));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

/// GET /oauth/authorize with these parameters in the operator's browser,
/// not following redirects.
pub(crate) async fn authorize(sb: &Sandbox, pairs: &[(&str, &str)]) -> reqwest::Response {
    browser()
        .get(format!("{}/oauth/authorize?{}", sb.base, form(pairs)))
        .header("cookie", operator_cookie(sb).await)
        .send()
        .await
        .expect("authorize")
}

/// The standard authorization parameters, with `overrides` replacing (or,
/// with an empty value, removing) entries.
pub(crate) fn auth_params<'a>(
    client_id: &'a str,
    p: &'a Pkce,
    resource: &'a str,
    overrides: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("code_challenge", p.challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("state", "st-123"),
        ("resource", resource),
    ];
    for (k, v) in overrides {
        params.retain(|(name, _)| name != k);
        if !v.is_empty() {
            params.push((k, v));
        }
    }
    params
}

/// The query of a redirect's `Location`, after checking where it points.
pub(crate) fn redirect_params(response: &reqwest::Response) -> HashMap<String, String> {
    assert_eq!(response.status().as_u16(), 303, "expected a redirect");
    let location = response.headers()["location"].to_str().expect("location");
    let url = url::Url::parse(location).expect("absolute location");
    assert_eq!(
        format!("{}://{}{}", url.scheme(), url.authority(), url.path()),
        REDIRECT
    );
    url.query_pairs().into_owned().collect()
}

/// Authorization parameters to replace (an empty value removes one).
type Overrides<'a> = &'a [(&'a str, &'a str)];

/// A consent page's request id, CSRF token and workspaces (name → id).
pub(crate) struct Page {
    pub(crate) html: String,
    pub(crate) request_id: String,
    pub(crate) csrf: String,
    pub(crate) workspaces: HashMap<String, String>,
}

pub(crate) fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    Some(&text[from..from + text[from..].find(end)?])
}

pub(crate) async fn consent_page(response: reqwest::Response) -> Page {
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.expect("html");
    let request_id = between(&html, r#"name="request_id" value=""#, "\"")
        .expect("request_id field")
        .to_owned();
    let csrf = between(&html, r#"name="csrf_token" value=""#, "\"")
        .expect("csrf_token field")
        .to_owned();
    let mut workspaces = HashMap::new();
    let mut rest = html.as_str();
    while let Some(at) = rest.find("<option value=\"") {
        rest = &rest[at + 15..];
        let id = between(rest, "", "\"").expect("option value");
        let name = between(rest, ">", "</option>").expect("option text");
        workspaces.insert(name.to_owned(), id.to_owned());
    }
    Page {
        html,
        request_id,
        csrf,
        workspaces,
    }
}

/// Post the consent form of `page` as the operator's browser does.
pub(crate) async fn decide(
    sb: &Sandbox,
    page: &Page,
    workspace_id: &str,
    decision: &str,
) -> reqwest::Response {
    decide_request(sb, &page.request_id, &page.csrf, workspace_id, decision).await
}

pub(crate) async fn decide_request(
    sb: &Sandbox,
    request_id: &str,
    csrf: &str,
    workspace_id: &str,
    decision: &str,
) -> reqwest::Response {
    browser()
        .post(format!("{}/oauth/authorize", sb.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", operator_cookie(sb).await)
        .header("origin", sb.base.as_str())
        .body(form(&[
            ("request_id", request_id),
            ("csrf_token", csrf),
            ("workspace_id", workspace_id),
            ("decision", decision),
        ]))
        .send()
        .await
        .expect("decide")
}

/// Run the browser part: a code for `workspace` (by name) with `scope`.
pub(crate) async fn code_for(
    sb: &Sandbox,
    client_id: &str,
    p: &Pkce,
    resource: &str,
    workspace: &str,
    scope: &str,
) -> String {
    let page = consent_page(
        authorize(
            sb,
            &auth_params(client_id, p, resource, &[("scope", scope)]),
        )
        .await,
    )
    .await;
    let workspace_id = &page.workspaces[workspace];
    let q = redirect_params(&decide(sb, &page, workspace_id, "approve").await);
    assert_eq!(q["state"], "st-123");
    assert_eq!(q["iss"], sb.base);
    q["code"].clone()
}

pub(crate) async fn redeem(sb: &Sandbox, client_id: &str, code: &str, verifier: &str) -> Answer {
    post_form(
        sb,
        "/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", client_id),
            ("code_verifier", verifier),
        ],
        None,
    )
    .await
}

/// Tokens for `workspace`, audience `resource`, via the whole flow.
pub(crate) async fn tokens(
    sb: &Sandbox,
    resource: &str,
    workspace: &str,
    scope: &str,
) -> (String, Answer) {
    let client_id = public_client(sb, "Flow").await;
    let p = pkce("flow");
    let code = code_for(sb, &client_id, &p, resource, workspace, scope).await;
    let t = redeem(sb, &client_id, &code, &p.verifier).await;
    assert_eq!(t.status, 200, "{:?}", t.body);
    (client_id, t)
}

pub(crate) async fn introspect(sb: &Sandbox, token: &str) -> Value {
    let r = post_form(sb, "/oauth/introspect", &[("token", token)], None).await;
    assert_eq!(r.status, 200);
    r.body
}

pub(crate) async fn refresh(sb: &Sandbox, client_id: &str, refresh_token: &str) -> Answer {
    post_form(
        sb,
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ],
        None,
    )
    .await
}

/// A token exchange by the MCP server's provisioned client.
pub(crate) async fn exchange(
    sb: &Sandbox,
    subject: &str,
    resource: &str,
    scope: Option<&str>,
) -> Answer {
    let (id, secret) = exchanger(sb, MCP_RESOURCE).await;
    let mut pairs = vec![
        ("grant_type", EXCHANGE),
        ("subject_token", subject),
        ("subject_token_type", ACCESS_TYPE),
        ("resource", resource),
    ];
    if let Some(scope) = scope {
        pairs.push(("scope", scope));
    }
    post_form(sb, "/oauth/token", &pairs, Some((&id, &secret))).await
}

pub(crate) fn is_token(text: &str, prefix: &str) -> bool {
    text.len() == prefix.len() + 48
        && text.starts_with(prefix)
        && text[prefix.len()..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[tokio::test]
async fn sandbox_oauth_metadata_names_every_endpoint() {
    let sb = sandbox(Duration::from_secs(900)).await;
    let r = answer(
        browser()
            .get(format!(
                "{}/.well-known/oauth-authorization-server",
                sb.base
            ))
            .send()
            .await
            .expect("metadata"),
    )
    .await;
    assert_eq!(r.status, 200);
    let m = &r.body;
    let issuer = &sb.base;
    assert_eq!(m["issuer"], json!(issuer));
    assert!(!issuer.ends_with('/'));
    for (field, path) in [
        ("authorization_endpoint", "/oauth/authorize"),
        ("token_endpoint", "/oauth/token"),
        ("registration_endpoint", "/oauth/register"),
        ("introspection_endpoint", "/oauth/introspect"),
    ] {
        assert_eq!(m[field], json!(format!("{issuer}{path}")), "{field}");
    }
    assert_eq!(m["response_types_supported"], json!(["code"]));
    assert_eq!(
        m["grant_types_supported"],
        json!(["authorization_code", "refresh_token", EXCHANGE])
    );
    assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        m["token_endpoint_auth_methods_supported"],
        json!(["none", "client_secret_post", "client_secret_basic"])
    );
    assert_eq!(m["scopes_supported"], json!(["read", "write"]));
    // Outside the API pipeline: no key needed, no rate-limit headers.
    assert!(r.headers.get("x-ratelimit-limit").is_none());
}

#[tokio::test]
async fn sandbox_oauth_registration_checks_redirect_uris() {
    let sb = sandbox(Duration::from_secs(900)).await;
    // What the MCP Python SDK sends, extras and nulls included.
    let r = register(
        &sb,
        json!({
            "redirect_uris": ["http://localhost:3030/callback"],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": "read write",
            "client_name": "SDK client",
            "client_uri": "https://client.example",
            "logo_uri": null,
            "software_id": "x",
        }),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert!(!r.str("client_id").is_empty());
    assert!(
        r.body["client_id_issued_at"]
            .as_i64()
            .is_some_and(|t| t > 1_600_000_000)
    );
    assert_eq!(
        r.body["redirect_uris"],
        json!(["http://localhost:3030/callback"])
    );
    assert_eq!(r.body["client_name"], json!("SDK client"));
    assert_eq!(r.body["client_uri"], json!("https://client.example"));
    assert_eq!(r.body["token_endpoint_auth_method"], json!("none"));
    assert!(r.body.get("client_secret").is_none(), "public client");
    assert_eq!(r.headers["cache-control"], "no-store");

    // Defaults, and a confidential client gets a secret once.
    let r = register(
        &sb,
        json!({"redirect_uris": ["https://app.example/cb"], "token_endpoint_auth_method": "client_secret_basic"}),
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.body["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(r.body["response_types"], json!(["code"]));
    assert_eq!(r.str("client_secret").len(), 64);
    assert_eq!(r.body["client_secret_expires_at"], json!(0));

    let r = register(&sb, json!({"redirect_uris": ["http://app.example/cb"]})).await;
    assert_eq!((r.status, r.error()), (400, "invalid_redirect_uri"));
    assert!(r.str("error_description").contains("must use https"));
    let r = register(&sb, json!({"redirect_uris": ["https://app.example/cb#x"]})).await;
    assert_eq!((r.status, r.error()), (400, "invalid_redirect_uri"));
    assert!(r.str("error_description").contains("fragment"));
    let r = register(&sb, json!({"client_name": "no uris"})).await;
    assert_eq!((r.status, r.error()), (400, "invalid_client_metadata"));
    assert_eq!(r.str("error_description"), "redirect_uris is required");
}

#[tokio::test]
async fn sandbox_oauth_consent_page_lists_workspaces_escaped() {
    let sb = sandbox(Duration::from_secs(900)).await;
    sb.workspace_key("Acme <b>&</b> \"Co\"").await;
    let client_id = public_client(&sb, "<script>alert(1)</script>").await;
    let p = pkce("page");
    let page =
        consent_page(authorize(&sb, &auth_params(&client_id, &p, MCP_RESOURCE, &[])).await).await;
    assert!(
        page.html
            .contains(r#"<form method="post" action="/oauth/authorize">"#)
    );
    assert!(page.html.contains(r#"<select name="workspace_id""#));
    assert!(page.html.contains(r#"name="decision" value="approve""#));
    assert!(page.html.contains(r#"name="decision" value="deny""#));
    assert!(page.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.html.contains("<script>"));
    assert!(page.html.contains(MCP_RESOURCE));
    assert!(page.html.contains("read write"));
    assert!(
        page.html
            .contains(&format!(r#"<code id="redirect-uri">{REDIRECT}</code>"#)),
        "the page says where the code goes"
    );
    assert_eq!(page.csrf.len(), 64);
    assert_eq!(page.workspaces.len(), 2, "{:?}", page.workspaces);
    assert!(page.workspaces.contains_key("default"));
    assert!(
        page.workspaces
            .contains_key("Acme &lt;b&gt;&amp;&lt;/b&gt; &quot;Co&quot;"),
        "{:?}",
        page.workspaces
    );
    assert_eq!(page.request_id.len(), 64);
}

#[tokio::test]
async fn sandbox_oauth_authorize_never_redirects_to_an_unverified_uri() {
    let sb = sandbox(Duration::from_secs(900)).await;
    let client_id = public_client(&sb, "c").await;
    let p = pkce("x");
    for overrides in [
        vec![("redirect_uri", "http://127.0.0.1:53682/other")],
        vec![("client_id", "no-such-client")],
        vec![("client_id", "")],
    ] {
        let r = authorize(&sb, &auth_params(&client_id, &p, MCP_RESOURCE, &overrides)).await;
        assert_eq!(r.status().as_u16(), 400, "{overrides:?}");
        assert!(r.headers().get("location").is_none());
        assert!(
            r.headers()["content-type"]
                .to_str()
                .is_ok_and(|t| t.starts_with("text/html"))
        );
    }
    // The only registered URI may be omitted.
    let r = authorize(
        &sb,
        &auth_params(&client_id, &p, MCP_RESOURCE, &[("redirect_uri", "")]),
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn sandbox_oauth_authorize_redirects_protocol_errors() {
    let sb = sandbox(Duration::from_secs(900)).await;
    let client_id = public_client(&sb, "c").await;
    let p = pkce("x");
    // (parameter overrides, expected error, a word its description contains)
    let cases: [(Overrides<'_>, &str, &str); 7] = [
        (
            &[("code_challenge_method", "")],
            "invalid_request",
            "code_challenge_method",
        ),
        (
            &[("code_challenge_method", "plain")],
            "invalid_request",
            "plain",
        ),
        (
            &[("code_challenge", "")],
            "invalid_request",
            "code_challenge is required",
        ),
        (
            &[("response_type", "token")],
            "unsupported_response_type",
            "code",
        ),
        (&[("scope", "read admin")], "invalid_scope", "admin"),
        (
            &[("resource", "")],
            "invalid_target",
            "resource is required",
        ),
        (&[("resource", "/relative")], "invalid_target", "absolute"),
    ];
    for (overrides, error, mentions) in cases {
        let r = authorize(&sb, &auth_params(&client_id, &p, MCP_RESOURCE, overrides)).await;
        let q = redirect_params(&r);
        assert_eq!(q["error"], error, "{overrides:?}");
        assert!(
            q["error_description"].contains(mentions),
            "{overrides:?}: {q:?}"
        );
        assert_eq!(q["state"], "st-123");
        assert_eq!(q["iss"], sb.base);
        assert!(!q.contains_key("code"));
    }
}

#[tokio::test]
async fn sandbox_oauth_deny_sends_access_denied_and_requests_are_single_use() {
    let sb = sandbox(Duration::from_secs(900)).await;
    let client_id = public_client(&sb, "c").await;
    let p = pkce("x");
    let page =
        consent_page(authorize(&sb, &auth_params(&client_id, &p, MCP_RESOURCE, &[])).await).await;
    let ws = page.workspaces["default"].clone();
    let q = redirect_params(&decide(&sb, &page, &ws, "deny").await);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st-123");
    assert!(!q.contains_key("code"));
    // Decided once: approving afterwards is refused, without a redirect.
    let again = decide(&sb, &page, &ws, "approve").await;
    assert_eq!(again.status().as_u16(), 400);
    assert!(again.headers().get("location").is_none());
    let unknown = decide_request(&sb, "0123", &csrf_for(&sb, "0123"), &ws, "approve").await;
    assert_eq!(unknown.status().as_u16(), 400);
    // An unknown workspace is refused too.
    let page =
        consent_page(authorize(&sb, &auth_params(&client_id, &p, MCP_RESOURCE, &[])).await).await;
    let r = decide(&sb, &page, "not-a-workspace", "approve").await;
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn sandbox_oauth_code_flow_and_replayed_codes_revoke_their_tokens() {
    let sb = sandbox(Duration::from_secs(900)).await;
    let client_id = public_client(&sb, "c").await;
    let p = pkce("flow");
    let code = code_for(&sb, &client_id, &p, &sb.base, "default", "read write").await;

    let wrong = redeem(&sb, &client_id, &code, &pkce("other").verifier).await;
    assert_eq!((wrong.status, wrong.error()), (400, "invalid_grant"));
    let t = redeem(&sb, &client_id, &code, &p.verifier).await;
    assert_eq!(t.status, 200, "{:?}", t.body);
    assert_eq!(t.headers["cache-control"], "no-store");
    let access = t.str("access_token");
    let refresh_token = t.str("refresh_token");
    assert!(is_token(&access, "sa_oat_"), "access token format");
    assert!(is_token(&refresh_token, "sa_ort_"), "refresh token format");
    assert_eq!(t.body["token_type"], json!("Bearer"));
    assert_eq!(t.body["expires_in"], json!(900));
    assert_eq!(t.body["scope"], json!("read write"));
    // The gateway takes it (and remembers it in its cache).
    sb.send(Some(&access), "GET", "/contacts", None)
        .await
        .expect(200);

    let replay = redeem(&sb, &client_id, &code, &p.verifier).await;
    assert_eq!((replay.status, replay.error()), (400, "invalid_grant"));
    assert_eq!(introspect(&sb, &access).await, json!({"active": false}));
    let r = sb
        .send(Some(&access), "GET", "/contacts", None)
        .await
        .expect(401);
    assert_eq!(r.body, json!({"error": "Invalid or expired token."}));
    let r = refresh(&sb, &client_id, &refresh_token).await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
}

#[tokio::test]
async fn sandbox_oauth_refresh_rotates_and_reuse_revokes_the_family() {
    let sb = sandbox(Duration::from_secs(900)).await;
    let (client_id, t) = tokens(&sb, &sb.base, "default", "read write").await;
    let first_refresh = t.str("refresh_token");

    let narrower = post_form(
        &sb,
        "/oauth/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &first_refresh),
            ("client_id", &client_id),
            ("scope", "read"),
        ],
        None,
    )
    .await;
    assert_eq!(narrower.status, 200, "{:?}", narrower.body);
    assert_eq!(narrower.body["scope"], json!("read"));
    let second_access = narrower.str("access_token");
    let second_refresh = narrower.str("refresh_token");
    assert!(is_token(&second_refresh, "sa_ort_"));
    assert_ne!(second_refresh, first_refresh, "rotated");
    assert_eq!(
        introspect(&sb, &second_access).await["scope"],
        json!("read")
    );

    // Wider than the grant, or for another resource: refused, nothing rotated.
    for (extra, error) in [
        (("scope", "read admin"), "invalid_scope"),
        (("resource", MCP_RESOURCE), "invalid_target"),
    ] {
        let r = post_form(
            &sb,
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &second_refresh),
                ("client_id", &client_id),
                extra,
            ],
            None,
        )
        .await;
        assert_eq!((r.status, r.error()), (400, error), "{extra:?}");
    }

    // The rotated-out token again: refused, and the whole family dies.
    let reuse = refresh(&sb, &client_id, &first_refresh).await;
    assert_eq!((reuse.status, reuse.error()), (400, "invalid_grant"));
    assert_eq!(
        introspect(&sb, &second_access).await,
        json!({"active": false})
    );
    assert_eq!(
        introspect(&sb, &t.str("access_token")).await,
        json!({"active": false})
    );
    let r = refresh(&sb, &client_id, &second_refresh).await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
}

#[tokio::test]
async fn sandbox_oauth_confidential_clients_must_authenticate() {
    let sb = sandbox(Duration::from_secs(900)).await;
    let reg = register(
        &sb,
        json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_basic"}),
    )
    .await;
    let (client_id, secret) = (reg.str("client_id"), reg.str("client_secret"));
    let p = pkce("conf");
    let code = code_for(&sb, &client_id, &p, &sb.base, "default", "read").await;
    let pairs = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", p.verifier.as_str()),
    ];
    let wrong = post_form(
        &sb,
        "/oauth/token",
        &pairs,
        Some((&client_id, "not-the-secret")),
    )
    .await;
    assert_eq!((wrong.status, wrong.error()), (401, "invalid_client"));
    assert!(wrong.headers.get("www-authenticate").is_some());
    // The secret in the form is not how this client registered.
    let mut posted = pairs.to_vec();
    posted.extend([
        ("client_id", client_id.as_str()),
        ("client_secret", secret.as_str()),
    ]);
    let r = post_form(&sb, "/oauth/token", &posted, None).await;
    assert_eq!((r.status, r.error()), (401, "invalid_client"));
    // No credentials at all.
    let mut bare = pairs.to_vec();
    bare.push(("client_id", client_id.as_str()));
    let r = post_form(&sb, "/oauth/token", &bare, None).await;
    assert_eq!((r.status, r.error()), (401, "invalid_client"));
    let ok = post_form(&sb, "/oauth/token", &pairs, Some((&client_id, &secret))).await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    assert_eq!(ok.body["scope"], json!("read"));
}

#[tokio::test]
async fn sandbox_oauth_token_exchange_gives_a_gateway_token_for_one_workspace() {
    let sb = sandbox(Duration::from_secs(900)).await;
    let acme_key = sb.workspace_key("Acme").await;
    let mine = contact(&sb, "Mine", None, &[]).await;
    let theirs = sb
        .send(
            Some(&acme_key),
            "POST",
            "/contacts",
            Some(br#"{"first_name":"Acme Person"}"#.to_vec()),
        )
        .await
        .expect(201)
        .str("id")
        .to_owned();
    assert_ne!(mine, theirs);

    let (_, t) = tokens(&sb, MCP_RESOURCE, "Acme", "read write").await;
    let mcp_token = t.str("access_token");
    // Minted for the MCP server: the gateway refuses it like a bad key.
    let r = sb
        .send(Some(&mcp_token), "GET", "/contacts", None)
        .await
        .expect(401);
    assert_eq!(r.body, json!({"error": "Invalid or expired token."}));

    let r = exchange(&sb, &mcp_token, MCP_RESOURCE, None).await;
    assert_eq!((r.status, r.error()), (400, "invalid_target"));
    let r = exchange(&sb, &mcp_token, &sb.base, Some("read write admin")).await;
    assert_eq!((r.status, r.error()), (400, "invalid_scope"));
    let r = exchange(
        &sb,
        "sa_oat_000000000000000000000000000000000000000000000000",
        &sb.base,
        None,
    )
    .await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));

    let x = exchange(&sb, &mcp_token, &sb.base, None).await;
    assert_eq!(x.status, 200, "{:?}", x.body);
    assert_eq!(x.body["issued_token_type"], json!(ACCESS_TYPE));
    assert_eq!(x.body["token_type"], json!("Bearer"));
    assert_eq!(x.body["scope"], json!("read write"));
    assert!(x.body.get("refresh_token").is_none());
    assert!(
        x.body["expires_in"]
            .as_i64()
            .is_some_and(|s| (0..=900).contains(&s))
    );
    let gateway_token = x.str("access_token");
    assert!(is_token(&gateway_token, "sa_oat_"));
    let seen = introspect(&sb, &gateway_token).await;
    assert_eq!(seen["aud"], json!(sb.base));
    assert!(seen["exp"].as_i64() <= introspect(&sb, &mcp_token).await["exp"].as_i64());

    let list = sb
        .send(Some(&gateway_token), "GET", "/contacts", None)
        .await
        .expect(200);
    let ids: Vec<&str> = list.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        vec![theirs.as_str()],
        "only the chosen workspace's data"
    );
    let created = sb
        .send(
            Some(&gateway_token),
            "POST",
            "/contacts",
            Some(br#"{"first_name":"Via OAuth"}"#.to_vec()),
        )
        .await;
    assert_eq!(created.status, 201, "write scope writes");
}

#[tokio::test]
async fn sandbox_oauth_read_scope_cannot_write() {
    let sb = sandbox(Duration::from_secs(900)).await;
    let (_, t) = tokens(&sb, &sb.base, "default", "read").await;
    let token = t.str("access_token");
    sb.send(Some(&token), "GET", "/contacts", None)
        .await
        .expect(200);
    let r = sb
        .send(
            Some(&token),
            "POST",
            "/contacts",
            Some(br#"{"first_name":"X"}"#.to_vec()),
        )
        .await
        .expect(403);
    assert_eq!(
        r.body,
        json!({"error": "API key does not have write permission"})
    );
    // Exchange cannot widen a read-only token either.
    let (_, t) = tokens(&sb, MCP_RESOURCE, "default", "read").await;
    let r = exchange(&sb, &t.str("access_token"), &sb.base, Some("read write")).await;
    assert_eq!((r.status, r.error()), (400, "invalid_scope"));
}

#[tokio::test]
async fn sandbox_oauth_expired_tokens_are_refused_and_inactive() {
    let sb = sandbox(Duration::from_secs(1)).await;
    let (_, t) = tokens(&sb, &sb.base, "default", "read write").await;
    let token = t.str("access_token");
    assert_eq!(t.body["expires_in"], json!(1));
    // Used (and cached) while fresh…
    sb.send(Some(&token), "GET", "/contacts", None)
        .await
        .expect(200);
    assert_eq!(introspect(&sb, &token).await["active"], json!(true));
    tokio::time::sleep(Duration::from_millis(1300)).await;
    // …but never remembered past its expiry.
    let r = sb
        .send(Some(&token), "GET", "/contacts", None)
        .await
        .expect(401);
    assert_eq!(r.body, json!({"error": "Invalid or expired token."}));
    assert_eq!(introspect(&sb, &token).await, json!({"active": false}));
    let r = exchange(&sb, &token, &sb.base, None).await;
    assert_eq!((r.status, r.error()), (400, "invalid_grant"));
}

#[tokio::test]
async fn sandbox_oauth_introspection_knows_keys_tokens_and_nothing_else() {
    let sb = sandbox(Duration::from_secs(900)).await;
    let (client_id, t) = tokens(&sb, MCP_RESOURCE, "default", "read write").await;
    let seen = introspect(&sb, &t.str("access_token")).await;
    let default_ws = seen["workspace_id"]
        .as_str()
        .expect("workspace_id")
        .to_owned();
    assert_eq!(seen["active"], json!(true));
    assert_eq!(seen["token_type"], json!("access_token"));
    assert_eq!(seen["client_id"], json!(client_id));
    assert_eq!(seen["scope"], json!("read write"));
    assert_eq!(seen["aud"], json!(MCP_RESOURCE));
    assert_eq!(seen["iss"], json!(sb.base));
    let (iat, exp) = (
        seen["iat"].as_i64().expect("iat"),
        seen["exp"].as_i64().expect("exp"),
    );
    assert!((899..=901).contains(&(exp - iat)), "{iat} {exp}");

    let key = introspect(&sb, &sb.key).await;
    assert_eq!(
        key,
        json!({"active": true, "token_type": "api_key", "workspace_id": default_ws, "scope": "read write"})
    );
    let ro = sb
        .key_with("default", true, smartalex_sandbox::KeyUser::Owner)
        .await;
    assert_eq!(introspect(&sb, &ro).await["scope"], json!("read"));

    for inactive in [
        t.str("refresh_token"),
        "sa_test_000000000000000000000000000000000000000000000000".to_owned(),
        "sa_oat_000000000000000000000000000000000000000000000000".to_owned(),
        "garbage".to_owned(),
    ] {
        assert_eq!(introspect(&sb, &inactive).await, json!({"active": false}));
    }
    let r = post_form(&sb, "/oauth/introspect", &[], None).await;
    assert_eq!((r.status, r.error()), (400, "invalid_request"));
}

/// The official Python SDK's `OAuthClientProvider`, end to end: it finds the
/// sandbox from a stand-in resource server's RFC 9728 metadata, registers,
/// gets through the consent page and PKCE, and its token — introspected,
/// then exchanged for a gateway token — reads the chosen workspace.
#[tokio::test(flavor = "multi_thread")]
async fn sandbox_oauth_python_sdk_provider_completes_the_flow() {
    let sb = sandbox(Duration::from_secs(900)).await;
    contact(&sb, "Ada", None, &[]).await;
    // The stand-in resource server's port, so its client can be provisioned
    // for its URL before it starts.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("addr")
        .port();
    let (id, secret) = exchanger(&sb, &format!("http://127.0.0.1:{port}/mcp")).await;
    let base = sb.base.clone();
    let link = sb.running.consent_url().expect("OAuth is on");
    let out = tokio::task::spawn_blocking(move || {
        let port = port.to_string();
        crate::common::clients::python_report(
            "oauth_provider.py",
            [
                base.as_str(),
                link.as_str(),
                id.as_str(),
                secret.as_str(),
                port.as_str(),
            ],
            &[],
        )
    })
    .await
    .expect("python");
    assert_eq!(out["consent_link_status"], json!(303), "{out}");
    assert_eq!(out["status"], json!(200), "{out}");
    assert_eq!(out["registered_method"], json!("none"));
    assert_eq!(
        out["authorize_params"]["code_challenge_method"],
        json!("S256")
    );
    let resource = out["authorize_params"]["resource"]
        .as_str()
        .expect("resource");
    assert!(resource.ends_with("/mcp"), "{out}");
    assert_eq!(
        (
            out["consent_status"].as_u64(),
            out["decision_status"].as_u64()
        ),
        (Some(200), Some(303))
    );
    assert_eq!(out["body"]["introspected"]["aud"], json!(resource));
    assert_eq!(out["body"]["introspected"]["iss"], json!(sb.base));
    assert_eq!(out["body"]["exchanged_scope"], json!("read write"));
    assert_eq!(out["body"]["contacts_total"], json!(1));
    assert_eq!(out["token_type"], json!("Bearer"));
    assert_eq!(out["has_refresh_token"], json!(true));
}

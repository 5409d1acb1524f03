//! The HTML the authorization endpoint shows a person: the consent page (to
//! the operator only), the page that tells anyone else how to become the
//! operator, and the error page for requests that cannot be redirected.
//!
//! The markup is deliberately plain and stable — one form, named fields, one
//! `<option>` per workspace — because tests and scripted clients fill it in
//! with a regex or an HTML parser. Every value that came from a client
//! (name, scope, resource, redirect URI) is HTML-escaped: a client chooses
//! its own name. The page shows the redirect URI because that is where the
//! code goes: an operator who does not recognise it should deny.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// Escape text for an HTML element or a double-quoted attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What the consent page shows.
#[derive(Debug)]
pub(crate) struct Consent<'a> {
    pub(crate) client_name: &'a str,
    pub(crate) scope: &'a str,
    pub(crate) resource: &'a str,
    /// Where the code will be sent.
    pub(crate) redirect_uri: &'a str,
    pub(crate) request_id: &'a str,
    /// Bound to `request_id` and the operator's key.
    pub(crate) csrf_token: &'a str,
    /// (id, name) of every workspace.
    pub(crate) workspaces: &'a [(String, String)],
}

/// The consent page (200).
pub(crate) fn page(c: &Consent<'_>) -> Response {
    let options: String = c
        .workspaces
        .iter()
        .map(|(id, name)| {
            format!(
                "      <option value=\"{}\">{}</option>\n",
                escape(id),
                escape(name)
            )
        })
        .collect();
    let body = format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Authorize {client} — SmartAlex sandbox</title></head>
<body>
  <h1>Authorize <span id="client-name">{client}</span></h1>
  <p>This application asks for <strong id="scope">{scope}</strong> access to <code id="resource">{resource}</code>.</p>
  <p>If you approve, the authorization code is sent to <code id="redirect-uri">{redirect_uri}</code>. Deny if you do not recognise it.</p>
  <form method="post" action="/oauth/authorize">
    <input type="hidden" name="request_id" value="{request_id}">
    <input type="hidden" name="csrf_token" value="{csrf_token}">
    <label for="workspace_id">Workspace</label>
    <select name="workspace_id" id="workspace_id">
{options}    </select>
    <button type="submit" name="decision" value="approve">Approve</button>
    <button type="submit" name="decision" value="deny">Deny</button>
  </form>
</body>
</html>
"#,
        client = escape(c.client_name),
        scope = escape(c.scope),
        resource = escape(c.resource),
        redirect_uri = escape(c.redirect_uri),
        request_id = escape(c.request_id),
        csrf_token = escape(c.csrf_token),
    );
    html(StatusCode::OK, body)
}

/// What anyone but the operator sees instead of the consent page (403): no
/// workspaces, no request, just how to get the consent link — or a field to
/// paste the key into, which comes back to `next` (this request).
pub(crate) fn operator_required(next: Option<&str>) -> Response {
    let next = next
        .map(|n| {
            format!(
                r#"    <input type="hidden" name="next" value="{}">"#,
                escape(n)
            ) + "\n"
        })
        .unwrap_or_default();
    let body = format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Operator approval needed — SmartAlex sandbox</title></head>
<body>
  <h1>Operator approval needed</h1>
  <p id="operator-required">Only the operator of this sandbox can approve access. The process that started it
  (<code>smartalex-mcp sandbox</code>, <code>smartalex-mcp http --sandbox</code> or
  <code>smartalex-mcp --sandbox --sandbox-oauth</code>) printed a consent link on its standard error, ending in
  <code>/oauth/consent?key=…</code>. Open that link once in this browser, then reload this page — or paste the key:</p>
  <form method="post" action="/oauth/consent">
{next}    <label for="key">Consent key</label>
    <input type="password" name="key" id="key" autocomplete="off">
    <button type="submit">Continue</button>
  </form>
</body>
</html>
"#
    );
    html(StatusCode::FORBIDDEN, body)
}

/// The consent link worked: this browser is the operator's.
pub(crate) fn recognised_page() -> Response {
    html(
        StatusCode::OK,
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Operator recognised — SmartAlex sandbox</title></head>
<body>
  <h1>Operator recognised</h1>
  <p id="recognised">This browser can now approve authorization requests of this sandbox. Go back to the application that asked for access and retry.</p>
</body>
</html>
"#
        .to_owned(),
    )
}

/// An error shown to the person, not sent to the client: used when the
/// redirect URI cannot be trusted, the request is gone, or the form was not
/// the operator's. 400 unless `status` says otherwise.
pub(crate) fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Authorization error — SmartAlex sandbox</title></head>
<body>
  <h1>Authorization error</h1>
  <p id="error">{}</p>
</body>
</html>
"#,
        escape(message)
    );
    html(status, body)
}

fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The page must not be framed (clickjacking on the approve button).
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    // The authorization URL (state, challenge) is not sent to other sites;
    // `same-origin`, not `no-referrer`, which would make the form's POST
    // carry `Origin: null` and fail the same-origin check.
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    // No `form-action`: browsers apply it to the redirect that follows the
    // form, and that goes to the client's redirect URI, another origin.
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<b a="1">Tom & 'Jerry'</b>"#),
            "&lt;b a=&quot;1&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
    }
}

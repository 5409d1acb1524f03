//! The HTML the authorization endpoint shows a person: the consent page and
//! the error page for requests that cannot be redirected.
//!
//! The markup is deliberately plain and stable — one form, named fields, one
//! `<option>` per workspace — because tests and scripted clients fill it in
//! with a regex or an HTML parser. Every value that came from a client
//! (name, scope, resource) is HTML-escaped: a client chooses its own name.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// Escape text for an HTML element or a double-quoted attribute.
pub fn escape(text: &str) -> String {
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
pub struct Consent<'a> {
    pub client_name: &'a str,
    pub scope: &'a str,
    pub resource: &'a str,
    pub request_id: &'a str,
    /// (id, name) of every workspace.
    pub workspaces: &'a [(String, String)],
}

/// The consent page (200).
pub fn page(c: &Consent<'_>) -> Response {
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
  <form method="post" action="/oauth/authorize">
    <input type="hidden" name="request_id" value="{request_id}">
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
        request_id = escape(c.request_id),
    );
    html(StatusCode::OK, body)
}

/// An error shown to the person, not sent to the client: used when the
/// redirect URI cannot be trusted (or the request is gone). Always 400.
pub fn error_page(message: &str) -> Response {
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
    html(StatusCode::BAD_REQUEST, body)
}

fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The page must not be framed (clickjacking on the approve button).
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
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

//! Quick Setup: an agent from a website.
//!
//! Fetch the page (http/https only, every hop checked by [`netguard`], at
//! most 5 redirects, 10 s, 2 MiB), pull out its title, description and main
//! text with a deliberately small HTML scanner (no DOM: we only need text),
//! and derive the agent's company, name, objective and prompt material from
//! them. Failures are the caller's to see, as 422 `website_url: …`.

use reqwest::Url;

use super::errors::ApiError;
use super::netguard;

const MAX_BYTES: usize = 2 * 1024 * 1024;
const MAX_REDIRECTS: usize = 5;
const SUMMARY_CHARS: usize = 1200;

/// What a page says about the business.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PageInfo {
    title: Option<String>,
    description: Option<String>,
    site_name: Option<String>,
    heading: Option<String>,
    text: String,
}

/// The agent fields Quick Setup fills in.
#[derive(Debug, Clone)]
pub(crate) struct Derived {
    pub(crate) company_name: String,
    pub(crate) name: String,
    pub(crate) objective: String,
    pub(crate) summary: String,
}

fn refuse(problem: impl std::fmt::Display) -> ApiError {
    ApiError::field("website_url", problem)
}

/// GET the page, following redirects by hand so each hop is checked.
pub(crate) async fn fetch(
    shared: &reqwest::Client,
    url: &str,
    allow_private: bool,
) -> Result<(Url, String), ApiError> {
    let mut url = Url::parse(url).map_err(|_| refuse("Invalid url"))?;
    for _ in 0..=MAX_REDIRECTS {
        let client = netguard::client_for(&url, shared, allow_private)
            .await
            .map_err(refuse)?;
        let mut response = client
            .get(url.clone())
            .header("accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
            .send()
            .await
            .map_err(|e| {
                refuse(format!(
                    "Could not fetch the website ({})",
                    short_reason(&e)
                ))
            })?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| {
                    refuse(format!(
                        "Could not fetch the website (HTTP {} without a Location)",
                        status.as_u16()
                    ))
                })?;
            url = url
                .join(location)
                .map_err(|_| refuse("Could not fetch the website (bad redirect)"))?;
            continue;
        }
        if !status.is_success() {
            return Err(refuse(format!(
                "Could not fetch the website (HTTP {})",
                status.as_u16()
            )));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            refuse(format!(
                "Could not fetch the website ({})",
                short_reason(&e)
            ))
        })? {
            let room = MAX_BYTES.saturating_sub(body.len());
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() >= MAX_BYTES {
                break;
            }
        }
        return Ok((url, String::from_utf8_lossy(&body).into_owned()));
    }
    Err(refuse("Could not fetch the website (too many redirects)"))
}

fn short_reason(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    }
}

/// Title, description, site name, first heading and main text of an HTML page.
pub(crate) fn extract(html: &str) -> PageInfo {
    let lower = html.to_ascii_lowercase();
    let title = element_text(html, &lower, "title");
    let heading = element_text(html, &lower, "h1");
    let mut description = None;
    let mut site_name = None;
    let mut og_description = None;
    let mut pos = 0;
    while let Some(at) = lower[pos..].find("<meta") {
        let start = pos + at;
        let end = lower[start..].find('>').map_or(lower.len(), |e| start + e);
        let tag = &html[start..end];
        let key = attr(tag, "name")
            .or_else(|| attr(tag, "property"))
            .map(|k| k.to_ascii_lowercase());
        if let (Some(key), Some(content)) = (key, attr(tag, "content")) {
            let content = clean(&decode_entities(&content));
            if !content.is_empty() {
                match key.as_str() {
                    "description" => description = Some(content),
                    "og:description" => og_description = Some(content),
                    "og:site_name" => site_name = Some(content),
                    _ => {}
                }
            }
        }
        pos = end;
    }
    let body_html = region(html, &lower, "main")
        .or_else(|| region(html, &lower, "body"))
        .unwrap_or(html);
    PageInfo {
        title,
        description: description.or(og_description),
        site_name,
        heading,
        text: visible_text(body_html),
    }
}

/// Derive the agent from the page.
pub(crate) fn derive(info: &PageInfo, url: &Url, direction: &str) -> Derived {
    let host = url
        .host_str()
        .unwrap_or("the website")
        .trim_start_matches("www.")
        .to_owned();
    let company_name = info
        .site_name
        .clone()
        .or_else(|| info.title.as_deref().map(title_company))
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| host.clone());
    let offer = info
        .description
        .as_deref()
        .or(info.heading.as_deref())
        .map(first_sentence)
        .filter(|s| !s.is_empty());
    let objective = match (direction, &offer) {
        ("inbound", Some(offer)) => format!(
            "Answer calls for {company_name}: help callers with questions about what the business offers ({offer}), capture their name and need, and book an appointment or callback."
        ),
        ("inbound", None) => format!(
            "Answer calls for {company_name}: help callers with their questions, capture their name and need, and book an appointment or callback."
        ),
        (_, Some(offer)) => format!(
            "Call leads for {company_name}, introduce what it offers ({offer}), qualify their interest and book a follow-up meeting."
        ),
        (_, None) => format!(
            "Call leads for {company_name}, qualify their interest and book a follow-up meeting."
        ),
    };
    let mut summary = String::new();
    if let Some(d) = &info.description {
        summary.push_str(d);
    }
    if !info.text.is_empty() {
        if !summary.is_empty() {
            summary.push_str("\n\n");
        }
        summary.push_str(&truncate_chars(&info.text, SUMMARY_CHARS));
    }
    if summary.is_empty() {
        summary = format!("Website: {url}");
    }
    Derived {
        name: format!("{company_name} Assistant"),
        company_name,
        objective,
        summary,
    }
}

fn title_company(title: &str) -> String {
    let mut best = title;
    for sep in [" | ", " - ", " – ", " — ", " · ", ": "] {
        if let Some((first, _)) = best.split_once(sep) {
            best = first;
        }
    }
    best.trim().to_owned()
}

fn first_sentence(text: &str) -> String {
    let end = text.find(['.', '!', '?']).unwrap_or(text.len());
    truncate_chars(text[..end].trim(), 160)
}

fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", text[..i].trim_end()),
        None => text.to_owned(),
    }
}

/// The inner HTML of the first `<tag …>…</tag>`, if any.
fn region<'a>(html: &'a str, lower: &str, tag: &str) -> Option<&'a str> {
    let open = find_open(lower, tag, 0)?;
    let start = open + lower[open..].find('>')? + 1;
    let end = lower[start..]
        .find(&format!("</{tag}"))
        .map_or(lower.len(), |e| start + e);
    html.get(start..end)
}

fn element_text(html: &str, lower: &str, tag: &str) -> Option<String> {
    region(html, lower, tag)
        .map(visible_text)
        .filter(|t| !t.is_empty())
}

/// `<tag` followed by `>`, whitespace or `/` (so `<h1` does not match `<h10`, `<main` not `<mainframe`).
fn find_open(lower: &str, tag: &str, from: usize) -> Option<usize> {
    let needle = format!("<{tag}");
    let mut pos = from;
    while let Some(at) = lower[pos..].find(&needle) {
        let start = pos + at;
        let next = lower.as_bytes().get(start + needle.len()).copied();
        if matches!(next, Some(b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'/')) {
            return Some(start);
        }
        pos = start + needle.len();
    }
    None
}

/// Text a visitor would read: tags, comments, scripts, styles and page chrome dropped.
fn visible_text(html: &str) -> String {
    const SKIP: [&str; 8] = [
        "script", "style", "noscript", "svg", "nav", "footer", "template", "iframe",
    ];
    let lower = html.to_ascii_lowercase();
    let mut out = String::new();
    let mut i = 0;
    while i < html.len() {
        let rest = &lower[i..];
        if rest.starts_with("<!--") {
            i += rest.find("-->").map_or(rest.len(), |e| e + 3);
            continue;
        }
        if rest.starts_with('<') {
            if let Some(tag) = SKIP.iter().find(|t| find_open(rest, t, 0) == Some(0)) {
                let close = format!("</{tag}");
                i += rest.find(&close).map_or(rest.len(), |e| e + close.len());
                i += lower[i..].find('>').map_or(0, |e| e + 1);
                continue;
            }
            let end = rest.find('>').map_or(rest.len(), |e| e + 1);
            out.push(' ');
            i += end;
            continue;
        }
        let next = rest.find('<').unwrap_or(rest.len());
        out.push_str(&html[i..i + next]);
        i += next;
    }
    clean(&decode_entities(&out))
}

fn clean(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The value of `name="…"` (or single-quoted / unquoted) in a tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut pos = 0;
    while let Some(at) = lower[pos..].find(name) {
        let start = pos + at;
        pos = start + name.len();
        let before_ok = start == 0 || lower.as_bytes()[start - 1].is_ascii_whitespace();
        let after = lower[pos..].trim_start();
        if !before_ok || !after.starts_with('=') {
            continue;
        }
        let value_start = tag.len() - after.len() + 1;
        let raw = tag[value_start..].trim_start();
        return Some(match raw.chars().next() {
            Some(q @ ('"' | '\'')) => raw[1..].split(q).next().unwrap_or("").to_owned(),
            _ => raw
                .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .next()
                .unwrap_or("")
                .to_owned(),
        });
    }
    None
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(semi) = rest.bytes().take(12).position(|b| b == b';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some(' '),
            "mdash" => Some('—'),
            "ndash" => Some('–'),
            "rsquo" => Some('’'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!doctype html><html><head>
        <title>Harbor Realty | Homes in Portland</title>
        <meta name="description" content="Harbor Realty helps families buy and sell homes in Portland. Free valuations.">
        <meta property="og:site_name" content="Harbor Realty">
        <style>body { color: red }</style><script>var x = "<p>not text</p>";</script>
        </head><body><nav>Home · About</nav>
        <main><h1>Find your next home</h1><p>Over 200 listings &amp; local agents who know the market.</p><!-- hidden --></main>
        <footer>© 2025</footer></body></html>"#;

    #[test]
    fn extracts_title_description_and_main_text() {
        let info = extract(PAGE);
        assert_eq!(
            info.title.as_deref(),
            Some("Harbor Realty | Homes in Portland")
        );
        assert_eq!(info.site_name.as_deref(), Some("Harbor Realty"));
        assert_eq!(info.heading.as_deref(), Some("Find your next home"));
        assert_eq!(
            info.text,
            "Find your next home Over 200 listings & local agents who know the market."
        );
        assert!(
            info.description
                .as_deref()
                .is_some_and(|d| d.starts_with("Harbor Realty helps"))
        );
    }

    #[test]
    fn derives_the_agent() {
        let url = Url::parse("https://www.harbor.example/").expect("url");
        let d = derive(&extract(PAGE), &url, "inbound");
        assert_eq!(d.company_name, "Harbor Realty");
        assert_eq!(d.name, "Harbor Realty Assistant");
        assert!(
            d.objective
                .contains("Harbor Realty helps families buy and sell homes in Portland"),
            "{}",
            d.objective
        );
        let bare = derive(&extract("<p>hi</p>"), &url, "outbound");
        assert_eq!(bare.company_name, "harbor.example");
    }

    #[test]
    fn never_panics_on_broken_html() {
        for html in [
            "<",
            "<meta",
            "<meta content=",
            "<title>",
            "&#xZZ;",
            "<script>",
            "<!--",
            "<a href='x",
            "&#99999999;",
        ] {
            let _ = extract(html);
        }
    }
}

//! A ceiling on what one tool result or resource puts in a model's context.
//!
//! A page of 100 contacts is about 25 KB; the spec bounds every free-text
//! field a client can write, and the SDK refuses a gateway answer over
//! [`crate::MAX_RESPONSE_BYTES`]. Yet records written before the bounds, or
//! by other systems, can still be large, and a single result of megabytes
//! costs a client its memory and a model its context. So a result whose
//! compact JSON is over [`MAX_RESULT_BYTES`] is cut — always to a value that
//! still matches the tool's output schema — and says so:
//!
//! 1. the largest top-level list (`data`, `transcript`) keeps as many of its
//!    first items as fit;
//! 2. if that is not enough, long strings are shortened, each ending in
//!    [`CUT_MARK`].
//!
//! The note that comes back names what was left out and how to get it.

use serde_json::{Map, Value};

/// The most bytes of compact JSON one result carries.
pub const MAX_RESULT_BYTES: usize = 256 * 1024;

/// Ends a string that was shortened.
pub const CUT_MARK: &str = "…[cut]";

/// Room kept for the JSON around what is cut.
const SLACK: usize = 64;

/// Cut `body` so its compact JSON, `text`, fits in `limit` bytes. `text`
/// must be `body`'s serialization; both are updated. Returns the note for
/// the model, or `None` when nothing had to be cut. `per_page` says whether
/// the tool pages, so the note can say how to get the rest.
pub fn fit(body: &mut Value, text: &mut String, limit: usize, per_page: bool) -> Option<String> {
    if text.len() <= limit {
        return None;
    }
    let before = text.len();
    let mut said = Vec::new();
    if let Value::Object(map) = body
        && let Some((key, kept, total)) = cut_largest_list(map, text.len(), limit)
    {
        let mut s = format!("only the first {kept} of the {total} items in `{key}` are shown");
        if per_page && key == "data" {
            s.push_str(&format!(
                "; to see the others, call again with a smaller per_page (per_page: {}) and page through",
                kept.max(1)
            ));
        }
        said.push(s);
        *text = body.to_string();
    }
    if text.len() > limit {
        let mut keep = 4096;
        while text.len() > limit && keep >= 16 {
            shorten_strings(body, keep);
            *text = body.to_string();
            keep /= 2;
        }
        said.push(format!(
            "long text fields were shortened, each ending in {CUT_MARK}; read single records (their get tool) for the full text"
        ));
    }
    Some(format!(
        "This result was cut to fit the {} KiB limit ({} KiB before): {}.",
        limit / 1024,
        before.div_ceil(1024),
        said.join("; ")
    ))
}

/// Keep only the first items of the object's largest array that fit.
/// Returns its key, how many items were kept and how many there were.
fn cut_largest_list(
    map: &mut Map<String, Value>,
    size: usize,
    limit: usize,
) -> Option<(String, usize, usize)> {
    let (key, list_size) = map
        .iter()
        .filter(|(_, v)| v.as_array().is_some_and(|a| !a.is_empty()))
        .map(|(k, v)| (k.clone(), v.to_string().len()))
        .max_by_key(|(_, len)| *len)?;
    let Some(Value::Array(items)) = map.get_mut(&key) else {
        return None;
    };
    let total = items.len();
    let mut room = limit.saturating_sub(size - list_size + SLACK);
    let mut kept = 0;
    for item in items.iter() {
        let len = item.to_string().len() + 1;
        if len > room {
            break;
        }
        room -= len;
        kept += 1;
    }
    if kept == 0 {
        // Not even one item fits: keep one and let its strings be shortened.
        kept = 1;
    }
    items.truncate(kept);
    Some((key, kept, total))
}

/// Shorten every string longer than `keep` characters.
fn shorten_strings(value: &mut Value, keep: usize) {
    match value {
        Value::String(s) if s.chars().count() > keep => {
            let end = s.char_indices().nth(keep).map_or(s.len(), |(i, _)| i);
            s.truncate(end);
            s.push_str(CUT_MARK);
        }
        Value::Array(items) => items.iter_mut().for_each(|v| shorten_strings(v, keep)),
        Value::Object(map) => map.values_mut().for_each(|v| shorten_strings(v, keep)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(n: usize, note: usize) -> Value {
        let data: Vec<Value> = (0..n)
            .map(|i| json!({"id": i, "notes": "x".repeat(note)}))
            .collect();
        json!({"data": data, "page": 1, "per_page": n, "total": 1000})
    }

    #[test]
    fn a_result_under_the_limit_is_untouched() {
        let mut body = page(3, 10);
        let mut text = body.to_string();
        let original = text.clone();
        assert_eq!(fit(&mut body, &mut text, 1024, true), None);
        assert_eq!(text, original);
    }

    #[test]
    fn a_long_page_keeps_its_first_records_and_says_how_to_page() {
        let mut body = page(25, 1000);
        let mut text = body.to_string();
        let note = fit(&mut body, &mut text, 10 * 1024, true).unwrap();
        assert!(text.len() <= 10 * 1024, "{}", text.len());
        assert_eq!(text, body.to_string());
        let kept = body["data"].as_array().unwrap().len();
        assert!((8..25).contains(&kept), "{kept}");
        assert_eq!(body["data"][0]["id"], 0, "the first records are kept");
        assert_eq!(body["total"], 1000);
        assert!(
            note.contains(&format!("only the first {kept} of the 25 items in `data`")),
            "{note}"
        );
        assert!(note.contains(&format!("per_page: {kept}")), "{note}");
    }

    #[test]
    fn one_huge_record_has_its_strings_shortened() {
        let mut body = json!({"id": "c", "notes": "é".repeat(100_000), "transcript": []});
        let mut text = body.to_string();
        let note = fit(&mut body, &mut text, 8 * 1024, false).unwrap();
        assert!(text.len() <= 8 * 1024, "{}", text.len());
        assert!(body["notes"].as_str().unwrap().ends_with(CUT_MARK));
        assert!(note.contains("shortened"), "{note}");
        assert!(!note.contains("per_page"), "{note}");
    }
}

//! Wall-clock time as the gateway writes it: RFC 3339, UTC, milliseconds.
//!
//! Stored timestamps use the same fixed-width format, so SQLite's text
//! ordering is chronological ordering ("newest first" is `ORDER BY … DESC`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, SecondsFormat, Utc};

pub(crate) fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from(SystemTime::now())
}

pub(crate) fn format(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Now, formatted.
pub(crate) fn now_str() -> String {
    format(now())
}

/// Now plus (or minus) some time, formatted.
pub(crate) fn offset_str(delta: chrono::Duration) -> String {
    format(now() + delta)
}

/// Seconds since the Unix epoch (webhook signature timestamps).
pub(crate) fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// Milliseconds since the Unix epoch: OAuth expiries are compared as
/// numbers, and RFC 7662 reports them in (whole) seconds.
pub(crate) fn unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis() as i64
}

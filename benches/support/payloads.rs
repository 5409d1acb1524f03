//! Realistic gateway answers: what users' assistants actually fetch.
//!
//! A page of contacts with every field filled (name, company, e-mail, phone,
//! tags, a note, timestamps), a call with a ~40-turn transcript, and a
//! not-found error. Deterministic, so the benchmark and the byte-identity
//! test see the same bytes on every run. Keys are in the spec's order and
//! timestamps in the gateway's RFC 3339 form.

use std::fmt::Write as _;

const FIRST: &[&str] = &[
    "Ada",
    "Alan",
    "Grace",
    "Katherine",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Dennis",
    "Margaret",
    "Ken",
    "Radia",
    "Tim",
    "Sophie",
    "Linus",
    "Hedy",
    "Claude",
    "Shafi",
    "Leslie",
    "Anita",
    "John",
    "Evelyn",
    "Niklaus",
    "Karen",
    "Bjarne",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Turing",
    "Hopper",
    "Johnson",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Ritchie",
    "Hamilton",
    "Thompson",
    "Perlman",
    "Berners-Lee",
    "Wilson",
    "Torvalds",
    "Lamarr",
    "Shannon",
    "Goldwasser",
    "Lamport",
    "Borg",
    "McCarthy",
    "Boyd",
    "Wirth",
    "Spärck Jones",
    "Stroustrup",
];
const COMPANY: &[&str] = &[
    "Analytical Engines Ltd",
    "Bletchley Logistics",
    "Harbor Compilers Inc.",
    "Orbit Mechanics & Co",
    "Northwind Dental Group",
    "Blue Fern Realty",
    "Cedar & Stone Roofing",
];
const TAGS: &[&str] = &[
    "lead",
    "q4-outreach",
    "vip",
    "callback",
    "enterprise",
    "trial",
];
const NOTES: &[&str] = &[
    "Asked for a callback after 3pm on weekdays; interested in the annual plan.",
    "Met at the Lisbon expo. Wants a demo for the sales team (about 12 seats).",
    "Prefers e-mail. Budget approved for Q1, decision maker is the COO.",
    "Left a voicemail twice. Spoke with the assistant, who said \"try Monday\".",
];

/// The id of the `n`th contact.
pub fn contact_id(n: usize) -> String {
    format!(
        "{:08x}-5e6f-4a1b-9c2d-{:012x}",
        0x1a2b_0000 + n,
        0x00ab_cdef_0000 + n
    )
}

/// One contact, as the gateway writes it; with `millis`, its timestamps
/// carry milliseconds as the gateway's own clock writes them (`.000` on a
/// whole second), else whole seconds as the spec's examples do.
fn contact(out: &mut String, n: usize, millis: bool) {
    let (first, last) = (FIRST[n % FIRST.len()], LAST[(n * 7) % LAST.len()]);
    let email = format!(
        "{}.{}@example.com",
        first.to_lowercase(),
        last.to_lowercase().replace([' ', 'ä'], "")
    );
    let day = 1 + n % 28;
    let (created_ms, updated_ms) = if millis {
        (format!(".{:03}", (n * 137) % 1000), ".000".to_owned())
    } else {
        (String::new(), String::new())
    };
    let _ = write!(
        out,
        r#"{{"id":"{}","first_name":"{first}","last_name":"{last}","email":"{email}","phone":"+1415555{:04}","company":"{}","tags":["{}","{}"],"notes":"{}","created_at":"2026-10-{day:02}T09:{:02}:00{created_ms}Z","updated_at":"2026-11-{day:02}T17:{:02}:31{updated_ms}Z"}}"#,
        contact_id(n),
        1000 + n,
        COMPANY[n % COMPANY.len()],
        TAGS[n % TAGS.len()],
        TAGS[(n + 3) % TAGS.len()],
        NOTES[n % NOTES.len()].replace('"', "\\\""),
        n % 60,
        (n * 13) % 60,
    );
}

/// `GET /contacts?per_page={n}`: a full page of `n` contacts.
pub fn contact_page(n: usize) -> String {
    page_of(n, false)
}

/// The same page with millisecond timestamps, as the gateway's clock (and
/// the sandbox's) writes them: `GET /contacts?page=2&per_page={n}`.
pub fn contact_page_millis(n: usize) -> String {
    page_of(n, true)
}

fn page_of(n: usize, millis: bool) -> String {
    let mut out = String::from(r#"{"data":["#);
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        contact(&mut out, i, millis);
    }
    let _ = write!(out, r#"],"page":1,"per_page":{n},"total":1342}}"#);
    out
}

const AGENT_LINES: &[&str] = &[
    "Hi, this is Alex calling from Blue Fern Realty. Is this a good moment to talk for two minutes?",
    "Great. You asked about listing your apartment last week; I'd love to understand your timeline.",
    "That makes sense. Many of our sellers in your area list in early spring, when demand peaks.",
    "Could you tell me roughly how many bedrooms and whether the parking space is included?",
    "Thanks. Based on recent sales nearby, similar homes sold between 610 and 660 thousand.",
    "I can book a free valuation with one of our agents. Would Thursday or Friday suit you better?",
    "Perfect, I have Friday at 10:30 am with Maria. You'll get a confirmation by text and e-mail.",
    "Is there anything specific you'd like Maria to prepare, like comparables or a marketing plan?",
];
const CONTACT_LINES: &[&str] = &[
    "Yes, I have a minute. What is this about?",
    "We're thinking about selling, maybe in March, but nothing is decided yet.",
    "It's a two-bedroom, and yes, the parking space comes with it. The kitchen was redone in 2022.",
    "Hm, that's a bit more than I expected, honestly. What fees would you charge on top of that?",
    "Friday works, in the morning if possible. My partner can join after eleven.",
    "Comparables would help, and how long homes are staying on the market right now.",
    "One more thing: can you make sure nobody calls me before nine? I work night shifts.",
    "Okay, thank you. Talk to you Friday then.",
];

/// `GET /calls/{id}`: a completed call with a `turns`-turn transcript.
pub fn call_detail(turns: usize) -> String {
    let mut out = String::from(
        r#"{"id":"c0ffee00-1111-4222-8333-444455556666","campaign_id":"ca0ca0ca-1111-4222-8333-444455556666","agent_id":"a9e47000-1111-4222-8333-444455556666","contact_id":""#,
    );
    out.push_str(&contact_id(3));
    out.push_str(
        r#"","direction":"outbound","call_status":"completed","duration_seconds":412,"sentiment":"positive","cost":0.87,"summary":"The contact plans to sell a two-bedroom apartment in March and booked a free valuation for Friday 10:30 am with Maria. Asked for comparables and no calls before 9 am.","started_at":"2026-11-30T15:02:11Z","ended_at":"2026-11-30T15:09:03Z","transcript":["#,
    );
    for t in 0..turns {
        if t > 0 {
            out.push(',');
        }
        let (role, lines) = if t % 2 == 0 {
            ("agent", AGENT_LINES)
        } else {
            ("contact", CONTACT_LINES)
        };
        let offset = t as f64 * 10.25;
        let _ = write!(
            out,
            r#"{{"role":"{role}","text":"{}","offset_seconds":{offset}}}"#,
            lines[(t / 2) % lines.len()]
        );
    }
    out.push_str("]}");
    out
}

/// A 404 as the gateway writes it.
pub fn not_found() -> &'static str {
    r#"{"error":"not_found","message":"Contact not found"}"#
}

/// The contact id the gateway answers 404 for.
pub const MISSING_CONTACT: &str = "deadbeef-0000-4000-8000-000000000000";

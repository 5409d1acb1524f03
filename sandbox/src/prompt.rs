//! The agent's system prompt, generated from its settings.
//!
//! The production platform regenerates the prompt whenever an agent's
//! settings change and pushes it to the voice platform; the sandbox does
//! the same so that `get_agent` after `update_agent` shows the effect.
//! Generation is a pure function of the settings: the same agent always
//! gets the same prompt.

use std::fmt::Write;

/// What the prompt is built from.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    pub(crate) name: String,
    pub(crate) company_name: Option<String>,
    pub(crate) objective: Option<String>,
    pub(crate) direction: String,
    pub(crate) language: String,
    pub(crate) timezone: Option<String>,
    pub(crate) first_message: Option<String>,
    pub(crate) voicemail_message: Option<String>,
    pub(crate) end_call_phrases: Vec<String>,
    pub(crate) transfer_phone_number: Option<String>,
    pub(crate) max_call_duration_seconds: Option<i64>,
    pub(crate) interruption_sensitivity: Option<String>,
    /// What Quick Setup learned from the website.
    pub(crate) website_summary: Option<String>,
}

/// The opening line when none was given.
pub(crate) fn default_first_message(direction: &str, company: Option<&str>) -> String {
    let company = company.unwrap_or("our team");
    if direction == "inbound" {
        format!("Thanks for calling {company}! This is Alex. How can I help you today?")
    } else {
        format!("Hi {{{{first_name}}}}, this is Alex from {company}. Do you have a quick minute?")
    }
}

pub(crate) fn generate(s: &Settings) -> String {
    let company = s.company_name.as_deref().unwrap_or("the company");
    let mut p = String::new();
    let _ = writeln!(p, "You are {}, an AI voice agent for {company}.", s.name);
    if s.direction == "inbound" {
        let _ = writeln!(
            p,
            "You answer inbound phone calls from customers and prospects."
        );
    } else {
        let _ = writeln!(
            p,
            "You place outbound phone calls to contacts on behalf of {company}."
        );
    }
    if let Some(objective) = &s.objective {
        let _ = writeln!(p, "\n## Objective\n{objective}");
    }
    let _ = writeln!(p, "\n## Conversation rules");
    let _ = writeln!(
        p,
        "- Speak {} and keep answers short: this is a phone call.",
        s.language
    );
    if let Some(first) = &s.first_message {
        let _ = writeln!(p, "- Open with: \"{first}\"");
    }
    if let Some(tz) = &s.timezone {
        let _ = writeln!(p, "- Times you mention are in the {tz} time zone.");
    }
    match s.interruption_sensitivity.as_deref() {
        Some("high") => {
            let _ = writeln!(p, "- Stop talking as soon as the caller speaks.");
        }
        Some("low") => {
            let _ = writeln!(
                p,
                "- Finish your sentence before yielding to brief interjections."
            );
        }
        _ => {}
    }
    if let Some(max) = s.max_call_duration_seconds {
        let _ = writeln!(
            p,
            "- Wrap the call up politely before {} minute(s).",
            (max + 59) / 60
        );
    }
    if let Some(number) = &s.transfer_phone_number {
        let _ = writeln!(
            p,
            "- If the caller asks for a person, transfer the call to {number}."
        );
    }
    if let Some(vm) = &s.voicemail_message {
        let _ = writeln!(
            p,
            "- If you reach voicemail, leave this message and hang up: \"{vm}\""
        );
    }
    if !s.end_call_phrases.is_empty() {
        let _ = writeln!(
            p,
            "- End the call when the other side says: {}.",
            s.end_call_phrases.join("; ")
        );
    }
    let _ = writeln!(
        p,
        "- Never invent prices, policies or availability; offer a follow-up instead."
    );
    if let Some(summary) = &s.website_summary {
        let _ = writeln!(p, "\n## About {company}\n{summary}");
    }
    p.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_reflects_settings() {
        let mut s = Settings {
            name: "Ava".into(),
            company_name: Some("Acme".into()),
            objective: Some("Book demos.".into()),
            direction: "outbound".into(),
            language: "en-US".into(),
            ..Settings::default()
        };
        let before = generate(&s);
        assert!(before.contains("You are Ava, an AI voice agent for Acme."));
        assert!(before.contains("Book demos."));
        s.transfer_phone_number = Some("+14155550100".into());
        let after = generate(&s);
        assert!(after.contains("transfer the call to +14155550100"));
        assert_ne!(before, after);
        assert!(default_first_message("outbound", Some("Acme")).contains("{{first_name}}"));
    }
}

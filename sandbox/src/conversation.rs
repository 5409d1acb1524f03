//! What happens on a simulated call: its outcome, duration, cost,
//! sentiment, summary and turn-by-turn transcript.
//!
//! Like a payment provider's test cards, outcomes are deterministic and can
//! be chosen with magic numbers: a contact phone ending in
//! `0001` → `no_answer`, `0002` → `busy`, `0003` → `voicemail`,
//! `0004` → `failed`; a contact without a phone → `failed`; anything else is
//! answered (`completed`). Sentiment follows the contact's tags and notes
//! (`hot`, `interested`, `vip` → positive; `cold`, `not interested`,
//! `do-not-call` → negative), otherwise a seeded draw leaning positive. The
//! transcript is written from the agent's objective (booking, feedback,
//! reminder, offer or qualification), company and opening line, and the
//! contact's name and company. Pure functions: no I/O, no clock.

use serde_json::{Value, json};

use super::ids::Rng;

/// USD per minute of a connected call.
const PRICE_PER_MINUTE: f64 = 0.12;

/// The agent side of a call.
#[derive(Debug, Clone)]
pub(crate) struct AgentInfo {
    pub(crate) id: String,
    pub(crate) company: Option<String>,
    pub(crate) objective: Option<String>,
    pub(crate) first_message: Option<String>,
    pub(crate) voicemail_message: Option<String>,
}

/// The contact side of a call.
#[derive(Debug, Clone)]
pub(crate) struct ContactInfo {
    pub(crate) id: String,
    pub(crate) first_name: String,
    pub(crate) company: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) tags: Vec<String>,
    pub(crate) notes: Option<String>,
}

/// How a simulated call went.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) call_status: &'static str,
    pub(crate) duration_seconds: i64,
    pub(crate) sentiment: Option<&'static str>,
    pub(crate) cost: f64,
    pub(crate) summary: String,
    pub(crate) transcript: Vec<Value>,
}

/// Decide a call's outcome and write its transcript. Deterministic in its inputs.
pub(crate) fn simulate(agent: &AgentInfo, contact: &ContactInfo, seed: &str) -> Outcome {
    let mut rng = Rng::seeded(&[seed, &agent.id, &contact.id]);
    let phone = contact.phone.as_deref().unwrap_or("");
    let status = if phone.is_empty() {
        "failed"
    } else if phone.ends_with("0001") {
        "no_answer"
    } else if phone.ends_with("0002") {
        "busy"
    } else if phone.ends_with("0003") {
        "voicemail"
    } else if phone.ends_with("0004") {
        "failed"
    } else {
        "completed"
    };
    let company = agent.company.clone().unwrap_or_else(|| "our team".into());
    match status {
        "completed" => {
            let sentiment = sentiment_for(contact, &mut rng);
            let transcript = conversation(agent, contact, sentiment, &company, &mut rng);
            let duration = transcript
                .last()
                .and_then(|t| t["offset_seconds"].as_f64())
                .map_or(60, |s| s.ceil() as i64 + rng.range(3, 9));
            let summary = summary_for(agent, contact, sentiment);
            Outcome {
                call_status: "completed",
                duration_seconds: duration,
                sentiment: Some(sentiment),
                cost: price(duration),
                summary,
                transcript,
            }
        }
        "voicemail" => {
            let message = agent.voicemail_message.clone().unwrap_or_else(|| {
                format!("Hi {}, this is Alex from {company}. Sorry I missed you — I'll try again soon, or call us back at your convenience.", contact.first_name)
            });
            let duration = 8 + (message.split_whitespace().count() as i64 * 2) / 5;
            Outcome {
                call_status: "voicemail",
                duration_seconds: duration,
                sentiment: Some("neutral"),
                cost: price(duration),
                summary: format!(
                    "Reached {}'s voicemail and left a message.",
                    contact.first_name
                ),
                transcript: vec![json!({"role": "agent", "text": message, "offset_seconds": 4.0})],
            }
        }
        other => Outcome {
            call_status: other,
            duration_seconds: 0,
            sentiment: None,
            cost: 0.0,
            summary: match other {
                "no_answer" => format!("{} did not answer.", contact.first_name),
                "busy" => format!("{}'s line was busy.", contact.first_name),
                _ if phone.is_empty() => {
                    format!("{} has no phone number on file.", contact.first_name)
                }
                _ => format!("The call to {} could not be connected.", contact.first_name),
            },
            transcript: Vec::new(),
        },
    }
}

fn price(duration_seconds: i64) -> f64 {
    ((duration_seconds as f64 / 60.0) * PRICE_PER_MINUTE * 10_000.0).round() / 10_000.0
}

fn sentiment_for(contact: &ContactInfo, rng: &mut Rng) -> &'static str {
    let mut words: Vec<String> = contact.tags.iter().map(|t| t.to_lowercase()).collect();
    if let Some(n) = &contact.notes {
        words.push(n.to_lowercase());
    }
    let has = |keys: &[&str]| words.iter().any(|w| keys.iter().any(|k| w.contains(k)));
    if has(&[
        "not interested",
        "not-interested",
        "cold",
        "do-not-call",
        "do not call",
        "unhappy",
        "churn",
    ]) {
        "negative"
    } else if has(&["hot", "interested", "vip", "warm", "referral"]) {
        "positive"
    } else {
        ["positive", "positive", "neutral", "neutral", "negative"][rng.below(5) as usize]
    }
}

/// What the call is about, from the objective's wording.
fn purpose(objective: &str) -> &'static str {
    let o = objective.to_lowercase();
    let any = |keys: &[&str]| keys.iter().any(|k| o.contains(k));
    if any(&[
        "book",
        "appointment",
        "schedule",
        "showing",
        "demo",
        "meeting",
        "consultation",
    ]) {
        "booking"
    } else if any(&["survey", "feedback", "satisfaction", "review"]) {
        "feedback"
    } else if any(&["remind", "confirm"]) {
        "reminder"
    } else if any(&["renew", "upgrade", "offer", "sell", "promotion"]) {
        "offer"
    } else {
        "qualify"
    }
}

fn conversation(
    agent: &AgentInfo,
    contact: &ContactInfo,
    sentiment: &str,
    company: &str,
    rng: &mut Rng,
) -> Vec<Value> {
    let name = &contact.first_name;
    let objective = agent
        .objective
        .clone()
        .unwrap_or_else(|| format!("learn how {company} can help"));
    let opening = agent
        .first_message
        .clone()
        .unwrap_or_else(|| format!("Hi {{{{first_name}}}}, this is Alex from {company}."))
        .replace("{{first_name}}", name);
    let their_company = contact
        .company
        .as_deref()
        .map(|c| format!(" at {c}"))
        .unwrap_or_default();
    let purpose = purpose(&objective);
    let pitch = match purpose {
        "booking" => format!(
            "I'm reaching out because we'd love to set up a time with you{their_company}. {objective}"
        ),
        "feedback" => format!(
            "I'm calling to hear how things have been going with {company}. It'll only take a minute."
        ),
        "reminder" => {
            "I'm just calling with a quick reminder and to confirm the details with you.".to_owned()
        }
        "offer" => format!(
            "I'm calling because there's an offer from {company} I think fits you{their_company}."
        ),
        _ => format!(
            "I'm calling to learn a bit about what you're looking for{their_company} and whether {company} can help."
        ),
    };
    let mut turns: Vec<(&str, String)> = vec![
        ("agent", opening),
        (
            "contact",
            if sentiment == "negative" {
                "Yes? Who is this again?".into()
            } else {
                format!("Hi, yes, this is {name}.")
            },
        ),
        ("agent", pitch),
    ];
    match sentiment {
        "positive" => {
            turns.push((
                "contact",
                match purpose {
                    "feedback" => {
                        "Honestly it's been great, the team has been really helpful.".into()
                    }
                    "reminder" => "Thanks for the reminder, that still works for me.".into(),
                    _ => "That sounds good, actually. I've been meaning to look into this.".into(),
                },
            ));
            turns.push((
                "agent",
                match purpose {
                    "booking" => {
                        "Wonderful. Would Thursday at 2 pm or Friday at 10 am work better for you?"
                            .into()
                    }
                    "feedback" => {
                        "That's great to hear. Would you be happy to leave us a short review?"
                            .into()
                    }
                    "reminder" => "Perfect, you're all confirmed.".into(),
                    _ => "Great. Could you tell me a little about your timeline and budget?".into(),
                },
            ));
            turns.push((
                "contact",
                match purpose {
                    "booking" => "Thursday at 2 works.".into(),
                    "feedback" => "Sure, send me the link.".into(),
                    "reminder" => "Great, see you then.".into(),
                    _ => "We're hoping to decide within the next month or so.".into(),
                },
            ));
            turns.push(("agent", format!("Perfect, {name}. I'll send a confirmation by email. Thanks so much for your time!")));
        }
        "neutral" => {
            turns.push((
                "contact",
                "Maybe. I'm a bit busy right now — can you send me some information?".into(),
            ));
            turns.push(("agent", "Of course. I'll email you a short overview. Is this the best number to follow up on next week?".into()));
            turns.push(("contact", "Yes, that's fine.".into()));
            turns.push(("agent", format!("Thanks {name}, talk soon.")));
        }
        _ => {
            turns.push(("contact", "I'm not interested, thanks.".into()));
            turns.push((
                "agent",
                format!(
                    "I understand. Would you like me to remove you from our call list at {company}?"
                ),
            ));
            turns.push(("contact", "Yes, please.".into()));
            turns.push((
                "agent",
                "Done. Sorry for the interruption, have a good day.".into(),
            ));
        }
    }
    let mut offset = 0.5;
    turns
        .into_iter()
        .map(|(role, text)| {
            let entry = json!({"role": role, "text": text, "offset_seconds": offset});
            // Roughly 2.5 words a second, plus a pause between turns.
            offset +=
                (text.split_whitespace().count() as f64 / 2.5) + 0.6 + rng.below(15) as f64 / 10.0;
            offset = (offset * 10.0).round() / 10.0;
            entry
        })
        .collect()
}

fn summary_for(agent: &AgentInfo, contact: &ContactInfo, sentiment: &str) -> String {
    let purpose = purpose(agent.objective.as_deref().unwrap_or(""));
    let name = &contact.first_name;
    match (sentiment, purpose) {
        ("positive", "booking") => format!(
            "{name} was interested and booked a time (Thursday 2 pm). Confirmation to follow by email."
        ),
        ("positive", "feedback") => {
            format!("{name} is happy with the service and agreed to leave a review.")
        }
        ("positive", "reminder") => format!("{name} confirmed."),
        ("positive", _) => {
            format!("{name} is interested; expects to decide within a month. Good lead.")
        }
        ("neutral", _) => {
            format!("{name} was busy and asked for information by email; follow up next week.")
        }
        _ => format!("{name} was not interested and asked to be removed from the call list."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(objective: &str) -> AgentInfo {
        AgentInfo {
            id: "a".into(),
            company: Some("Harbor Realty".into()),
            objective: Some(objective.into()),
            first_message: Some("Hi {{first_name}}, this is Alex from Harbor Realty.".into()),
            voicemail_message: None,
        }
    }

    fn contact(phone: Option<&str>, tags: &[&str]) -> ContactInfo {
        ContactInfo {
            id: "c".into(),
            first_name: "Maria".into(),
            company: Some("Acme".into()),
            phone: phone.map(str::to_owned),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            notes: None,
        }
    }

    #[test]
    fn magic_numbers_pick_the_outcome() {
        let a = agent("Book a showing");
        let status = |p: Option<&str>| simulate(&a, &contact(p, &[]), "s").call_status;
        assert_eq!(status(Some("+14155550123")), "completed");
        assert_eq!(status(Some("+14155550001")), "no_answer");
        assert_eq!(status(Some("+14155550002")), "busy");
        assert_eq!(status(Some("+14155550003")), "voicemail");
        assert_eq!(status(Some("+14155550004")), "failed");
        assert_eq!(status(None), "failed");
    }

    #[test]
    fn transcript_depends_on_objective_and_contact() {
        let hot = simulate(
            &agent("Book a showing of the property"),
            &contact(Some("+14155550123"), &["hot"]),
            "s",
        );
        assert_eq!(hot.sentiment, Some("positive"));
        let text: Vec<&str> = hot
            .transcript
            .iter()
            .filter_map(|t| t["text"].as_str())
            .collect();
        assert!(text[0].contains("Hi Maria"), "{text:?}");
        assert!(text.iter().any(|t| t.contains("Thursday")), "{text:?}");
        assert!(hot.duration_seconds > 0 && hot.cost > 0.0);
        let cold = simulate(
            &agent("Collect feedback"),
            &contact(Some("+14155550123"), &["cold"]),
            "s",
        );
        assert_eq!(cold.sentiment, Some("negative"));
        assert!(cold.summary.contains("not interested"));
        let offsets: Vec<f64> = hot
            .transcript
            .iter()
            .filter_map(|t| t["offset_seconds"].as_f64())
            .collect();
        assert!(offsets.windows(2).all(|w| w[0] < w[1]));
    }
}

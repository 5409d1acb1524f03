//! Phone number inventory for the nine supported countries.
//!
//! Each country has its calling code, the length of its national
//! significant number, and a few real geographic area codes with their
//! cities, so searches return numbers that look and validate like the real
//! thing (E.164 with the right length and prefix for the country). The
//! inventory is simulated: any well-formed number no workspace owns is
//! available.

use super::ids::Rng;

/// Monthly price of a number, USD.
pub(crate) const MONTHLY_COST: f64 = 1.66;

/// Countries where numbers can be bought.
pub(crate) const COUNTRIES: &[&str] = &["US", "CA", "GB", "AU", "NZ", "FI", "DK", "NL", "ZA"];

#[derive(Debug)]
struct Country {
    code: &'static str,
    calling: &'static str,
    /// Digits after the calling code.
    national_len: usize,
    areas: &'static [(&'static str, &'static str)],
}

const TABLE: &[Country] = &[
    Country {
        code: "US",
        calling: "1",
        national_len: 10,
        areas: &[
            ("212", "New York, NY"),
            ("415", "San Francisco, CA"),
            ("312", "Chicago, IL"),
            ("512", "Austin, TX"),
            ("206", "Seattle, WA"),
            ("305", "Miami, FL"),
            ("617", "Boston, MA"),
            ("303", "Denver, CO"),
        ],
    },
    Country {
        code: "CA",
        calling: "1",
        national_len: 10,
        areas: &[
            ("416", "Toronto, ON"),
            ("604", "Vancouver, BC"),
            ("514", "Montreal, QC"),
            ("403", "Calgary, AB"),
            ("613", "Ottawa, ON"),
        ],
    },
    Country {
        code: "GB",
        calling: "44",
        national_len: 10,
        areas: &[
            ("20", "London"),
            ("161", "Manchester"),
            ("121", "Birmingham"),
            ("131", "Edinburgh"),
            ("113", "Leeds"),
        ],
    },
    Country {
        code: "AU",
        calling: "61",
        national_len: 9,
        areas: &[
            ("2", "Sydney, NSW"),
            ("3", "Melbourne, VIC"),
            ("7", "Brisbane, QLD"),
            ("8", "Perth, WA"),
        ],
    },
    Country {
        code: "NZ",
        calling: "64",
        national_len: 8,
        areas: &[
            ("9", "Auckland"),
            ("4", "Wellington"),
            ("3", "Christchurch"),
        ],
    },
    Country {
        code: "FI",
        calling: "358",
        national_len: 8,
        areas: &[("9", "Helsinki"), ("2", "Turku"), ("3", "Tampere")],
    },
    Country {
        code: "DK",
        calling: "45",
        national_len: 8,
        areas: &[
            ("33", "Copenhagen"),
            ("35", "Copenhagen"),
            ("86", "Aarhus"),
            ("66", "Odense"),
        ],
    },
    Country {
        code: "NL",
        calling: "31",
        national_len: 9,
        areas: &[
            ("20", "Amsterdam"),
            ("10", "Rotterdam"),
            ("70", "The Hague"),
            ("30", "Utrecht"),
        ],
    },
    Country {
        code: "ZA",
        calling: "27",
        national_len: 9,
        areas: &[
            ("21", "Cape Town"),
            ("11", "Johannesburg"),
            ("31", "Durban"),
            ("12", "Pretoria"),
        ],
    },
];

/// A number offered by a search.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Offer {
    pub(crate) phone_number: String,
    pub(crate) country: &'static str,
    pub(crate) locality: Option<&'static str>,
}

fn country(code: &str) -> Option<&'static Country> {
    TABLE.iter().find(|c| c.code == code)
}

/// Up to `limit` numbers in `country_code` (optionally in `area_code`) that
/// `taken` says are free. An area code that cannot exist in the country
/// yields nothing, as a real carrier's search would.
pub(crate) fn search(
    country_code: &str,
    area_code: Option<&str>,
    limit: usize,
    taken: impl Fn(&str) -> bool,
) -> Vec<Offer> {
    let Some(c) = country(country_code) else {
        return Vec::new();
    };
    let areas: Vec<(&str, Option<&'static str>)> = match area_code {
        Some(code) => match c.areas.iter().find(|(a, _)| *a == code) {
            Some((a, city)) => vec![(a, Some(*city))],
            None if plausible_area(c, code) => vec![(code, None)],
            None => return Vec::new(),
        },
        None => c.areas.iter().map(|(a, city)| (*a, Some(*city))).collect(),
    };
    let mut rng = Rng::random();
    let mut out: Vec<Offer> = Vec::new();
    let mut tries = 0;
    while out.len() < limit && tries < limit * 20 {
        tries += 1;
        let (area, locality) = areas[(tries - 1) % areas.len()];
        // The local part: its first digit avoids 0 and 1, as dialling plans require.
        let mut local = String::new();
        for i in 0..c.national_len.saturating_sub(area.len()) {
            let digit = if i == 0 {
                2 + rng.below(8)
            } else {
                rng.below(10)
            };
            local.push(char::from(b'0' + digit as u8));
        }
        let number = format!("+{}{area}{local}", c.calling);
        if !taken(&number) && !out.iter().any(|o| o.phone_number == number) {
            out.push(Offer {
                phone_number: number,
                country: c.code,
                locality,
            });
        }
    }
    out
}

fn plausible_area(c: &Country, code: &str) -> bool {
    let first_ok = code
        .as_bytes()
        .first()
        .is_some_and(|d| *d != b'0' && (c.calling != "1" || *d != b'1'));
    let len_ok = if c.calling == "1" {
        code.len() == 3
    } else {
        code.len() < c.national_len - 4
    };
    first_ok && len_ok && code.bytes().all(|b| b.is_ascii_digit())
}

/// The country and locality of a number this sandbox could have offered.
pub(crate) fn classify(number: &str) -> Option<(&'static str, Option<&'static str>)> {
    let digits = number.strip_prefix('+')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    for c in TABLE {
        let Some(national) = digits.strip_prefix(c.calling) else {
            continue;
        };
        if national.len() != c.national_len || national.starts_with('0') {
            continue;
        }
        if c.calling == "1" {
            // NANP: area code and exchange start with 2-9.
            let b = national.as_bytes();
            if b[0] < b'2' || b[3] < b'2' {
                return None;
            }
            let area = &national[..3];
            if c.code == "US" && TABLE[1].areas.iter().any(|(a, _)| *a == area) {
                continue; // a Canadian area code
            }
            return Some((
                c.code,
                c.areas.iter().find(|(a, _)| *a == area).map(|(_, l)| *l),
            ));
        }
        let locality = c
            .areas
            .iter()
            .find(|(a, _)| national.starts_with(a))
            .map(|(_, l)| *l);
        return Some((c.code, locality));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_e164(s: &str) -> bool {
        let b = s.as_bytes();
        (8..=16).contains(&b.len())
            && b[0] == b'+'
            && (b'1'..=b'9').contains(&b[1])
            && b[2..].iter().all(u8::is_ascii_digit)
    }

    #[test]
    fn e164() {
        assert!(is_e164("+14155550123"));
        assert!(!is_e164("+04155550123") && !is_e164("14155550123") && !is_e164("+1"));
    }

    #[test]
    fn every_country_yields_valid_e164_numbers_it_recognises() {
        for code in COUNTRIES {
            let offers = search(code, None, 10, |_| false);
            assert_eq!(offers.len(), 10, "{code}");
            for o in offers {
                assert!(is_e164(&o.phone_number), "{}", o.phone_number);
                assert_eq!(
                    classify(&o.phone_number).map(|c| c.0),
                    Some(*code),
                    "{}",
                    o.phone_number
                );
            }
        }
    }

    #[test]
    fn formats_per_country() {
        let one = |c: &str, a: Option<&str>| search(c, a, 1, |_| false).remove(0).phone_number;
        assert!(one("US", Some("415")).starts_with("+1415") && one("US", None).len() == 12);
        assert!(one("GB", Some("20")).starts_with("+4420") && one("GB", None).len() == 13);
        assert!(one("DK", None).len() == 11 && one("FI", None).starts_with("+358"));
        assert_eq!(classify("+14165550123").map(|c| c.0), Some("CA"));
        assert!(search("US", Some("99"), 5, |_| false).is_empty());
        assert!(search("US", Some("415"), 5, |n| n.starts_with("+1415")).is_empty());
    }
}

//! The field decision: a field of the sampled messages is tagged when one detector accepts at
//! least `confidence`% of its non-null values (a hint in its name lowers the bar, never replaces
//! the values), with the sensitivity OpenMetadata gives that kind.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{detect, Hint, Kind, Sensitivity};

/// A field, as the names from the message's top down to it; an array's items' fields sit under
/// the array's name, as the inferred schema puts them.
pub type Path = Vec<String>;

/// How far a name hint lowers the bar (in points of share), and the lowest it goes.
const HINT_ALLOWANCE: u8 = 20;
const LOWEST_BAR: u8 = 50;

/// A field a detector found, with its share of the field's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub path: Path,
    pub kind: Kind,
    pub hits: usize,
    pub values: usize,
}

impl Finding {
    pub fn sensitivity(&self) -> Sensitivity {
        self.kind.sensitivity()
    }

    /// The tag's reason, as a person reads it: "EMAIL_ADDRESS in 50 of 50 sampled values".
    pub fn reason(&self) -> String {
        format!("{} in {} of {} sampled values", self.kind.name(), self.hits, self.values)
    }
}

#[derive(Default)]
struct Counts {
    values: usize,
    hits: BTreeMap<Kind, usize>,
}

/// The fields of `messages` (JSON values) that a detector accepts, at `confidence` (0–100).
pub fn classify(messages: &[Value], confidence: u8) -> Vec<Finding> {
    let mut fields: BTreeMap<Path, Counts> = BTreeMap::new();
    let mut path = Vec::new();
    for message in messages {
        leaves(message, &mut path, &mut |path, text| {
            let counts = fields.entry(path.to_vec()).or_default();
            counts.values += 1;
            if let Some(kind) = detect(text, hint_of(path)) {
                *counts.hits.entry(kind).or_default() += 1;
            }
        });
    }
    fields
        .into_iter()
        .filter_map(|(path, counts)| {
            // The kind most values show; on a tie, the first of `Kind::ALL`.
            let (&kind, &hits) = counts.hits.iter().max_by_key(|(kind, hits)| (**hits, std::cmp::Reverse(**kind)))?;
            let bar = if hint_of(&path).has(kind) {
                confidence.saturating_sub(HINT_ALLOWANCE).max(LOWEST_BAR).min(confidence)
            } else {
                confidence
            };
            (hits * 100 >= usize::from(bar) * counts.values).then_some(Finding {
                path,
                kind,
                hits,
                values: counts.values,
            })
        })
        .collect()
}

pub(crate) fn hint_of(path: &[String]) -> Hint {
    path.last().map_or(Hint::NONE, |name| Hint::of(name))
}

/// Calls `each` with the text of every leaf value that can hold personal data: strings, and
/// integers (cards, SSNs and phone numbers are written as numbers too). Nulls, booleans and
/// fractions are not values of any detector.
pub(crate) fn leaves(value: &Value, path: &mut Path, each: &mut impl FnMut(&[String], &str)) {
    match value {
        Value::Object(fields) => {
            for (name, value) in fields {
                path.push(name.clone());
                leaves(value, path, each);
                path.pop();
            }
        }
        Value::Array(items) => {
            for item in items {
                leaves(item, path, each);
            }
        }
        Value::String(text) if !path.is_empty() => each(path, text),
        Value::Number(n) if !path.is_empty() && (n.is_u64() || n.is_i64()) => each(path, &n.to_string()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(findings: &[Finding]) -> Vec<(String, Kind)> {
        findings.iter().map(|f| (f.path.join("."), f.kind)).collect()
    }

    #[test]
    fn a_field_is_tagged_when_enough_of_its_values_are_accepted_nested_ones_included() {
        let messages: Vec<Value> = (0..10)
            .map(|i| {
                json!({
                    "id": i,
                    "contact": {"email": format!("user{i}@example.com"), "phone": null},
                    "cards": [{"number": "4111111111111111"}, {"number": "5555555555554444"}],
                    // 7 of 10 look like addresses: under 80%.
                    "note": if i < 7 { format!("n{i}@example.org") } else { "call me".to_string() },
                })
            })
            .collect();
        let found = classify(&messages, 80);
        assert_eq!(
            paths(&found),
            [("cards.number".to_string(), Kind::CreditCard), ("contact.email".to_string(), Kind::EmailAddress)]
        );
        let email = &found[1];
        assert_eq!(email.reason(), "EMAIL_ADDRESS in 10 of 10 sampled values");
        assert_eq!(email.sensitivity(), Sensitivity::Sensitive);
        assert_eq!(found[0].values, 20, "each item of the array is a value of the field");
    }

    #[test]
    fn a_name_hint_lowers_the_bar_but_never_tags_alone() {
        let messages: Vec<Value> = (0..10)
            .map(|i| json!({"email": if i < 7 { format!("u{i}@example.com") } else { "n/a".to_string() }, "phone": "n/a"}))
            .collect();
        let found = classify(&messages, 80);
        assert_eq!(paths(&found), [("email".to_string(), Kind::EmailAddress)], "7 of 10 clear the hinted bar of 60");
        assert_eq!(found[0].reason(), "EMAIL_ADDRESS in 7 of 10 sampled values");
        assert!(classify(&[json!({"email": "n/a"})], 80).is_empty());
    }

    #[test]
    fn phone_numbers_are_non_sensitive() {
        let messages = vec![json!({"tel": "+44 20 7946 0958"}), json!({"tel": "+1 (415) 555-2671"})];
        let found = classify(&messages, 80);
        assert_eq!(found[0].sensitivity(), Sensitivity::NonSensitive);
    }
}

//! Masking a sample before it leaves the plugin: the values of fields classified
//! `PII.Sensitive`, or every leaf, replaced by a value of the same kind, keys and nesting kept;
//! and any credential, whatever the options.

use std::collections::HashSet;

use serde_json::Value;

use crate::classify::{hint_of, Path};
use crate::{detect, find_credentials, Kind};

/// What a masked string becomes (OpenMetadata's own masker writes the same).
pub const MASKED: &str = "********";

/// Which values of a sample are masked (`sampleDataMasking`), credentials aside.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Masking {
    #[default]
    None,
    /// The values of the fields classified `PII.Sensitive`.
    Sensitive,
    /// Every leaf value.
    All,
}

/// Masks one JSON message in place: every leaf (`All`), the leaves of `sensitive` fields
/// (`Sensitive`), and any value holding a credential. Returns the fields where a credential
/// was masked, and its kind.
pub fn mask_message(message: &mut Value, masking: Masking, sensitive: &HashSet<Path>) -> Vec<(Path, Kind)> {
    let mut credentials = Vec::new();
    let mut path = Vec::new();
    walk(message, &mut path, &mut |path, value| {
        if let Some(kind) = credential_in(path, value) {
            credentials.push((path.to_vec(), kind));
            mask_leaf(value);
            return;
        }
        let masked = match masking {
            Masking::None => false,
            Masking::Sensitive => sensitive.contains(path),
            Masking::All => true,
        };
        if masked {
            mask_leaf(value);
        }
    });
    credentials
}

/// Masks the credentials in a message that is no JSON (a log line, text): each replaced by
/// [`MASKED`], the rest kept. Returns the kinds found.
pub fn mask_text(text: &mut String) -> Vec<Kind> {
    let found = find_credentials(text);
    for (range, _) in found.iter().rev() {
        text.replace_range(range.clone(), MASKED);
    }
    found.into_iter().map(|(_, kind)| kind).collect()
}

fn credential_in(path: &[String], value: &Value) -> Option<Kind> {
    let Value::String(text) = value else { return None };
    detect(text, hint_of(path))
        .filter(|k| k.is_credential())
        .or_else(|| find_credentials(text).first().map(|(_, kind)| *kind))
}

/// A leaf of the same kind: strings [`MASKED`], numbers 0, booleans false; null stays null.
fn mask_leaf(value: &mut Value) {
    match value {
        Value::String(s) => *s = MASKED.to_string(),
        Value::Number(_) => *value = Value::from(0),
        Value::Bool(b) => *b = false,
        _ => {}
    }
}

fn walk(value: &mut Value, path: &mut Path, each: &mut impl FnMut(&[String], &mut Value)) {
    match value {
        Value::Object(fields) => {
            for (name, value) in fields.iter_mut() {
                path.push(name.clone());
                walk(value, path, each);
                path.pop();
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, path, each);
            }
        }
        leaf => each(path, leaf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sensitive_masks_the_classified_fields_and_keeps_keys_nesting_and_kinds() {
        let mut message =
            json!({"id": 7, "contact": {"email": "ada@example.com", "vip": true}, "items": [{"sku": "A1"}]});
        let sensitive: HashSet<Path> = [vec!["contact".to_string(), "email".to_string()]].into();
        assert!(mask_message(&mut message, Masking::Sensitive, &sensitive).is_empty());
        assert_eq!(message, json!({"id": 7, "contact": {"email": MASKED, "vip": true}, "items": [{"sku": "A1"}]}));
        mask_message(&mut message, Masking::All, &sensitive);
        assert_eq!(message, json!({"id": 0, "contact": {"email": MASKED, "vip": false}, "items": [{"sku": MASKED}]}));
    }

    #[test]
    fn credentials_are_masked_whatever_the_options() {
        let mut message =
            json!({"user": "ada", "auth": {"key": "AKIAIOSFODNN7EXAMPLE"}, "log": "used AKIAIOSFODNN7EXAMPLE"});
        let found = mask_message(&mut message, Masking::None, &HashSet::new());
        assert_eq!(message, json!({"user": "ada", "auth": {"key": MASKED}, "log": MASKED}));
        let paths: Vec<String> = found.iter().map(|(p, _)| p.join(".")).collect();
        assert_eq!(paths, ["auth.key", "log"]);

        let mut text = "deploy with AKIAIOSFODNN7EXAMPLE now".to_string();
        assert_eq!(mask_text(&mut text), [Kind::AwsAccessKey]);
        assert_eq!(text, format!("deploy with {MASKED} now"));
    }
}

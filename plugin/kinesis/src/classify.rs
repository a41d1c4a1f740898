//! A topic's sample classified and masked before it leaves the plugin (see the `pii` crate):
//! the fields a detector finds are tagged on the topic's message schema as OpenMetadata's own
//! classifier tags them, and masked values never reach the sink, the logs or OpenMetadata.

use std::collections::{BTreeSet, HashSet};

use pii::{Finding, Kind, Masking, Sensitivity};
use serde_json::{json, Value};

use crate::decode::Message;

/// What classification and masking do for a run (`enableAutoClassification`, `confidence`,
/// `sampleDataMasking`).
#[derive(Debug, Clone, Copy)]
pub struct Classification {
    pub enabled: bool,
    /// Percent, rounded up: "at least".
    pub confidence: u8,
    pub masking: Masking,
}

/// Classifies `messages` (when enabled), tags the fields found in `schema`, and masks the
/// messages: credentials always, the rest as `sampleDataMasking` says. Returns warnings naming
/// the stream and the field of each credential masked (never its value).
pub fn classify_and_mask(
    stream: &str,
    settings: Classification,
    schema: Option<&mut Value>,
    messages: &mut [Message],
) -> Vec<String> {
    let mut parsed: Vec<Option<Value>> = messages
        .iter()
        .map(|m| serde_json::from_str::<Value>(&m.text).ok().filter(|v| v.is_object() || v.is_array()))
        .collect();
    let mut sensitive = HashSet::new();
    if settings.enabled {
        let values: Vec<Value> = parsed.iter().flatten().cloned().collect();
        let findings = pii::classify(&values, settings.confidence);
        let fields = schema.and_then(|s| s.get_mut("schemaFields")).and_then(Value::as_array_mut);
        if let Some(fields) = fields {
            for finding in &findings {
                if !tag_field(fields, &finding.path, finding) {
                    tracing::debug!(stream, field = finding.path.join("."), "classified field not in the schema");
                }
            }
        }
        sensitive =
            findings.iter().filter(|f| f.sensitivity() == Sensitivity::Sensitive).map(|f| f.path.clone()).collect();
    }
    let mut credentials: BTreeSet<(String, Kind)> = BTreeSet::new();
    let mut in_text: BTreeSet<Kind> = BTreeSet::new();
    for (message, value) in messages.iter_mut().zip(parsed.iter_mut()) {
        match value {
            Some(value) => {
                let before = value.clone();
                for (path, kind) in pii::mask_message(value, settings.masking, &sensitive) {
                    credentials.insert((path.join("."), kind));
                }
                if *value != before {
                    message.text = value.to_string();
                }
            }
            None => in_text.extend(pii::mask_text(&mut message.text)),
        }
    }
    let mut warnings: Vec<String> = credentials
        .into_iter()
        .map(|(field, kind)| {
            format!("stream '{stream}': a credential ({}) in field '{field}' of the sample was masked", kind.name())
        })
        .collect();
    warnings.extend(in_text.into_iter().map(|kind| {
        format!("stream '{stream}': a credential ({}) in the text of sampled messages was masked", kind.name())
    }));
    warnings
}

/// Puts the finding's tag on the field at `path` (names as the schema writes them); false when
/// the schema has no such field.
fn tag_field(fields: &mut [Value], path: &[String], finding: &Finding) -> bool {
    let Some((first, rest)) = path.split_first() else { return false };
    let wanted = crate::infer::field_name(first);
    let Some(field) = fields.iter_mut().find(|f| f.get("name").and_then(Value::as_str) == Some(wanted.as_str())) else {
        return false;
    };
    if !rest.is_empty() {
        let children = field.get_mut("children").and_then(Value::as_array_mut);
        return children.is_some_and(|c| tag_field(c, rest, finding));
    }
    // As OpenMetadata's own classifier sends it: a generated suggestion with its reason.
    let label = json!({
        "tagFQN": finding.sensitivity().tag_fqn(),
        "source": "Classification",
        "labelType": "Generated",
        "state": "Suggested",
        "reason": finding.reason(),
    });
    match field.get_mut("tags").and_then(Value::as_array_mut) {
        Some(tags) => tags.push(label),
        None => field["tags"] = json!([label]),
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> Message {
        Message { text: text.to_string(), truncated: false, payload: None }
    }

    #[test]
    fn fields_found_are_tagged_and_sensitive_ones_masked() {
        let mut messages: Vec<Message> = (0..5)
            .map(|i| {
                message(&format!(r#"{{"id":{i},"who":{{"email":"u{i}@example.com","tel":"+44 20 7946 095{i}"}}}}"#))
            })
            .collect();
        let texts: Vec<(&str, bool)> = messages.iter().map(|m| (m.text.as_str(), false)).collect();
        let mut schema = crate::infer::message_schema("s", &texts).unwrap();
        let settings = Classification { enabled: true, confidence: 80, masking: Masking::Sensitive };
        let warnings = classify_and_mask("s", settings, Some(&mut schema), &mut messages);
        assert!(warnings.is_empty());
        let who = &schema["schemaFields"][1]["children"];
        assert_eq!(who[0]["tags"][0]["tagFQN"], "PII.Sensitive");
        assert_eq!(who[0]["tags"][0]["reason"], "EMAIL_ADDRESS in 5 of 5 sampled values");
        assert_eq!(who[0]["tags"][0]["labelType"], "Generated");
        assert_eq!(who[1]["tags"][0]["tagFQN"], "PII.NonSensitive");
        let first: Value = serde_json::from_str(&messages[0].text).unwrap();
        assert_eq!(first, json!({"id": 0, "who": {"email": pii::MASKED, "tel": "+44 20 7946 0950"}}));
    }

    #[test]
    fn credentials_are_masked_with_classification_off_and_named_in_a_warning() {
        let mut messages =
            vec![message(r#"{"user":"ada","key":"AKIAIOSFODNN7EXAMPLE"}"#), message("key AKIAIOSFODNN7EXAMPLE")];
        let off = Classification { enabled: false, confidence: 80, masking: Masking::None };
        let warnings = classify_and_mask("s", off, None, &mut messages);
        assert!(!messages.iter().any(|m| m.text.contains("AKIA")), "{messages:?}");
        assert_eq!(messages[0].text, format!(r#"{{"user":"ada","key":"{}"}}"#, pii::MASKED));
        assert_eq!(
            warnings,
            [
                "stream 's': a credential (AWS_ACCESS_KEY_ID) in field 'key' of the sample was masked",
                "stream 's': a credential (AWS_ACCESS_KEY_ID) in the text of sampled messages was masked"
            ]
        );
    }
}

//! Checking a workflow's `source` block against the plugin's own JSON Schema before a run,
//! so that every mistake is reported at once, each with its JSON path.

use anyhow::{Context, Result};
use serde_json::Value;

use crate::plugins::Plugin;

/// One violation: where (a JSON pointer into `source`) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

/// Every violation of `schema` by `source`. Messages never quote the offending value, since it
/// may be a secret. A null member is an absent one, as plugins (and OpenMetadata) read it.
pub fn against_schema(schema: &Value, source: &Value) -> Result<Vec<Violation>> {
    let validator =
        jsonschema::validator_for(schema).context("the plugin's config schema is not a valid JSON Schema")?;
    let source = plugin_abi::config_schema::without_nulls(source);
    Ok(validator
        .iter_errors(&source)
        .map(|e| Violation {
            path: match e.instance_path().as_str() {
                "" => "/".to_string(),
                p => p.to_string(),
            },
            message: e.masked().to_string(),
        })
        .collect())
}

/// The answer of a plugin's `check_config`: `[{"path", "message"}]`.
pub fn plugin_problems(answer: &str) -> Result<Vec<Violation>> {
    #[derive(serde::Deserialize)]
    struct Problem {
        path: String,
        message: String,
    }
    let problems: Vec<Problem> = serde_json::from_str(answer)
        .context("the plugin's check_config answered something that is not a list of problems")?;
    Ok(problems.into_iter().map(|p| Violation { path: p.path, message: p.message }).collect())
}

/// Every violation of `source`: the schema's and the plugin's own (`check_config`). Where both
/// say the same thing, the plugin's message is kept: it says more ("an availability zone, not a
/// region" rather than a pattern; "the access key without its secret" rather than a missing
/// property). They say the same when they name the same field, or when the schema's is about
/// the object holding the plugin's field and names that field (a missing property); an unknown
/// property beside it is another matter, and is kept.
pub fn violations(plugin: &Plugin, source: &Value, schema: &Value) -> Result<Vec<Violation>> {
    let schema_violations = against_schema(schema, source)?;
    let text = serde_json::to_string(source).context("the source block")?;
    let answer = plugin.module.check_config()(abi_stable::std_types::RStr::from_str(&text))
        .into_result()
        .map_err(|e| anyhow::anyhow!("the plugin's check_config failed: {e}"))?;
    let mut violations = plugin_problems(answer.as_str())?;
    Ok(merge(schema_violations, &mut violations))
}

/// The plugin's violations, and those of the schema's that say something the plugin's do not.
fn merge(schema_violations: Vec<Violation>, plugin: &mut Vec<Violation>) -> Vec<Violation> {
    let said = |v: &Violation| {
        plugin.iter().any(|p| {
            let child = p.path.strip_prefix(v.path.trim_end_matches('/')).and_then(|rest| rest.strip_prefix('/'));
            p.path == v.path
                || child
                    .and_then(|c| c.split('/').next())
                    .is_some_and(|field| !field.is_empty() && v.message.contains(&format!("\"{field}\"")))
        })
    };
    let rest: Vec<_> = schema_violations.into_iter().filter(|v| !said(v)).collect();
    let mut all = std::mem::take(plugin);
    all.extend(rest);
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_violation_is_reported_with_its_path_and_without_the_value() {
        let schema = json!({
            "type": "object",
            "properties": {"a": {"type": "object", "properties": {"region": {"type": "string"}, "secret": {"type": "string"}}, "required": ["region"], "additionalProperties": false}},
            "additionalProperties": false
        });
        let source = json!({"a": {"secret": 918273645, "typo": 1}, "b": 2});
        let v = against_schema(&schema, &source).unwrap();
        let paths: Vec<&str> = v.iter().map(|v| v.path.as_str()).collect();
        assert!(paths.contains(&"/a/secret"), "{v:?}");
        assert!(paths.contains(&"/a"), "{v:?}");
        assert!(paths.contains(&"/"), "{v:?}");
        assert!(v.iter().all(|v| !v.message.contains("918273645")), "{v:?}");
    }

    #[test]
    fn a_plugins_problems_are_read_and_a_bad_answer_is_an_error() {
        let v = plugin_problems(r#"[{"path": "/a/b", "message": "not a region"}]"#).unwrap();
        assert_eq!(v, vec![Violation { path: "/a/b".into(), message: "not a region".into() }]);
        assert!(plugin_problems("{}").is_err());
    }

    #[test]
    fn the_plugins_message_replaces_the_schemas_for_the_same_field_and_an_unknown_one_stays() {
        let v = |path: &str, message: &str| Violation { path: path.into(), message: message.into() };
        let schema = vec![
            v("/c/aws/awsRegion", "does not match the pattern"),
            v("/c/aws", "\"awsSecretAccessKey\" is a required property"),
            v("/c/aws", "Additional properties are not allowed ('awsRegoin' was unexpected)"),
        ];
        let mut plugin = vec![
            v("/c/aws/awsRegion", "an availability zone, not a region"),
            v("/c/aws/awsSecretAccessKey", "missing"),
        ];
        let all = merge(schema, &mut plugin);
        let messages: Vec<&str> = all.iter().map(|v| v.message.as_str()).collect();
        assert_eq!(
            messages,
            vec![
                "an availability zone, not a region",
                "missing",
                "Additional properties are not allowed ('awsRegoin' was unexpected)"
            ]
        );
    }
}

//! Checking a workflow's `source` block against the plugin's own JSON Schema before a run,
//! so that every mistake is reported at once, each with its JSON path.

use anyhow::{Context, Result};
use serde_json::Value;

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
}

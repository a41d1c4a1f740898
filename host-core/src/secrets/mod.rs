//! `secret:` references in a workflow's secret fields (e.g. `awsSecretAccessKey:
//! secret:/om/kinesis/secret`), resolved through the secrets manager that
//! `openMetadataServerConfig` names, as OpenMetadata's runner resolves them: AWS Secrets Manager
//! (`secretsManagerProvider: aws`, GetSecretValue → SecretString) or AWS Systems Manager
//! Parameter Store (`aws-ssm`, GetParameter, decrypted), with the AWS credentials that
//! `secretsManagerLoader` says (`env`: the AWS environment variables, region from
//! `AWS_DEFAULT_REGION`; `noop`: the SDK's default chain). Only the plugin gets the values;
//! requests sent to OpenMetadata keep the references, and no value is ever logged or shown.

use serde_json::{json, Value};

use crate::failure::{self, fail};

/// The prefix of a reference.
const PREFIX: &str = "secret:";

/// One reference found in the configuration.
struct Reference {
    /// JSON pointer of the field, e.g. `/serviceConnection/config/awsConfig/awsSecretAccessKey`.
    pointer: String,
    /// The secret's id in the secrets manager.
    id: String,
}

/// `source` with every reference in a field named in `secret_keys` replaced by its value.
/// A configuration without references comes back as it is, without a call.
pub fn resolve(source: &Value, secret_keys: &[String], server: &Value) -> failure::Result<Value> {
    let mut references = Vec::new();
    find(source, "", secret_keys, &mut references);
    if references.is_empty() {
        return Ok(source.clone());
    }
    let provider = server.get("secretsManagerProvider").and_then(Value::as_str).unwrap_or("db");
    let loader = server.get("secretsManagerLoader").and_then(Value::as_str).unwrap_or("noop");
    let store = match provider {
        "aws" | "managed-aws" => Store::SecretsManager,
        "aws-ssm" | "managed-aws-ssm" => Store::ParameterStore,
        other => fail!(
            BadInput,
            "source{}: a secret reference, but workflowConfig.openMetadataServerConfig.secretsManagerProvider is \
             '{other}'; this host resolves references with 'aws' (Secrets Manager) and 'aws-ssm' (Parameter Store)",
            references[0].pointer
        ),
    };
    if !matches!(loader, "env" | "noop") {
        fail!(
            BadInput,
            "workflowConfig.openMetadataServerConfig.secretsManagerLoader: '{loader}' is not supported by this host \
             (it has: env, noop)"
        );
    }
    let values = store.fetch(&references, loader)?;
    let mut resolved = source.clone();
    for (reference, value) in references.iter().zip(values) {
        if let Some(field) = resolved.pointer_mut(&reference.pointer) {
            *field = Value::String(value);
        }
    }
    Ok(resolved)
}

fn find(value: &Value, at: &str, secret_keys: &[String], out: &mut Vec<Reference>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let pointer = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match v.as_str().and_then(|s| s.strip_prefix(PREFIX)) {
                    Some(id) if secret_keys.contains(key) => out.push(Reference { pointer, id: id.trim().to_string() }),
                    _ => find(v, &pointer, secret_keys, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                find(v, &format!("{at}/{i}"), secret_keys, out);
            }
        }
        _ => {}
    }
}

#[cfg(feature = "aws-secrets")]
mod aws;

/// Where a reference is looked up.
#[derive(Debug, Clone, Copy)]
enum Store {
    SecretsManager,
    ParameterStore,
}

impl Store {
    fn name(&self) -> &'static str {
        match self {
            Store::SecretsManager => "AWS Secrets Manager",
            Store::ParameterStore => "AWS SSM Parameter Store",
        }
    }

    /// Each reference's value, in order.
    #[cfg(feature = "aws-secrets")]
    fn fetch(self, references: &[Reference], loader: &str) -> failure::Result<Vec<String>> {
        aws::fetch(self, references, loader)
    }

    /// A host built without the `aws-secrets` feature cannot resolve references.
    #[cfg(not(feature = "aws-secrets"))]
    fn fetch(self, references: &[Reference], _loader: &str) -> failure::Result<Vec<String>> {
        fail!(
            BadInput,
            "source{}: the secret '{}' is a reference, but this host was built without {} (host-core's \
             `aws-secrets` feature)",
            references[0].pointer,
            references[0].id,
            self.name()
        )
    }
}

/// A copy of `value` with the values of every key in `secret_keys` replaced by `"***"`.
pub fn redact(value: &Value, secret_keys: &[String]) -> Value {
    rewrite(value, secret_keys, &|v| Some(if v.is_null() { Value::Null } else { json!("***") }))
}

/// A copy of `value` without the keys in `secret_keys`, at any depth: a connection as a host
/// stores it in OpenMetadata's service, its secrets left out.
pub fn without(value: &Value, secret_keys: &[String]) -> Value {
    rewrite(value, secret_keys, &|_| None)
}

/// A copy of `value` in which the value of every key in `secret_keys`, at any depth, becomes
/// what `secret` makes of it (`None`: the key is left out).
fn rewrite(value: &Value, secret_keys: &[String], secret: &dyn Fn(&Value) -> Option<Value>) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter_map(|(k, v)| {
                    let v =
                        if secret_keys.iter().any(|s| s == k) { secret(v)? } else { rewrite(v, secret_keys, secret) };
                    Some((k.clone(), v))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| rewrite(v, secret_keys, secret)).collect()),
        other => other.clone(),
    }
}

/// The property names that a JSON Schema marks as secrets (`format: password` or `writeOnly`).
pub fn secret_keys(schema: &Value) -> Vec<String> {
    fn is_secret(s: &Value) -> bool {
        s.get("format").and_then(Value::as_str) == Some("password")
            || s.get("writeOnly").and_then(Value::as_bool) == Some(true)
            || ["anyOf", "oneOf"]
                .iter()
                .any(|k| s.get(*k).and_then(Value::as_array).is_some_and(|a| a.iter().any(is_secret)))
    }
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::Object(props)) = map.get("properties") {
                    for (name, prop) in props {
                        if is_secret(prop) && !out.contains(name) {
                            out.push(name.clone());
                        }
                    }
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(schema, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_leaves_out_secret_keys_at_any_depth() {
        let keys = vec!["awsSecretAccessKey".to_string(), "jwtToken".to_string()];
        let value = json!({"awsSecretAccessKey": "s", "awsRegion": "eu-west-1",
            "connectionOptions": {"a": {"b": {"jwtToken": "t", "kept": 1}}}, "list": [{"jwtToken": "t"}]});
        assert_eq!(
            without(&value, &keys),
            json!({"awsRegion": "eu-west-1", "connectionOptions": {"a": {"b": {"kept": 1}}}, "list": [{}]})
        );
    }

    #[test]
    fn secrets_are_found_in_the_schema_and_redacted() {
        let schema = json!({"$defs": {"Aws": {"properties": {
            "key": {"type": "string"},
            "secret": {"type": "string", "format": "password", "writeOnly": true},
            "token": {"anyOf": [{"type": "string", "writeOnly": true}, {"type": "null"}]}
        }}}});
        let keys = secret_keys(&schema);
        assert_eq!(keys, vec!["secret", "token"]);
        let config = json!({"aws": {"key": "AKIA", "secret": "s3cr3t", "token": null}, "list": [{"token": "t0k3n"}]});
        let redacted = redact(&config, &keys);
        assert_eq!(
            redacted,
            json!({"aws": {"key": "AKIA", "secret": "***", "token": null}, "list": [{"token": "***"}]})
        );
    }

    #[test]
    fn references_are_found_in_secret_fields_only() {
        let source = json!({"serviceConnection": {"config": {"awsConfig": {
            "awsSecretAccessKey": "secret:/om/key", "awsAccessKeyId": "secret:not-a-secret-field"
        }}}});
        let mut found = Vec::new();
        find(&source, "", &["awsSecretAccessKey".to_string()], &mut found);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].pointer, "/serviceConnection/config/awsConfig/awsSecretAccessKey");
        assert_eq!(found[0].id, "/om/key");
    }

    #[test]
    fn a_reference_without_a_secrets_manager_is_refused_naming_the_field() {
        let source = json!({"a": {"awsSecretAccessKey": "secret:/om/key"}});
        let e = resolve(&source, &["awsSecretAccessKey".to_string()], &json!({})).unwrap_err();
        let text = format!("{:#}", e.error);
        assert!(text.contains("source/a/awsSecretAccessKey") && text.contains("'db'"), "{text}");
        let plain = json!({"a": {"awsSecretAccessKey": "plain"}});
        assert_eq!(resolve(&plain, &["awsSecretAccessKey".to_string()], &json!({})).unwrap(), plain);
    }
}

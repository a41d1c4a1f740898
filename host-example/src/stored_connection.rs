//! A workflow without `source.serviceConnection` runs with the connection stored in
//! OpenMetadata for its `serviceName`, as `metadata ingest` does for the workflows the server
//! deploys (`GET /v1/services/{kind}Services/name/{name}?fields=connection`).

use std::time::Duration;

use serde_json::Value;

use crate::endpoints;
use crate::openmetadata::{encode, Client};
use crate::workflow::Workflow;
use host_core::failure::{self, fail};
use host_core::plugins::Plugin;

/// Fills in `source.serviceConnection` from the server when the workflow has none. A service
/// that does not exist, one without a stored connection, or one whose secrets the server
/// masked (a token that may not read them) is bad input, named.
pub fn complete(workflow: &mut Workflow, plugin: &Plugin, schema: &Value, timeout: Duration) -> failure::Result<()> {
    if workflow.source.get("serviceConnection").is_some_and(|c| !c.is_null()) {
        return Ok(());
    }
    let Some(name) = workflow.service_name().map(str::to_string) else {
        fail!(BadInput, "source.serviceName is missing")
    };
    let kind = plugin.manifest.service_kind.as_str();
    let Some(service) = endpoints::service(kind) else {
        fail!(BadInput, "the plugin's service kind '{kind}' is not one this host knows")
    };
    let client = match Client::from_config(&workflow.workflow_config.open_metadata_server_config, timeout) {
        Ok(client) => client,
        Err(e) => {
            fail!(BadInput, "source.serviceConnection is missing, and the server to take it from cannot be used: {e:#}")
        }
    };
    let path = format!("{}/name/{}?fields=connection", service.collection, encode(&name));
    let stored = match client.call("GET", &path, None) {
        Ok(answer) => answer.body,
        Err(e) if e.status() == Some(404) => fail!(
            BadInput,
            "source.serviceConnection is missing, and OpenMetadata has no {} service '{name}' to take it from",
            kind.to_lowercase()
        ),
        Err(e) => fail!(BadInput, "source.serviceConnection is missing, and the stored one cannot be read: {e}"),
    };
    let Some(connection) = stored.get("connection").filter(|c| c.get("config").is_some_and(Value::is_object)) else {
        fail!(
            BadInput,
            "source.serviceConnection is missing, and the {} service '{name}' in OpenMetadata has no stored connection \
             (or this token may not read it)",
            kind.to_lowercase()
        )
    };
    let masked: Vec<String> = host_core::secrets::secret_keys(schema)
        .into_iter()
        .filter(|key| find_values(connection, key).iter().any(|v| is_masked(v)))
        .collect();
    if !masked.is_empty() {
        fail!(
            BadInput,
            "the connection stored for '{name}' came back with its secrets masked ({}): run with the ingestion bot's \
             token, which may read them, or give source.serviceConnection in the workflow",
            masked.join(", ")
        );
    }
    tracing::info!("using the connection stored in OpenMetadata for service '{name}'");
    workflow.source["serviceConnection"] = connection.clone();
    workflow.stored_connection_used = true;
    Ok(())
}

/// OpenMetadata masks a secret it does not show as asterisks.
fn is_masked(value: &Value) -> bool {
    value.as_str().is_some_and(|s| !s.is_empty() && s.chars().all(|c| c == '*'))
}

/// Every value of `key`, at any depth.
fn find_values<'a>(value: &'a Value, key: &str) -> Vec<&'a Value> {
    match value {
        Value::Object(map) => {
            map.iter().flat_map(|(k, v)| if k == key { vec![v] } else { find_values(v, key) }).collect()
        }
        Value::Array(items) => items.iter().flat_map(|v| find_values(v, key)).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masked_secrets_are_found_at_any_depth() {
        let c = json!({"config": {"awsConfig": {"awsSecretAccessKey": "*********", "awsAccessKeyId": "AKIA"}}});
        assert!(find_values(&c, "awsSecretAccessKey").iter().any(|v| is_masked(v)));
        assert!(!find_values(&c, "awsAccessKeyId").iter().any(|v| is_masked(v)));
        assert!(!is_masked(&json!("")));
    }
}

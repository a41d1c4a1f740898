//! What a plugin says about itself, without being configured: a JSON document, so that later
//! contract versions add fields without changing the binary layout (hosts ignore fields they do
//! not know). `schema/plugin-manifest.schema.json` is generated from [`Manifest`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A plugin's manifest, as `SourcePlugin::manifest` returns it (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "Plugin manifest")]
pub struct Manifest {
    /// The OpenMetadata connector type, e.g. `Kinesis` (`serviceConnection.config.type`).
    pub connector_type: String,
    /// The OpenMetadata service kind, e.g. `Messaging` or `Pipeline`: where the host creates the
    /// service (`PUT /v1/services/{kind}Services`).
    pub service_kind: String,
    /// The plugin's own version.
    pub plugin_version: String,
    /// The contract version the plugin was built against (`plugin_abi::ABI_VERSION`).
    pub contract_version: String,
    /// The version of the record bodies' format (`envelope::PAYLOAD_FORMAT_VERSION`).
    pub payload_format_version: String,
    /// What it offers, in OpenMetadata's words, e.g. `["Topics", "Sample Data"]`.
    #[serde(default)]
    pub features: Vec<String>,
    /// The entity types its records carry, and the source options that govern them.
    #[serde(default)]
    pub entity_types: Vec<EntityTypeInfo>,
}

/// One entity type a plugin yields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntityTypeInfo {
    /// OpenMetadata's entity type, e.g. `topic`.
    pub entity_type: String,
    /// The `sourceConfig.config` option (a boolean) that asks for entities of this type that a
    /// complete listing did not see to be soft-deleted, e.g. `markDeletedTopics`; absent when
    /// the plugin never asks for deletions of this type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_deleted_option: Option<String>,
    /// The option's default when the workflow leaves it out.
    #[serde(default = "yes")]
    pub mark_deleted_default: bool,
}

fn yes() -> bool {
    true
}

impl Manifest {
    /// What a plugin says about an entity type it yields.
    pub fn entity_type(&self, entity_type: &str) -> Option<&EntityTypeInfo> {
        self.entity_types.iter().find(|e| e.entity_type == entity_type)
    }

    /// The manifest as it crosses the boundary.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a manifest is JSON")
    }
}

/// The manifest's JSON Schema, as checked in under `schema/`.
pub fn manifest_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Manifest)).expect("a schema is JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_manifest_schema_matches_the_code() {
        crate::envelope::check_schema_file("plugin-manifest.schema.json", &manifest_schema());
    }

    #[test]
    fn a_newer_manifest_with_fields_this_version_lacks_is_read() {
        let newer = r#"{"connectorType":"X","serviceKind":"Pipeline","pluginVersion":"1","contractVersion":"2.4.0",
            "payloadFormatVersion":"3","entityTypes":[{"entityType":"pipeline","markDeletedOption":"markDeletedPipelines","icon":"x"}],
            "somethingNew":{"a":1}}"#;
        let m: Manifest = serde_json::from_str(newer).unwrap();
        assert_eq!(m.entity_type("pipeline").unwrap().mark_deleted_option.as_deref(), Some("markDeletedPipelines"));
        assert!(m.entity_type("pipeline").unwrap().mark_deleted_default);
        assert!(m.features.is_empty());
    }
}

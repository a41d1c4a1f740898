//! What every pipeline connector's settings hold, declared once: OpenMetadata's
//! `PipelineServiceMetadataPipeline` (`contract/pipelineServiceMetadataPipeline.json`), the
//! `sourceConfig.config`, where every option OpenMetadata writes into a pipeline workflow is
//! accepted with OpenMetadata's default and the ones a connector cannot honour are refused when
//! set, never ignored ([`PipelineServiceMetadata::problems`]); and the fields a pipeline
//! connection shares ([`pipeline_connection!`]: where lineage ends are looked up, the default
//! filter). [`lineage_services`] and [`filter_patterns`] read them for any pipeline connector.

use plugin_abi::PluginError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::config::SOURCE_CONFIG_PATH;
use crate::form::Form;

/// A pipeline connector's settings in the config form: what to ingest and where lineage ends,
/// then OpenMetadata's other options and the tuning ones.
pub const FORM: Form = Form {
    first: &[(
        SOURCE_CONFIG_PATH,
        &["type", "pipelineFilterPattern", "includeLineage", "lineageInformation", "markDeletedPipelines"],
    )],
    fields: &[],
};

/// Declares a pipeline connector's `sourceConfig.config`: OpenMetadata's
/// `PipelineServiceMetadataPipeline` fields first, then the struct's own fields (each followed by
/// a comma), and [`PipelineServiceMetadata`] for it. A macro because OpenMetadata's settings are
/// flat and serde cannot flatten a struct into one that denies unknown fields.
///
/// It composes with another declaration macro of the same form, which then adds its fields after
/// these: `plugin_sdk::pipeline_service_metadata! { plugin_aws::pipeline_settings! { struct } }`.
/// The struct's attributes must include `#[serde(rename_all = "camelCase")]`.
#[macro_export]
macro_rules! pipeline_service_metadata {
    ($($declare:ident)::+ ! { $(#[$attr:meta])* pub struct $name:ident { $($fields:tt)* } }) => {
        $($declare)::+ ! {
            $(#[$attr])*
            pub struct $name {
                /// Pipeline type
                #[serde(rename = "type", default = "plugin_sdk::pipeline_settings::pipeline_metadata_type")]
                #[schemars(title = "Pipeline Type")]
                pub pipeline_type: Option<$crate::pipeline_settings::PipelineMetadataConfigType>,
                /// Add lineage edges between the pipelines and the assets they read and write, as
                /// the source's configuration states them (never guessed from names).
                #[serde(default = "plugin_sdk::config::some_true")]
                #[schemars(title = "Include Lineage")]
                pub include_lineage: Option<bool>,
                /// Accepted for OpenMetadata's workflows; the source's pipelines have no owners, so
                /// it changes nothing.
                #[serde(default = "plugin_sdk::config::some_true")]
                #[schemars(title = "Include Owners")]
                pub include_owners: Option<bool>,
                /// Accepted for OpenMetadata's workflows; the source's pipelines have no owners, so
                /// it changes nothing.
                #[serde(default = "plugin_sdk::pipeline_settings::replace")]
                #[schemars(title = "Ownership Update Mode")]
                pub ownership_update_mode: Option<$crate::pipeline_settings::OwnershipUpdateMode>,
                /// Regex to only fetch pipelines whose name matches the pattern.
                #[serde(default)]
                #[schemars(title = "Pipeline Filter Pattern")]
                pub pipeline_filter_pattern: Option<$crate::config::FilterPattern>,
                /// Where lineage ends are looked up.
                #[serde(default)]
                #[schemars(title = "Lineage Information")]
                pub lineage_information: Option<$crate::lineage::LineageInformation>,
                /// Replacing lineage is not supported: edges are added and existing ones kept; a run
                /// with this set to true is refused.
                #[serde(default = "plugin_sdk::config::some_false")]
                #[schemars(title = "Override Lineage", extend("enum" = [false], "readOnly" = true))]
                pub override_lineage: Option<bool>,
                /// Soft delete pipelines in OpenMetadata whose source is gone (only after a
                /// complete listing, in a run without errors).
                #[serde(default = "plugin_sdk::config::some_true")]
                #[schemars(title = "Mark Deleted Pipelines")]
                pub mark_deleted_pipelines: Option<bool>,
                /// Tags are not read: left out (OpenMetadata's default, true) no tags are written;
                /// set to true explicitly, the run is refused rather than ignoring it.
                #[serde(default)]
                #[schemars(title = "Include Tags", extend("enum" = [false], "readOnly" = true))]
                pub include_tags: Option<bool>,
                /// Accepted for OpenMetadata's workflows; every pipeline the source lists is
                /// deployed, so it changes nothing.
                #[serde(default = "plugin_sdk::config::some_true")]
                #[schemars(title = "Include Un-Deployed Pipelines")]
                pub include_un_deployed_pipelines: Option<bool>,
                /// Accepted for OpenMetadata's workflows; the source's pipelines have no run
                /// history, so it changes nothing.
                #[serde(default = "plugin_sdk::pipeline_settings::one_day")]
                #[schemars(title = "Status Lookback Days")]
                pub status_lookback_days: Option<i64>,
                /// Whether metadata from the source overrides what people curated in OpenMetadata
                /// (description, tags, owners). Only false is supported: runs keep what people
                /// curated (OpenMetadata keeps a description a person wrote when a bot sends
                /// another); a run with true is refused.
                #[serde(default = "plugin_sdk::config::some_false")]
                #[schemars(title = "Override Metadata", extend("enum" = [false], "readOnly" = true))]
                pub override_metadata: Option<bool>,
                $($fields)*
            }
        }

        impl $crate::pipeline_settings::PipelineServiceMetadata for $name {
            fn include_lineage(&self) -> bool {
                self.include_lineage.unwrap_or(true)
            }
            fn lineage_information(&self) -> Option<&$crate::lineage::LineageInformation> {
                self.lineage_information.as_ref()
            }
            fn pipeline_filter_pattern(&self) -> Option<&$crate::config::FilterPattern> {
                self.pipeline_filter_pattern.as_ref()
            }
            fn problems(&self) -> Vec<$crate::plugin_abi::PluginError> {
                $crate::pipeline_settings::problems(self.override_lineage, self.include_tags, self.override_metadata)
            }
        }
    };
    ($(#[$attr:meta])* pub struct $name:ident { $($fields:tt)* }) => {
        $crate::pipeline_service_metadata! {
            $crate::pipeline_settings::declared! { $(#[$attr])* pub struct $name { $($fields)* } }
        }
    };
}

/// Declares a pipeline connector's connection (`serviceConnection.config`): the struct's own
/// fields (each followed by a comma), then what every pipeline connection holds
/// (`messagingServiceName`, the default `pipelineFilterPattern`, `supportsMetadataExtraction`),
/// and [`PipelineConnection`] for it. Composes as [`pipeline_service_metadata!`] does.
#[macro_export]
macro_rules! pipeline_connection {
    ($($declare:ident)::+ ! { $(#[$attr:meta])* pub struct $name:ident { $($fields:tt)* } }) => {
        $($declare)::+ ! {
            $(#[$attr])*
            pub struct $name {
                $($fields)*
                /// Name of the messaging service whose topics the pipelines
                /// read and write: lineage ends are looked up there first.
                #[serde(default)]
                #[schemars(title = "Messaging Service Name")]
                pub messaging_service_name: Option<String>,
                /// Regex to only fetch pipelines whose name matches the pattern. Used when the
                /// pipeline's own `sourceConfig.config.pipelineFilterPattern` is not set.
                #[serde(default)]
                #[schemars(title = "Default Pipeline Filter Pattern")]
                pub pipeline_filter_pattern: Option<$crate::config::FilterPattern>,
                /// Supports Metadata Extraction.
                #[serde(default = "plugin_sdk::config::some_true")]
                #[schemars(title = "Supports Metadata Extraction")]
                pub supports_metadata_extraction: Option<bool>,
            }
        }

        impl $crate::pipeline_settings::PipelineConnection for $name {
            fn messaging_service_name(&self) -> Option<&String> {
                self.messaging_service_name.as_ref()
            }
            fn pipeline_filter_pattern(&self) -> Option<&$crate::config::FilterPattern> {
                self.pipeline_filter_pattern.as_ref()
            }
        }
    };
    ($(#[$attr:meta])* pub struct $name:ident { $($fields:tt)* }) => {
        $crate::pipeline_connection! {
            $crate::pipeline_settings::declared! { $(#[$attr])* pub struct $name { $($fields)* } }
        }
    };
}

/// The struct as written: [`pipeline_service_metadata!`] with no other declaration macro.
#[doc(hidden)]
#[macro_export]
macro_rules! __declared {
    ($item:item) => {
        $item
    };
}
#[doc(hidden)]
pub use __declared as declared;

/// What the connector reads from OpenMetadata's pipeline options (the rest it accepts and either
/// cannot act on, saying so in the schema, or refuses when set).
pub trait PipelineServiceMetadata {
    fn include_lineage(&self) -> bool;
    fn lineage_information(&self) -> Option<&crate::lineage::LineageInformation>;
    fn pipeline_filter_pattern(&self) -> Option<&crate::config::FilterPattern>;
    /// The options set to what the connector cannot do, each named by its path.
    fn problems(&self) -> Vec<PluginError>;
}

/// What a pipeline connection holds for the run ([`pipeline_connection!`]).
pub trait PipelineConnection {
    fn messaging_service_name(&self) -> Option<&String>;
    fn pipeline_filter_pattern(&self) -> Option<&crate::config::FilterPattern>;
}

/// Where a pipeline connector's lineage ends are looked up: the connection's
/// `messagingServiceName` first, then the pipeline's `lineageInformation`.
pub fn lineage_services<K>(settings: &crate::source::Settings<K>) -> crate::lineage::LineageServices
where
    K: crate::source::SourceKind,
    K::Connection: PipelineConnection,
    K::Pipeline: PipelineServiceMetadata,
{
    crate::lineage::LineageServices::new(
        settings.connection().messaging_service_name(),
        settings.pipeline().lineage_information(),
    )
}

/// A pipeline connector's filter patterns, for [`crate::source::SourceKind::filter_patterns`]:
/// the pipeline's own, then the connection's default.
pub fn filter_patterns<C: PipelineConnection, P: PipelineServiceMetadata>(
    source: &crate::source::Source<C, P>,
) -> [Option<&crate::config::FilterPattern>; 2] {
    [source.source_config.config.pipeline_filter_pattern(), source.service_connection.config.pipeline_filter_pattern()]
}

/// The only pipeline type a pipeline connector takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "PipelineMetadataConfigType", description = "Pipeline Source Config Metadata Pipeline type")]
pub enum PipelineMetadataConfigType {
    PipelineMetadata,
}

/// OpenMetadata's `OwnershipUpdateMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "OwnershipUpdateMode")]
pub enum OwnershipUpdateMode {
    Replace,
    Append,
}

#[doc(hidden)]
pub fn pipeline_metadata_type() -> Option<PipelineMetadataConfigType> {
    Some(PipelineMetadataConfigType::PipelineMetadata)
}
#[doc(hidden)]
pub fn replace() -> Option<OwnershipUpdateMode> {
    Some(OwnershipUpdateMode::Replace)
}
#[doc(hidden)]
pub fn one_day() -> Option<i64> {
    Some(1)
}

/// `overrideLineage`, `includeTags` and `overrideMetadata` set to true: refused, each named.
pub fn problems(
    override_lineage: Option<bool>,
    include_tags: Option<bool>,
    override_metadata: Option<bool>,
) -> Vec<PluginError> {
    let mut problems: Vec<PluginError> =
        crate::config::override_metadata_problem(override_metadata).into_iter().collect();
    let unsupported = [
        ("overrideLineage", override_lineage, "lineage edges are added, existing ones are kept"),
        ("includeTags", include_tags, "this connector reads no tags"),
    ];
    for (field, value, why) in unsupported {
        if value == Some(true) {
            problems.push(PluginError::config(
                format!("{SOURCE_CONFIG_PATH}/{field}"),
                format!("true is not supported: {why}; leave it out or set it to false"),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::PipelineServiceMetadata as _;
    use serde_json::json;

    crate::pipeline_service_metadata! {
        /// A pipeline connector's settings with one field of its own.
        #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        #[allow(dead_code)] // what is accepted and changes nothing
        pub struct Example {
            /// Its own setting.
            #[serde(default)]
            pub own_setting: u32,
        }
    }

    #[test]
    fn every_option_openmetadata_writes_is_accepted_with_its_default() {
        let contract: serde_json::Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/contract/pipelineServiceMetadataPipeline.json"
        )))
        .unwrap();
        let schema = serde_json::to_value(schemars::schema_for!(Example)).unwrap();
        for (name, option) in contract["properties"].as_object().unwrap() {
            let ours = &schema["properties"][name];
            assert!(!ours.is_null(), "{name} is not accepted");
            if name == "includeTags" {
                // OpenMetadata's default (true) cannot be honoured: left out, no tags; true refused.
                assert_eq!((ours.get("default").filter(|d| !d.is_null()), &ours["enum"]), (None, &json!([false])));
            } else {
                assert_eq!(ours.get("default"), option.get("default"), "{name}'s default");
            }
        }
        assert!(schema["properties"]["ownSetting"].is_object());

        let all: Example = serde_json::from_value(json!({"type": "PipelineMetadata", "includeLineage": false,
            "includeOwners": true, "ownershipUpdateMode": "append", "pipelineFilterPattern": {"includes": ["a"]},
            "lineageInformation": {"messagingServiceNames": ["k"]}, "overrideLineage": false,
            "markDeletedPipelines": false, "includeTags": false, "includeUnDeployedPipelines": false,
            "statusLookbackDays": 3, "overrideMetadata": false, "ownSetting": 2}))
        .unwrap();
        assert!(!all.include_lineage() && all.problems().is_empty() && all.own_setting == 2);
        assert!(serde_json::from_value::<Example>(json!({"includeLineages": true})).is_err());
    }

    #[test]
    fn what_the_connector_cannot_do_is_refused_by_name() {
        let e: Example =
            serde_json::from_value(json!({"overrideLineage": true, "includeTags": true, "overrideMetadata": true}))
                .unwrap();
        let paths: Vec<String> = e.problems().into_iter().map(|p| p.field.unwrap().to_string()).collect();
        assert_eq!(
            paths,
            [
                "/sourceConfig/config/overrideMetadata",
                "/sourceConfig/config/overrideLineage",
                "/sourceConfig/config/includeTags"
            ]
        );
    }
}

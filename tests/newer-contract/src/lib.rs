//! A plugin (connector type `NewerContract`) built against contract 2.4: it offers a named
//! function 2.0 to 2.3 do not have (`describe`, through `call`), its manifest has a field 2.3 does
//! not know, and its run yields,
//! besides a topic and its listing status, a record of a kind (`tagLabel`) and one of an entity
//! type (`dashboard`) that 2.3 hosts do not know and must skip with a warning.

#![allow(non_local_definitions)]

use abi_stable::{
    export_root_module,
    prefix_type::PrefixTypeTrait,
    sabi_trait::TD_Opaque,
    std_types::{RNone, ROption, RResult, RSome, RStr, RString},
};
use plugin_abi::{
    entity_type::TOPIC, envelope::ListingStatus, guard, EntityTypeInfo, HostContextRef, Manifest, PluginError, Record,
    RecordKind, RecordStream, RecordStreamBox, RecordStream_TO, SourcePlugin, SourcePluginRef,
};

struct Run {
    records: std::vec::IntoIter<Record>,
}

impl RecordStream for Run {
    fn next(&mut self) -> RResult<ROption<Record>, PluginError> {
        guard(|| RResult::ROk(self.records.next().map_or(RNone, RSome)))
    }
}

extern "C" fn manifest() -> RResult<RString, PluginError> {
    guard(|| {
        let manifest = Manifest {
            connector_type: "NewerContract".into(),
            service_kind: "Messaging".into(),
            plugin_version: "0.0.0".into(),
            contract_version: plugin_abi::ABI_VERSION.into(),
            payload_format_version: plugin_abi::envelope::PAYLOAD_FORMAT_VERSION.into(),
            features: vec!["Topics".into(), "Tags".into()],
            entity_types: vec![EntityTypeInfo {
                entity_type: TOPIC.into(),
                mark_deleted_option: Some("markDeletedTopics".into()),
                mark_deleted_default: true,
            }],
        };
        // A field of a later manifest format.
        let mut json = serde_json::to_value(&manifest).expect("JSON");
        json["tagClassifications"] = serde_json::json!(["Kinesis"]);
        RResult::ROk(json.to_string().into())
    })
}

extern "C" fn config_schema() -> RResult<RString, PluginError> {
    guard(|| RResult::ROk(r#"{"type": "object", "required": ["serviceName"]}"#.into()))
}

extern "C" fn check_config(_: RStr<'_>) -> RResult<RString, PluginError> {
    guard(|| RResult::ROk("[]".into()))
}

extern "C" fn test_connection(_: RStr<'_>, _: HostContextRef) -> RResult<RString, PluginError> {
    guard(|| RResult::RErr(PluginError::internal("the fixture tests nothing")))
}

extern "C" fn open(config: RStr<'_>, _: HostContextRef) -> RResult<RecordStreamBox, PluginError> {
    guard(|| {
        let source: serde_json::Value = serde_json::from_str(config.as_str()).unwrap_or_default();
        let service = source["serviceName"].as_str().unwrap_or_default().to_string();
        let name = "from-the-future";
        let topic = serde_json::json!({"name": name, "service": plugin_abi::fqn::quote(&service), "partitions": 1});
        let tag = Record {
            kind: "tagLabel".into(),
            ..Record::new(RecordKind::Entity, TOPIC, &[&service, name], &serde_json::json!({"tagFQN": "Kinesis.Hot"}))
        };
        let dashboard =
            Record::new(RecordKind::Entity, "dashboard", &[&service, "d"], &serde_json::json!({"name": "d"}));
        let mut status =
            serde_json::to_value(ListingStatus { complete: true, listed: 1, emitted: 1, ..Default::default() })
                .expect("JSON");
        status["fromTheFuture"] = 1.into();
        let records = vec![
            Record::new(RecordKind::Entity, TOPIC, &[&service, name], &topic),
            tag,
            dashboard,
            Record::new(RecordKind::ListingStatus, TOPIC, &[&service], &status),
        ];
        RResult::ROk(RecordStream_TO::from_value(Run { records: records.into_iter() }, TD_Opaque))
    })
}

/// `describe`: a function of contract 2.4.
extern "C" fn call(function: RStr<'_>, _: RStr<'_>, _: HostContextRef) -> RResult<RString, PluginError> {
    guard(|| match function.as_str() {
        "describe" => RResult::ROk(r#"{"description": "a function of contract 2.4"}"#.into()),
        other => RResult::RErr(plugin_abi::unsupported(other)),
    })
}

#[export_root_module]
pub fn root_module() -> SourcePluginRef {
    SourcePlugin { manifest, config_schema, check_config, test_connection, open, call }.leak_into_prefix()
}

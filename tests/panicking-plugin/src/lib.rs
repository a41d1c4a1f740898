//! A plugin (connector type `Panicking`) whose stream yields two topics and then panics in
//! `next()`. It follows the contract: the panic is caught inside the plugin (`guard`) and comes
//! back as an internal error, since nothing may unwind across the boundary.

#![allow(non_local_definitions)]

use abi_stable::{
    export_root_module,
    prefix_type::PrefixTypeTrait,
    sabi_trait::TD_Opaque,
    std_types::{ROption, RResult, RSome, RStr, RString},
};
use plugin_abi::{
    entity_type::TOPIC, guard, EntityTypeInfo, HostContextRef, Manifest, PluginError, Record, RecordKind, RecordStream,
    RecordStreamBox, RecordStream_TO, SourcePlugin, SourcePluginRef,
};

struct Panicking {
    /// The service's name, unquoted.
    service: String,
    emitted: u32,
}

impl RecordStream for Panicking {
    fn next(&mut self) -> RResult<ROption<Record>, PluginError> {
        guard(|| {
            self.emitted += 1;
            if self.emitted > 2 {
                panic!("the fixture's record stream broke after {} records", self.emitted - 1);
            }
            let name = format!("p-{}", self.emitted);
            let body =
                serde_json::json!({"name": name, "service": plugin_abi::fqn::quote(&self.service), "partitions": 1});
            RResult::ROk(RSome(Record::new(RecordKind::Entity, TOPIC, &[&self.service, &name], &body)))
        })
    }
}

extern "C" fn manifest() -> RResult<RString, PluginError> {
    guard(|| {
        let manifest = Manifest {
            connector_type: "Panicking".into(),
            service_kind: "Messaging".into(),
            plugin_version: "0.0.0".into(),
            contract_version: plugin_abi::ABI_VERSION.into(),
            payload_format_version: plugin_abi::envelope::PAYLOAD_FORMAT_VERSION.into(),
            features: vec!["Topics".into()],
            entity_types: vec![EntityTypeInfo {
                entity_type: TOPIC.into(),
                mark_deleted_option: Some("markDeletedTopics".into()),
                mark_deleted_default: true,
            }],
        };
        RResult::ROk(manifest.to_json().into())
    })
}

extern "C" fn config_schema() -> RResult<RString, PluginError> {
    guard(|| RResult::ROk(r#"{"type": "object", "required": ["serviceName"]}"#.into()))
}

extern "C" fn test_connection(_: RStr<'_>, _: HostContextRef) -> RResult<RString, PluginError> {
    guard(|| RResult::RErr(PluginError::internal("the fixture tests nothing")))
}

extern "C" fn open(config: RStr<'_>, _: HostContextRef) -> RResult<RecordStreamBox, PluginError> {
    guard(|| {
        let source: serde_json::Value = serde_json::from_str(config.as_str()).unwrap_or_default();
        let service = source["serviceName"].as_str().unwrap_or_default().to_string();
        RResult::ROk(RecordStream_TO::from_value(Panicking { service, emitted: 0 }, TD_Opaque))
    })
}

extern "C" fn check_config(_: RStr<'_>) -> RResult<RString, PluginError> {
    guard(|| RResult::ROk("[]".into()))
}

extern "C" fn call(function: RStr<'_>, _: RStr<'_>, _: HostContextRef) -> RResult<RString, PluginError> {
    guard(|| RResult::RErr(plugin_abi::unsupported(function.as_str())))
}

#[export_root_module]
pub fn root_module() -> SourcePluginRef {
    SourcePlugin { manifest, config_schema, check_config, test_connection, open, call }.leak_into_prefix()
}

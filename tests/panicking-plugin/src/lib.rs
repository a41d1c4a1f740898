//! A plugin (connector type `Panicking`) whose stream yields two topics and then panics in
//! `next()`. It follows the contract: the panic is caught inside the plugin (`guard`) and comes
//! back as an internal error, since nothing may unwind across the boundary.

#![allow(non_local_definitions)]

use abi_stable::{
    export_root_module,
    prefix_type::PrefixTypeTrait,
    sabi_trait::TD_Opaque,
    std_types::{ROption, RResult, RSome, RStr, RString, RVec},
};
use plugin_abi::{
    guard, HostContext, Manifest, PluginError, Record, RecordKind, RecordStream, RecordStreamBox, RecordStream_TO,
    SourcePlugin, SourcePluginRef,
};

struct Panicking {
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
            let payload = serde_json::json!({"name": name, "service": self.service, "partitions": 1}).to_string();
            RResult::ROk(RSome(Record { kind: RecordKind::Topic, entity: name.into(), payload: payload.into() }))
        })
    }
}

extern "C" fn manifest() -> RResult<Manifest, PluginError> {
    guard(|| {
        RResult::ROk(Manifest {
            connector_type: "Panicking".into(),
            service_kind: "Messaging".into(),
            plugin_version: "0.0.0".into(),
            abi_version: plugin_abi::ABI_VERSION.into(),
            features: RVec::from(vec![RString::from("Topics")]),
        })
    })
}

extern "C" fn config_schema() -> RResult<RString, PluginError> {
    guard(|| RResult::ROk(r#"{"type": "object", "required": ["serviceName"]}"#.into()))
}

extern "C" fn test_connection(_: RStr<'_>, _: HostContext) -> RResult<RString, PluginError> {
    guard(|| RResult::RErr(PluginError::internal("the fixture tests nothing")))
}

extern "C" fn open(config: RStr<'_>, _: HostContext) -> RResult<RecordStreamBox, PluginError> {
    guard(|| {
        let source: serde_json::Value = serde_json::from_str(config.as_str()).unwrap_or_default();
        let service = plugin_abi::fqn::quote(source["serviceName"].as_str().unwrap_or_default());
        RResult::ROk(RecordStream_TO::from_value(Panicking { service, emitted: 0 }, TD_Opaque))
    })
}

extern "C" fn check_config(_: RStr<'_>) -> RResult<RString, PluginError> {
    guard(|| RResult::ROk("[]".into()))
}

#[export_root_module]
pub fn root_module() -> SourcePluginRef {
    SourcePlugin { manifest, config_schema, test_connection, open, check_config }.leak_into_prefix()
}

//! A plugin as an older contract (0.9) would have built it: same root-module name, another
//! version and layout. A host of contract 2.x must refuse it with a message, not crash.
//! `tests/v1-abi-plugin` builds the same source as a plugin of contract 1.1.

use abi_stable::{
    declare_root_module_statics, export_root_module, library::RootModule, prefix_type::PrefixTypeTrait,
    sabi_types::VersionStrings, std_types::RString, StableAbi,
};

/// The contract version this fixture claims (`tests/v1-abi-plugin` claims another).
#[cfg(not(feature = "contract-1-1"))]
const CONTRACT_VERSION: &str = "0.9.0";
#[cfg(feature = "contract-1-1")]
const CONTRACT_VERSION: &str = "1.1.0";

#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = OldPluginRef)))]
pub struct OldPlugin {
    #[sabi(last_prefix_field)]
    pub name: extern "C" fn() -> RString,
}

impl RootModule for OldPluginRef {
    declare_root_module_statics! {OldPluginRef}
    const BASE_NAME: &'static str = "openmetadata_source_plugin";
    const NAME: &'static str = "openmetadata_source_plugin";
    const VERSION_STRINGS: VersionStrings = VersionStrings::new(CONTRACT_VERSION);
}

extern "C" fn name() -> RString {
    RString::from("old")
}

#[export_root_module]
pub fn root_module() -> OldPluginRef {
    OldPlugin { name }.leak_into_prefix()
}

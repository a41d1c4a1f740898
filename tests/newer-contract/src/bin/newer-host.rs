//! A host built against contract 2.4, which knows a named function 2.0 to 2.3 lack (`describe`):
//! loads the plugin file given as its argument and says what it found, so that tests can show
//! that plugins of 2.3 load in a host that knows more, and answer its newer call as
//! unsupported. Exit code 0 when the plugin loaded and answered, 1 otherwise.

use abi_stable::library::lib_header_from_path;
use abi_stable::std_types::{RResult, RStr, RString};
use plugin_abi::{ErrorKind, HostContext, LogLevel, Manifest, PluginError, SourcePluginRef};

extern "C" fn log(_: LogLevel, _: RStr<'_>, _: RStr<'_>) {}

extern "C" fn host_call(service: RStr<'_>, _: RStr<'_>) -> RResult<RString, PluginError> {
    RResult::RErr(plugin_abi::unsupported(service.as_str()))
}

fn main() -> std::process::ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: newer-host <plugin file>");
        return std::process::ExitCode::FAILURE;
    };
    let loaded = lib_header_from_path(path.as_ref()).and_then(|h| h.init_root_module::<SourcePluginRef>());
    let module = match loaded {
        Ok(module) => module,
        Err(e) => {
            eprintln!("refused: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let manifest: Manifest = match module.manifest()().into_result() {
        Ok(text) => match serde_json::from_str(text.as_str()) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("manifest not readable: {e}");
                return std::process::ExitCode::FAILURE;
            }
        },
        Err(e) => {
            eprintln!("manifest failed: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("host contract: {}", plugin_abi::ABI_VERSION);
    println!("loaded: {} (contract {})", manifest.connector_type, manifest.contract_version);
    let host = HostContext { log, max_level: LogLevel::Error, call: host_call }.into_ref();
    match module.call()(RStr::from_str("describe"), RStr::from_str("{}"), host).into_result() {
        Ok(answer) => println!("describe: {answer}"),
        Err(e) if e.is(ErrorKind::Unsupported) => println!("describe: unsupported (the plugin predates it)"),
        Err(e) => {
            eprintln!("describe failed: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    match module.check_config()(RStr::from_str("{}")).into_result() {
        Ok(problems) => println!("check_config: answered {}", problems.as_str().len().min(1)),
        Err(e) => println!("check_config: {e}"),
    }
    std::process::ExitCode::SUCCESS
}

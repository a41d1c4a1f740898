//! What every host of source-connector plugins shares, so that `host-example` and the Python
//! wheel (`host-python`) make the same decisions from the same code: loading plugins from a
//! directory, checking a workflow's `source` block (the plugin's schema and its own checks),
//! resolving `secret:` references, what a run's records mean (`plan`), how a found tag becomes a
//! label and the requests that make it (`labels`), whether and what to
//! soft-delete, and reading an OpenMetadata custom connection as a plugin's configuration.

pub mod context;
pub mod converge;
pub mod custom;
pub mod deletion;
pub mod failure;
pub mod labels;
pub mod plan;
pub mod plugins;
pub mod puller;
pub mod secrets;
pub mod validate;

//! What every AWS plugin shares, so that none carries its own copy: OpenMetadata's AWS
//! credentials (`awsConfig`) and their checks, the SDK config they become, how calls are
//! retried, the run's API budget, how AWS failures become plugin errors, and the steps of a
//! test connection; and, since both plugins read OpenMetadata workflows and log through the
//! host, reading a workflow's `source` block, OpenMetadata's filter patterns and the log
//! forwarding. Each plugin stays its own `cdylib` with its own runtime and links this in.

pub mod budget;
pub mod check;
pub mod config;
pub mod connector;
pub mod credentials;
pub mod errors;
pub mod filter;
pub mod logging;
pub mod metered;
pub mod retry;
pub mod run;

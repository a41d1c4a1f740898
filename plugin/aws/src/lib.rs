//! What AWS plugins share, so that none carries its own copy: OpenMetadata's AWS credentials
//! (`awsConfig`) and their checks, the SDK config they become, a connector's clients, how calls
//! are retried, the run's API budget and metered calls, how AWS failures become plugin errors,
//! and the first step of an AWS test connection. What every plugin shares, AWS or not, is `plugin-sdk`. Each plugin
//! stays its own `cdylib` with its own runtime and links these in.

pub mod arn;
pub mod budget;
pub mod check;
pub mod clients;
pub mod credentials;
pub mod errors;
pub mod form;
pub mod metered;
pub mod retry;
pub mod source;
pub mod streams;

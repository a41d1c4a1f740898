//! The end-to-end tests, one module per subject, in one test binary: each binary links the whole
//! AWS SDK, so one binary instead of twenty saves CI a link and a load per subject.

mod as_deployed;
mod auth;
mod bad_input;
mod contract;
mod dependencies;
mod deployed;
mod firehose;
mod form;
mod framework;
mod integrations;
mod interrupted;
mod kinesis_faults;
mod openmetadata;
mod plugin_in_process;
mod registry;
mod samples;
mod sdk;
mod secrets;
mod tags;
mod topics;

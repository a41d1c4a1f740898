//! The account `tests/fixtures/integrations_seed.py` wires on moto, and what the integrations
//! plugin must make of it (topics in `kinesis_prod`, pipelines in `kinesis_integrations`): the one
//! statement both the host-example test and the framework test check a run against.

/// The seed script (run with `Moto::python`).
pub const SEED: &str = include_str!("../fixtures/integrations_seed.py");

/// The pipelines' service.
pub const SERVICE: &str = "kinesis_integrations";

/// A pipeline's FQN in [`SERVICE`].
pub fn pipeline(name: &str) -> String {
    plugin_abi::fqn::build([SERVICE, name])
}

/// Every pipeline's FQN, sorted: one per integration with a stream; none for the rule that
/// writes only a queue.
pub fn pipelines() -> Vec<String> {
    let mut all: Vec<String> = [
        "consumer:clicks.v1/analytics",
        "iot:telemetry",
        "iot:to_ghost",
        "lambda:orders-handler",
        "pipe:orders-to-audit",
        "pipe:orders-to-queue",
        "rule:default/telemetry-in",
    ]
    .iter()
    .map(|n| pipeline(n))
    .collect();
    all.sort();
    all
}

/// Every lineage edge (from, to, the pipeline in `lineageDetails`), sorted: exactly the wiring
/// AWS states, without the edge to `ghost` (the Kinesis service leaves that stream out).
pub fn lineage() -> Vec<(String, String, Option<String>)> {
    let p = pipeline;
    let mut edges: Vec<(String, String, Option<String>)> = vec![
        ("kinesis_prod.\"clicks.v1\"".into(), p("consumer:clicks.v1/analytics"), None),
        ("kinesis_prod.orders".into(), "kinesis_prod.audit".into(), Some(p("pipe:orders-to-audit"))),
        ("kinesis_prod.orders".into(), p("lambda:orders-handler"), None),
        ("kinesis_prod.orders".into(), p("pipe:orders-to-queue"), None),
        (p("iot:telemetry"), "kinesis_prod.telemetry".into(), None),
        (p("rule:default/telemetry-in"), "kinesis_prod.telemetry".into(), None),
    ];
    edges.sort();
    edges
}

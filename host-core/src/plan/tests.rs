//! The plan's tests: records in, steps out.

use super::*;
use serde_json::json;

fn plan() -> Plan {
    Plan::new("svc", ["topic", "pipeline"], ["topic"])
}

fn take(plan: &mut Plan, kind: &str, parts: &[&str], body: Value) -> Vec<Step> {
    plan.take(kind, "topic", parts, &body.to_string())
}

fn writes(steps: &[Step]) -> Vec<&Write> {
    steps.iter().filter_map(|s| if let Step::Write(w) = s { Some(w) } else { None }).collect()
}

#[test]
fn an_entity_leaves_with_its_labels_and_sample() {
    let mut plan = plan();
    assert!(take(&mut plan, "entity", &["svc", "a.b"], json!({"name": "a.b", "service": "svc"})).is_empty());
    assert!(take(&mut plan, "labels", &["svc", "a.b"], json!({"owners": ["ann"]})).is_empty());
    let steps = take(&mut plan, "sampleData", &["svc", "a.b"], json!({"messages": ["m"]}));
    let w = writes(&steps);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].fqn, "svc.\"a.b\"");
    assert_eq!(w[0].labels.as_ref().map(|l| l.owners.clone()), Some(vec!["ann".to_string()]));
    assert_eq!(w[0].sample, Some(json!({"messages": ["m"]})));
    assert_eq!(plan.end(), None);
    assert_eq!(plan.types()[0].written, vec!["svc.\"a.b\"".to_string()]);
}

#[test]
fn the_next_entity_or_the_end_sends_the_waiting_one_and_an_empty_sample_is_none() {
    let mut plan = plan();
    take(&mut plan, "entity", &["svc", "a"], json!({"name": "a"}));
    let steps = take(&mut plan, "entity", &["svc", "b"], json!({"name": "b"}));
    assert_eq!(writes(&steps).iter().map(|w| w.fqn.as_str()).collect::<Vec<_>>(), ["svc.a"]);
    let steps = take(&mut plan, "sampleData", &["svc", "b"], json!({"messages": []}));
    assert_eq!(writes(&steps)[0].sample, None);
    take(&mut plan, "entity", &["svc", "c"], json!({"name": "c"}));
    assert!(matches!(plan.end(), Some(Step::Write(w)) if w.fqn == "svc.c"));
}

#[test]
fn a_sample_or_labels_of_another_entity_are_warned_and_dropped() {
    let mut plan = plan();
    take(&mut plan, "entity", &["svc", "a"], json!({"name": "a"}));
    let steps = take(&mut plan, "labels", &["svc", "b"], json!({"tags": []}));
    assert!(matches!(&steps[..], [Step::Warning(w)] if w.contains("tags and owners of svc.b")));
    let steps = take(&mut plan, "sampleData", &["svc", "b"], json!({"messages": ["m"]}));
    assert_eq!(writes(&steps)[0].sample, None, "a's write carries no sample");
    assert!(matches!(steps.last(), Some(Step::Warning(w)) if w.contains("sample data of svc.b came without")));
}

#[test]
fn entities_outside_the_service_or_misnamed_fail_one_by_one() {
    let mut plan = plan();
    let cases = [
        (vec!["other", "a"], json!({"name": "a"}), "not in this run's service 'svc'"),
        (vec!["svc", "a"], json!({}), "the request has no name"),
        (vec!["svc", "a"], json!({"name": "b"}), "the request's name 'b' is not the record's 'a'"),
        (vec!["svc", "a"], json!({"name": "a", "service": "x"}), "names service 'x'"),
    ];
    for (parts, body, why) in cases {
        let steps = take(&mut plan, "entity", &parts, body);
        assert!(matches!(&steps[..], [Step::Failed(_, e)] if e.contains(why)), "{why}: {steps:?}");
    }
    assert!(plan.types()[0].written.is_empty());
}

#[test]
fn unknown_kinds_and_types_are_counted_not_json_fails_the_run() {
    let mut plan = plan();
    assert!(plan.take("columns", "topic", &["svc", "a"], "{}").is_empty());
    assert!(plan.take("entity", "dashboard", &["svc", "a"], "{}").is_empty());
    assert!(plan.take("entity", "dashboard", &["svc", "b"], "{}").is_empty());
    assert_eq!(plan.skipped().get("kind 'columns'"), Some(&1));
    assert_eq!(plan.skipped().get("entity type 'dashboard'"), Some(&2));
    assert!(
        matches!(&plan.take("entity", "topic", &["svc", "a"], "{")[..], [Step::Error(e)] if e.contains("not JSON"))
    );
}

#[test]
fn finish_counts_unreadable_entities_as_seen_and_failed() {
    let mut plan = plan();
    take(&mut plan, "entity", &["svc", "a"], json!({"name": "a"}));
    let status = json!({"complete": true, "listed": 3, "filtered": 0, "emitted": 1, "unresolved": ["u.1"], "notYet": ["n"], "warnings": ["w"],
        "apiCalls": {"ListStreams": 2}});
    assert!(take(&mut plan, "listingStatus", &["svc"], status).is_empty());
    plan.end();
    let finish = plan.finish(true);
    assert_eq!(plan.types()[0].seen(), ["svc.a", "svc.\"u.1\"", "svc.n"]);
    assert_eq!(
        finish.failed,
        [("svc.\"u.1\"".to_string(), "exists but could not be read (see the warnings)".to_string())]
    );
    assert_eq!(finish.warnings, ["w"]);
    assert_eq!(finish.api_calls.get("ListStreams"), Some(&2));
    assert!(finish.errors.is_empty());
    assert!(plan.types()[0].complete());
}

#[test]
fn finish_fails_a_run_without_status_or_with_an_incomplete_one_and_a_loud_run_is_incomplete() {
    let mut plan = Plan::new("svc", ["topic", "pipeline"], ["topic", "pipeline"]);
    let steps = take(&mut plan, "listingStatus", &["other"], status(true, None));
    assert!(matches!(&steps[..], [Step::Warning(w)] if w.contains("not about this run's service svc")));
    take(&mut plan, "listingStatus", &["svc"], status(false, Some("throttled")));
    let finish = plan.finish(true);
    assert_eq!(
        finish.errors,
        [
            "the listing of topics is incomplete: throttled",
            "the plugin ended the run without a listing status for its pipelines"
        ]
    );
    let mut plan = plan_with_complete_status();
    plan.finish(false);
    assert!(!plan.types()[0].complete());
}

#[test]
fn a_write_is_merged_with_what_openmetadata_holds_and_an_unchanged_one_is_counted() {
    let mut plan = plan();
    let fields = |f: Value| json!({"schemaType": "JSON", "schemaText": "{\"title\": \"a\"}", "schemaFields": f});
    let stored = json!({"id": "7", "fullyQualifiedName": "svc.a", "name": "a",
        "messageSchema": fields(json!([{"name": "gone", "dataType": "INT"}]))});
    plan.add_stored(
        "topic",
        &[
            stored.clone(),
            json!({"id": "8", "fullyQualifiedName": "svc.b",
        "messageSchema": {"schemaFields": "?"}}),
        ],
    )
    .unwrap();
    take(
        &mut plan,
        "entity",
        &["svc", "a"],
        json!({"name": "a", "messageSchema": fields(json!([{"name": "new", "dataType": "INT"}]))}),
    );
    take(&mut plan, "schemaOrigin", &["svc", "a"], json!({"origin": "sample"}));
    let steps = take(&mut plan, "entity", &["svc", "b"], json!({"name": "b", "messageSchema": fields(json!([]))}));
    let w = writes(&steps)[0];
    assert_eq!(w.origin, Some(Origin::Sample));
    let names: Vec<&str> = w.body["messageSchema"]["schemaFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gone", "new"], "a sample keeps what it did not see");
    assert!(!plan.unchanged("topic", "svc.a", &w.body));
    let b = match plan.end() {
        Some(Step::Write(w)) => w,
        other => panic!("{other:?}"),
    };
    assert!(b.body.get("messageSchema").is_none(), "an unreadable stored schema is left as it is");
    assert!(plan.unchanged("topic", "svc.b", &b.body));
    assert_eq!(plan.types()[0].unchanged, 1);
    let finish = plan.finish(true);
    assert!(
        finish.warnings.iter().any(|w| w.contains("svc.b cannot be read (the fields are not a list)")),
        "{:?}",
        finish.warnings
    );
}

fn plan_with_complete_status() -> Plan {
    let mut plan = plan();
    take(&mut plan, "listingStatus", &["svc"], status(true, None));
    plan
}

fn status(complete: bool, reason: Option<&str>) -> Value {
    json!({"complete": complete, "reason": reason, "listed": 0, "filtered": 0, "emitted": 0})
}

#[test]
fn api_calls_are_said_by_name_without_the_ones_not_made() {
    let calls: BTreeMap<String, u64> =
        [("ListStreams", 2), ("GetRecords", 0), ("DescribeStreamSummary", 7)].map(|(k, n)| (k.to_string(), n)).into();
    assert_eq!(api_calls_said(&calls).as_deref(), Some("DescribeStreamSummary 7, ListStreams 2"));
    assert_eq!(api_calls_said(&BTreeMap::from([("GetRecords".to_string(), 0)])), None);
}

//! Whether a run may soft-delete the entities it did not see, and which: the same decision in
//! every host. A run deletes only when it was asked to, was not interrupted, listed the type
//! completely and had no failure; and never more than a share of the service's entities.

use std::collections::HashSet;

use plugin_abi::manifest::EntityTypeInfo;
use serde_json::Value;

/// The largest share of a service's entities of a type that one run may soft-delete, unless
/// the user sets another; a run that would delete more deletes none.
pub const DEFAULT_MAX_SHARE: f64 = 0.75;

/// The environment variable that sets that share in every host.
pub const MAX_SHARE_ENV: &str = "OM_MAX_DELETE_SHARE";

/// What a run knows about itself when its records have ended, for one entity type.
#[derive(Debug, Clone)]
pub struct RunFacts<'a> {
    /// The type's plural, for messages (`topics`).
    pub plural: &'a str,
    /// The source option that asks for deletion (`markDeletedTopics`), and its value; `None`
    /// when the plugin never asks for this type to be deleted.
    pub option: Option<(&'a str, bool)>,
    /// The signal or interruption that stopped the run, by name.
    pub interrupted: Option<&'a str>,
    /// The plugin said its listing of this type in this run's service was complete.
    pub listing_complete: bool,
    /// Failures of the run: of the run as a whole, of objects read, of writes.
    pub failures: usize,
}

/// The source option that asks for the type's unseen entities to be deleted, as the plugin's
/// manifest names it, and its value in the run's `source` block (the manifest's default when
/// the block does not set it); `None` when the plugin never asks for that.
pub fn option_asked<'a>(info: &'a EntityTypeInfo, source: &Value) -> Option<(&'a str, bool)> {
    info.mark_deleted_option.as_deref().map(|option| {
        let asked = source
            .pointer(&format!("/sourceConfig/config/{option}"))
            .and_then(Value::as_bool)
            .unwrap_or(info.mark_deleted_default);
        (option, asked)
    })
}

/// What a run does with the entities of a type that it did not see.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Look for stale ones among the service's entities ([`stale`]), never touching these, the
    /// FQNs the run saw.
    Delete(Vec<String>),
    /// Keep them all, for this reason (for the summary).
    Keep(String),
}

/// The decision for a type, from what the run knows about itself and the FQNs it saw.
pub fn decide(facts: &RunFacts<'_>, seen: &[String]) -> Decision {
    match may_delete(facts) {
        Ok(()) => Decision::Delete(seen.to_vec()),
        Err(reason) => Decision::Keep(reason),
    }
}

/// `Ok(())` when the run may go on to look for stale entities, else why it keeps them all.
pub fn may_delete(facts: &RunFacts<'_>) -> Result<(), String> {
    let Some((option, asked)) = facts.option else {
        return Err(format!("kept (the plugin never asks for {} to be deleted)", facts.plural));
    };
    if let Some(signal) = facts.interrupted {
        Err(format!("kept: the run was interrupted ({signal})"))
    } else if !asked {
        Err(format!("kept ({option} is false)"))
    } else if !facts.listing_complete {
        Err("kept: nothing is marked deleted after an incomplete listing".into())
    } else if facts.failures > 0 {
        Err("kept: nothing is marked deleted after a run with errors".into())
    } else {
        Ok(())
    }
}

/// Which of the service's entities (`existing`, FQNs, as OpenMetadata lists them) were not
/// seen: their indices in `existing`, or why none is deleted (none unseen; more than
/// `max_share` of them). `allow` says how to allow a larger share (a flag or a setting).
pub fn stale(
    plural: &str,
    existing: &[String],
    seen: &[String],
    max_share: f64,
    allow: &str,
) -> Result<Vec<usize>, String> {
    let seen: HashSet<&str> = seen.iter().map(String::as_str).collect();
    let unseen: Vec<usize> = (0..existing.len()).filter(|i| !seen.contains(existing[*i].as_str())).collect();
    if unseen.is_empty() {
        return Err(format!("none: every one of the service's {plural} was seen"));
    }
    let share = unseen.len() as f64 / existing.len() as f64;
    if share > max_share {
        return Err(format!(
            "kept: this run would soft-delete {} of the service's {} {plural} ({:.0}%), more than the {:.0}% allowed; \
             if that is intended, run again with {allow} {:.2}",
            unseen.len(),
            existing.len(),
            share * 100.0,
            max_share * 100.0,
            // Rounded up: a share rounded down would still be too small to allow it.
            ((share * 100.0).ceil() / 100.0).min(1.0)
        ));
    }
    Ok(unseen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> RunFacts<'static> {
        RunFacts {
            plural: "topics",
            option: Some(("markDeletedTopics", true)),
            interrupted: None,
            listing_complete: true,
            failures: 0,
        }
    }

    #[test]
    fn a_clean_complete_run_that_asks_may_delete() {
        assert_eq!(may_delete(&facts()), Ok(()));
        let seen = vec!["s.a".to_string()];
        assert_eq!(decide(&facts(), &seen), Decision::Delete(seen.clone()));
        let kept = decide(&RunFacts { failures: 2, ..facts() }, &seen);
        assert_eq!(kept, Decision::Keep("kept: nothing is marked deleted after a run with errors".into()));
    }

    #[test]
    fn every_doubt_keeps_the_entities_and_says_why() {
        let cases: [(RunFacts<'static>, &str); 5] = [
            (RunFacts { option: None, ..facts() }, "never asks for topics"),
            (RunFacts { option: Some(("markDeletedTopics", false)), ..facts() }, "markDeletedTopics is false"),
            (RunFacts { interrupted: Some("SIGINT"), ..facts() }, "interrupted (SIGINT)"),
            (RunFacts { listing_complete: false, ..facts() }, "incomplete listing"),
            (RunFacts { failures: 1, ..facts() }, "a run with errors"),
        ];
        for (f, why) in cases {
            let kept = may_delete(&f).unwrap_err();
            assert!(kept.starts_with("kept") && kept.contains(why), "{kept}");
        }
        // An interruption is named before anything else.
        let f = RunFacts { interrupted: Some("SIGTERM"), listing_complete: false, failures: 3, ..facts() };
        assert!(may_delete(&f).unwrap_err().contains("SIGTERM"));
    }

    #[test]
    fn the_unseen_are_found_and_too_many_are_kept() {
        let existing: Vec<String> = ["s.a", "s.b", "s.c", "s.d"].map(String::from).to_vec();
        let seen = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(stale("topics", &existing, &seen(&["s.a", "s.c"]), 0.75, "--x"), Ok(vec![1, 3]));
        let none = stale("topics", &existing, &existing, 0.75, "--x").unwrap_err();
        assert!(none.starts_with("none"), "{none}");
        let many = stale("topics", &existing, &seen(&[]), 0.75, "--max-delete-share").unwrap_err();
        assert!(
            many.contains("4 of the service's 4 topics (100%)") && many.contains("--max-delete-share 1.00"),
            "{many}"
        );
        // At the share exactly, the deletion goes ahead.
        assert_eq!(stale("topics", &existing, &seen(&["s.a"]), 0.75, "--x"), Ok(vec![1, 2, 3]));
        // The share it suggests is rounded up, so that running with it deletes them: 5 of 6
        // is 0.8333, and 0.83 would still keep them.
        let six: Vec<String> = ["s.a", "s.b", "s.c", "s.d", "s.e", "s.f"].map(String::from).to_vec();
        let most = stale("topics", &six, &seen(&["s.a"]), 0.75, "--x").unwrap_err();
        assert!(most.contains("(83%)") && most.contains("--x 0.84"), "{most}");
        assert_eq!(stale("topics", &six, &seen(&["s.a"]), 0.84, "--x"), Ok(vec![1, 2, 3, 4, 5]));
    }

    #[test]
    fn the_option_is_the_manifests_read_from_the_source_config_else_its_default() {
        let info = |option: Option<&str>, default| EntityTypeInfo {
            entity_type: "topic".into(),
            mark_deleted_option: option.map(str::to_string),
            mark_deleted_default: default,
        };
        let source = serde_json::json!({"sourceConfig": {"config": {"markDeletedTopics": false}}});
        assert_eq!(option_asked(&info(Some("markDeletedTopics"), true), &source), Some(("markDeletedTopics", false)));
        assert_eq!(
            option_asked(&info(Some("markDeletedPipelines"), true), &source),
            Some(("markDeletedPipelines", true))
        );
        assert_eq!(option_asked(&info(None, true), &source), None);
    }
}

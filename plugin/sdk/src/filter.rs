//! OpenMetadata's filter patterns (`topicFilterPattern`, `pipelineFilterPattern`, …): `includes` / `excludes` lists of Python regular expressions,
//! each matched at the start of the name (Python `re.match`: anchored at the start, not the
//! end), case-insensitively. A name is kept when it matches some include (or there are no
//! includes) and matches no exclude.

use fancy_regex::{Regex, RegexBuilder};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// OpenMetadata's `FilterPattern`: regular expressions (Python syntax) matched at the start of
/// a name, case-insensitively.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "FilterPattern", description = "Regex to only fetch entities that matches the pattern.")]
pub struct FilterPattern {
    /// List of strings/regex patterns to match and include only database entities that match.
    #[serde(default)]
    #[schemars(title = "Includes")]
    pub includes: Option<Vec<String>>,
    /// List of strings/regex patterns to match and exclude only database entities that match.
    #[serde(default)]
    #[schemars(title = "Excludes")]
    pub excludes: Option<Vec<String>>,
}

/// A compiled [`FilterPattern`].
#[derive(Debug, Clone, Default)]
pub struct NameFilter {
    includes: Vec<Pattern>,
    excludes: Vec<Pattern>,
    /// For messages: the option (`topicFilterPattern`) and what it filters (`stream`).
    option: String,
    noun: String,
}

/// One compiled pattern, with what the user wrote and where, for errors.
#[derive(Debug, Clone)]
struct Pattern {
    regex: Regex,
    written: String,
    field: String,
}

/// A pattern that could not decide whether it matches a name (fancy-regex's backtracking
/// limit). Deciding either way could drop an object, and soft-delete its entity: the run stops.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchError {
    pub message: String,
}

/// A pattern that does not compile: `field` is its place (`includes/2`).
#[derive(Debug)]
pub struct PatternError {
    pub field: String,
    pub message: String,
}

impl NameFilter {
    pub fn new(pattern: &FilterPattern) -> Result<Self, PatternError> {
        let compile = |list: &Option<Vec<String>>, name: &str| -> Result<Vec<Pattern>, PatternError> {
            list.iter()
                .flatten()
                .enumerate()
                .map(|(i, p)| {
                    // `\A(?:…)` gives re.match's anchoring; a fancy-regex backtracking engine
                    // accepts the Python constructs (look-around, backreferences) users write.
                    let regex =
                        RegexBuilder::new(&format!(r"\A(?:{p})")).case_insensitive(true).build().map_err(|e| {
                            PatternError {
                                field: format!("{name}/{i}"),
                                message: format!("'{p}' is not a valid regular expression: {e}"),
                            }
                        })?;
                    Ok(Pattern { regex, written: p.clone(), field: format!("{name}/{i}") })
                })
                .collect()
        };
        Ok(NameFilter {
            includes: compile(&pattern.includes, "includes")?,
            excludes: compile(&pattern.excludes, "excludes")?,
            option: "filter pattern".into(),
            noun: "name".into(),
        })
    }

    /// The same filter, naming itself in messages as the `option` (`topicFilterPattern`) that
    /// filters `noun`s (`stream`).
    pub fn named(mut self, option: &str, noun: &str) -> Self {
        self.option = option.into();
        self.noun = noun.into();
        self
    }

    /// Every pattern that does not compile, not only the first.
    pub fn problems(pattern: &FilterPattern) -> Vec<PatternError> {
        let compile = |list: &Option<Vec<String>>, name: &str| -> Vec<PatternError> {
            list.iter()
                .flatten()
                .enumerate()
                .filter_map(|(i, p)| {
                    RegexBuilder::new(&format!(r"\A(?:{p})")).build().err().map(|e| PatternError {
                        field: format!("{name}/{i}"),
                        message: format!("'{p}' is not a valid regular expression: {e}"),
                    })
                })
                .collect()
        };
        let mut problems = compile(&pattern.includes, "includes");
        problems.extend(compile(&pattern.excludes, "excludes"));
        problems
    }

    /// Whether the object with this name is kept; an error when a pattern cannot tell.
    pub fn keeps(&self, name: &str) -> Result<bool, MatchError> {
        let matches = |p: &Pattern| {
            p.regex.is_match(name).map_err(|e| MatchError {
                message: format!(
                    "{} {} '{}' could not be matched against {} '{name}': {e}",
                    self.option, p.field, p.written, self.noun
                ),
            })
        };
        let mut included = self.includes.is_empty();
        for p in &self.includes {
            if matches(p)? {
                included = true;
                break;
            }
        }
        if !included {
            return Ok(false);
        }
        for p in &self.excludes {
            if matches(p)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(includes: &[&str], excludes: &[&str]) -> NameFilter {
        let list = |v: &[&str]| {
            if v.is_empty() {
                None
            } else {
                Some(v.iter().map(|s| s.to_string()).collect())
            }
        };
        NameFilter::new(&FilterPattern { includes: list(includes), excludes: list(excludes) }).unwrap()
    }

    #[test]
    fn no_pattern_keeps_everything() {
        assert!(filter(&[], &[]).keeps("anything.at-all_1").unwrap());
    }

    #[test]
    fn patterns_are_anchored_at_the_start_only() {
        let f = filter(&["orders"], &[]);
        assert!(f.keeps("orders").unwrap());
        assert!(f.keeps("orders-eu.v1").unwrap(), "not anchored at the end");
        assert!(!f.keeps("eu-orders").unwrap(), "anchored at the start");
        assert!(filter(&[".*orders"], &[]).keeps("eu-orders").unwrap());
        assert!(!filter(&["orders$"], &[]).keeps("orders-eu").unwrap());
    }

    #[test]
    fn matching_ignores_case() {
        assert!(filter(&["ORDERS"], &[]).keeps("orders-eu").unwrap());
        assert!(!filter(&[], &["Orders"]).keeps("ORDERS-eu").unwrap());
    }

    #[test]
    fn excludes_win_over_includes() {
        let f = filter(&["orders"], &["orders-test"]);
        assert!(f.keeps("orders-prod").unwrap());
        assert!(!f.keeps("orders-test-1").unwrap());
        assert!(!f.keeps("payments").unwrap());
    }

    #[test]
    fn a_dot_is_a_regex_dot() {
        let f = filter(&[r"orders\.v1"], &[]);
        assert!(f.keeps("orders.v1").unwrap() && !f.keeps("orders-v1").unwrap());
        assert!(filter(&["orders.v1"], &[]).keeps("orders-v1").unwrap());
    }

    #[test]
    fn python_constructs_compile() {
        let f = filter(&[r"(?!tmp-)\w+"], &[r"(?P<env>dev)-.*"]);
        assert!(f.keeps("orders").unwrap());
        assert!(!f.keeps("tmp-orders").unwrap());
        assert!(!f.keeps("dev-orders").unwrap());
    }

    #[test]
    fn alternation_is_anchored_as_a_whole() {
        let f = filter(&["a|b"], &[]);
        assert!(f.keeps("b-stream").unwrap() && !f.keeps("c-b").unwrap());
    }

    #[test]
    fn a_pattern_that_cannot_decide_is_an_error_naming_pattern_and_stream() {
        // A backreference makes fancy-regex backtrack; nested quantifiers make that blow up.
        let f = filter(&[r"(a|aa)+(\1)*b"], &[]).named("topicFilterPattern", "stream");
        let name = "a".repeat(60);
        let e = f.keeps(&name).unwrap_err();
        assert!(e.message.contains(r"topicFilterPattern includes/0 '(a|aa)+(\1)*b'"), "{}", e.message);
        assert!(e.message.contains(&format!("stream '{name}'")), "{}", e.message);
        assert!(e.message.contains(&name), "{}", e.message);
        assert!(f.keeps("aab").unwrap());
    }

    #[test]
    fn an_invalid_pattern_is_an_error_naming_its_place() {
        let e = NameFilter::new(&FilterPattern { includes: None, excludes: Some(vec!["ok".into(), "[".into()]) })
            .unwrap_err();
        assert_eq!(e.field, "excludes/1");
        assert!(e.message.contains("'['"));
    }
}

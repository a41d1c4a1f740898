//! OpenMetadata's topic filter: `includes` / `excludes` lists of Python regular expressions,
//! each matched at the start of the name (Python `re.match`: anchored at the start, not the
//! end), case-insensitively. A name is kept when it matches some include (or there are no
//! includes) and matches no exclude.

use fancy_regex::{Regex, RegexBuilder};

use crate::config::FilterPattern;

/// A compiled [`FilterPattern`].
#[derive(Debug, Clone, Default)]
pub struct TopicFilter {
    includes: Vec<Regex>,
    excludes: Vec<Regex>,
}

/// A pattern that does not compile: `field` is its place (`includes/2`).
#[derive(Debug)]
pub struct PatternError {
    pub field: String,
    pub message: String,
}

impl TopicFilter {
    pub fn new(pattern: &FilterPattern) -> Result<Self, PatternError> {
        let compile = |list: &Option<Vec<String>>, name: &str| -> Result<Vec<Regex>, PatternError> {
            list.iter()
                .flatten()
                .enumerate()
                .map(|(i, p)| {
                    // `\A(?:…)` gives re.match's anchoring; a fancy-regex backtracking engine
                    // accepts the Python constructs (look-around, backreferences) users write.
                    RegexBuilder::new(&format!(r"\A(?:{p})")).case_insensitive(true).build().map_err(|e| PatternError {
                        field: format!("{name}/{i}"),
                        message: format!("'{p}' is not a valid regular expression: {e}"),
                    })
                })
                .collect()
        };
        Ok(TopicFilter {
            includes: compile(&pattern.includes, "includes")?,
            excludes: compile(&pattern.excludes, "excludes")?,
        })
    }

    /// Whether a stream with this name becomes a topic.
    pub fn keeps(&self, name: &str) -> bool {
        // A pattern that fails at match time (backtrack limit) counts as no match, as a
        // non-matching pattern would.
        let matches = |r: &Regex| r.is_match(name).unwrap_or(false);
        (self.includes.is_empty() || self.includes.iter().any(matches)) && !self.excludes.iter().any(matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(includes: &[&str], excludes: &[&str]) -> TopicFilter {
        let list = |v: &[&str]| {
            if v.is_empty() {
                None
            } else {
                Some(v.iter().map(|s| s.to_string()).collect())
            }
        };
        TopicFilter::new(&FilterPattern { includes: list(includes), excludes: list(excludes) }).unwrap()
    }

    #[test]
    fn no_pattern_keeps_everything() {
        assert!(filter(&[], &[]).keeps("anything.at-all_1"));
    }

    #[test]
    fn patterns_are_anchored_at_the_start_only() {
        let f = filter(&["orders"], &[]);
        assert!(f.keeps("orders"));
        assert!(f.keeps("orders-eu.v1"), "not anchored at the end");
        assert!(!f.keeps("eu-orders"), "anchored at the start");
        assert!(filter(&[".*orders"], &[]).keeps("eu-orders"));
        assert!(!filter(&["orders$"], &[]).keeps("orders-eu"));
    }

    #[test]
    fn matching_ignores_case() {
        assert!(filter(&["ORDERS"], &[]).keeps("orders-eu"));
        assert!(!filter(&[], &["Orders"]).keeps("ORDERS-eu"));
    }

    #[test]
    fn excludes_win_over_includes() {
        let f = filter(&["orders"], &["orders-test"]);
        assert!(f.keeps("orders-prod"));
        assert!(!f.keeps("orders-test-1"));
        assert!(!f.keeps("payments"));
    }

    #[test]
    fn a_dot_is_a_regex_dot() {
        let f = filter(&[r"orders\.v1"], &[]);
        assert!(f.keeps("orders.v1") && !f.keeps("orders-v1"));
        assert!(filter(&["orders.v1"], &[]).keeps("orders-v1"));
    }

    #[test]
    fn python_constructs_compile() {
        let f = filter(&[r"(?!tmp-)\w+"], &[r"(?P<env>dev)-.*"]);
        assert!(f.keeps("orders"));
        assert!(!f.keeps("tmp-orders"));
        assert!(!f.keeps("dev-orders"));
    }

    #[test]
    fn alternation_is_anchored_as_a_whole() {
        let f = filter(&["a|b"], &[]);
        assert!(f.keeps("b-stream") && !f.keeps("c-b"));
    }

    #[test]
    fn an_invalid_pattern_is_an_error_naming_its_place() {
        let e = TopicFilter::new(&FilterPattern { includes: None, excludes: Some(vec!["ok".into(), "[".into()]) })
            .unwrap_err();
        assert_eq!(e.field, "excludes/1");
        assert!(e.message.contains("'['"));
    }
}

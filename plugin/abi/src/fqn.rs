//! OpenMetadata's fully qualified names: parts joined with `.`, a part that holds a `.` wrapped
//! in double quotes (`kinesis_prod` + `orders.v1` → `kinesis_prod."orders.v1"`).

/// Quotes one part of a fully qualified name when it needs it.
pub fn quote(part: &str) -> String {
    if part.contains('.') && !(part.starts_with('"') && part.ends_with('"') && part.len() > 1) {
        format!("\"{part}\"")
    } else {
        part.to_string()
    }
}

/// Joins parts into a fully qualified name.
pub fn build<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts.into_iter().map(quote).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_parts_are_joined() {
        assert_eq!(build(["kinesis_prod", "orders-v1_x"]), "kinesis_prod.orders-v1_x");
    }

    #[test]
    fn parts_with_dots_are_quoted() {
        assert_eq!(build(["kinesis_prod", "orders.v1"]), "kinesis_prod.\"orders.v1\"");
        assert_eq!(build(["svc.eu", "a.b.c"]), "\"svc.eu\".\"a.b.c\"");
    }

    #[test]
    fn already_quoted_parts_are_left_alone() {
        assert_eq!(quote("\"orders.v1\""), "\"orders.v1\"");
    }
}

//! A topic's message schema fields merged with the ones OpenMetadata holds, so that what people
//! wrote about a field survives the server's update rules (`TopicRepository.TopicUpdater`):
//! fields are matched by name (case-insensitively) and data type; a stored field the request
//! lacks is deleted with its description and tags; a retyped field is deleted and added again,
//! keeping only what the request itself carries.
//!
//! - [`Mode::Accumulate`], for schemas inferred from samples: a sample without a field says
//!   nothing about it, so every stored field stays; types only widen (INT → LONG → DOUBLE,
//!   disagreeing shapes → a union) and never narrow; new fields are added after the stored
//!   ones, in the sample's order (a fixed one: by name).
//! - [`Mode::Authoritative`], for a registry's schema: its fields, in its order; a field it
//!   no longer has leaves.
//!
//! In both, a field whose merged type differs from the stored one carries the stored field's
//! description, display name and tags (and its descendants' theirs, by name), so that the
//! server's delete-and-add keeps them.
//!
//! The tags a request puts on a field (a classifier's suggestions) go with it, but a `PII` tag
//! only onto a field that holds none: a person's decision, or an earlier suggestion, wins, as
//! OpenMetadata's own classifier leaves a field with a PII tag alone.

use plugin_abi::message_schema::TypeExpr;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Accumulate,
    Authoritative,
}

/// Why stored fields cannot be read: the field's path and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable(pub String);

/// Checks that `fields` is a field tree this merge can read: a list of objects, each with a
/// `name` and a `dataType` (text), children (when any) likewise.
pub fn check(fields: &Value) -> Result<(), Unreadable> {
    check_at(fields, "")
}

fn check_at(fields: &Value, parent: &str) -> Result<(), Unreadable> {
    let Some(list) = fields.as_array() else {
        return Err(Unreadable(format!("the fields{} are not a list", at(parent))));
    };
    for (i, field) in list.iter().enumerate() {
        let name = field.get("name").and_then(Value::as_str);
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            return Err(Unreadable(format!("field {} {}has no name", i + 1, under(parent))));
        };
        let path = if parent.is_empty() { name.to_string() } else { format!("{parent}.{name}") };
        if field.get("dataType").and_then(Value::as_str).is_none() {
            return Err(Unreadable(format!("field '{path}' has no data type")));
        }
        match field.get("children") {
            None | Some(Value::Null) => {}
            Some(children) => check_at(children, &path)?,
        }
    }
    Ok(())
}

fn at(parent: &str) -> String {
    if parent.is_empty() {
        String::new()
    } else {
        format!(" of '{parent}'")
    }
}

fn under(parent: &str) -> String {
    if parent.is_empty() {
        String::new()
    } else {
        format!("under '{parent}' ")
    }
}

/// `stored` merged with `incoming` (both checked with [`check`]).
pub fn merge(stored: &[Value], incoming: &[Value], mode: Mode) -> Vec<Value> {
    match mode {
        Mode::Accumulate => {
            let pairs = pair(stored, incoming);
            let mut taken = vec![false; incoming.len()];
            let mut out: Vec<Value> = stored
                .iter()
                .zip(&pairs)
                .map(|(s, found)| match found {
                    Some(i) => {
                        taken[*i] = true;
                        merge_field(s, &incoming[*i], mode)
                    }
                    None => clean(s),
                })
                .collect();
            out.extend(incoming.iter().zip(&taken).filter(|(_, t)| !**t).map(|(f, _)| new_field(f)));
            out
        }
        Mode::Authoritative => incoming
            .iter()
            .zip(pair(incoming, stored))
            .map(|(i, found)| match found {
                Some(s) => merge_field(&stored[s], i, mode),
                None => new_field(i),
            })
            .collect(),
    }
}

/// For each of `fields`, the one of `others` of its name: the same name first, for all of them,
/// then the same name in another case (the server matches names case-insensitively).
fn pair(fields: &[Value], others: &[Value]) -> Vec<Option<usize>> {
    let mut pairs = vec![None; fields.len()];
    let mut taken = vec![false; others.len()];
    for same_case in [true, false] {
        for (i, f) in fields.iter().enumerate() {
            if pairs[i].is_some() {
                continue;
            }
            let found = (0..others.len()).find(|j| {
                !taken[*j]
                    && if same_case {
                        name(&others[*j]) == name(f)
                    } else {
                        name(&others[*j]).eq_ignore_ascii_case(name(f))
                    }
            });
            if let Some(j) = found {
                taken[j] = true;
                pairs[i] = Some(j);
            }
        }
    }
    pairs
}

/// One stored field and the incoming field of its name.
fn merge_field(stored: &Value, incoming: &Value, mode: Mode) -> Value {
    let (stored_type, incoming_type) = (type_of(stored), type_of(incoming));
    let merged_type = match mode {
        Mode::Accumulate => match widen(&stored_type, &incoming_type) {
            Some(t) => t,
            // A type this merge does not know, next to another: the stored field stays as it is.
            None => return clean(stored),
        },
        Mode::Authoritative => incoming_type,
    };
    let children = if has_record(&merged_type) {
        let kids = |f: &Value| f.get("children").and_then(Value::as_array).cloned().unwrap_or_default();
        Some(merge(&kids(stored), &kids(incoming), mode))
    } else {
        None
    };
    let mut out = field(name(stored), &merged_type, children);
    if out.get("dataType") != stored.get("dataType") {
        carry(stored, &mut out);
    }
    add_requested_tags(stored, incoming, &mut out);
    out
}

/// The classification of a tag label (`PII` of `PII.Sensitive`).
fn classification(label: &Value) -> &str {
    let fqn = label.get("tagFQN").and_then(Value::as_str).unwrap_or_default();
    fqn.split('.').next().unwrap_or_default()
}

fn tags(field: &Value) -> &[Value] {
    field.get("tags").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

/// The incoming field's own tags onto `out`, but a `PII` one only when the stored field holds
/// no `PII` tag.
fn add_requested_tags(stored: &Value, incoming: &Value, out: &mut Value) {
    let stored_pii = tags(stored).iter().any(|t| classification(t) == "PII");
    let requested: Vec<Value> = tags(incoming)
        .iter()
        .filter(|t| !(stored_pii && classification(t) == "PII"))
        .filter(|t| !tags(out).iter().any(|o| o.get("tagFQN") == t.get("tagFQN")))
        .cloned()
        .collect();
    if !requested.is_empty() {
        let mut all = tags(out).to_vec();
        all.extend(requested);
        out["tags"] = all.into();
    }
}

/// A field the server does not hold yet: as the request has it, its tags included.
fn new_field(f: &Value) -> Value {
    let mut out = clean(f);
    if !tags(f).is_empty() {
        out["tags"] = tags(f).to_vec().into();
    }
    if let Some(children) = f.get("children").and_then(Value::as_array) {
        out["children"] = children.iter().map(new_field).collect::<Vec<_>>().into();
    }
    out
}

fn name(field: &Value) -> &str {
    field.get("name").and_then(Value::as_str).unwrap_or_default()
}

/// A field's type: its display where that names the same type (it says more:
/// `array<record>`), else its data type.
pub fn type_of(field: &Value) -> TypeExpr {
    let data_type = field.get("dataType").and_then(Value::as_str).unwrap_or_default();
    let simple = TypeExpr { name: data_type.to_ascii_lowercase(), args: Vec::new() };
    match field.get("dataTypeDisplay").and_then(Value::as_str).and_then(TypeExpr::parse) {
        Some(shown) if shown.name == simple.name && matches!(simple.name.as_str(), "array" | "union") => shown,
        _ => simple,
    }
}

/// What a field is, as a request carries it: name, type, display (for arrays and unions, as the
/// plugin's inference writes it), children.
fn field(name: &str, t: &TypeExpr, children: Option<Vec<Value>>) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), name.into());
    out.insert("dataType".into(), t.name.to_ascii_uppercase().into());
    if matches!(t.name.as_str(), "array" | "union") && !t.args.is_empty() {
        out.insert("dataTypeDisplay".into(), t.display().into());
    }
    if let Some(children) = children {
        out.insert("children".into(), children.into());
    }
    Value::Object(out)
}

/// A field as a request carries it: what the server stores beside it (its FQN, tags,
/// description) left out, since a matched field keeps them on the server.
fn clean(f: &Value) -> Value {
    let mut out = Map::new();
    for key in ["name", "dataType", "dataTypeDisplay"] {
        if let Some(v) = f.get(key).filter(|v| !v.is_null()) {
            out.insert(key.into(), v.clone());
        }
    }
    if let Some(children) = f.get("children").and_then(Value::as_array) {
        out.insert("children".into(), children.iter().map(clean).collect::<Vec<_>>().into());
    }
    Value::Object(out)
}

/// The stored field's description, display name and tags onto `out`, and its descendants'
/// onto `out`'s of the same names: the server deletes a retyped field and adds it again.
fn carry(stored: &Value, out: &mut Value) {
    for key in ["description", "displayName"] {
        if let Some(v) = stored.get(key).and_then(Value::as_str).filter(|v| !v.is_empty()) {
            out[key] = v.into();
        }
    }
    let tags: Vec<Value> = stored
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        // Derived tags are the server's own (from glossary terms): it derives them again.
        .filter(|t| t.get("labelType").and_then(Value::as_str) != Some("Derived"))
        .map(|t| {
            let mut label = Map::new();
            for key in ["tagFQN", "source", "labelType", "state", "reason"] {
                if let Some(v) = t.get(key).filter(|v| !v.is_null()) {
                    label.insert(key.into(), v.clone());
                }
            }
            Value::Object(label)
        })
        .collect();
    if !tags.is_empty() {
        out["tags"] = tags.into();
    }
    let stored_children = stored.get("children").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    if let Some(children) = out.get_mut("children").and_then(Value::as_array_mut) {
        for child in children {
            let wanted = name(child).to_string();
            if let Some(s) = stored_children.iter().find(|s| name(s).eq_ignore_ascii_case(&wanted)) {
                carry(s, child);
            }
        }
    }
}

/// The class of a type, for unions: numbers are one class (they widen into each other).
fn class(t: &TypeExpr) -> Option<u8> {
    Some(match t.name.as_str() {
        "null" => 0,
        "boolean" => 1,
        "int" | "long" | "double" => 2,
        "string" => 3,
        "array" => 4,
        "record" => 5,
        "union" => 6,
        _ => return None,
    })
}

fn numeric_rank(name: &str) -> Option<u8> {
    match name {
        "int" => Some(0),
        "long" => Some(1),
        "double" => Some(2),
        _ => None,
    }
}

/// The narrowest type both `a` and `b` fit in, as the plugin's inference merges shapes; `None`
/// when one of them is a type this merge does not know and they differ.
pub fn widen(a: &TypeExpr, b: &TypeExpr) -> Option<TypeExpr> {
    if a == b {
        return Some(a.clone());
    }
    let (ca, cb) = (class(a)?, class(b)?);
    if let (Some(ra), Some(rb)) = (numeric_rank(&a.name), numeric_rank(&b.name)) {
        return Some(if ra >= rb { a.clone() } else { b.clone() });
    }
    if ca == 4 && cb == 4 {
        let items = match (a.args.first(), b.args.first()) {
            (Some(x), Some(y)) if x.name == "unknown" => y.clone(),
            (Some(x), Some(y)) if y.name == "unknown" => x.clone(),
            (Some(x), Some(y)) => widen(x, y)?,
            (x, y) => x.or(y)?.clone(),
        };
        return Some(TypeExpr { name: "array".into(), args: vec![items] });
    }
    let members = |t: &TypeExpr| if t.name == "union" { t.args.clone() } else { vec![t.clone()] };
    let mut union = members(a);
    for m in members(b) {
        let c = class(&m)?;
        match union.iter().position(|u| class(u) == Some(c)) {
            Some(i) => union[i] = widen(&union[i], &m)?,
            None => union.push(m),
        }
    }
    union.sort_by_key(|m| class(m).unwrap_or(u8::MAX));
    Some(TypeExpr { name: "union".into(), args: union })
}

/// Whether `wide` holds every value `narrow` does, as [`widen`] makes it (for the merge's
/// tests: a merged type never narrows the stored one).
pub fn covers(wide: &TypeExpr, narrow: &TypeExpr) -> bool {
    widen(wide, narrow).as_ref() == Some(wide)
}

fn has_record(t: &TypeExpr) -> bool {
    t.name == "record" || t.args.iter().any(has_record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn list(v: Value) -> Vec<Value> {
        v.as_array().unwrap().clone()
    }

    fn names(fields: &[Value]) -> Vec<&str> {
        fields.iter().map(name).collect()
    }

    fn get<'a>(fields: &'a [Value], n: &str) -> &'a Value {
        fields.iter().find(|f| name(f) == n).unwrap_or_else(|| panic!("no {n} in {fields:?}"))
    }

    /// The issue's case: a sample without `email` and `meta.a`, with a fractional price.
    #[test]
    fn a_sample_lacking_fields_keeps_them_and_a_retyped_field_carries_its_curation() {
        let stored = list(json!([
            {"name": "id", "dataType": "INT", "fullyQualifiedName": "s.t.id"},
            {"name": "email", "dataType": "STRING", "description": "who", "tags": [{"tagFQN": "PII.Sensitive", "source": "Classification", "labelType": "Manual", "state": "Confirmed", "href": "x"}]},
            {"name": "price", "dataType": "INT", "description": "in cents", "tags": [{"tagFQN": "Tier.Tier1", "source": "Classification", "labelType": "Manual", "state": "Confirmed"}, {"tagFQN": "G.t", "source": "Glossary", "labelType": "Derived", "state": "Confirmed"}]},
            {"name": "meta", "dataType": "RECORD", "children": [{"name": "a", "dataType": "STRING", "description": "kept"}]}
        ]));
        let incoming = list(json!([
            {"name": "coupon", "dataType": "STRING"},
            {"name": "id", "dataType": "INT"},
            {"name": "meta", "dataType": "RECORD", "children": [{"name": "b", "dataType": "BOOLEAN"}]},
            {"name": "price", "dataType": "DOUBLE"}
        ]));
        let merged = merge(&stored, &incoming, Mode::Accumulate);
        assert_eq!(names(&merged), ["id", "email", "price", "meta", "coupon"]);
        assert_eq!(
            get(&merged, "email"),
            &json!({"name": "email", "dataType": "STRING"}),
            "matched: the server keeps its curation"
        );
        let price = get(&merged, "price");
        assert_eq!(price["dataType"], "DOUBLE");
        assert_eq!(price["description"], "in cents");
        assert_eq!(
            price["tags"],
            json!([{"tagFQN": "Tier.Tier1", "source": "Classification", "labelType": "Manual", "state": "Confirmed"}]),
            "derived tags are left to the server"
        );
        assert_eq!(names(get(&merged, "meta")["children"].as_array().unwrap()), ["a", "b"]);
        assert!(get(&merged, "id").get("fullyQualifiedName").is_none());
    }

    #[test]
    fn a_suggested_pii_tag_goes_onto_a_field_without_one_and_a_persons_wins() {
        let suggested = |fqn: &str| json!({"tagFQN": fqn, "source": "Classification", "labelType": "Generated", "state": "Suggested", "reason": "r"});
        let stored = list(json!([
            {"name": "email", "dataType": "STRING", "tags": [{"tagFQN": "PII.NonSensitive", "source": "Classification", "labelType": "Manual", "state": "Confirmed"}]},
            {"name": "card", "dataType": "STRING", "tags": [{"tagFQN": "Tier.Tier1", "source": "Classification", "labelType": "Manual", "state": "Confirmed"}]},
            {"name": "meta", "dataType": "RECORD", "children": [{"name": "ip", "dataType": "STRING"}]}
        ]));
        let incoming = list(json!([
            {"name": "email", "dataType": "STRING", "tags": [suggested("PII.Sensitive")]},
            {"name": "card", "dataType": "STRING", "tags": [suggested("PII.Sensitive")]},
            {"name": "meta", "dataType": "RECORD", "children": [{"name": "ip", "dataType": "STRING", "tags": [suggested("PII.Sensitive")]}]},
            {"name": "phone", "dataType": "STRING", "tags": [suggested("PII.NonSensitive")]}
        ]));
        for mode in [Mode::Accumulate, Mode::Authoritative] {
            let merged = merge(&stored, &incoming, mode);
            assert!(get(&merged, "email").get("tags").is_none(), "a person's PII tag wins ({mode:?})");
            assert_eq!(get(&merged, "card")["tags"], json!([suggested("PII.Sensitive")]), "{mode:?}");
            assert_eq!(get(&merged, "meta")["children"][0]["tags"], json!([suggested("PII.Sensitive")]), "{mode:?}");
            assert_eq!(get(&merged, "phone")["tags"], json!([suggested("PII.NonSensitive")]), "a new field ({mode:?})");
        }
    }

    #[test]
    fn types_only_widen_and_the_old_shape_coming_back_changes_nothing() {
        let stored = list(
            json!([{"name": "v", "dataType": "DOUBLE"}, {"name": "u", "dataType": "UNION", "dataTypeDisplay": "union<null,int>"}]),
        );
        let incoming = list(json!([{"name": "u", "dataType": "STRING"}, {"name": "v", "dataType": "INT"}]));
        let merged = merge(&stored, &incoming, Mode::Accumulate);
        assert_eq!(get(&merged, "v")["dataType"], "DOUBLE");
        assert_eq!(get(&merged, "u")["dataTypeDisplay"], "union<null,int,string>");
        assert_eq!(merge(&merged, &incoming, Mode::Accumulate), merged);
        assert_eq!(merge(&merged, &stored, Mode::Accumulate), merged);
    }

    #[test]
    fn arrays_of_records_keep_their_items_fields_and_unknown_types_stay_as_stored() {
        let stored = list(json!([
            {"name": "items", "dataType": "ARRAY", "dataTypeDisplay": "array<record>", "children": [{"name": "sku", "dataType": "STRING"}]},
            {"name": "m", "dataType": "MAP", "description": "a map"}
        ]));
        let incoming = list(json!([
            {"name": "items", "dataType": "ARRAY", "dataTypeDisplay": "array<unknown>"},
            {"name": "m", "dataType": "STRING"}
        ]));
        let merged = merge(&stored, &incoming, Mode::Accumulate);
        assert_eq!(get(&merged, "items")["dataTypeDisplay"], "array<record>");
        assert_eq!(names(get(&merged, "items")["children"].as_array().unwrap()), ["sku"]);
        assert_eq!(get(&merged, "m"), &json!({"name": "m", "dataType": "MAP"}));
    }

    #[test]
    fn a_registry_drops_what_it_no_longer_has_and_a_retype_carries_curation_down_the_tree() {
        let stored = list(json!([
            {"name": "a", "dataType": "STRING", "description": "kept by the server"},
            {"name": "gone", "dataType": "INT", "description": "leaves"},
            {"name": "r", "dataType": "RECORD", "description": "r", "children": [{"name": "x", "dataType": "INT", "description": "x"}]}
        ]));
        let incoming = list(json!([
            {"name": "r", "dataType": "UNION", "dataTypeDisplay": "union<null,record>", "children": [{"name": "x", "dataType": "INT"}]},
            {"name": "a", "dataType": "STRING"}
        ]));
        let merged = merge(&stored, &incoming, Mode::Authoritative);
        assert_eq!(names(&merged), ["r", "a"]);
        assert_eq!(get(&merged, "a"), &json!({"name": "a", "dataType": "STRING"}));
        let r = get(&merged, "r");
        assert_eq!(r["description"], "r");
        assert_eq!(r["children"][0]["description"], "x", "its child is deleted and added with it");
    }

    #[test]
    fn names_match_case_insensitively_keeping_the_stored_name() {
        let stored = list(json!([{"name": "Email", "dataType": "STRING"}]));
        let incoming = list(json!([{"name": "email", "dataType": "STRING"}]));
        assert_eq!(merge(&stored, &incoming, Mode::Accumulate), stored);
    }

    #[test]
    fn unreadable_fields_are_named() {
        assert!(
            check(&json!([{"name": "a", "dataType": "INT", "children": [{"name": "b", "dataType": "INT"}]}])).is_ok()
        );
        let cases = [
            (json!({"a": 1}), "the fields are not a list"),
            (json!([{"dataType": "INT"}]), "field 1 has no name"),
            (json!([{"name": "a"}]), "field 'a' has no data type"),
            (json!([{"name": "r", "dataType": "RECORD", "children": [{"name": "x"}]}]), "field 'r.x' has no data type"),
            (json!([{"name": "r", "dataType": "RECORD", "children": 3}]), "the fields of 'r' are not a list"),
        ];
        for (fields, why) in cases {
            assert_eq!(check(&fields), Err(Unreadable(why.into())), "{fields}");
        }
    }
}

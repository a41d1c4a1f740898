//! The fields of the first message of a `.proto` definition (its nested and sibling messages
//! as children, enums, maps, repeated fields as arrays), read with a small tokenizer: enough
//! for the fields a catalog shows, not a Protobuf compiler. Hand-written because
//! `protobuf-parse`, the pure-Rust parser, cannot do this job: its only entry point for text in
//! memory (`pure::parse_and_typecheck_custom`, "to be refactored") type-checks the whole file,
//! so a definition that imports what the plugin cannot fetch (another registry schema, a
//! company's common types) yields no field at all, where this lists every field it can and
//! types the rest UNKNOWN.

use std::collections::HashMap;

use serde_json::{json, Value};

/// A message's fields: (label, type, name), and the messages and enums declared in it.
#[derive(Default)]
struct Message {
    fields: Vec<(String, String, String)>,
}

pub fn fields(definition: &str) -> Vec<Value> {
    let tokens = tokenize(definition);
    let mut messages: HashMap<String, Message> = HashMap::new();
    let mut enums: Vec<String> = Vec::new();
    let mut first: Option<String> = None;
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i].as_str() {
            "message" if i + 1 < tokens.len() => {
                first.get_or_insert_with(|| tokens[i + 1].clone());
                i = parse_message(&tokens, i, &mut messages, &mut enums, 0);
            }
            "enum" if i + 1 < tokens.len() => {
                enums.push(tokens[i + 1].clone());
                i = skip_block(&tokens, i);
            }
            _ => i += 1,
        }
    }
    let mut budget = MAX_FIELDS;
    first.map(|name| to_fields(&name, &messages, &enums, 0, &mut budget)).unwrap_or_default()
}

/// The most fields of a message schema, at every level together: depth alone does not
/// bound a definition whose k fields are each of its own type (k^depth fields).
pub const MAX_FIELDS: usize = 2000;

fn tokenize(text: &str) -> Vec<String> {
    let mut without_comments = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |n| &after[n..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |n| &after[n + 2..]);
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            without_comments.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    let mut tokens = Vec::new();
    let mut word = String::new();
    for c in without_comments.chars() {
        if c.is_alphanumeric() || c == '_' || c == '.' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            tokens.push(std::mem::take(&mut word));
        }
        if "{}=;<>,".contains(c) {
            tokens.push(c.to_string());
        }
    }
    if !word.is_empty() {
        tokens.push(word);
    }
    tokens
}

/// Past the block that starts at the first `{` after `i`.
fn skip_block(tokens: &[String], mut i: usize) -> usize {
    let mut depth = 0;
    while i < tokens.len() {
        match tokens[i].as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}

/// Messages nested deeper than this are skipped (a definition is not trusted input).
const MAX_NESTING: usize = 32;

/// Reads `message Name { … }` at `i`; returns the index past it.
fn parse_message(
    tokens: &[String],
    i: usize,
    messages: &mut HashMap<String, Message>,
    enums: &mut Vec<String>,
    depth: usize,
) -> usize {
    if depth > MAX_NESTING {
        return skip_block(tokens, i);
    }
    let name = tokens.get(i + 1).cloned().unwrap_or_default();
    let mut message = Message::default();
    let mut j = i + 3; // past `message Name {`
    let mut open_oneofs = 0;
    while j < tokens.len() {
        match tokens[j].as_str() {
            "}" if open_oneofs > 0 => {
                open_oneofs -= 1;
                j += 1;
            }
            "}" => break,
            "message" => j = parse_message(tokens, j, messages, enums, depth + 1),
            "enum" => {
                if let Some(n) = tokens.get(j + 1) {
                    enums.push(n.clone());
                }
                j = skip_block(tokens, j);
            }
            // Its fields are the message's.
            "oneof" => {
                open_oneofs += 1;
                j += 3;
            }
            "option" | "reserved" | "extensions" => {
                while j < tokens.len() && tokens[j] != ";" {
                    j += 1;
                }
                j += 1;
            }
            ";" => j += 1,
            _ => {
                // [label] type name = number [options];  or  map<K, V> name = number;
                let label = if matches!(tokens[j].as_str(), "repeated" | "optional" | "required") {
                    j += 1;
                    tokens[j - 1].clone()
                } else {
                    String::new()
                };
                let ty = if tokens.get(j).map(String::as_str) == Some("map") {
                    let end = tokens[j..].iter().position(|t| t == ">").map_or(tokens.len(), |p| j + p);
                    let inner: Vec<&str> = tokens
                        .get(j + 2..end)
                        .unwrap_or_default()
                        .iter()
                        .map(String::as_str)
                        .filter(|t| *t != ",")
                        .collect();
                    j = end + 1;
                    format!("map<{}>", inner.join(","))
                } else {
                    j += 1;
                    tokens.get(j - 1).cloned().unwrap_or_default()
                };
                if let Some(field) = tokens.get(j) {
                    message.fields.push((label, ty, field.clone()));
                }
                while j < tokens.len() && tokens[j] != ";" && tokens[j] != "}" {
                    j += 1;
                }
                if tokens.get(j).map(String::as_str) == Some(";") {
                    j += 1;
                }
            }
        }
    }
    messages.insert(name, message);
    j + 1
}

/// The fields of message `name`, within `budget` fields in all (what is past it is left out).
/// A message's own fields are counted before any is expanded, so that each level shown is
/// whole and the budget runs out in the depths.
fn to_fields(
    name: &str,
    messages: &HashMap<String, Message>,
    enums: &[String],
    depth: usize,
    budget: &mut usize,
) -> Vec<Value> {
    let Some(message) = messages.get(name) else { return Vec::new() };
    let take = message.fields.len().min(*budget);
    *budget -= take;
    let mut out = Vec::with_capacity(take);
    for (label, ty, field) in message.fields.iter().take(take) {
        out.push({
            let short = ty.rsplit('.').next().unwrap_or(ty);
            let (data_type, children) = match short {
                "double" => ("DOUBLE", None),
                "float" => ("FLOAT", None),
                "int32" | "sint32" | "uint32" | "fixed32" | "sfixed32" => ("INT", None),
                "int64" | "sint64" | "uint64" | "fixed64" | "sfixed64" => ("LONG", None),
                "bool" => ("BOOLEAN", None),
                "string" => ("STRING", None),
                "bytes" => ("BYTES", None),
                _ if ty.starts_with("map<") => ("MAP", None),
                _ if enums.iter().any(|e| e == short) => ("ENUM", None),
                // A message type; a recursive one stops at a few levels.
                // (A repeated one is an array: its element's fields are not listed.)
                _ if messages.contains_key(short) && depth < 8 && label != "repeated" => {
                    ("RECORD", Some(to_fields(short, messages, enums, depth + 1, budget)))
                }
                _ => ("UNKNOWN", None),
            };
            let (data_type, display) =
                if label == "repeated" { ("ARRAY", format!("array<{ty}>")) } else { (data_type, ty.clone()) };
            let mut f = json!({"name": field, "dataType": data_type, "dataTypeDisplay": display});
            if let Some(children) = children.filter(|_| label != "repeated") {
                f["children"] = Value::Array(children);
            }
            f
        });
    }
    out
}

//! Property tests: the decoders, the schema inference and the configuration parser take any
//! input without panicking, and what they return stays within its bounds; an inferred schema
//! merged with a stored one (`host_core::converge`) keeps every stored field, never narrows a
//! type, settles, and does not depend on the order of the sample's messages.

use kinesis_plugin::decode::{decode_record, kpl, Limits, BINARY_PREFIX};
use kinesis_plugin::{config, infer};
use proptest::prelude::*;

/// The longest a message can be: the bound, plus the notes that say it was cut or not inflated.
fn longest(limits: &Limits) -> usize {
    limits.max_message_bytes + 200 + BINARY_PREFIX.len()
}

fn limits() -> impl Strategy<Value = Limits> {
    (64usize..4096, 64usize..65536).prop_map(|(m, d)| Limits { max_message_bytes: m, max_decompressed_bytes: d })
}

/// A KPL frame around `body`: the magic, the body, the body's MD5. Random bytes after the magic
/// alone almost never carry a matching checksum, so they would never reach the protobuf reader.
fn framed(body: &[u8]) -> Vec<u8> {
    use md5::Digest;
    [kinesis_plugin::decode::KPL_MAGIC.as_slice(), body, md5::Md5::digest(body).as_slice()].concat()
}

/// Protobuf-shaped bytes as the KPL writes them (a table of partition keys, records naming a
/// key by index and carrying data), mixed with fields of any number and lengths that may lie.
fn protobuf_body() -> impl Strategy<Value = Vec<u8>> {
    /// A field: number, delimited or varint, a skew of the declared length, contents.
    fn put(out: &mut Vec<u8>, number: u8, delimited: bool, skew: i8, content: &[u8]) {
        if delimited {
            out.push((number << 3) | 2);
            // Mostly the true length; one time in four one that runs past or falls short.
            let skew = if skew.rem_euclid(4) == 0 { i32::from(skew % 8) } else { 0 };
            out.push((content.len() as i32 + skew).clamp(0, 127) as u8);
            out.extend(content);
        } else {
            out.push(number << 3);
            out.push(content.first().copied().unwrap_or(0) & 0x7F);
        }
    }
    let noise = proptest::collection::vec(
        (1u8..6, any::<bool>(), any::<i8>(), proptest::collection::vec(any::<u8>(), 0..16)),
        0..3,
    );
    let record = (0u8..4, any::<i8>(), proptest::collection::vec(any::<u8>(), 0..40), noise.clone());
    (proptest::collection::vec("[a-z]{0,8}", 0..4), proptest::collection::vec(record, 0..5), noise).prop_map(
        |(keys, records, noise)| {
            let mut out = Vec::new();
            for key in &keys {
                put(&mut out, 1, true, 1, key.as_bytes());
            }
            for (number, delimited, skew, content) in &noise {
                put(&mut out, *number, *delimited, *skew, content);
            }
            for (key, skew, data, extra) in &records {
                let mut body = Vec::new();
                put(&mut body, 1, false, 1, &[*key]);
                put(&mut body, 3, true, *skew, data);
                for (number, delimited, skew, content) in extra {
                    put(&mut body, *number, *delimited, *skew, content);
                }
                put(&mut out, 3, true, 1, &body);
            }
            out
        },
    )
}

/// Bytes that look like what producers write: KPL aggregates, gzip, JSON, text, noise.
fn record_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2048),
        proptest::collection::vec(any::<u8>(), 0..512).prop_map(|body| framed(&body)),
        protobuf_body().prop_map(|body| framed(&body)),
        proptest::collection::vec(any::<u8>(), 0..512).prop_map(|tail| [vec![0x1F, 0x8B, 0x08, 0x00], tail].concat()),
        proptest::collection::vec((".{0,40}", proptest::collection::vec(any::<u8>(), 0..300)), 0..8).prop_map(
            |users| {
                kpl::aggregate(
                    &users
                        .into_iter()
                        .map(|(key, data)| kpl::UserRecord { partition_key: key, explicit_hash_key: None, data })
                        .collect::<Vec<_>>(),
                )
            }
        ),
        "\\PC{0,3000}".prop_map(String::into_bytes),
        (0usize..20000).prop_map(|n| {
            // A gzip that inflates far beyond its size: a small bomb.
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(&vec![b'a'; n * 10]).unwrap();
            e.finish().unwrap()
        }),
    ]
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(serde_json::Value::from),
        ".{0,20}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(".{0,12}", inner, 0..8)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Objects whose keys collide often, so that samples share and retype fields. In one case:
/// OpenMetadata matches field names case-insensitively, so `Id` and `id` side by side are one
/// field to it (a stored name met in another case is a unit test of the merge).
fn json_object() -> impl Strategy<Value = serde_json::Value> {
    proptest::collection::btree_map("[a-c]{1,2}", json_value(), 0..6)
        .prop_map(|m| serde_json::Value::Object(m.into_iter().collect()))
}

/// The fields inferred from `objects`.
fn inferred_fields(objects: &[serde_json::Value]) -> Vec<serde_json::Value> {
    let texts: Vec<String> = objects.iter().map(|v| v.to_string()).collect();
    let messages: Vec<(&str, bool)> = texts.iter().map(|t| (t.as_str(), false)).collect();
    let schema = infer::message_schema("topic", &messages).expect("objects give a schema");
    schema["schemaFields"].as_array().unwrap().clone()
}

/// Every field of `before` is in `merged`, by name, with a type that holds its own; the same
/// below every record both have.
fn keeps(before: &[serde_json::Value], merged: &[serde_json::Value], path: &str) -> Result<(), TestCaseError> {
    use host_core::converge::fields::{covers, type_of};
    for f in before {
        let name = f["name"].as_str().unwrap();
        let Some(m) = merged.iter().find(|m| m["name"] == name) else {
            return Err(TestCaseError::fail(format!("{path}{name} was dropped")));
        };
        prop_assert!(covers(&type_of(m), &type_of(f)), "{path}{name}: {m} does not hold {f}");
        if let (Some(fc), Some(mc)) = (f["children"].as_array(), m["children"].as_array()) {
            keeps(fc, mc, &format!("{path}{name}."))?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn merged_schemas_keep_every_stored_field_never_narrow_and_settle(
        first in proptest::collection::vec(json_object(), 1..6),
        second in proptest::collection::vec(json_object(), 1..6),
        rotate in 0usize..6,
    ) {
        use host_core::converge::fields::{merge, Mode};
        let stored = inferred_fields(&first);
        let incoming = inferred_fields(&second);
        let merged = merge(&stored, &incoming, Mode::Accumulate);
        keeps(&stored, &merged, "")?;
        keeps(&incoming, &merged, "")?;
        // Merging the same sample again changes nothing.
        prop_assert_eq!(&merge(&merged, &incoming, Mode::Accumulate), &merged);
        // The sample's messages in another order give the same fields, so the same merge.
        let mut reordered = second.clone();
        reordered.rotate_left(rotate % second.len());
        reordered.reverse();
        prop_assert_eq!(&inferred_fields(&reordered), &incoming);
    }

    #[test]
    fn decoding_any_record_is_bounded(data in record_bytes(), limits in limits()) {
        let messages = decode_record(&data, &limits);
        // Every record is a message, but for a KPL aggregate of no user records.
        prop_assert!(!messages.is_empty() || data.starts_with(&kinesis_plugin::decode::KPL_MAGIC));
        // Each user record is at least a few bytes of the aggregate.
        prop_assert!(messages.len() <= data.len().max(1));
        for m in &messages {
            prop_assert!(m.text.len() <= longest(&limits), "{} > {}", m.text.len(), longest(&limits));
        }
    }

    #[test]
    fn kpl_parsing_takes_any_bytes(data in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = kpl::parse(&data);
        // Behind a valid checksum, so that the protobuf reader gets the bytes.
        if let Some(records) = kpl::parse(&framed(&data)) {
            prop_assert!(records.iter().all(|r| r.data.len() <= data.len()));
        }
    }

    #[test]
    fn kpl_parsing_takes_any_protobuf_shaped_body(body in protobuf_body()) {
        if let Some(records) = kpl::parse(&framed(&body)) {
            // What a user record holds comes from the body, and each costs bytes of it.
            prop_assert!(records.iter().all(|r| r.data.len() <= body.len()));
            prop_assert!(records.len() <= body.len());
        }
    }

    #[test]
    fn kpl_round_trips(users in proptest::collection::vec(("[a-z0-9]{1,16}", proptest::collection::vec(any::<u8>(), 0..64)), 1..8)) {
        let records: Vec<kpl::UserRecord> = users
            .iter()
            .map(|(k, d)| kpl::UserRecord { partition_key: k.clone(), explicit_hash_key: None, data: d.clone() })
            .collect();
        let parsed = kpl::deaggregate(&kpl::aggregate(&records)).expect("an aggregate");
        prop_assert_eq!(parsed, users.into_iter().map(|(_, d)| d).collect::<Vec<_>>());
    }

    #[test]
    fn schema_inference_takes_any_messages(values in proptest::collection::vec(json_value(), 0..20), noise in proptest::collection::vec(".{0,50}", 0..3)) {
        let texts: Vec<String> = values.iter().map(|v| v.to_string()).chain(noise).collect();
        let messages: Vec<(&str, bool)> = texts.iter().map(|t| (t.as_str(), false)).collect();
        if let Some(schema) = infer::message_schema("topic", &messages) {
            prop_assert_eq!(&schema["schemaType"], "JSON");
            // Bounded by what it describes: a field per distinct name and path, no more.
            let input: usize = texts.iter().map(String::len).sum();
            prop_assert!(schema.to_string().len() <= 4096 + 40 * input, "{}", schema.to_string().len());
        }
    }

    #[test]
    fn config_parsing_takes_any_text(text in "\\PC{0,400}") {
        let _ = config::Settings::parse(&text);
    }

    #[test]
    fn config_parsing_takes_any_json_and_names_a_field(value in json_value()) {
        if let Err(e) = config::Settings::parse(&value.to_string()) {
            prop_assert!(e.field.is_some(), "{e}");
        }
    }

    #[test]
    fn config_parsing_takes_any_value_in_any_field(value in json_value(), field in 0usize..8) {
        let mut source = serde_json::json!({
            "type": "kinesis",
            "serviceName": "svc",
            "serviceConnection": {"config": {"type": "Kinesis", "awsConfig": {"awsRegion": "eu-west-1"}}},
            "sourceConfig": {"config": {"type": "MessagingMetadata"}}
        });
        let at = [
            "/serviceName", "/serviceConnection/config/awsConfig/awsRegion", "/serviceConnection/config/awsConfig/endPointURL",
            "/serviceConnection/config/awsConfig/awsSecretAccessKey", "/sourceConfig/config/topicFilterPattern",
            "/sourceConfig/config/sampleSize", "/sourceConfig/config/apiBudgetShare", "/serviceConnection/config/topicFilterPattern",
        ][field];
        let (parent, key) = at.rsplit_once('/').unwrap();
        source.pointer_mut(parent).unwrap()[key] = value.clone();
        match config::Settings::parse(&source.to_string()) {
            Ok(_) => {}
            Err(e) => {
                prop_assert!(e.field.is_some(), "{e}");
                // A secret's value is never quoted back.
                if key == "awsSecretAccessKey" {
                    if let Some(s) = value.as_str().filter(|s| s.len() > 3) {
                        prop_assert!(!e.message.contains(s), "{e}");
                    }
                }
            }
        }
    }
}

/// The shaped bodies reach past the checksum and the reader: some parse into user records,
/// some are refused by the reader itself, as a strategy that never got there could not show.
#[test]
fn protobuf_shaped_frames_reach_the_reader() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut parsed, mut refused) = (0, 0);
    for _ in 0..2000 {
        let body = protobuf_body().new_tree(&mut runner).unwrap().current();
        match kpl::parse(&framed(&body)) {
            Some(records) if !records.is_empty() => parsed += 1,
            Some(_) => {}
            None => refused += 1,
        }
    }
    assert!(parsed >= 20 && refused >= 20, "parsed {parsed}, refused {refused} of 2000");
}

//! Turning the bytes of a Kinesis record into the message strings a person reads in
//! OpenMetadata's sample data.
//!
//! - KPL-aggregated records (magic `F3 89 9A C2`, a protobuf `AggregatedRecord`, its MD5) are
//!   split into their user records; a bad checksum or body leaves the record opaque.
//! - gzip payloads (CloudWatch Logs subscriptions) are decompressed, never beyond a bound.
//! - UTF-8 is kept as it is; other bytes are shown as base64 behind [`BINARY_PREFIX`].
//! - A message longer than the bound is cut, and says so.

use std::io::Read;

use std::borrow::Cow;

use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};

/// The first bytes of a KPL-aggregated record.
pub const KPL_MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
/// The prefix of a message whose bytes are not text.
pub const BINARY_PREFIX: &str = "[binary, base64] ";
const GZIP_MAGIC: [u8; 2] = [0x1F, 0x8B];
/// gzip inside gzip is unwrapped this many times at most.
const MAX_GZIP_DEPTH: usize = 3;

/// Bounds on decoding.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A message longer than this (in bytes) is cut.
    pub max_message_bytes: usize,
    /// A gzip payload that inflates beyond this is not inflated (a decompression bomb).
    pub max_decompressed_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_message_bytes: 64 * 1024, max_decompressed_bytes: 4 * 1024 * 1024 }
    }
}

/// A decoded message and whether it was cut.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub text: String,
    pub truncated: bool,
    /// The bytes a schema from the Glue Schema Registry may decode: a framed record's payload
    /// (with its schema version), or a payload that is not text and is shown whole.
    pub payload: Option<Payload>,
}

/// A message's bytes, for a schema from the registry to decode.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    /// The schema version that framed it, when the registry's serializer did.
    pub version_id: Option<String>,
    pub bytes: Vec<u8>,
}

/// The messages one Kinesis record holds: one, or one per user record of a KPL aggregate.
pub fn decode_record(data: &[u8], limits: &Limits) -> Vec<Message> {
    match kpl::deaggregate(data) {
        Some(user_records) => user_records.iter().map(|r| decode_payload(r, limits)).collect(),
        None => vec![decode_payload(data, limits)],
    }
}

/// One payload (framed by the Glue Schema Registry, gzip, text or binary) as a message.
pub fn decode_payload(data: &[u8], limits: &Limits) -> Message {
    match crate::registry::unframe(data, limits.max_decompressed_bytes) {
        Some(Ok(framed)) => {
            let mut message = decode_unframed(&framed.payload, limits);
            message.payload = Some(Payload { version_id: Some(framed.version_id), bytes: framed.payload });
            message
        }
        Some(Err(why)) => {
            let note = format!("[a Glue Schema Registry record: {why}] ");
            let mut message = decode_unframed(data, limits);
            message.text.insert_str(0, &note);
            message
        }
        None => decode_unframed(data, limits),
    }
}

/// A payload (gzip, text or binary) as a message.
fn decode_unframed(data: &[u8], limits: &Limits) -> Message {
    let (bytes, note) = inflate(data, limits.max_decompressed_bytes);
    let max = limits.max_message_bytes;
    match std::str::from_utf8(&bytes) {
        Ok(text) if note.is_none() => truncate(text, bytes.len(), max),
        _ => {
            // Encode no more than the message can show.
            let shown = bytes.len().min(max / 4 * 3);
            let text = format!("{}{BINARY_PREFIX}{}", note.unwrap_or_default(), BASE64.encode(&bytes[..shown]));
            let mut message = truncate(&text, bytes.len(), max);
            if shown < bytes.len() && !message.truncated {
                message.text.push_str(&truncation_note(bytes.len()));
                message.truncated = true;
            }
            // Kept for a schema named for the stream, when the message shows them whole.
            if shown == bytes.len() {
                message.payload = Some(Payload { version_id: None, bytes: bytes.into_owned() });
            }
            message
        }
    }
}

/// `data` with its gzip layers removed, or as it is with a note when inflating it would pass
/// `max` bytes.
fn inflate(data: &[u8], max: usize) -> (Cow<'_, [u8]>, Option<String>) {
    let mut bytes = Cow::Borrowed(data);
    for _ in 0..MAX_GZIP_DEPTH {
        if !bytes.starts_with(&GZIP_MAGIC) {
            break;
        }
        match gunzip(&bytes, max) {
            Gunzip::Ok(inflated) => bytes = Cow::Owned(inflated),
            Gunzip::TooLarge => {
                return (bytes, Some(format!("[gzip of more than {max} bytes decompressed; not decompressed] ")))
            }
            Gunzip::Invalid => break,
        }
    }
    (bytes, None)
}

/// `text` as a message of at most `max` bytes (cut with a note when longer).
pub fn truncate_text(text: &str, max: usize) -> Message {
    truncate(text, text.len(), max)
}

fn truncate(text: &str, original_len: usize, max: usize) -> Message {
    if text.len() <= max {
        return Message { text: text.to_string(), truncated: false, payload: None };
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Message { text: format!("{}{}", &text[..end], truncation_note(original_len)), truncated: true, payload: None }
}

fn truncation_note(original_len: usize) -> String {
    format!("… [truncated: message of {original_len} bytes]")
}

enum Gunzip {
    Ok(Vec<u8>),
    TooLarge,
    Invalid,
}

/// Inflates a gzip stream (all its members), reading at most `max` bytes of output.
fn gunzip(data: &[u8], max: usize) -> Gunzip {
    let mut out = Vec::new();
    let mut decoder = flate2::read::MultiGzDecoder::new(data).take(max as u64 + 1);
    match decoder.read_to_end(&mut out) {
        Ok(_) if out.len() > max => Gunzip::TooLarge,
        Ok(_) => Gunzip::Ok(out),
        Err(_) => Gunzip::Invalid,
    }
}

/// The KPL aggregation format, read and (for tests, demos and benchmarks) written.
pub mod kpl {
    use md5::{Digest, Md5};
    use prost::Message as _;

    use super::KPL_MAGIC;

    /// A user record inside an aggregate.
    #[derive(Debug, Clone, PartialEq)]
    pub struct UserRecord {
        pub partition_key: String,
        pub explicit_hash_key: Option<String>,
        pub data: Vec<u8>,
    }

    /// The KPL's `AggregatedRecord` (its `messages.proto`, proto2), which follows the magic
    /// bytes and precedes the MD5 of its encoding.
    #[derive(Clone, PartialEq, prost::Message)]
    struct AggregatedRecord {
        #[prost(string, repeated, tag = "1")]
        partition_key_table: Vec<String>,
        #[prost(string, repeated, tag = "2")]
        explicit_hash_key_table: Vec<String>,
        #[prost(message, repeated, tag = "3")]
        records: Vec<Record>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    struct Record {
        #[prost(uint64, required, tag = "1")]
        partition_key_index: u64,
        #[prost(uint64, optional, tag = "2")]
        explicit_hash_key_index: Option<u64>,
        #[prost(bytes = "vec", required, tag = "3")]
        data: Vec<u8>,
        #[prost(message, repeated, tag = "4")]
        tags: Vec<Tag>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    struct Tag {
        #[prost(string, required, tag = "1")]
        key: String,
        #[prost(string, optional, tag = "2")]
        value: Option<String>,
    }

    /// The user records' payloads, or `None` when `data` is not a valid aggregate (no magic,
    /// a bad checksum, a truncated or malformed body): then it is an ordinary record.
    pub fn deaggregate(data: &[u8]) -> Option<Vec<Vec<u8>>> {
        Some(parse(data)?.into_iter().map(|r| r.data).collect())
    }

    /// The user records of an aggregate, with their keys.
    pub fn parse(data: &[u8]) -> Option<Vec<UserRecord>> {
        let body = data.strip_prefix(&KPL_MAGIC)?;
        if body.len() < 16 {
            return None;
        }
        let (message, checksum) = body.split_at(body.len() - 16);
        if Md5::digest(message).as_slice() != checksum {
            return None;
        }
        let aggregate = AggregatedRecord::decode(message).ok()?;
        let key = |table: &[String], i: u64| table.get(usize::try_from(i).ok()?).cloned();
        aggregate
            .records
            .into_iter()
            .map(|r| {
                Some(UserRecord {
                    partition_key: key(&aggregate.partition_key_table, r.partition_key_index)?,
                    explicit_hash_key: match r.explicit_hash_key_index {
                        Some(i) => Some(key(&aggregate.explicit_hash_key_table, i)?),
                        None => None,
                    },
                    data: r.data,
                })
            })
            .collect()
    }

    /// Builds an aggregate of `records` as the KPL writes it.
    pub fn aggregate(records: &[UserRecord]) -> Vec<u8> {
        let mut aggregate = AggregatedRecord::default();
        for r in records {
            let partition_key_index = position(&mut aggregate.partition_key_table, &r.partition_key);
            let explicit_hash_key_index =
                r.explicit_hash_key.as_ref().map(|h| position(&mut aggregate.explicit_hash_key_table, h));
            aggregate.records.push(Record {
                partition_key_index,
                explicit_hash_key_index,
                data: r.data.clone(),
                tags: Vec::new(),
            });
        }
        let message = aggregate.encode_to_vec();
        let mut out = KPL_MAGIC.to_vec();
        out.extend_from_slice(&message);
        out.extend_from_slice(Md5::digest(&message).as_slice());
        out
    }

    /// The index of `key` in a key table, added if new.
    fn position(table: &mut Vec<String>, key: &str) -> u64 {
        match table.iter().position(|k| k == key) {
            Some(i) => i as u64,
            None => {
                table.push(key.to_string());
                (table.len() - 1) as u64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::kpl::{aggregate, parse, UserRecord};
    use super::*;
    use md5::{Digest, Md5};
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn texts(messages: Vec<Message>) -> Vec<String> {
        messages.into_iter().map(|m| m.text).collect()
    }

    fn user(pk: &str, ehk: Option<&str>, data: &[u8]) -> UserRecord {
        UserRecord { partition_key: pk.into(), explicit_hash_key: ehk.map(Into::into), data: data.to_vec() }
    }

    #[test]
    fn an_aggregate_is_split_into_its_user_records() {
        let records = vec![
            user("a", None, br#"{"n":1}"#),
            user("b", Some("170141183460469231731687303715884105728"), br#"{"n":2}"#),
            user("a", Some("1"), b"plain text"),
        ];
        let data = aggregate(&records);
        assert_eq!(parse(&data).unwrap(), records, "keys and payloads survive the round trip");
        assert_eq!(texts(decode_record(&data, &Limits::default())), vec![r#"{"n":1}"#, r#"{"n":2}"#, "plain text"]);
    }

    #[test]
    fn user_records_are_decoded_too() {
        let data = aggregate(&[user("k", None, &gzip(b"inside")), user("k", None, &[0xFF, 0x00])]);
        assert_eq!(
            texts(decode_record(&data, &Limits::default())),
            vec!["inside".to_string(), format!("{BINARY_PREFIX}/wA=")]
        );
    }

    #[test]
    fn a_bad_checksum_leaves_the_record_opaque() {
        let mut data = aggregate(&[user("k", None, b"x")]);
        let last = data.len() - 1;
        data[last] ^= 0xFF;
        let messages = decode_record(&data, &Limits::default());
        assert_eq!(messages.len(), 1);
        assert!(messages[0].text.starts_with(BINARY_PREFIX), "{}", messages[0].text);
    }

    #[test]
    fn a_truncated_aggregate_is_opaque_not_a_crash() {
        let data = aggregate(&[user("k", None, b"hello world"), user("k", None, b"second")]);
        for cut in 0..data.len() {
            let messages = decode_record(&data[..cut], &Limits::default());
            assert_eq!(messages.len(), 1, "cut at {cut}");
        }
        // A body whose checksum matches but whose protobuf is cut short.
        let mut body = aggregate(&[user("k", None, b"hello")])[4..].to_vec();
        body.truncate(body.len() - 16 - 3);
        let mut data = KPL_MAGIC.to_vec();
        data.extend_from_slice(&body);
        data.extend_from_slice(Md5::digest(&body).as_slice());
        assert!(kpl::deaggregate(&data).is_none());
        assert_eq!(decode_record(&data, &Limits::default()).len(), 1);
    }

    #[test]
    fn gzip_and_nested_gzip_are_decompressed() {
        let limits = Limits::default();
        assert_eq!(decode_payload(&gzip(b"{\"a\":1}"), &limits).text, "{\"a\":1}");
        assert_eq!(decode_payload(&gzip(&gzip(b"twice")), &limits).text, "twice");
    }

    #[test]
    fn a_gzip_bomb_is_not_inflated() {
        let bomb = gzip(&vec![b'a'; 50 * 1024 * 1024]);
        assert!(bomb.len() < 100 * 1024);
        let limits = Limits { max_message_bytes: 1024, max_decompressed_bytes: 1024 * 1024 };
        let m = decode_payload(&bomb, &limits);
        assert!(m.text.starts_with("[gzip of more than 1048576 bytes decompressed; not decompressed]"), "{}", m.text);
        assert!(m.truncated && m.text.len() < 1200, "{}", m.text.len());
    }

    #[test]
    fn invalid_utf8_is_shown_as_base64_with_a_prefix() {
        let m = decode_payload(&[0xC3, 0x28, 0x00, 0x01], &Limits::default());
        assert_eq!(m.text, format!("{BINARY_PREFIX}wygAAQ=="));
        assert!(!m.truncated);
    }

    #[test]
    fn empty_data_is_an_empty_message() {
        assert_eq!(
            decode_record(&[], &Limits::default()),
            vec![Message { text: String::new(), truncated: false, payload: None }]
        );
    }

    #[test]
    fn long_messages_are_cut_at_a_character_boundary_and_say_so() {
        let limits = Limits { max_message_bytes: 10, ..Limits::default() };
        let m = decode_payload("ééééééééé".as_bytes(), &limits); // 18 bytes
        assert!(m.truncated);
        assert!(m.text.starts_with("ééééé…"), "{}", m.text);
        assert!(m.text.ends_with("[truncated: message of 18 bytes]"), "{}", m.text);
        let m = decode_payload(&[0xFF; 100], &limits);
        assert!(m.truncated && m.text.contains("[truncated: message of 100 bytes]"), "{}", m.text);
    }
}

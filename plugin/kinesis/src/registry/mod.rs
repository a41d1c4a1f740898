//! Message schemas from the AWS Glue Schema Registry.
//!
//! Producers that use the registry's serializer frame each record: a header version byte (3),
//! a compression byte (0 none, 5 zlib), the 16 bytes of the schema version's UUID, then the
//! payload (Avro binary, JSON or Protobuf). A sampled record so framed names its schema
//! version; the plugin reads each version once a run (`glue:GetSchemaVersion`), decodes the
//! messages with it (Avro to JSON), and makes it the topic's `messageSchema`.

use std::io::Read;

use serde_json::{json, Map, Value};

/// The header version byte of a framed record.
pub const HEADER_VERSION: u8 = 3;
pub const COMPRESSION_NONE: u8 = 0;
pub const COMPRESSION_ZLIB: u8 = 5;
const FRAME_LEN: usize = 18;
/// The most Avro may allocate for one value while decoding a message.
const MAX_AVRO_ALLOCATION: usize = 16 * 1024 * 1024;

/// A record framed by the registry's serializer: its schema version and its payload
/// (inflated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framed {
    /// The schema version's id, as the registry writes UUIDs.
    pub version_id: String,
    pub payload: Vec<u8>,
}

/// The framing of `data`, when it has one: `None` when it is not framed, `Some(Err)` when it
/// is but its zlib payload cannot be inflated within `max_inflated` bytes.
pub fn unframe(data: &[u8], max_inflated: usize) -> Option<Result<Framed, String>> {
    if data.len() < FRAME_LEN || data[0] != HEADER_VERSION || !matches!(data[1], COMPRESSION_NONE | COMPRESSION_ZLIB) {
        return None;
    }
    let version_id = uuid_text(&data[2..FRAME_LEN]);
    let body = &data[FRAME_LEN..];
    if data[1] == COMPRESSION_NONE {
        return Some(Ok(Framed { version_id, payload: body.to_vec() }));
    }
    let mut payload = Vec::new();
    let mut reader = flate2::read::ZlibDecoder::new(body).take(max_inflated as u64 + 1);
    Some(match reader.read_to_end(&mut payload) {
        Ok(_) if payload.len() > max_inflated => Err(format!("its zlib payload inflates beyond {max_inflated} bytes")),
        Ok(_) => Ok(Framed { version_id, payload }),
        Err(e) => Err(format!("its zlib payload cannot be inflated: {e}")),
    })
}

/// The version id as the registry writes it (hyphenated, lower case); `bytes` is 16 long.
fn uuid_text(bytes: &[u8]) -> String {
    uuid::Uuid::from_slice(bytes).map(|u| u.to_string()).unwrap_or_default()
}

/// The data formats the registry holds schemas in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Avro,
    Json,
    Protobuf,
}

impl Format {
    /// As the registry names it (`AVRO`, `JSON`, `PROTOBUF`).
    pub fn parse(name: &str) -> Option<Format> {
        match name.to_ascii_uppercase().as_str() {
            "AVRO" => Some(Format::Avro),
            "JSON" => Some(Format::Json),
            "PROTOBUF" => Some(Format::Protobuf),
            _ => None,
        }
    }

    /// As OpenMetadata's `schemaType` names it.
    pub fn schema_type(self) -> &'static str {
        match self {
            Format::Avro => "Avro",
            Format::Json => "JSON",
            Format::Protobuf => "Protobuf",
        }
    }
}

/// A schema version as the registry holds it, ready to decode with.
#[derive(Debug, Clone)]
pub struct SchemaVersion {
    pub format: Format,
    pub definition: String,
    /// Where it is, for messages: `registry/schema v3`, or its id.
    pub label: String,
    avro: Option<apache_avro::Schema>,
}

impl SchemaVersion {
    /// Reads a definition of `format`; an Avro definition that does not parse is an error.
    pub fn new(format: Format, definition: String, label: String) -> Result<Self, String> {
        let avro = match format {
            Format::Avro => Some(
                apache_avro::Schema::parse_str(&definition)
                    .map_err(|e| format!("its Avro definition does not parse: {e}"))?,
            ),
            Format::Json => {
                serde_json::from_str::<Value>(&definition)
                    .map_err(|e| format!("its JSON Schema definition is not JSON: {e}"))?;
                None
            }
            Format::Protobuf => None,
        };
        Ok(SchemaVersion { format, definition, label, avro })
    }

    /// A message's payload as JSON text: Avro decoded with this schema, JSON as it is.
    /// `None` for Protobuf, which needs its compiled descriptors (the message stays as bytes).
    pub fn decode(&self, payload: &[u8]) -> Option<Result<String, String>> {
        // A corrupt length in a payload must not make Avro allocate its default 512 MB: no
        // decoded message needs more than the bound on an inflated payload (set once, here,
        // before the first decoding).
        apache_avro::util::max_allocation_bytes(MAX_AVRO_ALLOCATION);
        match (self.format, &self.avro) {
            (Format::Avro, Some(schema)) => Some(
                apache_avro::from_avro_datum(schema, &mut &payload[..], None)
                    .map_err(|e| format!("not Avro of {}: {e}", self.label))
                    .and_then(|value| {
                        serde_json::Value::try_from(value).map_err(|e| format!("Avro of {}: {e}", self.label))
                    })
                    .map(|json| json.to_string()),
            ),
            (Format::Json, _) => Some(
                std::str::from_utf8(payload)
                    .map(str::to_string)
                    .map_err(|_| format!("not the JSON text {} describes", self.label)),
            ),
            _ => None,
        }
    }

    /// The topic's `messageSchema`: the registry's definition, and its fields.
    pub fn message_schema(&self) -> Value {
        let fields = match self.format {
            Format::Avro => {
                serde_json::from_str::<Value>(&self.definition).map(|s| avro_fields(&s)).unwrap_or_default()
            }
            Format::Json => {
                serde_json::from_str::<Value>(&self.definition).map(|s| json_schema_fields(&s)).unwrap_or_default()
            }
            Format::Protobuf => proto::fields(&self.definition),
        };
        json!({"schemaType": self.format.schema_type(), "schemaText": self.definition, "schemaFields": fields})
    }
}

/// A `messageSchema` whose definition gave no field (a Protobuf definition without a message,
/// an Avro schema that is not a record).
pub fn has_no_fields(message_schema: &Value) -> bool {
    message_schema["schemaFields"].as_array().is_none_or(Vec::is_empty)
}

/// The fields of an Avro record schema, as OpenMetadata's FieldModels.
fn avro_fields(schema: &Value) -> Vec<Value> {
    schema.get("fields").and_then(Value::as_array).into_iter().flatten().filter_map(avro_field).collect()
}

fn avro_field(field: &Value) -> Option<Value> {
    let name = field.get("name")?.as_str()?;
    let mut model = avro_type(field.get("type")?);
    model.insert("name".into(), name.into());
    if let Some(doc) = field.get("doc").and_then(Value::as_str) {
        model.insert("description".into(), doc.into());
    }
    Some(Value::Object(model))
}

/// `dataType` (and `children` for a record, `dataTypeDisplay` for the rest) of an Avro type.
fn avro_type(t: &Value) -> Map<String, Value> {
    let mut m = Map::new();
    let (data_type, display) = match t {
        Value::String(name) => (primitive(name), name.clone()),
        // A union with null is the other type, optional.
        Value::Array(branches) => {
            let others: Vec<&Value> = branches.iter().filter(|b| b.as_str() != Some("null")).collect();
            if let [only] = others.as_slice() {
                let mut inner = avro_type(only);
                if let Some(Value::String(d)) = inner.get("dataTypeDisplay").cloned() {
                    inner.insert("dataTypeDisplay".into(), format!("union<null,{d}>").into());
                }
                return inner;
            }
            ("UNION", "union".to_string())
        }
        Value::Object(o) => match o.get("type").and_then(Value::as_str).unwrap_or_default() {
            "record" => {
                m.insert("children".into(), Value::Array(avro_fields(t)));
                ("RECORD", "record".to_string())
            }
            "array" => ("ARRAY", "array".to_string()),
            "map" => ("MAP", "map".to_string()),
            "enum" => ("ENUM", "enum".to_string()),
            "fixed" => ("FIXED", "fixed".to_string()),
            other => match o.get("logicalType").and_then(Value::as_str) {
                Some("date") => ("DATE", "date".to_string()),
                Some("time-millis" | "time-micros") => ("TIME", "time".to_string()),
                Some("timestamp-millis" | "timestamp-micros") => ("TIMESTAMP", "timestamp".to_string()),
                Some(l) => (primitive(other), format!("{other} ({l})")),
                None => (primitive(other), other.to_string()),
            },
        },
        _ => ("UNKNOWN", "unknown".to_string()),
    };
    m.insert("dataType".into(), data_type.into());
    m.insert("dataTypeDisplay".into(), display.into());
    m
}

fn primitive(name: &str) -> &'static str {
    match name {
        "null" => "NULL",
        "boolean" => "BOOLEAN",
        "int" => "INT",
        "long" => "LONG",
        "float" => "FLOAT",
        "double" => "DOUBLE",
        "bytes" => "BYTES",
        "string" => "STRING",
        _ => "UNKNOWN",
    }
}

/// The properties of a JSON Schema object, as OpenMetadata's FieldModels.
fn json_schema_fields(schema: &Value) -> Vec<Value> {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return Vec::new() };
    properties
        .iter()
        .map(|(name, property)| {
            let types: Vec<&str> = match property.get("type") {
                Some(Value::String(t)) => vec![t.as_str()],
                Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect(),
                _ => Vec::new(),
            };
            let data_type = match types.as_slice() {
                ["string"] => "STRING",
                ["integer"] => "LONG",
                ["number"] => "DOUBLE",
                ["boolean"] => "BOOLEAN",
                ["object"] => "RECORD",
                ["array"] => "ARRAY",
                ["null"] => "NULL",
                [] => "UNKNOWN",
                _ => "UNION",
            };
            let mut field = json!({"name": name, "dataType": data_type, "dataTypeDisplay": types.join("|")});
            if let Some(d) = property.get("description").and_then(Value::as_str) {
                field["description"] = d.into();
            }
            if data_type == "RECORD" {
                field["children"] = Value::Array(json_schema_fields(property));
            }
            field
        })
        .collect()
}

mod proto;
pub mod schemas;

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const ID: [u8; 16] =
        [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];

    fn frame(compression: u8, payload: &[u8]) -> Vec<u8> {
        let mut data = vec![HEADER_VERSION, compression];
        data.extend_from_slice(&ID);
        if compression == COMPRESSION_ZLIB {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            z.write_all(payload).unwrap();
            data.extend(z.finish().unwrap());
        } else {
            data.extend_from_slice(payload);
        }
        data
    }

    #[test]
    fn framed_records_name_their_version_and_zlib_is_inflated() {
        let plain = unframe(&frame(COMPRESSION_NONE, b"{\"a\":1}"), 1024).unwrap().unwrap();
        assert_eq!(plain.version_id, "12345678-9abc-def0-0123-456789abcdef");
        assert_eq!(plain.payload, b"{\"a\":1}");
        let zipped = unframe(&frame(COMPRESSION_ZLIB, &[7u8; 500]), 1024).unwrap().unwrap();
        assert_eq!(zipped.payload, vec![7u8; 500]);
        assert!(unframe(&frame(COMPRESSION_ZLIB, &[7u8; 500]), 100).unwrap().is_err(), "bounded");
        assert!(unframe(b"{\"not\": \"framed\"}", 1024).is_none());
        assert!(unframe(&[3, 9, 0, 0], 1024).is_none());
    }

    const AVRO: &str = r#"{"type": "record", "name": "Order", "fields": [
        {"name": "id", "type": "long", "doc": "the order"},
        {"name": "note", "type": ["null", "string"]},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "item", "type": {"type": "record", "name": "Item", "fields": [{"name": "sku", "type": "string"}]}}
    ]}"#;

    #[test]
    fn a_definition_that_gives_no_field_is_seen() {
        let proto = SchemaVersion::new(Format::Protobuf, "syntax = \"proto3\"; enum E { A = 0; }".into(), "p".into());
        assert!(has_no_fields(&proto.unwrap().message_schema()));
        let avro = SchemaVersion::new(Format::Avro, r#""string""#.into(), "a".into()).unwrap();
        assert!(has_no_fields(&avro.message_schema()));
        let record = SchemaVersion::new(Format::Avro, AVRO.into(), "r".into()).unwrap();
        assert!(!has_no_fields(&record.message_schema()));
    }

    #[test]
    fn avro_payloads_decode_to_json_and_the_schema_gives_fields() {
        let version = SchemaVersion::new(Format::Avro, AVRO.into(), "r/orders v1".into()).unwrap();
        let schema = apache_avro::Schema::parse_str(AVRO).unwrap();
        let mut record = apache_avro::types::Record::new(&schema).unwrap();
        record.put("id", 42i64);
        record.put("note", apache_avro::types::Value::Union(1, Box::new("gift".into())));
        record.put("at", apache_avro::types::Value::TimestampMillis(1_700_000_000_000));
        record.put(
            "item",
            apache_avro::types::Value::Record(vec![("sku".into(), apache_avro::types::Value::String("A-1".into()))]),
        );
        let bytes = apache_avro::to_avro_datum(&schema, record).unwrap();
        let text = version.decode(&bytes).unwrap().unwrap();
        let json: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["id"], 42);
        assert_eq!(json["item"]["sku"], "A-1");
        assert!(version.decode(&[0xff, 0xff, 0xff]).unwrap().is_err());
        // A string claiming a length of about 1 GB is refused, not allocated.
        let mut huge = vec![0x02];
        huge.extend([0x80, 0x80, 0x80, 0x80, 0x08]);
        assert!(version.decode(&huge).unwrap().is_err());

        let ms = version.message_schema();
        assert_eq!(ms["schemaType"], "Avro");
        assert_eq!(ms["schemaText"], AVRO);
        let fields = ms["schemaFields"].as_array().unwrap();
        assert_eq!(
            fields[0],
            json!({"name": "id", "dataType": "LONG", "dataTypeDisplay": "long", "description": "the order"})
        );
        assert_eq!(fields[1]["dataType"], "STRING");
        assert_eq!(fields[1]["dataTypeDisplay"], "union<null,string>");
        assert_eq!(fields[2]["dataType"], "TIMESTAMP");
        assert_eq!(fields[3]["children"][0]["name"], "sku");
    }

    #[test]
    fn protobuf_definitions_give_the_first_messages_fields() {
        let proto = r#"
            syntax = "proto3";
            package shop; // the shop
            message Order {
                int64 id = 1;
                string item = 2 [deprecated = true];
                repeated string tags = 3;
                Address ship_to = 4;
                Status status = 5;
                map<string, int32> counts = 6;
                /* a choice */
                oneof pay { string card = 7; string iban = 8; }
                enum Status { NEW = 0; SENT = 1; }
                double total = 9;
            }
            message Address { string city = 1; }
        "#;
        let version = SchemaVersion::new(Format::Protobuf, proto.into(), "r/orders v1".into()).unwrap();
        assert!(version.decode(b"\x08\x01").is_none(), "Protobuf payloads stay bytes");
        let ms = version.message_schema();
        assert_eq!(ms["schemaType"], "Protobuf");
        let fields: Vec<(&str, &str)> = ms["schemaFields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["name"].as_str().unwrap(), f["dataType"].as_str().unwrap()))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("id", "LONG"),
                ("item", "STRING"),
                ("tags", "ARRAY"),
                ("ship_to", "RECORD"),
                ("status", "ENUM"),
                ("counts", "MAP"),
                ("card", "STRING"),
                ("iban", "STRING"),
                ("total", "DOUBLE")
            ]
        );
        assert_eq!(ms["schemaFields"][3]["children"][0]["name"], "city");
    }

    #[test]
    fn a_broken_proto_gives_what_it_can_and_never_panics() {
        for text in
            ["message", "message X", "message X { map", "message X { repeated", "}{}{", "message X { map<", "enum"]
        {
            let _ = proto::fields(text);
        }
        assert!(proto::fields("syntax = \"proto3\";").is_empty());
    }

    #[test]
    fn a_wide_self_referencing_message_is_bounded_in_fields_not_only_in_depth() {
        // 12 fields of its own type: 12^8 fields by depth alone.
        let fields: String = (1..=12).map(|i| format!("Node f{i} = {i}; ")).collect();
        let tree = proto::fields(&format!("message Node {{ {fields} }}"));
        fn count(fields: &[Value]) -> usize {
            fields.iter().map(|f| 1 + f["children"].as_array().map_or(0, |c| count(c))).sum()
        }
        assert_eq!(count(&tree), proto::MAX_FIELDS);
        assert_eq!(tree.len(), 12, "the top level is whole");
    }

    proptest::proptest! {
        /// Any sequence of the tokens a definition is made of reads without a panic.
        #[test]
        fn any_proto_token_soup_reads_without_a_panic(tokens in proptest::collection::vec(
            proptest::sample::select(vec!["message", "enum", "oneof", "map", "repeated", "option", "<", ">", "{", "}", ";", "=", ",", "X", "int32", "1", "//", "/*", "*/", "\n"]),
            0..60,
        )) {
            let _ = proto::fields(&tokens.join(" "));
        }
    }

    #[test]
    fn json_schemas_give_fields_and_payloads_stay_text() {
        let definition = r#"{"type": "object", "properties": {"id": {"type": "integer"}, "tags": {"type": "array"},
            "who": {"type": "object", "properties": {"name": {"type": ["string", "null"]}}}}}"#;
        let version = SchemaVersion::new(Format::Json, definition.into(), "r/clicks v2".into()).unwrap();
        assert_eq!(version.decode(b"{\"id\":1}").unwrap().unwrap(), "{\"id\":1}");
        let ms = version.message_schema();
        assert_eq!(ms["schemaType"], "JSON");
        let names: Vec<(&str, &str)> = ms["schemaFields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["name"].as_str().unwrap(), f["dataType"].as_str().unwrap()))
            .collect();
        assert!(names.contains(&("id", "LONG")) && names.contains(&("who", "RECORD")), "{names:?}");
        assert!(SchemaVersion::new(Format::Avro, "{not avro".into(), "x".into()).is_err());
    }
}

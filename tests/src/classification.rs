//! The classification scenario both hosts are tested with: records holding personal data beside
//! look-alikes, and a credential in one of them.

use serde_json::json;

/// A record of the classification scenario: personal data (nested e-mail and phone, a card
/// number) beside look-alikes (order numbers, SKUs, UUIDs, 16-digit numbers that fail Luhn,
/// versions, timestamps, prices, free text), and, in one record, an AWS access key id.
pub fn personal(i: usize) -> String {
    const CARDS: [&str; 4] = ["4111111111111111", "5555555555554444", "378282246310005", "6011111111111117"];
    let mut record = json!({
        "id": i,
        "contact": {"email": format!("customer{i}@example.com"), "phone": format!("+44 20 7946 0{:03}", i % 1000)},
        "card": CARDS[i % CARDS.len()],
        "order": format!("ORD-2024-{i:05}"),
        "sku": format!("SKU-{i:04}-XL"),
        "trace": format!("{:08x}-1b2c-4d3e-8f40-{:012x}", i * 7919, i * 104_729),
        "ref": format!("{}", 1_234_567_812_345_670u64 + (i as u64 % 9) + 1),
        "version": format!("1.{}.{}", i % 7, i % 3),
        "at": format!("2026-12-07T10:{:02}:00Z", i % 60),
        "price": 12.5 + i as f64,
        "note": "thanks for your order",
    });
    if i == 7 {
        record["auth"] = json!("AKIAIOSFODNN7EXAMPLE");
    }
    record.to_string()
}

/// Puts `n` records of [`personal`] into `stream`.
pub async fn put_personal(client: &aws_sdk_kinesis::Client, stream: &str, n: usize) {
    for i in 0..n {
        let data = aws_sdk_kinesis::primitives::Blob::new(personal(i));
        client.put_record().stream_name(stream).partition_key("k").data(data).send().await.unwrap();
    }
}

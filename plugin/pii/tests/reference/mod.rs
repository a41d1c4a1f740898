//! Reference implementations of the checksums, written another way than the detectors' (tables
//! and big-number arithmetic): what the property tests and the corpus check against.

/// Luhn by the doubling table: the check digit that makes a number valid.
pub fn check_digit(payload: &[u8]) -> u8 {
    const DOUBLED: [u32; 10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];
    // With the check digit appended, the payload's last digit is doubled.
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 0 { DOUBLED[d as usize] } else { u32::from(d) })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// ISO 7064 mod 97-10 over the IBAN's rearranged text, digit by digit as a big number.
pub fn mod97(text: &str) -> u32 {
    let rearranged = format!("{}{}", &text[4..], &text[..4]);
    let mut number = String::new();
    for c in rearranged.chars() {
        match c.to_digit(36) {
            Some(v) => number.push_str(&v.to_string()),
            None => return u32::MAX,
        }
    }
    number.bytes().fold(0u32, |acc, b| (acc * 10 + u32::from(b - b'0')) % 97)
}

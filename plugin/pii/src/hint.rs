//! Field names as hints, as OpenMetadata's `metadata/pii/algorithms/column_patterns.py` uses
//! them: a hint lowers the share of values a detector must accept, and lets the detectors that
//! would otherwise be too eager (bare digits for an SSN or a phone number, 40 characters of
//! base64 for an AWS secret key) speak at all. A hint never tags a field by itself.

use crate::Kind;

/// The kinds a field's name suggests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hint(u16);

impl Hint {
    pub const NONE: Hint = Hint(0);

    /// The hints of a field named `name` (its last path segment).
    pub fn of(name: &str) -> Hint {
        let words = words(name);
        let has = |w: &str| words.iter().any(|x| x == w);
        let joined = words.join("_");
        let mut hint = Hint::NONE;
        let mut add = |kind: Kind, yes: bool| {
            if yes {
                hint.0 |= 1 << kind as u16;
            }
        };
        add(Kind::UsSsn, has("ssn") || has("social"));
        add(Kind::CreditCard, (has("credit") && has("card")) || joined.contains("card_number") || has("pan"));
        add(Kind::IbanCode, has("iban") || joined.contains("account_number") || joined.contains("bank_account"));
        add(Kind::EmailAddress, has("email") || has("mail") || joined.contains("e_mail"));
        add(Kind::PhoneNumber, has("phone") || has("mobile") || has("tel") || has("telephone") || has("msisdn"));
        add(Kind::IpAddress, has("ip") || joined.contains("ip_address") || has("ipv4") || has("ipv6"));
        add(Kind::AwsSecretKey, has("secret"));
        add(Kind::AwsAccessKey, joined.contains("access_key"));
        add(Kind::Jwt, has("jwt") || has("token") || has("bearer"));
        add(Kind::PrivateKey, joined.contains("private_key") || has("pem"));
        hint
    }

    pub fn has(self, kind: Kind) -> bool {
        self.0 & (1 << kind as u16) != 0
    }
}

/// A name's words, lower case: `customerEmail`, `customer_email`, `Customer-Email` all give
/// `customer`, `email`.
fn words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_any_case_style_give_their_hints() {
        assert!(Hint::of("customerEmail").has(Kind::EmailAddress));
        assert!(Hint::of("customer_email").has(Kind::EmailAddress));
        assert!(Hint::of("SSN").has(Kind::UsSsn));
        assert!(Hint::of("mobilePhone").has(Kind::PhoneNumber));
        assert!(Hint::of("aws_secret_access_key").has(Kind::AwsSecretKey));
        assert!(Hint::of("creditCardNumber").has(Kind::CreditCard));
        assert!(Hint::of("client_ip").has(Kind::IpAddress));
        assert_eq!(Hint::of("orderId"), Hint::NONE);
        // A word, not a part of one: "description" holds no "ip", "telemetry" no "tel".
        assert!(!Hint::of("description").has(Kind::IpAddress));
        assert!(!Hint::of("telemetry").has(Kind::PhoneNumber));
    }
}

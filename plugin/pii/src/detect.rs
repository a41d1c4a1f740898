//! Detectors that validate, not bare patterns: each accepts a whole value only when the value
//! passes the rules its kind is issued under (a checksum, an issuer range, a registry's
//! numbering rules, an address grammar).

use std::net::{Ipv4Addr, Ipv6Addr};

use base64::Engine;

use crate::{Hint, Kind};

/// The kind of a whole value, if a detector accepts it; credentials are tried first.
pub fn detect(value: &str, hint: Hint) -> Option<Kind> {
    let value = value.trim();
    if value.is_empty() || value.len() > 8192 {
        return None;
    }
    if is_private_key(value) {
        return Some(Kind::PrivateKey);
    }
    if is_jwt(value) {
        return Some(Kind::Jwt);
    }
    if is_aws_access_key_id(value) {
        return Some(Kind::AwsAccessKey);
    }
    if hint.has(Kind::AwsSecretKey) && is_aws_secret_key(value) {
        return Some(Kind::AwsSecretKey);
    }
    if is_email(value) {
        return Some(Kind::EmailAddress);
    }
    if is_iban(value) {
        return Some(Kind::IbanCode);
    }
    if is_card_number(value) {
        return Some(Kind::CreditCard);
    }
    if is_us_ssn(value, hint.has(Kind::UsSsn)) {
        return Some(Kind::UsSsn);
    }
    if is_ip_address(value) {
        return Some(Kind::IpAddress);
    }
    if is_phone_number(value, hint.has(Kind::PhoneNumber)) {
        return Some(Kind::PhoneNumber);
    }
    None
}

/// A credential anywhere in a text (a log line, a message that is no JSON): where it starts and
/// ends, and its kind.
pub fn find_credentials(text: &str) -> Vec<(std::ops::Range<usize>, Kind)> {
    let mut found = Vec::new();
    // PEM blocks, header to footer (or to the end when cut short).
    let mut from = 0;
    while let Some(start) = text[from..].find("-----BEGIN ").map(|i| from + i) {
        let header_end = text[start..].find("-----\n").or_else(|| text[start + 11..].find("-----").map(|i| i + 11));
        let Some(header_end) = header_end.map(|i| start + i) else { break };
        if text[start..header_end].ends_with("PRIVATE KEY") {
            let end = text[header_end..]
                .find("-----END ")
                .and_then(|i| text[header_end + i + 9..].find("-----").map(|j| header_end + i + 9 + j + 5))
                .unwrap_or(text.len());
            found.push((start..end, Kind::PrivateKey));
            from = end;
        } else {
            from = header_end + 5;
        }
        if from >= text.len() {
            break;
        }
    }
    // Tokens: runs of the characters keys and tokens are made of.
    let token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '+' | '=');
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        if !token_char(bytes[i] as char) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && token_char(bytes[i] as char) {
            i += 1;
        }
        let token = text[start..i].trim_end_matches(['.', '=']);
        if found.iter().any(|(r, _)| r.contains(&start)) {
            continue;
        }
        if is_jwt(token) {
            found.push((start..start + token.len(), Kind::Jwt));
        } else if let Some(at) = aws_access_key_id_in(token) {
            found.push((start + at..start + at + 20, Kind::AwsAccessKey));
        }
    }
    found.sort_by_key(|(r, _)| r.start);
    found
}

/// `-----BEGIN … PRIVATE KEY-----` (PKCS#1, PKCS#8, EC, OpenSSH, encrypted).
pub fn is_private_key(value: &str) -> bool {
    value.contains("-----BEGIN ") && value.contains("PRIVATE KEY-----")
}

/// Three base64url segments whose first decodes to a JSON header with an algorithm.
pub fn is_jwt(value: &str) -> bool {
    let mut parts = value.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let b64url = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !header.starts_with("eyJ") || payload.len() < 2 || !b64url(header) || !b64url(payload) || !b64url(signature) {
        return false;
    }
    let Ok(decoded) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header.trim_end_matches('=')) else {
        return false;
    };
    serde_json::from_slice::<serde_json::Value>(&decoded).is_ok_and(|h| h.get("alg").is_some_and(|a| a.is_string()))
}

/// The prefixes of AWS's access key ids (and other unique ids of IAM) that sign requests.
const ACCESS_KEY_PREFIXES: [&str; 4] = ["AKIA", "ASIA", "ABIA", "ACCA"];

/// An AWS access key id: a known prefix and 16 characters of base32 (A–Z, 2–7).
pub fn is_aws_access_key_id(value: &str) -> bool {
    value.len() == 20
        && ACCESS_KEY_PREFIXES.iter().any(|p| value.starts_with(p))
        && value[4..].bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

fn aws_access_key_id_in(token: &str) -> Option<usize> {
    (0..token.len().saturating_sub(19)).find(|&i| {
        token.is_char_boundary(i)
            && token.is_char_boundary(i + 20)
            && is_aws_access_key_id(&token[i..i + 20])
            // A whole word: not inside a longer run of key characters.
            && !token[..i].ends_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit())
            && !token[i + 20..].starts_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit())
    })
}

/// An AWS secret access key: 40 characters of base64 with upper and lower case and a digit.
/// Random base64 looks the same, so this is asked only when the field's name says `secret`.
pub fn is_aws_secret_key(value: &str) -> bool {
    value.len() == 40
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'+')
        && value.bytes().any(|b| b.is_ascii_uppercase())
        && value.bytes().any(|b| b.is_ascii_lowercase())
        && value.bytes().any(|b| b.is_ascii_digit())
}

/// An e-mail address as RFC 5321 allows it on the wire (dot-atom local part, a domain of at
/// least two labels whose last is alphabetic or an IDN's `xn--`).
pub fn is_email(value: &str) -> bool {
    if value.len() > 254 {
        return false;
    }
    let Some((local, domain)) = value.rsplit_once('@') else { return false };
    let local_ok = (1..=64).contains(&local.len())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b));
    if !local_ok {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        (1..=63).contains(&l.len())
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let tld = labels.last().copied().unwrap_or("");
    labels.len() >= 2
        && labels.iter().all(label_ok)
        && ((tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())) || tld.starts_with("xn--"))
}

/// An IBAN (ISO 13616): the country's length and BBAN format, and mod-97, in the electronic
/// form or printed in groups of four.
pub fn is_iban(value: &str) -> bool {
    let compact: String = value.chars().filter(|c| *c != ' ').collect();
    compact.len() >= 15
        && compact.as_bytes()[..2].iter().all(u8::is_ascii_uppercase)
        && compact.parse::<iban::Iban>().is_ok()
}

/// A payment card number: 12 to 19 digits (grouped by single spaces or dashes), an issuer's
/// range and length, and the Luhn check digit.
pub fn is_card_number(value: &str) -> bool {
    let Some(digits) = grouped_digits(value, 12..=19) else { return false };
    luhn(&digits) && issuer_range(&digits)
}

/// The digits of a value that is only digits, in groups split by one separator kind.
fn grouped_digits(value: &str, count: std::ops::RangeInclusive<usize>) -> Option<Vec<u8>> {
    let separator = value.bytes().find(|b| !b.is_ascii_digit());
    if let Some(sep) = separator {
        if !matches!(sep, b' ' | b'-') || value.contains(&format!("{}{}", sep as char, sep as char)) {
            return None;
        }
        if value.starts_with(sep as char) || value.ends_with(sep as char) {
            return None;
        }
    }
    let digits: Vec<u8> = value.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    let others = value.bytes().filter(|b| !b.is_ascii_digit()).all(|b| Some(b) == separator);
    (others && count.contains(&digits.len())).then_some(digits)
}

/// The Luhn (mod 10) check: doubling every second digit from the right.
pub fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let twice = d * 2;
                if twice > 9 {
                    twice - 9
                } else {
                    twice
                }
            } else {
                d
            }
        })
        .sum();
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// The issuer identification ranges and lengths of the card networks in use.
fn issuer_range(digits: &[u8]) -> bool {
    let prefix = |n: usize| digits.iter().take(n).fold(0u32, |acc, &d| acc * 10 + u32::from(d));
    let len = digits.len();
    let (p1, p2, p3, p4, p6) = (prefix(1), prefix(2), prefix(3), prefix(4), prefix(6));
    let visa = p1 == 4 && matches!(len, 13 | 16 | 19);
    let mastercard = ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && len == 16;
    let amex = matches!(p2, 34 | 37) && len == 15;
    let discover = (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 || (622_126..=622_925).contains(&p6))
        && (16..=19).contains(&len);
    let diners = ((300..=305).contains(&p3) || matches!(p2, 36 | 38 | 39)) && (14..=19).contains(&len);
    let jcb = (3528..=3589).contains(&p4) && (16..=19).contains(&len);
    let unionpay = p2 == 62 && (16..=19).contains(&len);
    let maestro =
        matches!(p4, 5018 | 5020 | 5038 | 5893 | 6304 | 6759 | 6761 | 6762 | 6763) && (12..=19).contains(&len);
    visa || mastercard || amex || discover || diners || jcb || unionpay || maestro
}

/// A US Social Security number under the SSA's rules: area 001–899 but 666, group 01–99,
/// serial 0001–9999, and not one of the numbers known from advertising. Written `123-45-6789`
/// (or with spaces); nine bare digits only when the field's name says so.
pub fn is_us_ssn(value: &str, hinted: bool) -> bool {
    let b = value.as_bytes();
    let digits: String = match b.len() {
        11 if (b[3] == b'-' && b[6] == b'-') || (b[3] == b' ' && b[6] == b' ') => {
            format!("{}{}{}", &value[..3], &value[4..6], &value[7..])
        }
        9 if hinted => value.to_string(),
        _ => return false,
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (area, group, serial) = (&digits[..3], &digits[3..5], &digits[5..]);
    let area_n: u32 = area.parse().unwrap_or(0);
    area_n != 0
        && area_n != 666
        && area_n < 900
        && group != "00"
        && serial != "0000"
        && !matches!(digits.as_str(), "078051120" | "219099999" | "123456789")
}

/// An IPv4 address in dotted-quad form (no leading zeros) or an IPv6 address.
pub fn is_ip_address(value: &str) -> bool {
    if value.contains(':') {
        // Not a time ("12:30:45"): IPv6 has hex groups, at least three colons or a "::".
        return (value.matches(':').count() >= 3 || value.contains("::")) && value.parse::<Ipv6Addr>().is_ok();
    }
    value.split('.').count() == 4 && value.parse::<Ipv4Addr>().is_ok()
}

/// Regions a national number (no `+`) is tried in, in order: where the fake-data locales of
/// the tests and most catalogs' users are.
const NATIONAL_REGIONS: [phonenumber::country::Id; 8] = {
    use phonenumber::country::Id::*;
    [US, GB, DE, FR, IT, ES, IN, BR]
};

/// A phone number libphonenumber parses (its lengths and national prefixes per region): written
/// internationally (`+…`), or nationally with the punctuation numbers are written with
/// (parentheses, spaces, dashes, dots) in one of [`NATIONAL_REGIONS`], an extension (`x123`,
/// `ext. 123`) allowed; bare digits only when the field's name says so. Its numbering plan is not
/// asked (whether an area code is assigned): fake data and new ranges would fail it.
pub fn is_phone_number(value: &str, hinted: bool) -> bool {
    let number = strip_extension(value);
    let digits = number.bytes().filter(u8::is_ascii_digit).count();
    if !(7..=15).contains(&digits)
        || !number.bytes().all(|b| b.is_ascii_digit() || b" -.()+".contains(&b))
        || number[1..].contains('+')
    {
        return false;
    }
    let international = number.starts_with('+');
    let formatted = number.bytes().any(|b| b" -.()".contains(&b));
    if !international && !formatted && !hinted {
        return false;
    }
    // Grouped like a date or a version (2024-01-31, 1.2.3), it is not one.
    if number.split(['-', '.']).count() == 3 && number.len() <= 10 && !number.contains([' ', '(']) {
        return false;
    }
    let parses = |region: Option<phonenumber::country::Id>| phonenumber::parse(region, number).is_ok();
    if international {
        parses(None)
    } else {
        NATIONAL_REGIONS.iter().any(|r| parses(Some(*r)))
    }
}

/// A number without its extension (` x123`, ` ext. 123`, ` ext 123`).
fn strip_extension(value: &str) -> &str {
    for marker in [" x", " ext. ", " ext ", " ext."] {
        if let Some((number, extension)) = value.rsplit_once(marker) {
            if (1..=6).contains(&extension.len()) && extension.bytes().all(|b| b.is_ascii_digit()) {
                return number;
            }
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_follow_the_grammar() {
        for ok in ["ada@example.com", "a.b+tag@sub.example.co.uk", "x@xn--bcher-kva.example"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in
            ["ada@localhost", "ada@@example.com", ".ada@example.com", "ada..b@example.com", "ada@example.c0m", "@x.com"]
        {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn cards_need_an_issuer_range_and_the_luhn_digit() {
        // Published test numbers of the networks.
        for ok in [
            "4111111111111111",
            "4111 1111 1111 1111",
            "5555-5555-5555-4444",
            "378282246310005",
            "6011111111111117",
            "3530111333300000",
            "2223003122003222",
        ] {
            assert!(is_card_number(ok), "{ok}");
        }
        for bad in ["4111111111111112", "1234567812345670", "4111  1111 1111 1111", "4111-1111 1111-1111", "12345"] {
            assert!(!is_card_number(bad), "{bad}");
        }
    }

    #[test]
    fn ibans_need_their_country_length_and_mod_97() {
        for ok in [
            "DE89370400440532013000",
            "GB82 WEST 1234 5698 7654 32",
            "FR1420041010050500013M02606",
            "NL91ABNA0417164300",
        ] {
            assert!(is_iban(ok), "{ok}");
        }
        for bad in
            ["DE89370400440532013001", "GB82WEST123456987654", "XX89370400440532013000", "de89370400440532013000"]
        {
            assert!(!is_iban(bad), "{bad}");
        }
    }

    #[test]
    fn ssns_follow_the_ssa_rules() {
        assert!(is_us_ssn("536-22-1234", false));
        assert!(is_us_ssn("536 22 1234", false));
        for bad in
            ["000-22-1234", "666-22-1234", "900-22-1234", "536-00-1234", "536-22-0000", "078-05-1120", "536-221-234"]
        {
            assert!(!is_us_ssn(bad, false), "{bad}");
        }
        assert!(!is_us_ssn("536221234", false), "bare digits need the field's name");
        assert!(is_us_ssn("536221234", true));
    }

    #[test]
    fn ip_addresses_but_not_versions_or_times() {
        assert!(is_ip_address("192.168.0.1"));
        assert!(is_ip_address("2001:db8::8a2e:370:7334"));
        for bad in ["1.2.3", "256.1.1.1", "01.2.3.4", "12:30:45", "10.0.19041.1"] {
            assert!(!is_ip_address(bad), "{bad}");
        }
    }

    #[test]
    fn phone_numbers_international_or_written_as_such() {
        for ok in ["+44 20 7946 0958", "+1 (415) 555-2671", "(415) 555-2671 x204", "030 901820", "+33 1 42 68 53 00"] {
            assert!(is_phone_number(ok, false), "{ok}");
        }
        for bad in ["2024-01-31", "1.2.3", "12.50", "4155552671", "ORD-2024-0001", "+1 555"] {
            assert!(!is_phone_number(bad, false), "{bad}");
        }
        assert!(is_phone_number("4155552671", true), "bare digits with the field's name");
    }

    #[test]
    fn credentials_are_found_whole_and_inside_text() {
        let key = "AKIAIOSFODNN7EXAMPLE";
        assert_eq!(detect(key, Hint::NONE), Some(Kind::AwsAccessKey));
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(detect(jwt, Hint::NONE), Some(Kind::Jwt));
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        assert_eq!(detect(secret, Hint::NONE), None, "40 characters of base64 alone say nothing");
        assert_eq!(detect(secret, Hint::of("aws_secret_access_key")), Some(Kind::AwsSecretKey));
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----";
        assert_eq!(detect(pem, Hint::NONE), Some(Kind::PrivateKey));

        let line = format!("login ok key={key} token=Bearer {jwt}. then {pem} done");
        let found = find_credentials(&line);
        let kinds: Vec<Kind> = found.iter().map(|(_, k)| *k).collect();
        assert_eq!(kinds, [Kind::AwsAccessKey, Kind::Jwt, Kind::PrivateKey]);
        assert_eq!(&line[found[0].0.clone()], key);
        assert_eq!(&line[found[1].0.clone()], jwt);
        assert_eq!(&line[found[2].0.clone()], pem);
        assert!(find_credentials("AKIAIOSFODNN7EXAMPLEX and order 12345").is_empty(), "not a whole key");
    }
}

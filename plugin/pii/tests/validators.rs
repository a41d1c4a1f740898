//! The checksum and numbering validators against reference implementations written another
//! way (tables and big-number arithmetic, not the detectors' loops).

mod reference;

use proptest::prelude::*;
use reference::{check_digit as reference_check_digit, mod97 as reference_mod97};

/// The SSA's rules, as its published ranges state them.
fn reference_ssn(area: u32, group: u32, serial: u32) -> bool {
    let area_ok = (1..=665).contains(&area) || (667..=899).contains(&area);
    let advertised = matches!((area, group, serial), (78, 5, 1120) | (219, 9, 9999) | (123, 45, 6789));
    area_ok && group >= 1 && serial >= 1 && !advertised
}

proptest! {
    #[test]
    fn luhn_accepts_the_reference_check_digit_and_no_other(payload in proptest::collection::vec(0u8..10, 1..19)) {
        let check = reference_check_digit(&payload);
        for digit in 0..10u8 {
            let mut number = payload.clone();
            number.push(digit);
            prop_assert_eq!(pii::luhn(&number), digit == check, "{:?} + {}", payload, digit);
        }
    }

    #[test]
    fn ibans_are_valid_exactly_when_mod_97_is_1(bban in "[0-9]{18}", check in 0u32..100) {
        // Germany: 18 digits of BBAN, 22 characters in all.
        let iban = format!("DE{check:02}{bban}");
        prop_assert_eq!(pii::is_iban(&iban), reference_mod97(&iban) == 1 && check >= 2, "{}", iban);
    }

    #[test]
    fn the_check_digits_the_reference_computes_are_accepted(bban in "[0-9]{18}") {
        let check = 98 - reference_mod97(&format!("DE00{bban}"));
        let iban = format!("DE{check:02}{bban}");
        prop_assert!(pii::is_iban(&iban), "{}", iban);
        // Any one digit changed: mod 97 catches every single-digit error.
        let mut wrong = iban.clone().into_bytes();
        wrong[10] = if wrong[10] == b'9' { b'0' } else { wrong[10] + 1 };
        prop_assert!(!pii::is_iban(std::str::from_utf8(&wrong).unwrap()));
    }

    #[test]
    fn ssns_follow_the_ssa_ranges(area in 0u32..1000, group in 0u32..100, serial in 0u32..10_000) {
        let dashed = format!("{area:03}-{group:02}-{serial:04}");
        prop_assert_eq!(pii::is_us_ssn(&dashed, false), reference_ssn(area, group, serial), "{}", dashed);
    }
}

#[test]
fn published_card_test_numbers_pass_and_their_neighbours_fail() {
    // The networks' published test numbers (Stripe's and the networks' developer pages).
    let published = [
        "4242424242424242",
        "4000056655665556",
        "5555555555554444",
        "2223003122003222",
        "5200828282828210",
        "378282246310005",
        "371449635398431",
        "6011111111111117",
        "6011000990139424",
        "3056930009020004",
        "36227206271667",
        "3566002020360505",
        "6200000000000005",
    ];
    for number in published {
        assert!(pii::is_card_number(number), "{number}");
        let mut neighbour = number.as_bytes().to_vec();
        let last = neighbour.len() - 1;
        neighbour[last] = if neighbour[last] == b'9' { b'0' } else { neighbour[last] + 1 };
        assert!(!pii::is_card_number(std::str::from_utf8(&neighbour).unwrap()), "{number}'s neighbour");
    }
}

#[test]
fn published_ibans_pass() {
    // The ECBS / SWIFT registry's examples.
    for iban in [
        "AL47212110090000000235698741",
        "AT611904300234573201",
        "BE68539007547034",
        "CH9300762011623852957",
        "ES9121000418450200051332",
        "IT60X0542811101000000123456",
        "NO9386011117947",
        "PL61109010140000071219812874",
        "SE4550000000058398257466",
    ] {
        assert!(pii::is_iban(iban), "{iban}");
    }
}

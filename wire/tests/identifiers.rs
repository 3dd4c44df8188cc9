//! Property tests for `collaudo_wire::ident`: generated identifiers validate,
//! and every same-class single-character substitution is detected.

#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use collaudo_wire::ident::{NoticeNumber, fiscal_code, iban, iuv};
use proptest::prelude::*;

const TEN_POW_13: u64 = 10_000_000_000_000;
const TEN_POW_15: u64 = 1_000_000_000_000_000;

/// Every string obtained from `s` by replacing one ASCII digit with another
/// digit or one uppercase letter with another letter, with the position changed.
fn same_class_mutations(s: &str) -> Vec<(usize, String)> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    for (pos, &original) in bytes.iter().enumerate() {
        let class: Vec<u8> = if original.is_ascii_digit() {
            (b'0'..=b'9').collect()
        } else if original.is_ascii_uppercase() {
            (b'A'..=b'Z').collect()
        } else {
            continue;
        };
        for replacement in class.into_iter().filter(|&r| r != original) {
            let mut mutated = bytes.to_vec();
            mutated[pos] = replacement;
            out.push((pos, String::from_utf8(mutated).unwrap()));
        }
    }
    out
}

#[test]
fn mutation_helper_covers_every_position() {
    let mutations = same_class_mutations("A1");
    assert_eq!(mutations.len(), 25 + 9);
    assert!(mutations.iter().all(|(_, m)| m != "A1" && m.len() == 2));
}

#[derive(Debug, Clone, Copy)]
enum Layout {
    Aux0(u8, u64),
    Aux2(u64),
    Aux3(u8, u64),
}

fn layout() -> impl Strategy<Value = Layout> {
    prop_oneof![
        (0u8..=99, 0..TEN_POW_13).prop_map(|(a, b)| Layout::Aux0(a, b)),
        (0..TEN_POW_15).prop_map(Layout::Aux2),
        (0u8..=99, 0..TEN_POW_13).prop_map(|(s, b)| Layout::Aux3(s, b)),
    ]
}

fn build(layout: Layout) -> NoticeNumber {
    match layout {
        Layout::Aux0(app, base) => NoticeNumber::aux0(app, base),
        Layout::Aux2(base) => NoticeNumber::aux2(base),
        Layout::Aux3(seg, base) => NoticeNumber::aux3(seg, base),
    }
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_notices_parse_and_check(layout in layout()) {
        let notice = build(layout);
        let text = notice.as_str();
        prop_assert_eq!(text.len(), 18);
        let parsed = NoticeNumber::parse(text).unwrap();
        prop_assert_eq!(parsed, notice);
        prop_assert_eq!(parsed.check_digit_ok(), Some(true));
        prop_assert_eq!(
            parsed.expected_check_digits().map(|cd| format!("{cd:02}")),
            Some(text[16..].to_owned())
        );
        prop_assert_eq!(
            iuv::check_digits(&text[..16]).map(|cd| format!("{cd:02}")),
            Some(text[16..].to_owned())
        );
        let serialized = serde_json::to_string(&parsed).unwrap();
        prop_assert_eq!(serde_json::from_str::<NoticeNumber>(&serialized).unwrap(), parsed);
        match layout {
            Layout::Aux0(app, base) => {
                prop_assert_eq!(parsed.aux_digit(), 0);
                let app = format!("{app:02}");
                prop_assert_eq!(parsed.application_code(), Some(app.as_str()));
                prop_assert_eq!(parsed.segregation_code(), None);
                prop_assert_eq!(parsed.iuv().len(), 15);
                prop_assert_eq!(&parsed.iuv()[..13], format!("{base:013}"));
                prop_assert_eq!(format!("0{app}{}", parsed.iuv()), text);
            }
            Layout::Aux2(base) => {
                prop_assert_eq!(parsed.aux_digit(), 2);
                prop_assert_eq!(parsed.application_code(), None);
                prop_assert_eq!(parsed.segregation_code(), None);
                prop_assert_eq!(parsed.iuv().len(), 17);
                prop_assert_eq!(&parsed.iuv()[..15], format!("{base:015}"));
                prop_assert_eq!(format!("2{}", parsed.iuv()), text);
            }
            Layout::Aux3(seg, base) => {
                prop_assert_eq!(parsed.aux_digit(), 3);
                let seg = format!("{seg:02}");
                prop_assert_eq!(parsed.segregation_code(), Some(seg.as_str()));
                prop_assert_eq!(parsed.application_code(), None);
                prop_assert_eq!(parsed.iuv().len(), 17);
                prop_assert!(parsed.iuv().starts_with(&seg));
                prop_assert_eq!(&parsed.iuv()[2..15], format!("{base:013}"));
                prop_assert_eq!(format!("3{}", parsed.iuv()), text);
            }
        }
    }

    #[test]
    fn aux3_single_digit_mutations_are_detected(seg in 0u8..=99, base in 0..TEN_POW_13) {
        let notice = NoticeNumber::aux3(seg, base).unwrap();
        for (pos, mutated) in same_class_mutations(notice.as_str()) {
            let outcome = NoticeNumber::parse(&mutated).map(|n| n.check_digit_ok());
            if pos == 0 {
                // The aux digit selects the layout: 1 has no check digit and
                // 4..=9 do not parse, so "rejected" means "not confirmed".
                prop_assert_ne!(outcome, Ok(Some(true)), "{}", mutated);
            } else {
                // 93 = 3 × 31 is coprime with 10 and larger than any digit
                // difference, so every substitution changes the remainder.
                prop_assert_eq!(outcome, Ok(Some(false)), "{}", mutated);
            }
        }
    }

    #[test]
    fn arbitrary_strings_never_panic(s in "\\PC{0,40}") {
        let _ = NoticeNumber::parse(&s);
        let _ = iuv::check_digits(&s);
        let _ = fiscal_code::personal_check_char(&s);
        let _ = fiscal_code::is_valid_personal(&s);
        let _ = fiscal_code::partita_iva_check_digit(&s);
        let _ = fiscal_code::is_valid_partita_iva(&s);
        let _ = iban::is_valid(&s);
        let _ = iban::is_valid_italian(&s);
        let _ = iban::is_postal(&s);
        let _ = iban::italian_cin(&s);
        let _ = iban::check_digits(&s, &s);
    }

    #[test]
    fn generated_personal_codes_are_valid(seed in any::<u64>()) {
        let code = fiscal_code::generate_personal(seed);
        prop_assert!(fiscal_code::is_valid_personal(&code), "{}", code);
        prop_assert_eq!(fiscal_code::personal_check_char(&code[..15]), code.chars().nth(15));
    }

    #[test]
    fn personal_code_single_mutations_are_detected(seed in any::<u64>()) {
        // Both tables are permutations of 0..=25 on each class, so a
        // same-class substitution always changes the sum mod 26. Letters in
        // digit slots (omocodia) mutate as letters: an omocodia letter is
        // caught by the check char, any other by the pattern.
        let code = fiscal_code::generate_personal(seed);
        for (_, mutated) in same_class_mutations(&code) {
            prop_assert!(!fiscal_code::is_valid_personal(&mutated), "{} -> {}", code, mutated);
        }
    }

    #[test]
    fn generated_partite_iva_are_valid(seed in any::<u64>()) {
        let code = fiscal_code::generate_partita_iva(seed);
        prop_assert_eq!(code.len(), 11);
        prop_assert!(fiscal_code::is_valid_partita_iva(&code), "{}", code);
    }

    #[test]
    fn partita_iva_single_mutations_are_detected(seed in any::<u64>()) {
        // Odd positions weigh d, even positions 2d or 2d-9: both are
        // permutations of 0..=9, so one substitution always changes sum mod 10.
        let code = fiscal_code::generate_partita_iva(seed);
        for (_, mutated) in same_class_mutations(&code) {
            prop_assert!(!fiscal_code::is_valid_partita_iva(&mutated), "{} -> {}", code, mutated);
        }
    }

    #[test]
    fn generated_italian_ibans_are_valid(
        abi in any::<u32>(), cab in any::<u32>(), account in any::<u64>(), postal in any::<bool>()
    ) {
        let generated = iban::italian(abi, cab, account, postal);
        prop_assert_eq!(generated.len(), 27);
        prop_assert!(iban::is_valid(&generated), "{}", generated);
        prop_assert!(iban::is_valid_italian(&generated), "{}", generated);
        prop_assert_eq!(iban::is_postal(&generated), postal || abi % 100_000 == 7601);
        let cin = iban::italian_cin(&generated[5..]);
        prop_assert_eq!(cin, generated.chars().nth(4));
        prop_assert_eq!(
            iban::check_digits("IT", &generated[4..]).map(|cd| format!("{cd:02}")),
            Some(generated[2..4].to_owned())
        );
    }

    #[test]
    fn italian_iban_single_mutations_are_detected(
        abi in any::<u32>(), cab in any::<u32>(), account in any::<u64>(), postal in any::<bool>()
    ) {
        // 97 is prime, coprime with 10 and above any digit (9) or letter (25)
        // difference, so mod-97 alone detects every same-class substitution.
        let generated = iban::italian(abi, cab, account, postal);
        for (_, mutated) in same_class_mutations(&generated) {
            prop_assert!(!iban::is_valid(&mutated), "{} -> {}", generated, mutated);
            prop_assert!(!iban::is_valid_italian(&mutated), "{} -> {}", generated, mutated);
        }
    }

    #[test]
    fn cin_single_mutations_are_detected(
        abi in 0u32..100_000, cab in 0u32..100_000, account in "[0-9A-Z]{12}"
    ) {
        // Independently of mod-97: the CIN alone catches every same-class
        // substitution in the BBAN, including lettered account numbers.
        let bban = format!("{abi:05}{cab:05}{account}");
        let cin = iban::italian_cin(&bban).unwrap();
        for (pos, mutated) in same_class_mutations(&bban) {
            prop_assert_ne!(iban::italian_cin(&mutated), Some(cin), "{} @{} -> {}", bban, pos, mutated);
        }
    }

    #[test]
    fn generic_iban_check_digits_round_trip(country in "[A-Z]{2}", bban in "[0-9A-Z]{11,30}") {
        let cd = iban::check_digits(&country, &bban).unwrap();
        prop_assert!((2..=98).contains(&cd));
        let full = format!("{country}{cd:02}{bban}");
        prop_assert!(iban::is_valid(&full), "{}", full);
        for (_, mutated) in same_class_mutations(&full) {
            prop_assert!(!iban::is_valid(&mutated), "{} -> {}", full, mutated);
        }
    }
}

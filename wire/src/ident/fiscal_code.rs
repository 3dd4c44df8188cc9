//! Italian fiscal codes: the 16-character personal *codice fiscale* and the
//! 11-digit *partita IVA* / legal-person code.
//!
//! These checks are **advisory**. pagoPA schemas enforce only lengths
//! (DOMAIN §10: EC fiscal code = 11 digits, debtor identifier 2..16
//! characters), and the check-character rules here are general Italian
//! rules, not pagoPA ones. Official pagoPA samples use `77777777777` as EC
//! fiscal code: it has the right length but fails
//! [`is_valid_partita_iva`], so a harness must never reject a message
//! because of these functions alone.

/// Values of characters in odd (1-based) positions, for `0..=9` and `A..=Z`
/// alike: digit `d` weighs the same as the `d`-th letter.
const ODD_VALUES: [u8; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

/// Omocodia replacements for digits 0..=9, used by the revenue agency when
/// two people would otherwise share a code.
const OMOCODE_LETTERS: &[u8; 10] = b"LMNPQRSTUV";

/// Month letters January..December.
const MONTH_LETTERS: &[u8; 12] = b"ABCDEHLMPRST";

/// Digit positions (0-based) of a personal code, right to left: the order in
/// which omocodia substitutes them.
const OMOCODIA_ORDER: [usize; 7] = [14, 13, 12, 10, 9, 7, 6];

/// Weight of an uppercase alphanumeric byte in the odd/even scheme.
fn odd_even_value(b: u8, odd: bool) -> Option<u32> {
    let index = match b {
        b'0'..=b'9' => b - b'0',
        b'A'..=b'Z' => b - b'A',
        _ => return None,
    };
    if odd {
        ODD_VALUES.get(usize::from(index)).map(|&v| u32::from(v))
    } else {
        Some(u32::from(index))
    }
}

/// The odd/even check letter shared by the codice fiscale and the Italian
/// IBAN CIN; `None` unless every byte is `[0-9A-Z]`.
pub(super) fn odd_even_check_char(s: &str) -> Option<char> {
    let mut sum = 0u32;
    for (i, b) in s.bytes().enumerate() {
        // Position i (0-based) is odd in the 1-based numbering the rules use.
        sum += odd_even_value(b, i % 2 == 0)?;
    }
    char::from_u32(u32::from('A') + sum % 26)
}

/// The control character of a personal codice fiscale from its first 15
/// characters.
///
/// Returns `None` unless `first15` is exactly 15 characters of `[0-9A-Z]`
/// (the layout pattern itself is checked by [`is_valid_personal`]).
pub fn personal_check_char(first15: &str) -> Option<char> {
    if first15.len() != 15 {
        return None;
    }
    odd_even_check_char(first15)
}

/// Whether the byte may appear in a digit slot of a personal code (a digit or
/// its omocodia letter).
fn is_digit_slot(b: u8) -> bool {
    b.is_ascii_digit() || OMOCODE_LETTERS.contains(&b)
}

/// Whether `code` is a well-formed personal codice fiscale: the pattern
/// `[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]`
/// (uppercase only, omocodia letters allowed) with a matching control character.
///
/// Advisory only: see the module documentation.
pub fn is_valid_personal(code: &str) -> bool {
    let bytes = code.as_bytes();
    if bytes.len() != 16 {
        return false;
    }
    let shape_ok = bytes.iter().enumerate().all(|(i, &b)| match i {
        6 | 7 | 9 | 10 | 12 | 13 | 14 => is_digit_slot(b),
        _ => b.is_ascii_uppercase(),
    });
    let expected = code.get(..15).and_then(personal_check_char);
    shape_ok
        && expected
            .and_then(|c| u8::try_from(c).ok())
            .is_some_and(|c| bytes.get(15) == Some(&c))
}

/// A deterministic, always-valid personal codice fiscale derived from `seed`.
///
/// Name letters, year, month letter, day (1..=31, or 41..=71 as for women),
/// municipality code and, for some seeds, omocodia substitutions all come
/// from the seed; the control character is then appended.
pub fn generate_personal(seed: u64) -> String {
    let mut rng = SplitMix64(seed);
    let mut code = Vec::with_capacity(16);
    for _ in 0..6 {
        code.push(letter(rng.below(26)));
    }
    push_digits(&mut code, rng.below(100), 2);
    code.push(MONTH_LETTERS[rng.below(12) as usize]);
    let day = 1 + rng.below(31) + if rng.below(2) == 1 { 40 } else { 0 };
    push_digits(&mut code, day, 2);
    code.push(letter(rng.below(26)));
    push_digits(&mut code, rng.below(1000), 3);
    // Half of the seeds get 0..=7 omocodia substitutions (7 = all digits).
    let omocodie = rng.below(16).saturating_sub(8);
    for &pos in OMOCODIA_ORDER.iter().take(omocodie as usize) {
        if let Some(slot) = code.get_mut(pos) {
            *slot = omocode_letter(*slot);
        }
    }
    let mut out: String = code.into_iter().map(char::from).collect();
    if let Some(c) = personal_check_char(&out) {
        out.push(c);
    }
    out
}

/// The check digit of a partita IVA / legal-person fiscal code from its first
/// ten digits: odd (1-based) positions are summed, even positions are doubled
/// (minus 9 when above 9) and summed, check = `(10 - sum % 10) % 10`.
///
/// Returns `None` unless `first10` is exactly ten ASCII digits.
pub fn partita_iva_check_digit(first10: &str) -> Option<u8> {
    if first10.len() != 10 || !first10.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first10
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                d
            } else if d * 2 > 9 {
                d * 2 - 9
            } else {
                d * 2
            }
        })
        .sum();
    u8::try_from((10 - sum % 10) % 10).ok()
}

/// Whether `code` is 11 ASCII digits whose last digit is the partita IVA
/// check digit. `77777777777`, the EC fiscal code of the official samples,
/// is *not* valid.
///
/// Advisory only: see the module documentation.
pub fn is_valid_partita_iva(code: &str) -> bool {
    if code.len() != 11 {
        return false;
    }
    let (Some(first10), Some(last)) = (code.get(..10), code.as_bytes().get(10)) else {
        return false;
    };
    last.is_ascii_digit() && partita_iva_check_digit(first10) == Some(last - b'0')
}

/// A deterministic, always-valid partita IVA derived from `seed`: seven
/// registration digits, a province office code in `001..=100`, then the
/// check digit.
pub fn generate_partita_iva(seed: u64) -> String {
    let mut rng = SplitMix64(seed);
    let registration = rng.below(10_000_000);
    let office = 1 + rng.below(100);
    let mut out = format!("{registration:07}{office:03}");
    if let Some(check) = partita_iva_check_digit(&out) {
        out.push(char::from(b'0' + check));
    }
    out
}

fn letter(index: u64) -> u8 {
    b'A' + (index % 26) as u8
}

fn omocode_letter(digit: u8) -> u8 {
    OMOCODE_LETTERS
        .get(usize::from(digit.wrapping_sub(b'0')))
        .copied()
        .unwrap_or(digit)
}

fn push_digits(out: &mut Vec<u8>, value: u64, width: usize) {
    out.extend(format!("{value:0width$}").bytes());
}

/// SplitMix64: tiny, well-mixed and stable across versions, so generated
/// identifiers stay reproducible from their seed forever.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn odd_table_is_a_permutation() {
        let mut seen = ODD_VALUES;
        seen.sort_unstable();
        assert!(seen.iter().enumerate().all(|(i, &v)| usize::from(v) == i));
    }

    #[test]
    fn known_personal_code() {
        assert_eq!(personal_check_char("RSSMRA85T10A562"), Some('S'));
        assert!(is_valid_personal("RSSMRA85T10A562S"));
        assert!(!is_valid_personal("RSSMRA85T10A562T"));
    }

    #[test]
    fn omocodia_is_accepted() {
        // Replace the last digit (2 → N) and recompute the control character.
        let first15 = "RSSMRA85T10A56N";
        let c = personal_check_char(first15).unwrap();
        assert!(is_valid_personal(&format!("{first15}{c}")));
    }

    #[test]
    fn personal_rejects_bad_shapes() {
        assert!(!is_valid_personal(""));
        assert!(!is_valid_personal("rssmra85t10a562s"));
        assert!(!is_valid_personal("RSSMRA85T10A562"));
        assert!(!is_valid_personal("RSSMRA85T10A562SS"));
        // Non-omocodia letter in a digit slot.
        let first15 = "RSSMRA85T10A56A";
        let c = personal_check_char(first15).unwrap();
        assert!(!is_valid_personal(&format!("{first15}{c}")));
        // Digit in a letter slot.
        let first15 = "1SSMRA85T10A562";
        let c = personal_check_char(first15).unwrap();
        assert!(!is_valid_personal(&format!("{first15}{c}")));
        assert!(!is_valid_personal("RSSMRA85T10A56é"));
        assert!(!is_valid_personal("ÉSSMRA85T10A562S"));
        assert!(!is_valid_personal("ANONIMO"));
        assert!(!is_valid_personal(&"A".repeat(100_000)));
    }

    #[test]
    fn personal_check_char_rejects_bad_input() {
        assert_eq!(personal_check_char(""), None);
        assert_eq!(personal_check_char("RSSMRA85T10A56"), None);
        assert_eq!(personal_check_char("RSSMRA85T10A5620"), None);
        assert_eq!(personal_check_char("rssmra85t10a562"), None);
        assert_eq!(personal_check_char("RSSMRA85T10A5-2"), None);
        assert_eq!(personal_check_char("RSSMRA85T10A5é"), None);
    }

    #[test]
    fn generated_personal_codes_are_valid_and_deterministic() {
        for seed in 0..2000 {
            let code = generate_personal(seed);
            assert!(is_valid_personal(&code), "{seed}: {code}");
            assert_eq!(code, generate_personal(seed));
        }
        // Both plain and omocodic codes must come out of the generator.
        let last_digit_slot = |s: u64| generate_personal(s).as_bytes()[14];
        assert!((0..200).any(|s| last_digit_slot(s).is_ascii_uppercase()));
        assert!((0..200).any(|s| last_digit_slot(s).is_ascii_digit()));
        assert_ne!(generate_personal(1), generate_personal(2));
    }

    #[test]
    fn known_partite_iva() {
        for code in ["01114601006", "12345678903", "00488410010", "00743110157"] {
            assert!(is_valid_partita_iva(code), "{code}");
        }
        assert_eq!(partita_iva_check_digit("0111460100"), Some(6));
    }

    #[test]
    fn sample_ec_code_is_not_a_valid_partita_iva() {
        assert_eq!(partita_iva_check_digit("7777777777"), Some(0));
        assert!(!is_valid_partita_iva("77777777777"));
    }

    #[test]
    fn partita_iva_rejects_bad_input() {
        assert_eq!(partita_iva_check_digit(""), None);
        assert_eq!(partita_iva_check_digit("011146010"), None);
        assert_eq!(partita_iva_check_digit("01114601006"), None);
        assert_eq!(partita_iva_check_digit("011146010a"), None);
        assert_eq!(partita_iva_check_digit("01114601é"), None);
        assert!(!is_valid_partita_iva(""));
        assert!(!is_valid_partita_iva("0111460100a"));
        assert!(!is_valid_partita_iva("0111460100é"));
        assert!(!is_valid_partita_iva("011146010067"));
        assert!(!is_valid_partita_iva(&"0".repeat(100_000)));
    }

    #[test]
    fn generated_partite_iva_are_valid_and_deterministic() {
        for seed in 0..2000 {
            let code = generate_partita_iva(seed);
            assert!(is_valid_partita_iva(&code), "{seed}: {code}");
            assert_eq!(code, generate_partita_iva(seed));
        }
    }
}

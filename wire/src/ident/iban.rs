//! IBANs (ISO 13616 mod-97) and the Italian BBAN control letter (CIN).
//!
//! Only the electronic format is accepted: uppercase letters and digits, no
//! spaces. Country-specific lengths are not checked except for Italy
//! ([`is_valid_italian`]). pagoPA schemas do not validate IBANs beyond their
//! shape, so these checks are advisory: the Nodo's own reaction to an unknown
//! IBAN is a registry lookup, not a checksum.

use super::fiscal_code::odd_even_check_char;

/// ABI (bank code) of Poste Italiane, used by postal current accounts.
pub const POSTE_ITALIANE_ABI: &str = "07601";

const MIN_LEN: usize = 15;
const MAX_LEN: usize = 34;
const ITALIAN_LEN: usize = 27;

/// Remainder mod 97 of the number obtained by writing digits as themselves and
/// letters as 10..=35; `None` on any byte outside `[0-9A-Z]`. Folding digit by
/// digit keeps the accumulator below 9 700, so no big integers are needed.
fn mod97(bytes: impl IntoIterator<Item = u8>) -> Option<u32> {
    bytes.into_iter().try_fold(0u32, |acc, b| match b {
        b'0'..=b'9' => Some((acc * 10 + u32::from(b - b'0')) % 97),
        b'A'..=b'Z' => Some((acc * 100 + u32::from(b - b'A') + 10) % 97),
        _ => None,
    })
}

fn is_upper_alnum(b: u8) -> bool {
    b.is_ascii_digit() || b.is_ascii_uppercase()
}

/// Whether `iban` passes the ISO 13616 checks: 15..=34 characters of
/// `[0-9A-Z]`, two letters then two digits, and the rearranged number
/// (first four characters moved to the end) is 1 mod 97.
pub fn is_valid(iban: &str) -> bool {
    let bytes = iban.as_bytes();
    if !(MIN_LEN..=MAX_LEN).contains(&bytes.len()) || !bytes.iter().copied().all(is_upper_alnum) {
        return false;
    }
    let Some((head, bban)) = bytes.split_at_checked(4) else {
        return false;
    };
    let shape_ok = matches!(head, [a, b, c, d]
        if a.is_ascii_uppercase() && b.is_ascii_uppercase() && c.is_ascii_digit() && d.is_ascii_digit());
    shape_ok && mod97(bban.iter().chain(head).copied()) == Some(1)
}

/// The two IBAN check digits (2..=98) for `country` (two uppercase letters)
/// and `bban` (`[0-9A-Z]`, so that the IBAN is 15..=34 characters long).
pub fn check_digits(country: &str, bban: &str) -> Option<u8> {
    let country_ok = country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase());
    let len_ok = (MIN_LEN..=MAX_LEN).contains(&(bban.len() + 4));
    if !country_ok || !len_ok {
        return None;
    }
    let remainder = mod97(bban.bytes().chain(country.bytes()).chain(*b"00"))?;
    u8::try_from(98 - remainder).ok()
}

/// The Italian CIN letter of a 22-character BBAN without CIN: ABI (5 digits),
/// CAB (5 digits) and account (12 characters of `[0-9A-Z]`).
///
/// Same odd/even tables as the codice fiscale control character: odd
/// (1-based) positions use the odd table, even positions the even one, and
/// the sum mod 26 is the letter.
pub fn italian_cin(bban_without_cin: &str) -> Option<char> {
    let bytes = bban_without_cin.as_bytes();
    let abi_cab_numeric = bytes
        .get(..10)
        .is_some_and(|abi_cab| abi_cab.iter().all(u8::is_ascii_digit));
    if bytes.len() != 22 || !abi_cab_numeric {
        return None;
    }
    odd_even_check_char(bban_without_cin)
}

/// Whether `iban` is a valid Italian IBAN: [`is_valid`], 27 characters,
/// `IT`, a CIN letter matching [`italian_cin`], numeric ABI and CAB.
pub fn is_valid_italian(iban: &str) -> bool {
    if iban.len() != ITALIAN_LEN || !iban.starts_with("IT") || !is_valid(iban) {
        return false;
    }
    let cin = iban.as_bytes().get(4).copied();
    let expected = iban
        .get(5..)
        .and_then(italian_cin)
        .and_then(|c| u8::try_from(c).ok());
    expected.is_some() && expected == cin
}

/// Whether `iban` is a valid Italian IBAN of a postal account (ABI 07601).
pub fn is_postal(iban: &str) -> bool {
    is_valid_italian(iban) && iban.get(5..10) == Some(POSTE_ITALIANE_ABI)
}

/// A valid 27-character Italian IBAN: `IT`, check digits, CIN, ABI, CAB and a
/// 12-digit account number.
///
/// Only the low-order digits that fit are used (`abi` and `cab` mod 10⁵,
/// `account` mod 10¹²). With `postal` the ABI is Poste Italiane's 07601
/// whatever `abi` says.
pub fn italian(abi: u32, cab: u32, account: u64, postal: bool) -> String {
    let abi = if postal { 7601 } else { abi % 100_000 };
    let bban = format!(
        "{abi:05}{cab:05}{account:012}",
        cab = cab % 100_000,
        account = account % 1_000_000_000_000
    );
    // Both steps only fail on malformed input, and `bban` is 22 digits.
    let Some(cin) = italian_cin(&bban) else {
        return String::new();
    };
    let Some(check) = check_digits("IT", &format!("{cin}{bban}")) else {
        return String::new();
    };
    format!("IT{check:02}{cin}{bban}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    const EXAMPLE: &str = "IT60X0542811101000000123456";

    #[test]
    fn well_known_italian_example() {
        assert!(is_valid(EXAMPLE));
        assert!(is_valid_italian(EXAMPLE));
        assert!(!is_postal(EXAMPLE));
        assert_eq!(italian_cin("0542811101000000123456"), Some('X'));
        assert_eq!(check_digits("IT", "X0542811101000000123456"), Some(60));
        assert_eq!(italian(5428, 11101, 123_456, false), EXAMPLE);
    }

    #[test]
    fn foreign_examples() {
        for iban in [
            "GB82WEST12345698765432",
            "DE89370400440532013000",
            "NO9386011117947",
        ] {
            assert!(is_valid(iban), "{iban}");
            assert!(!is_valid_italian(iban), "{iban}");
        }
        assert_eq!(check_digits("GB", "WEST12345698765432"), Some(82));
        assert_eq!(check_digits("NO", "86011117947"), Some(93));
    }

    #[test]
    fn rejects_bad_ibans() {
        for bad in [
            "",
            "IT60X0542811101000000123457",
            "IT61X0542811101000000123456",
            "IT60Y0542811101000000123456",
            "it60x0542811101000000123456",
            "IT60 X054 2811 1010 0000 0123 456",
            "IT60X054281110100000012345é",
            "ÍT60X0542811101000000123456",
            "1T60X0542811101000000123456",
            "ITA0X0542811101000000123456",
            "NO938601111794",
        ] {
            assert!(!is_valid(bad), "{bad:?}");
            assert!(!is_valid_italian(bad), "{bad:?}");
            assert!(!is_postal(bad), "{bad:?}");
        }
        assert!(!is_valid(&format!("GB82{}", "0".repeat(31))));
        assert!(!is_valid(&"A".repeat(1_000_000)));
    }

    #[test]
    fn italian_needs_27_chars_and_cin() {
        // Mod-97 valid, right country, wrong length.
        let short = format!(
            "IT{:02}X054281110100000012345",
            check_digits("IT", "X054281110100000012345").unwrap()
        );
        assert!(is_valid(&short));
        assert!(!is_valid_italian(&short));
        // Mod-97 valid but with a wrong CIN.
        let bban = "Y0542811101000000123456";
        let wrong_cin = format!("IT{:02}{bban}", check_digits("IT", bban).unwrap());
        assert!(is_valid(&wrong_cin));
        assert!(!is_valid_italian(&wrong_cin));
    }

    #[test]
    fn check_digits_rejects_bad_input() {
        assert_eq!(check_digits("", "WEST12345698765432"), None);
        assert_eq!(check_digits("gb", "WEST12345698765432"), None);
        assert_eq!(check_digits("G1", "WEST12345698765432"), None);
        assert_eq!(check_digits("GBR", "WEST12345698765432"), None);
        assert_eq!(check_digits("GB", "west12345698765432"), None);
        assert_eq!(check_digits("GB", "WEST 12345698765432"), None);
        assert_eq!(check_digits("GB", "WEST1234569876543é"), None);
        assert_eq!(check_digits("GB", "1234567890"), None);
        assert_eq!(check_digits("GB", &"1".repeat(31)), None);
        assert_eq!(check_digits("ÉB", "WEST12345698765432"), None);
    }

    #[test]
    fn italian_cin_rejects_bad_input() {
        assert_eq!(italian_cin(""), None);
        assert_eq!(italian_cin("054281110100000012345"), None);
        assert_eq!(italian_cin("05428111010000001234567"), None);
        assert_eq!(italian_cin("0542A11101000000123456"), None);
        assert_eq!(italian_cin("0542811101000000a23456"), None);
        assert_eq!(italian_cin("é542811101000000123456"), None);
        assert_eq!(italian_cin("05428111010000001234é"), None);
        assert_eq!(
            italian_cin("0542811101CC0000123456"),
            Some(italian_cin("0542811101CC0000123456").unwrap())
        );
    }

    #[test]
    fn postal_generator_forces_poste_abi() {
        let iban = italian(3069, 1600, 42, true);
        assert_eq!(&iban[5..10], POSTE_ITALIANE_ABI);
        assert!(is_postal(&iban));
        assert_eq!(iban, italian(0, 1600, 42, true));
        let bank = italian(3069, 1600, 42, false);
        assert!(is_valid_italian(&bank));
        assert!(!is_postal(&bank));
    }

    #[test]
    fn oversized_fields_keep_low_digits() {
        let iban = italian(u32::MAX, u32::MAX, u64::MAX, false);
        assert!(is_valid_italian(&iban), "{iban}");
        assert_eq!(iban.len(), 27);
        assert_eq!(
            iban,
            italian(
                u32::MAX % 100_000,
                u32::MAX % 100_000,
                u64::MAX % 1_000_000_000_000,
                false
            )
        );
    }
}

//! Identifiers for the station's positions, computed here from DOMAIN.md §10 (notice numbers,
//! mod-93 check digits) and the IBAN rules (ISO 13616 mod 97, Italian CIN), not taken from
//! collaudo-wire.

/// The aux-3 notice number `3` + segregation code + 13-digit base + mod-93 check digits
/// (DOMAIN.md §10).
pub(crate) fn notice(segregation: u8, base13: u64) -> String {
    let prefix = format!("3{segregation:02}{base13:013}");
    let value: u64 = prefix.parse().expect("16 digits fit in u64");
    format!("{prefix}{:02}", value % 93)
}

/// The IUV (`creditorReferenceId`) of an aux-3 notice: everything after the aux digit.
pub(crate) fn iuv(notice: &str) -> &str {
    &notice[1..]
}

/// The Italian CIN letter of `abi(5) cab(5) account(12)`.
fn cin(bban_without_cin: &str) -> char {
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23,
    ];
    let sum: u32 = bban_without_cin
        .chars()
        .enumerate()
        .map(|(i, c)| {
            let v = match c {
                '0'..='9' => c as u32 - '0' as u32,
                _ => c.to_ascii_uppercase() as u32 - 'A' as u32,
            };
            if i % 2 == 0 { ODD[v as usize] } else { v }
        })
        .sum();
    char::from(b'A' + u8::try_from(sum % 26).expect("< 26"))
}

/// An Italian IBAN with a valid CIN and valid check digits. ABI 07601 is Poste Italiane.
pub(crate) fn italian_iban(abi: &str, cab: &str, account: &str) -> String {
    let without_cin = format!("{abi}{cab}{account}");
    let bban = format!("{}{without_cin}", cin(&without_cin));
    let rearranged = format!("{bban}IT00");
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let digits = match c {
            '0'..='9' => c.to_string(),
            _ => (c as u32 - 'A' as u32 + 10).to_string(),
        };
        for d in digits.chars() {
            rem = (rem * 10 + (d as u32 - '0' as u32)) % 97;
        }
    }
    format!("IT{:02}{bban}", 98 - rem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_examples() {
        // DOMAIN.md §10: 3 + 01 + 0000000000001 → check digits 44.
        assert_eq!(notice(1, 1), "301000000000000144");
        assert_eq!(iuv("301000000000000144"), "01000000000000144");
    }

    #[test]
    fn a_known_valid_iban() {
        assert_eq!(
            italian_iban("05428", "11101", "000000123456"),
            "IT60X0542811101000000123456"
        );
    }
}

//! The few query parameters ACA reads (`subscription-key`, `segregationCodes`), decoded as
//! `application/x-www-form-urlencoded`, and the masking of the key for the log.
//!
//! Hand-written because two parameters do not justify a form decoder dependency, and
//! because masking must keep the rest of the query byte for byte.

use super::calls::REDACTED;

/// Query parameter carrying the subscription key (APIM's `apiKeyQuery` scheme).
pub(super) const KEY_PARAM: &str = "subscription-key";
/// Query parameter listing the broker's authorised segregation codes.
pub(super) const SEGREGATION_PARAM: &str = "segregationCodes";

/// Decoded values of every occurrence of `name`, in order.
pub(super) fn values(query: Option<&str>, name: &str) -> Vec<String> {
    let Some(query) = query else {
        return Vec::new();
    };
    query
        .split('&')
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key) == name).then(|| decode(value))
        })
        .collect()
}

/// The query with the value of every `subscription-key` replaced by [`REDACTED`].
pub(super) fn redact(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if decode(key) == KEY_PARAM => format!("{key}={REDACTED}"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Form decoding: `+` is a space, `%XX` a byte; a malformed escape is kept as written, and
/// bytes that are not UTF-8 become U+FFFD.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                    std::str::from_utf8(h)
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                });
                if let Some(byte) = hex {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::{decode, redact, values};

    #[test]
    fn decodes_form_escapes() {
        assert_eq!(decode("01%2C02+x"), "01,02 x");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%C3%A8"), "è");
        assert_eq!(decode("%ff"), "\u{fffd}");
    }

    #[test]
    fn finds_every_occurrence() {
        let q = Some("segregationCodes=01%2C02&x&subscription-key=k&segregationCodes=03");
        assert_eq!(values(q, "segregationCodes"), vec!["01,02", "03"]);
        assert_eq!(values(q, "subscription-key"), vec!["k"]);
        assert_eq!(values(q, "x"), vec![""]);
        assert!(values(None, "x").is_empty());
    }

    #[test]
    fn redacts_only_the_key() {
        assert_eq!(
            redact("a=1&subscription-key=secret&b=%20"),
            "a=1&subscription-key=<redacted>&b=%20"
        );
        assert_eq!(
            redact("subscription%2Dkey=s"),
            "subscription%2Dkey=<redacted>"
        );
    }
}

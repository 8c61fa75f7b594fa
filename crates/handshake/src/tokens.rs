//! RFC 7230 tokens, comma-separated token lists and field values.
//!
//! ```text
//! token = 1*tchar                                                     (RFC 7230 §3.2.6)
//! tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
//!         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
//! #element => [ ( "," / element ) *( OWS "," [ OWS element ] ) ]    (RFC 7230 §7)
//! ```
//! RFC 7230 §7: "a recipient MUST accept and ignore empty list elements", so `, ,a,` is the
//! list `a`.
#![deny(clippy::indexing_slicing)]

/// Whether `b` may appear in a token.
pub(crate) const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.'
        | b'^' | b'_' | b'`' | b'|' | b'~'
        | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// Whether `s` is a token: one or more tchars.
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// `s` without leading and trailing optional whitespace (SP, HTAB).
pub(crate) fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| b != b' ' && b != b'\t');
    let Some(start) = start else { return &[] };
    let end = s
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |e| e + 1);
    s.get(start..end).unwrap_or_default()
}

/// The non-empty elements of a comma-separated list, whitespace trimmed.
pub(crate) fn list_items(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .filter(|item| !item.is_empty())
}

/// Whether the list `value` has an element equal to `token`, ASCII case-insensitive.
pub(crate) fn list_contains(value: &[u8], token: &str) -> bool {
    list_items(value).any(|item| item.eq_ignore_ascii_case(token.as_bytes()))
}

/// Whether `value` may be sent as a header field value: no control character but HTAB,
/// no DEL (RFC 7230 §3.2: `field-vchar = VCHAR / obs-text`, with SP and HTAB between).
/// This rules out CR and LF, and with them header and response injection.
pub(crate) fn is_field_value(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn lists() {
        assert!(list_contains(b"keep-alive, Upgrade", "upgrade"));
        assert!(list_contains(b" ,UPGRADE ,", "upgrade"));
        assert!(!list_contains(b"keep-alive, Upgrade2", "upgrade"));
        assert!(!list_contains(b"", "upgrade"));
        let items: Vec<&[u8]> = list_items(b", a ,\tb,,").collect();
        assert_eq!(items, [&b"a"[..], b"b"]);
        assert_eq!(trim_ows(b" \t "), b"");
        assert_eq!(trim_ows(b" a b "), b"a b");
    }

    #[test]
    fn tokens_and_values() {
        assert!(is_token(b"permessage-deflate"));
        assert!(!is_token(b""));
        assert!(!is_token(b"a b"));
        assert!(!is_token(b"a,b"));
        assert!(is_field_value(b"a\tb c\x80"));
        assert!(!is_field_value(b"a\r\nb: c"));
        assert!(!is_field_value(b"\x7f"));
    }
}

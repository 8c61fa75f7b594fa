//! An owned copy of a parsed head, with every header field available by name.
#![deny(clippy::indexing_slicing)]

use core::fmt;

/// A byte range in the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Span {
    /// Where `part`, a subslice of `base`, lies in `base`. An empty `part` from elsewhere
    /// (httparse may hand back a static empty slice) is the empty span at 0.
    pub(crate) fn of(base: &[u8], part: &[u8]) -> Option<Self> {
        let start = part.as_ptr().addr().checked_sub(base.as_ptr().addr());
        match start {
            Some(start)
                if start
                    .checked_add(part.len())
                    .is_some_and(|e| e <= base.len()) =>
            {
                Some(Self {
                    start,
                    end: start + part.len(),
                })
            }
            _ if part.is_empty() => Some(Self::default()),
            _ => None,
        }
    }

    pub(crate) fn get(self, base: &[u8]) -> &[u8] {
        base.get(self.start..self.end).unwrap_or_default()
    }

    pub(crate) fn get_str(self, base: &[u8]) -> &str {
        core::str::from_utf8(self.get(base)).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) name: Span,
    pub(crate) value: Span,
}

/// The header fields of a request or response, in order, with repeats.
///
/// It owns a copy of the head's bytes, so the caller may drop or reuse its read buffer.
/// Names are compared ASCII case-insensitively; values are bytes with surrounding
/// whitespace removed (HTTP allows bytes that are not UTF-8 in values: `get_str` returns
/// `None` for those).
///
/// ```
/// # use sockeye_handshake::{RequestParser, Status};
/// let mut parser = RequestParser::default();
/// let buf = b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
///     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
///     Cookie: a=1\r\ncookie: b=2\r\nAuthorization: Bearer x\r\n\r\n";
/// let Status::Complete(request) = parser.parse(buf)? else { unreachable!() };
/// let headers = request.headers();
/// assert_eq!(headers.get_str("authorization"), Some("Bearer x"));
/// assert_eq!(headers.get_all("Cookie").collect::<Vec<_>>(), [&b"a=1"[..], b"b=2"]);
/// assert_eq!(headers.len(), 8);
/// # Ok::<(), sockeye_handshake::RequestError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Headers {
    head: Box<[u8]>,
    fields: Vec<Field>,
}

impl Headers {
    pub(crate) fn new(head: Box<[u8]>, fields: Vec<Field>) -> Self {
        Self { head, fields }
    }

    pub(crate) fn head(&self) -> &[u8] {
        &self.head
    }

    /// The value of the first field named `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.get_all(name).next()
    }

    /// The value of the first field named `name`, if it is UTF-8.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// The values of every field named `name`, in order.
    pub fn get_all<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a [u8]> + use<'a, 'n> {
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Whether a field named `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every field as (name, value), in the order received.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> + '_ {
        self.fields
            .iter()
            .map(|f| (f.name.get_str(&self.head), f.value.get(&self.head)))
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there is no field.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

/// Headers whose values `Debug` hides, so credentials do not end up in logs.
const SECRET: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

impl fmt::Debug for Headers {
    /// Every field, with the values of `Authorization`, `Proxy-Authorization`, `Cookie`
    /// and `Set-Cookie` redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(n, v)| {
                let secret = SECRET.iter().any(|s| s.eq_ignore_ascii_case(n));
                let v = if secret {
                    "<redacted>".into()
                } else {
                    String::from_utf8_lossy(v)
                };
                (n, v)
            }))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_credentials() {
        let head: Box<[u8]> = b"Cookie: a=1\r\nX: y\r\n".as_slice().into();
        let span = |s, e| Span { start: s, end: e };
        let fields = vec![
            Field {
                name: span(0, 6),
                value: span(8, 11),
            },
            Field {
                name: span(13, 14),
                value: span(16, 17),
            },
        ];
        let headers = Headers::new(head, fields);
        assert_eq!(headers.get_str("cookie"), Some("a=1"));
        assert_eq!(
            format!("{headers:?}"),
            r#"{"Cookie": "<redacted>", "X": "y"}"#
        );
    }
}

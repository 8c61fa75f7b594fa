//! `Sec-WebSocket-Extensions`: the extension type and a linear parser for the header.
//!
//! ```text
//! Sec-WebSocket-Extensions = extension-list                  (RFC 6455 §9.1)
//! extension-list = 1#extension
//! extension = extension-token *( ";" extension-param )
//! extension-param = token [ "=" (token | quoted-string) ]
//! quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE    (RFC 7230 §3.2.6)
//! quoted-pair   = "\" ( HTAB / SP / VCHAR / obs-text )
//! ```
//! The parser walks the bytes once with a cursor: no regular expression, no backtracking
//! (Node ws' CVE-2021-32640 was a regex over this header). §9.1 also says a quoted value
//! "MUST conform to the 'token' ABNF" after unescaping; the parser does not enforce that
//! (`a="b,c"` is accepted) and leaves the meaning of values to the extension, which must
//! validate them anyway. Values are limited to ASCII (obs-text is refused) so they are
//! always `str`.
#![deny(clippy::indexing_slicing)]

use core::fmt;

use crate::BuildError;
use crate::tokens::{is_tchar, is_token};

/// One extension with its parameters, offered by a client or accepted by a server.
///
/// ```
/// use sockeye_handshake::Extension;
/// let ext = Extension::new("permessage-deflate")?
///     .with_param("client_max_window_bits", None)?
///     .with_param("x", Some("a b"))?;
/// assert_eq!(ext.to_string(), r#"permessage-deflate; client_max_window_bits; x="a b""#);
/// assert_eq!(ext.param("client_max_window_bits"), Some(None));
/// assert_eq!(ext.param("x"), Some(Some("a b")));
/// assert_eq!(ext.param("y"), None);
/// # Ok::<(), sockeye_handshake::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Extension {
    name: String,
    params: Vec<ExtensionParam>,
}

/// A parameter of an [`Extension`]: a name and an optional value (already unescaped).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtensionParam {
    name: String,
    value: Option<String>,
}

impl ExtensionParam {
    /// The parameter's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parameter's value, if it has one.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

impl Extension {
    /// An extension without parameters. `name` must be a token.
    pub fn new(name: &str) -> Result<Self, BuildError> {
        if !is_token(name.as_bytes()) {
            return Err(BuildError::InvalidToken);
        }
        Ok(Self {
            name: name.to_owned(),
            params: Vec::new(),
        })
    }

    /// Adds a parameter. `name` must be a token; `value`, if any, printable ASCII (it is
    /// sent as a token when it is one, otherwise as a quoted-string).
    pub fn with_param(mut self, name: &str, value: Option<&str>) -> Result<Self, BuildError> {
        if !is_token(name.as_bytes()) {
            return Err(BuildError::InvalidToken);
        }
        if let Some(value) = value
            && !value
                .bytes()
                .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
        {
            return Err(BuildError::InvalidParamValue);
        }
        self.params.push(ExtensionParam {
            name: name.to_owned(),
            value: value.map(str::to_owned),
        });
        Ok(self)
    }

    /// An extension named by a constant known to be a token.
    pub(crate) fn bare(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            params: Vec::new(),
        }
    }

    /// Adds a parameter whose name and value are constants known to be tokens.
    pub(crate) fn push_param(&mut self, name: &str, value: Option<&str>) {
        self.params.push(ExtensionParam {
            name: name.to_owned(),
            value: value.map(str::to_owned),
        });
    }

    /// The extension's name (its token).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parameters, in order (names may repeat; the extension decides what that means).
    pub fn params(&self) -> &[ExtensionParam] {
        &self.params
    }

    /// The first parameter named `name` (ASCII case-insensitive): `None` if absent,
    /// `Some(None)` if present without a value.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(ExtensionParam::value)
    }
}

impl fmt::Display for Extension {
    /// The extension as sent in `Sec-WebSocket-Extensions`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for param in &self.params {
            write!(f, "; {}", param.name)?;
            match param.value.as_deref() {
                None => {}
                Some(v) if is_token(v.as_bytes()) => write!(f, "={v}")?,
                Some(v) => {
                    f.write_str("=\"")?;
                    for c in v.chars() {
                        if c == '"' || c == '\\' {
                            f.write_str("\\")?;
                        }
                        write!(f, "{c}")?;
                    }
                    f.write_str("\"")?;
                }
            }
        }
        Ok(())
    }
}

/// Writes `extensions` as a `Sec-WebSocket-Extensions` value.
pub(crate) fn write_list(out: &mut Vec<u8>, extensions: &[Extension]) {
    use std::io::Write as _;
    for (i, ext) in extensions.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        // Writing into a Vec cannot fail.
        let _ = write!(out, "{ext}");
    }
}

/// The grammar was not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SyntaxError;

/// Parses one `Sec-WebSocket-Extensions` value and appends its extensions to `out`.
/// Empty list elements are ignored (RFC 7230 §7). Each byte is looked at once.
pub(crate) fn parse_list(value: &[u8], out: &mut Vec<Extension>) -> Result<(), SyntaxError> {
    let mut cur = Cursor { s: value, at: 0 };
    loop {
        cur.skip_ows();
        match cur.peek() {
            None => return Ok(()),
            Some(b',') => {
                cur.at += 1;
                continue;
            }
            Some(_) => {}
        }
        let mut ext = Extension {
            name: cur.token()?,
            params: Vec::new(),
        };
        loop {
            cur.skip_ows();
            match cur.peek() {
                None => {
                    out.push(ext);
                    return Ok(());
                }
                Some(b',') => {
                    cur.at += 1;
                    out.push(ext);
                    break;
                }
                Some(b';') => {
                    cur.at += 1;
                    cur.skip_ows();
                    let name = cur.token()?;
                    cur.skip_ows();
                    let value = if cur.peek() == Some(b'=') {
                        cur.at += 1;
                        cur.skip_ows();
                        if cur.peek() == Some(b'"') {
                            Some(cur.quoted()?)
                        } else {
                            Some(cur.token()?)
                        }
                    } else {
                        None
                    };
                    ext.params.push(ExtensionParam { name, value });
                }
                Some(_) => return Err(SyntaxError),
            }
        }
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    /// One or more tchars.
    fn token(&mut self) -> Result<String, SyntaxError> {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        match self.s.get(start..self.at) {
            // tchars are ASCII, so always UTF-8.
            Some(t) if !t.is_empty() => core::str::from_utf8(t)
                .map(str::to_owned)
                .map_err(|_| SyntaxError),
            _ => Err(SyntaxError),
        }
    }

    /// A quoted-string, the cursor on its opening quote; returns it unescaped.
    fn quoted(&mut self) -> Result<String, SyntaxError> {
        self.at += 1;
        let mut value = String::new();
        loop {
            let b = self.peek().ok_or(SyntaxError)?;
            self.at += 1;
            match b {
                b'"' => return Ok(value),
                b'\\' => {
                    let escaped = self.peek().ok_or(SyntaxError)?;
                    self.at += 1;
                    if escaped != b'\t' && !(0x20..0x7f).contains(&escaped) {
                        return Err(SyntaxError);
                    }
                    value.push(char::from(escaped));
                }
                b'\t' | 0x20..0x7f => value.push(char::from(b)),
                _ => return Err(SyntaxError),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Vec<Extension>, SyntaxError> {
        let mut out = Vec::new();
        parse_list(s.as_bytes(), &mut out).map(|()| out)
    }

    #[test]
    fn issue_example() {
        let exts = parse(r#"permessage-deflate; client_max_window_bits, x-foo; a="b,c""#).unwrap();
        assert_eq!(exts.len(), 2);
        assert_eq!(exts[0].name(), "permessage-deflate");
        assert_eq!(exts[0].param("client_max_window_bits"), Some(None));
        assert_eq!(exts[1].name(), "x-foo");
        assert_eq!(exts[1].param("a"), Some(Some("b,c")));
    }

    #[test]
    fn escapes_whitespace_and_empty_elements() {
        let exts = parse(r#" , a ;b = 1 ; c="x\"y\\z" ,, d,"#).unwrap();
        assert_eq!(exts.len(), 2);
        assert_eq!(exts[0].param("b"), Some(Some("1")));
        assert_eq!(exts[0].param("c"), Some(Some(r#"x"y\z"#)));
        assert_eq!(exts[1].name(), "d");
        assert_eq!(parse("").unwrap(), []);
    }

    #[test]
    fn rejects() {
        for bad in [
            "a;",
            "a; =1",
            "a; b=",
            "a; b=\"x",
            "a; b=\"x\\",
            "a b",
            "a; b c",
            ";a",
            "a; b=\"\u{e9}\"",
            "a=1",
            "a; b=\"x\"y",
            "\"a\"",
        ] {
            assert_eq!(parse(bad), Err(SyntaxError), "{bad:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        let ext = Extension::new("x")
            .unwrap()
            .with_param("q", Some("a\"b\\c,d"))
            .unwrap()
            .with_param("t", Some("tok"))
            .unwrap()
            .with_param("e", Some(""))
            .unwrap();
        let text = ext.to_string();
        assert_eq!(parse(&text).unwrap(), [ext]);
    }
}

//! `ws://` and `wss://` URLs (RFC 6455 §3).
//!
//! ```text
//! ws-URI  = "ws:" "//" host [ ":" port ] path [ "?" query ]
//! wss-URI = "wss:" "//" host [ ":" port ] path [ "?" query ]
//! ```
//! No user information, no fragment (§3: fragments "MUST NOT be used on these URIs").
//! Path and query must already be percent-encoded: only the characters RFC 3986 allows
//! there are accepted (nothing is encoded here). The host is a registered name, an IPv4
//! address or a bracketed IPv6 literal; the scheme and a registered name are lowercased.
#![deny(clippy::indexing_slicing)]

use core::fmt;
use std::net::Ipv6Addr;

/// Why a string is not a WebSocket URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UrlError {
    /// The scheme is not `ws` or `wss` (or `://` is missing).
    Scheme,
    /// The host is empty, or has characters a host may not have, or a bracketed IPv6
    /// literal does not parse.
    Host,
    /// The port is not a number from 0 to 65535.
    Port,
    /// User information (`user@`) is not part of a WebSocket URI.
    Userinfo,
    /// A fragment (`#...`) is not allowed (§3).
    Fragment,
    /// The path or query has a character that must be percent-encoded.
    Character,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Scheme => "scheme is not ws:// or wss://",
            Self::Host => "invalid host",
            Self::Port => "invalid port",
            Self::Userinfo => "user information is not allowed in a WebSocket URL",
            Self::Fragment => "fragment is not allowed in a WebSocket URL",
            Self::Character => "character in path or query must be percent-encoded",
        })
    }
}

impl std::error::Error for UrlError {}

/// A parsed `ws://` or `wss://` URL.
///
/// ```
/// use sockeye_handshake::WsUrl;
/// let url = WsUrl::parse("ws://[::1]:9001/x?y=1")?;
/// assert_eq!((url.host(), url.port(), url.is_secure()), ("::1", 9001, false));
/// assert_eq!(url.host_header(), "[::1]:9001");
/// assert_eq!((url.path(), url.query()), ("/x", Some("y=1")));
/// assert_eq!(url.resource_name(), "/x?y=1");
///
/// let url = WsUrl::parse("WSS://Example.COM")?;
/// assert_eq!((url.host(), url.port()), ("example.com", 443));
/// assert_eq!(url.host_header(), "example.com");
/// assert_eq!(url.resource_name(), "/");
/// # Ok::<(), sockeye_handshake::UrlError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WsUrl {
    secure: bool,
    host: String,
    ipv6: bool,
    port: u16,
    /// Path and query, e.g. `/x?y=1`; the path is never empty.
    resource: String,
    path_len: usize,
}

impl WsUrl {
    /// Parses a `ws://` or `wss://` URL; the port defaults to 80 and 443 (§3).
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        let (scheme, rest) = url.split_once("://").ok_or(UrlError::Scheme)?;
        let secure = if scheme.eq_ignore_ascii_case("ws") {
            false
        } else if scheme.eq_ignore_ascii_case("wss") {
            true
        } else {
            return Err(UrlError::Scheme);
        };
        if rest.contains('#') {
            return Err(UrlError::Fragment);
        }
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, resource) = rest.split_at(authority_end);
        if authority.contains('@') {
            return Err(UrlError::Userinfo);
        }
        let (host, ipv6, port) = parse_authority(authority)?;
        let port = port.unwrap_or(if secure { 443 } else { 80 });

        if !resource.bytes().all(is_path_or_query_char) {
            return Err(UrlError::Character);
        }
        let mut resource = resource.to_owned();
        if !resource.starts_with('/') {
            resource.insert(0, '/');
        }
        let path_len = resource.find('?').unwrap_or(resource.len());
        Ok(Self {
            secure,
            host,
            ipv6,
            port,
            resource,
            path_len,
        })
    }

    /// Whether the scheme is `wss` (TLS).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The host to connect to (and, for `wss`, to name in TLS): without brackets for IPv6.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, explicit or the scheme's default.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The path, never empty (`/` when the URL has none).
    pub fn path(&self) -> &str {
        self.resource.get(..self.path_len).unwrap_or("/")
    }

    /// The query, after `?`.
    pub fn query(&self) -> Option<&str> {
        self.resource.get(self.path_len..)?.strip_prefix('?')
    }

    /// The /resource name/ of §3: path and query, the request-target of the handshake.
    pub fn resource_name(&self) -> &str {
        &self.resource
    }

    /// The `Host` header value (RFC 7230 §5.4): the host, bracketed if IPv6, with
    /// `:port` only when the port is not the scheme's default.
    pub fn host_header(&self) -> String {
        let default = if self.secure { 443 } else { 80 };
        let mut out = String::with_capacity(self.host.len() + 8);
        if self.ipv6 {
            out.push('[');
            out.push_str(&self.host);
            out.push(']');
        } else {
            out.push_str(&self.host);
        }
        if self.port != default {
            out.push(':');
            out.push_str(&self.port.to_string());
        }
        out
    }
}

/// Host, whether it is IPv6, and the explicit port.
fn parse_authority(authority: &str) -> Result<(String, bool, Option<u16>), UrlError> {
    let (host, ipv6, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (literal, after) = bracketed.split_once(']').ok_or(UrlError::Host)?;
        // Zone identifiers (RFC 6874) are not supported: they mean nothing to a peer.
        literal.parse::<Ipv6Addr>().map_err(|_| UrlError::Host)?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(UrlError::Host)?),
        };
        (literal.to_ascii_lowercase(), true, port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        if host.is_empty() || !host.bytes().all(is_reg_name_char) {
            return Err(UrlError::Host);
        }
        (host.to_ascii_lowercase(), false, port)
    };
    let port = match port {
        // RFC 3986 §3.2.3: an empty port is the scheme's default.
        None | Some("") => None,
        Some(p) if p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().map_err(|_| UrlError::Port)?)
        }
        Some(_) => return Err(UrlError::Port),
    };
    Ok((host, ipv6, port))
}

/// RFC 3986 reg-name: unreserved / pct-encoded / sub-delims.
fn is_reg_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(&b)
}

/// RFC 3986 pchar plus "/" and "?": unreserved / pct-encoded / sub-delims / ":" / "@".
fn is_path_or_query_char(b: u8) -> bool {
    is_reg_name_char(b) || b":@/?".contains(&b)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_ports() {
        let url = WsUrl::parse("ws://example.com:8080/a/b?c=d&e").unwrap();
        assert_eq!(url.host_header(), "example.com:8080");
        assert_eq!(url.path(), "/a/b");
        assert_eq!(url.query(), Some("c=d&e"));
        let url = WsUrl::parse("ws://example.com:80").unwrap();
        assert_eq!(url.host_header(), "example.com");
        assert_eq!(url.query(), None);
        let url = WsUrl::parse("wss://example.com:80?x").unwrap();
        assert_eq!(url.host_header(), "example.com:80");
        assert_eq!(url.resource_name(), "/?x");
        let url = WsUrl::parse("ws://127.0.0.1:/").unwrap();
        assert_eq!(url.port(), 80);
        let url = WsUrl::parse("wss://[2001:DB8::1]/").unwrap();
        assert_eq!(url.host_header(), "[2001:db8::1]");
        assert_eq!(url.port(), 443);
    }

    #[test]
    fn errors() {
        for (url, err) in [
            ("http://a/", UrlError::Scheme),
            ("ws:/a", UrlError::Scheme),
            ("ws://", UrlError::Host),
            ("ws://:80/", UrlError::Host),
            ("ws://a b/", UrlError::Host),
            ("ws://[::1/", UrlError::Host),
            ("ws://[::g]/", UrlError::Host),
            ("ws://[::1]x/", UrlError::Host),
            ("ws://a:65536/", UrlError::Port),
            ("ws://a:-1/", UrlError::Port),
            ("ws://a:1:2/", UrlError::Port),
            ("ws://u@a/", UrlError::Userinfo),
            ("ws://a/#f", UrlError::Fragment),
            ("ws://a/b c", UrlError::Character),
            ("ws://a/\r\nX: y", UrlError::Character),
            ("ws://a/\u{e9}", UrlError::Character),
        ] {
            assert_eq!(WsUrl::parse(url), Err(err), "{url:?}");
        }
    }
}

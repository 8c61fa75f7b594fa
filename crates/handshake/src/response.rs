//! Server role: the responses a server writes — acceptance (`101`) and rejection.
#![deny(clippy::indexing_slicing)]

use std::io::Write as _;

use crate::extensions::write_list;
use crate::tokens::{is_field_value, is_token};
use crate::{AcceptKey, BuildError, Extension};

/// Headers the handshake writes itself; [`Accept::header`], [`Reject::header`] and
/// [`ClientRequest::header`](crate::ClientRequest::header) refuse them.
const RESERVED: [&str; 8] = [
    "host",
    "upgrade",
    "connection",
    "content-length",
    "transfer-encoding",
    "sec-websocket-accept",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
];

/// Checks a header the caller wants to add: `name` a token and not one the handshake
/// writes itself (nor any `Sec-WebSocket-*`), `value` free of control characters.
pub(crate) fn check_header(name: &str, value: &str) -> Result<(), BuildError> {
    if !is_token(name.as_bytes()) {
        return Err(BuildError::InvalidHeaderName);
    }
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name))
        || name
            .get(..14)
            .is_some_and(|p| p.eq_ignore_ascii_case("sec-websocket-"))
    {
        return Err(BuildError::ReservedHeader);
    }
    if !is_field_value(value.as_bytes()) {
        return Err(BuildError::InvalidHeaderValue);
    }
    Ok(())
}

pub(crate) fn write_header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

pub(crate) fn write_status_line(out: &mut Vec<u8>, status: u16, reason: &str) {
    // Writing into a Vec cannot fail.
    let _ = write!(out, "HTTP/1.1 {status} {reason}\r\n");
}

/// The reason phrase of RFC 7231 §6.1 (and RFC 6585 for 428–431) for `status`, or
/// `"Unknown"`.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// A server's decision to accept: the subprotocol and extensions chosen, extra headers.
///
/// Pass it to [`Request::accept_with`](crate::Request::accept_with), which checks the
/// choices against the client's offer and writes:
///
/// ```text
/// HTTP/1.1 101 Switching Protocols
/// Upgrade: websocket
/// Connection: Upgrade
/// Sec-WebSocket-Accept: <base64(SHA-1(key + GUID))>
/// Sec-WebSocket-Protocol: <chosen>          (if chosen)
/// Sec-WebSocket-Extensions: <accepted>      (if any)
/// <extra headers>
/// ```
///
/// ```
/// use sockeye_handshake::{Accept, Extension};
/// let accept = Accept::new()
///     .protocol("chat")?
///     .extension(Extension::new("permessage-deflate")?.with_param("server_no_context_takeover", None)?)
///     .header("Set-Cookie", "session=1")?;
/// assert_eq!(accept.get_protocol(), Some("chat"));
/// # Ok::<(), sockeye_handshake::BuildError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accept {
    protocol: Option<String>,
    extensions: Vec<Extension>,
    headers: Vec<(String, String)>,
}

impl Accept {
    /// No subprotocol, no extension, no extra header.
    pub fn new() -> Self {
        Self::default()
    }

    /// Chooses a subprotocol (a token; it must be one the client offered, §4.2.2).
    pub fn protocol(mut self, protocol: &str) -> Result<Self, BuildError> {
        if !is_token(protocol.as_bytes()) {
            return Err(BuildError::InvalidToken);
        }
        self.protocol = Some(protocol.to_owned());
        Ok(self)
    }

    /// Accepts an extension with the parameters of the server's answer (its name must be
    /// one the client offered, §9.1). Order matters: it is the order the extensions apply.
    #[must_use]
    pub fn extension(mut self, extension: Extension) -> Self {
        self.extensions.push(extension);
        self
    }

    /// Adds a header, e.g. `Set-Cookie`.
    ///
    /// # Errors
    /// [`BuildError::InvalidHeaderName`] / [`BuildError::InvalidHeaderValue`] for a name
    /// that is not a token or a value with CR, LF or another control character;
    /// [`BuildError::ReservedHeader`] for a header the response writes itself.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, BuildError> {
        check_header(name, value)?;
        self.headers.push((name.to_owned(), value.to_owned()));
        Ok(self)
    }

    /// The chosen subprotocol.
    pub fn get_protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The accepted extensions.
    pub fn get_extensions(&self) -> &[Extension] {
        &self.extensions
    }

    pub(crate) fn write(&self, accept: &AcceptKey, out: &mut Vec<u8>) {
        out.extend_from_slice(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
              Connection: Upgrade\r\nSec-WebSocket-Accept: ",
        );
        out.extend_from_slice(accept.as_bytes());
        out.extend_from_slice(b"\r\n");
        if let Some(protocol) = &self.protocol {
            write_header(out, "Sec-WebSocket-Protocol", protocol.as_bytes());
        }
        if !self.extensions.is_empty() {
            out.extend_from_slice(b"Sec-WebSocket-Extensions: ");
            write_list(out, &self.extensions);
            out.extend_from_slice(b"\r\n");
        }
        for (name, value) in &self.headers {
            write_header(out, name, value.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// A server's decision to refuse, with a status, headers and a body (e.g. `401` with
/// `WWW-Authenticate`, `302` with `Location`). The response always carries
/// `Connection: close` and `Content-Length`. It is also the answer to a plain
/// [`HttpRequest`](crate::HttpRequest), with any status from 200 (a page, an asset).
///
/// ```
/// use sockeye_handshake::Reject;
/// let mut out = Vec::new();
/// Reject::new(401)?
///     .header("WWW-Authenticate", "Bearer")?
///     .body("log in first")
///     .write(&mut out);
/// assert_eq!(
///     out,
///     b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nConnection: close\r\n\
///       Content-Length: 12\r\n\r\nlog in first"
/// );
/// # Ok::<(), sockeye_handshake::BuildError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    status: u16,
    reason: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reject {
    /// A rejection with `status` (200–599) and its standard reason phrase.
    ///
    /// # Errors
    /// [`BuildError::InvalidStatus`] outside 200–599.
    pub fn new(status: u16) -> Result<Self, BuildError> {
        if !(200..=599).contains(&status) {
            return Err(BuildError::InvalidStatus);
        }
        Ok(Self {
            status,
            reason: None,
            headers: Vec::new(),
            body: Vec::new(),
        })
    }

    /// Replaces the reason phrase (no control characters but HTAB).
    pub fn reason(mut self, reason: &str) -> Result<Self, BuildError> {
        if !is_field_value(reason.as_bytes()) {
            return Err(BuildError::InvalidReason);
        }
        self.reason = Some(reason.to_owned());
        Ok(self)
    }

    /// Adds a header; see [`Accept::header`] for what is refused.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, BuildError> {
        check_header(name, value)?;
        self.headers.push((name.to_owned(), value.to_owned()));
        Ok(self)
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Appends the response to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let reason = self
            .reason
            .as_deref()
            .unwrap_or_else(|| reason_phrase(self.status));
        write_status_line(out, self.status, reason);
        for (name, value) in &self.headers {
            write_header(out, name, value.as_bytes());
        }
        // Writing into a Vec cannot fail.
        let _ = write!(
            out,
            "Connection: close\r\nContent-Length: {}\r\n\r\n",
            self.body.len()
        );
        out.extend_from_slice(&self.body);
    }

    /// Appends the response to a plain request with `method`: for `HEAD`, the same head
    /// (its `Content-Length` too) without the body (RFC 9110 §9.3.2).
    pub fn write_for(&self, method: crate::Method, out: &mut Vec<u8>) {
        let start = out.len();
        self.write(out);
        if method == crate::Method::Head {
            out.truncate(out.len().saturating_sub(self.body.len()).max(start));
        }
    }
}

//! The error types: one per party at fault.
//!
//! - [`RequestError`]: a server refuses a client's opening handshake. Every variant knows
//!   the HTTP status and the exact response bytes to send ([`RequestError::write_response`]).
//! - [`ResponseError`]: a client refuses a server's handshake response; the client fails
//!   the connection (RFC 6455 §4.1) and there is nothing to send.
//! - [`BuildError`]: local misuse, the caller's own mistake while building a request or a
//!   response (CR/LF in a header, a subprotocol the client never offered, ...).
//!
//! All three are small `Copy` enums; no variant allocates.

use core::fmt;

use crate::response::write_status_line;

/// Why a server refuses a client's opening handshake (RFC 6455 §4.2.1), with the response
/// it sends.
///
/// [`RequestError::status`] is the HTTP status; [`RequestError::write_response`] writes the
/// whole response (status line, headers, a one-line `text/plain` body). The server then
/// closes the connection (the response says `Connection: close`).
///
/// When a request breaks several rules, the first in this order is reported: the caps
/// and HTTP syntax (as the bytes arrive), method, HTTP version, request-target, a body,
/// a duplicate header, `Host`, `Upgrade`, `Connection`, `Sec-WebSocket-Version` (before
/// the key, so a client of another version learns from the `426` what to speak),
/// `Sec-WebSocket-Key`, `Sec-WebSocket-Protocol`, `Sec-WebSocket-Extensions`. The order
/// never depends on the order of the headers or on how the bytes were split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestError {
    /// Not a well-formed HTTP/1.x request head (httparse rejected it, or a field the
    /// handshake needs is not valid UTF-8). `400 Bad Request`.
    Malformed,
    /// The head did not end within [`Limits::max_head_len`] bytes. `431 Request Header
    /// Fields Too Large`.
    ///
    /// [`Limits::max_head_len`]: crate::Limits::max_head_len
    HeadTooLarge,
    /// More than [`Limits::max_headers`] header lines. `431`.
    ///
    /// [`Limits::max_headers`]: crate::Limits::max_headers
    TooManyHeaders,
    /// A line (request line or header line) longer than [`Limits::max_line_len`]. `431`.
    ///
    /// [`Limits::max_line_len`]: crate::Limits::max_line_len
    LineTooLong,
    /// The method is not `GET` (§4.1: "The method of the request MUST be GET").
    /// `405 Method Not Allowed` with `Allow: GET`.
    MethodNotAllowed,
    /// HTTP/1.0 (§4.1: "the HTTP version MUST be at least 1.1"). `400 Bad Request`:
    /// 505 is defined for a *major* version the server does not support (RFC 7231
    /// §6.6.6), and HTTP/1.0 shares major version 1. Other version strings are
    /// [`RequestError::Malformed`].
    HttpVersionTooOld,
    /// The request-target is not in origin form (`/path?query`); §4.1 sends the resource
    /// name there. `400`.
    InvalidTarget,
    /// A request body announced (`Content-Length` other than 0, or `Transfer-Encoding`):
    /// the bytes after the head are WebSocket frames, so a body would be misread. `400`.
    UnexpectedBody,
    /// A header that may appear once appeared twice (`Host`, `Sec-WebSocket-Key`,
    /// `Sec-WebSocket-Version`, `Origin`); carries its name. `400`.
    DuplicateHeader(&'static str),
    /// No `Host` header, or an empty one (§4.2.1 item 2). `400`.
    MissingHost,
    /// No `Upgrade` header containing the token `websocket`, ASCII case-insensitive
    /// (§4.2.1 item 3). `400`.
    UpgradeNotWebSocket,
    /// No `Connection` header containing the token `Upgrade`, ASCII case-insensitive
    /// (§4.2.1 item 4). `400`.
    ConnectionNotUpgrade,
    /// No `Sec-WebSocket-Version` header (§4.2.1 item 6). `426 Upgrade Required` with
    /// `Sec-WebSocket-Version: 13`.
    MissingVersion,
    /// `Sec-WebSocket-Version` is not `13` (§4.2.2, §4.4). `426 Upgrade Required` with
    /// `Sec-WebSocket-Version: 13`.
    UnsupportedVersion,
    /// No `Sec-WebSocket-Key` header (§4.2.1 item 5). `400`.
    MissingKey,
    /// `Sec-WebSocket-Key` is not the base64 encoding of exactly 16 bytes (§4.2.1 item 5).
    /// `400`.
    InvalidKey,
    /// `Sec-WebSocket-Protocol` is not a comma-separated list of tokens (§4.1 item 10).
    /// `400`.
    InvalidProtocols,
    /// `Sec-WebSocket-Extensions` does not follow the grammar of §9.1. `400`.
    InvalidExtensions,
    /// The `Origin` is missing or not allowed ([`OriginAllowList`], §10.2).
    /// `403 Forbidden`.
    ///
    /// [`OriginAllowList`]: crate::OriginAllowList
    OriginNotAllowed,
}

impl RequestError {
    /// The HTTP status code of the response for this error.
    pub const fn status(&self) -> u16 {
        match self {
            Self::HeadTooLarge | Self::TooManyHeaders | Self::LineTooLong => 431,
            Self::MethodNotAllowed => 405,
            Self::MissingVersion | Self::UnsupportedVersion => 426,
            Self::OriginNotAllowed => 403,
            _ => 400,
        }
    }

    /// Appends the complete HTTP response for this error to `out`: status line,
    /// `Connection: close`, the headers the status requires (`Allow: GET` for 405;
    /// `Upgrade: websocket` and `Sec-WebSocket-Version: 13` for 426), and this error's
    /// [`Display`](fmt::Display) text as a `text/plain` body.
    ///
    /// ```
    /// use sockeye_handshake::RequestError;
    /// let mut out = Vec::new();
    /// RequestError::UnsupportedVersion.write_response(&mut out);
    /// let text = String::from_utf8(out).unwrap();
    /// assert!(text.starts_with("HTTP/1.1 426 Upgrade Required\r\n"));
    /// assert!(text.contains("\r\nSec-WebSocket-Version: 13\r\n"));
    /// ```
    pub fn write_response(&self, out: &mut Vec<u8>) {
        use std::io::Write as _;
        let status = self.status();
        write_status_line(out, status, crate::response::reason_phrase(status));
        match status {
            405 => out.extend_from_slice(b"Allow: GET\r\nConnection: close\r\n"),
            426 => out.extend_from_slice(
                b"Upgrade: websocket\r\nConnection: Upgrade, close\r\nSec-WebSocket-Version: 13\r\n",
            ),
            _ => out.extend_from_slice(b"Connection: close\r\n"),
        }
        let body = self.to_string();
        out.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: ");
        // Writing into a Vec cannot fail.
        let _ = write!(out, "{}\r\n\r\n{body}\n", body.len() + 1);
    }

    /// The response of [`RequestError::write_response`] as a new vector.
    pub fn to_response(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(160);
        self.write_response(&mut out);
        out
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("malformed HTTP request"),
            Self::HeadTooLarge => f.write_str("request head too large"),
            Self::TooManyHeaders => f.write_str("too many request headers"),
            Self::LineTooLong => f.write_str("request line or header line too long"),
            Self::MethodNotAllowed => f.write_str("the WebSocket handshake method is GET"),
            Self::HttpVersionTooOld => f.write_str("the WebSocket handshake needs HTTP/1.1"),
            Self::InvalidTarget => f.write_str("request-target is not in origin form"),
            Self::UnexpectedBody => f.write_str("the handshake request may not have a body"),
            Self::DuplicateHeader(name) => write!(f, "duplicate {name} header"),
            Self::MissingHost => f.write_str("missing Host header"),
            Self::UpgradeNotWebSocket => f.write_str("Upgrade header does not name websocket"),
            Self::ConnectionNotUpgrade => f.write_str("Connection header does not contain Upgrade"),
            Self::MissingVersion => f.write_str("missing Sec-WebSocket-Version header"),
            Self::UnsupportedVersion => f.write_str("unsupported Sec-WebSocket-Version"),
            Self::MissingKey => f.write_str("missing Sec-WebSocket-Key header"),
            Self::InvalidKey => f.write_str("Sec-WebSocket-Key is not 16 bytes in base64"),
            Self::InvalidProtocols => f.write_str("invalid Sec-WebSocket-Protocol header"),
            Self::InvalidExtensions => f.write_str("invalid Sec-WebSocket-Extensions header"),
            Self::OriginNotAllowed => f.write_str("origin not allowed"),
        }
    }
}

impl std::error::Error for RequestError {}

/// Why a client refuses a server's response to its opening handshake (RFC 6455 §4.1:
/// "the client MUST _Fail the WebSocket Connection_").
///
/// A well-formed response with a status other than 101 is not an error: it is
/// [`Outcome::Rejected`](crate::Outcome::Rejected).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseError {
    /// Not a well-formed HTTP/1.x response head.
    Malformed,
    /// The head did not end within [`Limits::max_head_len`](crate::Limits::max_head_len)
    /// bytes.
    HeadTooLarge,
    /// More than [`Limits::max_headers`](crate::Limits::max_headers) header lines.
    TooManyHeaders,
    /// A line longer than [`Limits::max_line_len`](crate::Limits::max_line_len).
    LineTooLong,
    /// A `101` response in HTTP/1.0, which has no such status.
    HttpVersionTooOld,
    /// A header that may appear once appeared twice (`Sec-WebSocket-Accept`,
    /// `Sec-WebSocket-Protocol`); carries its name.
    DuplicateHeader(&'static str),
    /// No `Upgrade` header naming `websocket` (§4.1, item 2 of the response checks).
    UpgradeNotWebSocket,
    /// No `Connection` header containing `Upgrade` (§4.1, item 3).
    ConnectionNotUpgrade,
    /// No `Sec-WebSocket-Accept` header (§4.1, item 4).
    MissingAccept,
    /// `Sec-WebSocket-Accept` is not the value derived from the key sent (§4.1, item 4).
    AcceptMismatch,
    /// `Sec-WebSocket-Extensions` does not follow the grammar of §9.1.
    InvalidExtensions,
    /// The server chose an extension the client did not offer (§4.1, item 5).
    ExtensionNotOffered,
    /// `Sec-WebSocket-Protocol` is not a single token.
    InvalidProtocol,
    /// The server chose a subprotocol the client did not offer (§4.1, item 6).
    ProtocolNotOffered,
    /// The server's `permessage-deflate` answer has a parameter not defined for a response
    /// (RFC 7692 §7).
    DeflateUnknownParameter,
    /// The server's `permessage-deflate` answer has this parameter twice (RFC 7692 §7).
    DeflateDuplicateParameter(&'static str),
    /// The server's `permessage-deflate` answer gives this parameter an invalid value: one
    /// where none belongs, none where one is required, or window bits other than `8` to
    /// `15` without leading zeroes (RFC 7692 §7.1).
    DeflateInvalidValue(&'static str),
    /// The server's `permessage-deflate` answer has this parameter where the offer did not
    /// allow it: `client_max_window_bits` not offered (§7.1.2.2), or
    /// `server_max_window_bits` larger than asked for (§7.1.2.1).
    DeflateNotOffered(&'static str),
    /// The server's `permessage-deflate` answer lacks this parameter, which accepting the
    /// offer requires (`server_no_context_takeover` or `server_max_window_bits` asked
    /// for; RFC 7692 §7.1.1.1, §7.1.2.1).
    DeflateMissingParameter(&'static str),
    /// The server accepted `permessage-deflate` twice (RFC 7692 §5: only one extension may
    /// use RSV1).
    DeflateAcceptedTwice,
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("malformed HTTP response"),
            Self::HeadTooLarge => f.write_str("response head too large"),
            Self::TooManyHeaders => f.write_str("too many response headers"),
            Self::LineTooLong => f.write_str("response status line or header line too long"),
            Self::HttpVersionTooOld => f.write_str("101 response in HTTP/1.0"),
            Self::DuplicateHeader(name) => write!(f, "duplicate {name} header"),
            Self::UpgradeNotWebSocket => f.write_str("Upgrade header does not name websocket"),
            Self::ConnectionNotUpgrade => f.write_str("Connection header does not contain Upgrade"),
            Self::MissingAccept => f.write_str("missing Sec-WebSocket-Accept header"),
            Self::AcceptMismatch => f.write_str("Sec-WebSocket-Accept does not match the key"),
            Self::InvalidExtensions => f.write_str("invalid Sec-WebSocket-Extensions header"),
            Self::ExtensionNotOffered => f.write_str("server chose an extension not offered"),
            Self::InvalidProtocol => f.write_str("invalid Sec-WebSocket-Protocol header"),
            Self::ProtocolNotOffered => f.write_str("server chose a subprotocol not offered"),
            Self::DeflateUnknownParameter => {
                f.write_str("permessage-deflate response has an unknown parameter")
            }
            Self::DeflateDuplicateParameter(name) => {
                write!(f, "permessage-deflate response has {name} twice")
            }
            Self::DeflateInvalidValue(name) => {
                write!(f, "permessage-deflate response has an invalid {name}")
            }
            Self::DeflateNotOffered(name) => {
                write!(
                    f,
                    "permessage-deflate response has {name} beyond what was offered"
                )
            }
            Self::DeflateMissingParameter(name) => {
                write!(f, "permessage-deflate response lacks the requested {name}")
            }
            Self::DeflateAcceptedTwice => f.write_str("server accepted permessage-deflate twice"),
        }
    }
}

impl std::error::Error for ResponseError {}

/// Local misuse: the caller asked to build something that may not be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BuildError {
    /// A header name that is not an RFC 7230 token (this rejects CR, LF, `:` and spaces).
    InvalidHeaderName,
    /// A header value with a control character other than HTAB (this rejects CR and LF,
    /// so no header or response can be injected), or DEL.
    InvalidHeaderValue,
    /// A header the handshake writes itself (`Host`, `Upgrade`, `Connection`,
    /// `Sec-WebSocket-*`, `Content-Length`, `Transfer-Encoding`); use the dedicated method.
    ReservedHeader,
    /// A subprotocol, extension or parameter name that is not an RFC 7230 token.
    InvalidToken,
    /// An extension parameter value that is neither a token nor printable ASCII that can
    /// be sent as a quoted-string.
    InvalidParamValue,
    /// The same subprotocol offered twice (§4.1 item 10: the elements "MUST all be unique").
    DuplicateProtocol,
    /// The server chose a subprotocol the client did not offer (§4.2.2: the server picks
    /// "one of the values ... in the client's handshake").
    ProtocolNotOffered,
    /// The server accepted an extension the client did not offer (§9.1).
    ExtensionNotOffered,
    /// A rejection status outside 200–599 (a `101` would be an acceptance).
    InvalidStatus,
    /// A reason phrase with a control character.
    InvalidReason,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InvalidHeaderName => "header name is not a token",
            Self::InvalidHeaderValue => "header value contains a control character",
            Self::ReservedHeader => "header is written by the handshake itself",
            Self::InvalidToken => "not an RFC 7230 token",
            Self::InvalidParamValue => "extension parameter value cannot be sent",
            Self::DuplicateProtocol => "subprotocol offered twice",
            Self::ProtocolNotOffered => "subprotocol was not offered by the client",
            Self::ExtensionNotOffered => "extension was not offered by the client",
            Self::InvalidStatus => "rejection status outside 200-599",
            Self::InvalidReason => "reason phrase contains a control character",
        })
    }
}

impl std::error::Error for BuildError {}

impl From<crate::scan::ScanError> for RequestError {
    fn from(e: crate::scan::ScanError) -> Self {
        match e {
            crate::scan::ScanError::HeadTooLarge => Self::HeadTooLarge,
            crate::scan::ScanError::TooManyHeaders => Self::TooManyHeaders,
            crate::scan::ScanError::LineTooLong => Self::LineTooLong,
        }
    }
}

impl From<crate::scan::ScanError> for ResponseError {
    fn from(e: crate::scan::ScanError) -> Self {
        match e {
            crate::scan::ScanError::HeadTooLarge => Self::HeadTooLarge,
            crate::scan::ScanError::TooManyHeaders => Self::TooManyHeaders,
            crate::scan::ScanError::LineTooLong => Self::LineTooLong,
        }
    }
}

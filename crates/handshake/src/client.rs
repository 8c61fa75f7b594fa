//! Client role: the request builder and the handshake state that checks the response.
#![deny(clippy::indexing_slicing)]

use crate::client_response::parse_response;
use crate::extensions::write_list;
use crate::response::{check_header, write_header};
use crate::scan::Scanner;
use crate::tokens::{is_field_value, is_token};
use crate::{AcceptKey, BuildError, Extension, Key, Limits, Outcome, ResponseError, Status, WsUrl};

/// A client's opening handshake request (RFC 6455 §4.1), built from a URL.
///
/// ```
/// use sockeye_handshake::{ClientRequest, Extension, WsUrl};
/// let url = WsUrl::parse("ws://example.com:9001/chat?room=1")?;
/// // 16 bytes from a cryptographically secure source in real code (§10.3).
/// let nonce = *b"the sample nonce";
/// let request = ClientRequest::new(&url, nonce)
///     .protocol("chat")?
///     .extension(Extension::new("permessage-deflate")?.with_param("client_max_window_bits", None)?)
///     .origin("http://example.com")?
///     .header("Cookie", "a=1")?;
/// let mut out = Vec::new();
/// let _handshake = request.write(&mut out);
/// assert_eq!(
///     out,
///     b"GET /chat?room=1 HTTP/1.1\r\nHost: example.com:9001\r\nUpgrade: websocket\r\n\
///       Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///       Sec-WebSocket-Version: 13\r\nOrigin: http://example.com\r\n\
///       Sec-WebSocket-Protocol: chat\r\n\
///       Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
///       Cookie: a=1\r\n\r\n"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequest {
    resource: String,
    host: String,
    key: Key,
    origin: Option<String>,
    protocols: Vec<String>,
    extensions: Vec<Extension>,
    headers: Vec<(String, String)>,
    limits: Limits,
}

impl ClientRequest {
    /// A request for `url` with the key made from `nonce`.
    ///
    /// `nonce` must be 16 bytes from a cryptographically secure random source, fresh for
    /// each connection (§4.1 "selected randomly for each connection", §10.3). This crate
    /// has no random source of its own.
    pub fn new(url: &WsUrl, nonce: [u8; 16]) -> Self {
        Self {
            resource: url.resource_name().to_owned(),
            host: url.host_header(),
            key: Key::from_nonce(nonce),
            origin: None,
            protocols: Vec::new(),
            extensions: Vec::new(),
            headers: Vec::new(),
            limits: Limits::new(),
        }
    }

    /// Offers a subprotocol (a token), in order of preference.
    ///
    /// # Errors
    /// [`BuildError::InvalidToken`], or [`BuildError::DuplicateProtocol`] if already
    /// offered.
    pub fn protocol(mut self, protocol: &str) -> Result<Self, BuildError> {
        if !is_token(protocol.as_bytes()) {
            return Err(BuildError::InvalidToken);
        }
        if self.protocols.iter().any(|p| p == protocol) {
            return Err(BuildError::DuplicateProtocol);
        }
        self.protocols.push(protocol.to_owned());
        Ok(self)
    }

    /// Offers an extension with its parameters, in order of preference.
    #[must_use]
    pub fn extension(mut self, extension: Extension) -> Self {
        self.extensions.push(extension);
        self
    }

    /// Sends `Origin` (what a browser would; §4.1 item 8, §10.2).
    ///
    /// # Errors
    /// [`BuildError::InvalidHeaderValue`] for a control character.
    pub fn origin(mut self, origin: &str) -> Result<Self, BuildError> {
        if !is_field_value(origin.as_bytes()) {
            return Err(BuildError::InvalidHeaderValue);
        }
        self.origin = Some(origin.to_owned());
        Ok(self)
    }

    /// Adds a header (cookies, authorization, user agent...).
    ///
    /// # Errors
    /// [`BuildError::InvalidHeaderName`] / [`BuildError::InvalidHeaderValue`] for a name
    /// that is not a token or a value with CR, LF or another control character (no header
    /// injection); [`BuildError::ReservedHeader`] for one the request writes itself.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, BuildError> {
        check_header(name, value)?;
        if name.eq_ignore_ascii_case("origin") {
            return Err(BuildError::ReservedHeader);
        }
        self.headers.push((name.to_owned(), value.to_owned()));
        Ok(self)
    }

    /// The caps for the server's response (default [`Limits::new`]).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The key sent.
    pub fn key(&self) -> Key {
        self.key
    }

    /// Appends the request to `out` and returns the handshake state that reads and checks
    /// the server's response.
    pub fn write(self, out: &mut Vec<u8>) -> ClientHandshake {
        out.extend_from_slice(b"GET ");
        out.extend_from_slice(self.resource.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\n");
        write_header(out, "Host", self.host.as_bytes());
        out.extend_from_slice(b"Upgrade: websocket\r\nConnection: Upgrade\r\n");
        write_header(out, "Sec-WebSocket-Key", self.key.as_str().as_bytes());
        out.extend_from_slice(b"Sec-WebSocket-Version: 13\r\n");
        if let Some(origin) = &self.origin {
            write_header(out, "Origin", origin.as_bytes());
        }
        if !self.protocols.is_empty() {
            out.extend_from_slice(b"Sec-WebSocket-Protocol: ");
            for (i, p) in self.protocols.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                out.extend_from_slice(p.as_bytes());
            }
            out.extend_from_slice(b"\r\n");
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
        ClientHandshake {
            accept: self.key.accept(),
            protocols: self.protocols,
            extensions: self
                .extensions
                .into_iter()
                .map(|e| e.name().to_owned())
                .collect(),
            scanner: Scanner::default(),
            limits: self.limits,
        }
    }
}

/// A client waiting for the server's response: feed it the received bytes.
///
/// Like [`RequestParser`](crate::RequestParser), keep the bytes in one buffer and pass all
/// of it on each call; each byte is examined once. The result owns its data.
#[derive(Debug, Clone)]
pub struct ClientHandshake {
    pub(crate) accept: AcceptKey,
    pub(crate) protocols: Vec<String>,
    /// Names of the extensions offered.
    pub(crate) extensions: Vec<String>,
    scanner: Scanner,
    limits: Limits,
}

impl ClientHandshake {
    /// Looks at the new bytes of `buf` and, once the response head is complete, parses
    /// and checks it (§4.1). [`Outcome::Accepted`] for a valid `101`;
    /// [`Outcome::Rejected`] for any other status, with the response (redirect
    /// `Location`, `401` challenge...). Bytes after [`Outcome::head_len`] are the server's
    /// first frames (or the rejection's body).
    ///
    /// # Errors
    /// A [`ResponseError`] when the response is malformed, too large, or a `101` that
    /// breaks a rule of §4.1: fail the connection.
    pub fn parse_response(&mut self, buf: &[u8]) -> Result<Status<Outcome>, ResponseError> {
        match self.scanner.next_head(buf, &self.limits)? {
            Some((head, header_lines)) => {
                parse_response(self, head, header_lines).map(Status::Complete)
            }
            None => Ok(Status::Incomplete),
        }
    }

    /// The `Sec-WebSocket-Accept` value the server must answer with.
    pub fn expected_accept(&self) -> AcceptKey {
        self.accept
    }

    /// Bytes examined so far (scanning and the final parse); see
    /// [`RequestParser::bytes_scanned`](crate::RequestParser::bytes_scanned).
    pub fn bytes_scanned(&self) -> u64 {
        self.scanner.bytes_scanned()
    }
}

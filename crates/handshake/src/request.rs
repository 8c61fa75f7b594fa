//! Server role: the incremental request parser and the validated [`Request`].
#![deny(clippy::indexing_slicing)]

use crate::extensions::parse_list;
use crate::headers::{Field, Headers, Span};
use crate::scan::Scanner;
use crate::tokens::{is_token, list_contains, list_items, trim_ows};
use crate::{Accept, BuildError, Extension, Key, Limits, RequestError, Status};

/// Parses a client's opening handshake from bytes that arrive in pieces.
///
/// Keep the received bytes in one buffer and pass all of it on every call; the parser
/// remembers how far it looked and examines each byte once (see the crate docs). On
/// [`Status::Complete`] the request's head is the first [`Request::head_len`] bytes of the
/// buffer; anything after it is the client's first frames.
///
/// After `Complete` or an error the parser is ready for a new buffer; the work counter
/// [`RequestParser::bytes_scanned`] keeps counting.
#[derive(Debug, Clone, Default)]
pub struct RequestParser {
    scanner: Scanner,
    limits: Limits,
}

impl RequestParser {
    /// A parser enforcing `limits`.
    pub fn new(limits: Limits) -> Self {
        Self {
            scanner: Scanner::default(),
            limits,
        }
    }

    /// Looks at the new bytes of `buf` (the buffer of the previous call with bytes
    /// appended) and, once the head is complete, parses and validates it (§4.2.1).
    ///
    /// # Errors
    /// A [`RequestError`] names the rule broken; send its
    /// [`response`](RequestError::write_response) and close the connection.
    pub fn parse(&mut self, buf: &[u8]) -> Result<Status<Request>, RequestError> {
        match self.next_complete_head(buf)? {
            Some((head, header_lines)) => {
                Request::parse_head(head, header_lines).map(Status::Complete)
            }
            None => Ok(Status::Incomplete),
        }
    }

    /// The head and its header line count once it is complete (limits enforced).
    pub(crate) fn next_complete_head<'b>(
        &mut self,
        buf: &'b [u8],
    ) -> Result<Option<(&'b [u8], usize)>, RequestError> {
        // First, on every call: the verdict on these bytes must not depend on how they
        // were split (a whole head breaking a cap and a prefix of it would otherwise get
        // different errors).
        if !method_may_be_valid(buf) {
            return Err(RequestError::Malformed);
        }
        Ok(self.scanner.next_head(buf, &self.limits)?)
    }

    /// Bytes examined so far by this parser (scanning and the final parse), over its whole
    /// life: a measure of work that stays within a small constant times the bytes
    /// received, however they were split.
    pub fn bytes_scanned(&self) -> u64 {
        self.scanner.bytes_scanned()
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

/// How much of an incomplete head [`method_may_be_valid`] looks at, at most: constant
/// work per call, whatever the head's length.
const METHOD_PREFIX: usize = 32;

/// Whether the start of a head can still begin a request line: after any
/// empty lines (RFC 9112 §2.2 lets a server skip them), the bytes before the first space
/// are a method token (RFC 9110 §9.1). Bytes that are not (a TLS ClientHello sent to a
/// plain port starts with 0x16) are refused at once with a 400, instead of waiting for a
/// head that never ends until the handshake deadline.
fn method_may_be_valid(buf: &[u8]) -> bool {
    let start = buf
        .iter()
        .take(METHOD_PREFIX)
        .position(|&b| b != b'\r' && b != b'\n');
    let Some(start) = start else {
        return true;
    };
    buf.get(start..)
        .unwrap_or_default()
        .iter()
        .take(METHOD_PREFIX)
        .take_while(|&&b| b != b' ')
        .all(|&b| crate::tokens::is_tchar(b))
}

/// A validated opening handshake request (RFC 6455 §4.2.1).
///
/// It owns a copy of the head; the caller's buffer may be dropped. Decide with
/// [`Request::accept`] (or [`Request::accept_with`]), or write a rejection with
/// [`Reject`](crate::Reject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    headers: Headers,
    target: Span,
    path_len: usize,
    host: Span,
    origin: Option<Span>,
    key: Key,
    protocols: Vec<String>,
    extensions: Vec<Extension>,
}

/// What the header loop saw of the handshake headers.
#[derive(Default)]
struct Seen {
    host: Option<Span>,
    origin: Option<Span>,
    key: Option<Span>,
    version: Option<Span>,
    upgrade: bool,
    connection: bool,
    body: bool,
    duplicate: Option<&'static str>,
    protocols_ok: bool,
    extensions_ok: bool,
}

fn once(slot: &mut Option<Span>, value: Span, name: &'static str, dup: &mut Option<&str>) {
    if slot.is_some() {
        dup.get_or_insert(name);
    } else {
        *slot = Some(value);
    }
}

impl Request {
    /// Parses and validates a complete head (`head` ends with the blank line).
    pub(crate) fn parse_head(head: &[u8], header_lines: usize) -> Result<Self, RequestError> {
        let mut slots = vec![httparse::EMPTY_HEADER; header_lines];
        let mut req = httparse::Request::new(&mut slots);
        match req.parse(head) {
            Ok(httparse::Status::Complete(n)) if n == head.len() => {}
            _ => return Err(RequestError::Malformed),
        }
        // §4.1: "The method of the request MUST be GET, and the HTTP version MUST be at
        // least 1.1."
        if req.method != Some("GET") {
            return Err(RequestError::MethodNotAllowed);
        }
        if req.version != Some(1) {
            return Err(RequestError::HttpVersionTooOld);
        }
        let target = req.path.unwrap_or_default();
        // §4.1: "The "Request-URI" part of the request MUST match the /resource name/".
        if !target.starts_with('/') {
            return Err(RequestError::InvalidTarget);
        }

        let owned: Box<[u8]> = head.into();
        let span = |part: &[u8]| Span::of(head, part).ok_or(RequestError::Malformed);
        let target = span(target.as_bytes())?;
        let mut fields = Vec::with_capacity(req.headers.len());
        let mut seen = Seen {
            protocols_ok: true,
            extensions_ok: true,
            ..Seen::default()
        };
        let mut protocols = Vec::new();
        let mut extensions = Vec::new();
        for h in req.headers.iter() {
            let name = h.name.as_bytes();
            let value = span(h.value)?;
            fields.push(Field {
                name: span(name)?,
                value,
            });
            let v = h.value;
            if name.eq_ignore_ascii_case(b"host") {
                once(&mut seen.host, value, "Host", &mut seen.duplicate);
            } else if name.eq_ignore_ascii_case(b"upgrade") {
                // Upgrade and Connection are lists (RFC 7230 §6.1, §6.7): repeats combine.
                seen.upgrade |= list_contains(v, "websocket");
            } else if name.eq_ignore_ascii_case(b"connection") {
                seen.connection |= list_contains(v, "upgrade");
            } else if name.eq_ignore_ascii_case(b"sec-websocket-key") {
                once(
                    &mut seen.key,
                    value,
                    "Sec-WebSocket-Key",
                    &mut seen.duplicate,
                );
            } else if name.eq_ignore_ascii_case(b"sec-websocket-version") {
                once(
                    &mut seen.version,
                    value,
                    "Sec-WebSocket-Version",
                    &mut seen.duplicate,
                );
            } else if name.eq_ignore_ascii_case(b"origin") {
                once(&mut seen.origin, value, "Origin", &mut seen.duplicate);
            } else if name.eq_ignore_ascii_case(b"sec-websocket-protocol") {
                // Repeats are one list (RFC 7230 §3.2.2).
                for item in list_items(v) {
                    // A token is ASCII, so always UTF-8.
                    match core::str::from_utf8(item) {
                        Ok(p) if is_token(item) => protocols.push(p.to_owned()),
                        _ => seen.protocols_ok = false,
                    }
                }
            } else if name.eq_ignore_ascii_case(b"sec-websocket-extensions") {
                seen.extensions_ok &= parse_list(v, &mut extensions).is_ok();
            } else if name.eq_ignore_ascii_case(b"content-length") {
                seen.body |= trim_ows(v) != b"0";
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                seen.body = true;
            }
        }

        if seen.body {
            return Err(RequestError::UnexpectedBody);
        }
        if let Some(name) = seen.duplicate {
            return Err(RequestError::DuplicateHeader(name));
        }
        let host = match seen.host {
            Some(host) if !host.get(head).is_empty() => host,
            _ => return Err(RequestError::MissingHost),
        };
        if core::str::from_utf8(host.get(head)).is_err()
            || seen
                .origin
                .is_some_and(|o| core::str::from_utf8(o.get(head)).is_err())
        {
            return Err(RequestError::Malformed);
        }
        if !seen.upgrade {
            return Err(RequestError::UpgradeNotWebSocket);
        }
        if !seen.connection {
            return Err(RequestError::ConnectionNotUpgrade);
        }
        // The version is checked before the key: a client of another protocol version
        // learns from the 426 which version to speak (§4.4).
        match seen.version {
            None => return Err(RequestError::MissingVersion),
            Some(v) if v.get(head) != b"13" => return Err(RequestError::UnsupportedVersion),
            Some(_) => {}
        }
        let key = seen.key.ok_or(RequestError::MissingKey)?;
        let key = Key::parse(key.get(head)).ok_or(RequestError::InvalidKey)?;
        if !seen.protocols_ok {
            return Err(RequestError::InvalidProtocols);
        }
        if !seen.extensions_ok {
            return Err(RequestError::InvalidExtensions);
        }

        let path_len = target
            .get(head)
            .iter()
            .position(|&b| b == b'?')
            .unwrap_or(target.end - target.start);
        Ok(Self {
            headers: Headers::new(owned, fields),
            target,
            path_len,
            host,
            origin: seen.origin,
            key,
            protocols,
            extensions,
        })
    }

    /// The request-target: path and query, e.g. `/chat?room=1`.
    pub fn target(&self) -> &str {
        self.target.get_str(self.headers.head())
    }

    /// The path: the target up to `?`.
    pub fn path(&self) -> &str {
        self.target().get(..self.path_len).unwrap_or_default()
    }

    /// The query, after `?`, if there is one.
    pub fn query(&self) -> Option<&str> {
        self.target().get(self.path_len..)?.strip_prefix('?')
    }

    /// The `Host` header's value (§4.2.1 item 2).
    pub fn host(&self) -> &str {
        self.host.get_str(self.headers.head())
    }

    /// The `Origin` header's value, if sent (browsers always send it, §10.2).
    pub fn origin(&self) -> Option<&str> {
        self.origin.map(|o| o.get_str(self.headers.head()))
    }

    /// The validated `Sec-WebSocket-Key`.
    pub fn key(&self) -> Key {
        self.key
    }

    /// The offered subprotocols, in the client's order of preference, every
    /// `Sec-WebSocket-Protocol` header concatenated.
    pub fn protocols(&self) -> &[String] {
        &self.protocols
    }

    /// The offered extensions with their parameters, in order, every
    /// `Sec-WebSocket-Extensions` header concatenated.
    pub fn extensions(&self) -> &[Extension] {
        &self.extensions
    }

    /// Every header of the request (cookies, authorization, ...).
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The bytes the request took in the buffer, through its blank line. The bytes after
    /// them are the client's first frames: hand them to the frame layer untouched.
    pub fn head_len(&self) -> usize {
        self.headers.head().len()
    }

    /// Writes the `101 Switching Protocols` response accepting this request with the
    /// choices in `accept`.
    ///
    /// # Errors
    /// [`BuildError::ProtocolNotOffered`] or [`BuildError::ExtensionNotOffered`] if
    /// `accept` chooses what the client did not offer; nothing is written then.
    pub fn accept_with(&self, accept: &Accept, out: &mut Vec<u8>) -> Result<(), BuildError> {
        if let Some(protocol) = accept.get_protocol()
            && !self.protocols.iter().any(|p| p == protocol)
        {
            return Err(BuildError::ProtocolNotOffered);
        }
        for ext in accept.get_extensions() {
            if !self
                .extensions
                .iter()
                .any(|offered| offered.name().eq_ignore_ascii_case(ext.name()))
            {
                return Err(BuildError::ExtensionNotOffered);
            }
        }
        accept.write(&self.key.accept(), out);
        Ok(())
    }

    /// Writes the `101 Switching Protocols` response with no subprotocol, no extension and
    /// no extra header.
    pub fn accept(&self, out: &mut Vec<u8>) {
        Accept::new().write(&self.key.accept(), out);
    }
}

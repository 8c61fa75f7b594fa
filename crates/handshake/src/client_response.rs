//! Client role: the server's response, parsed and checked (RFC 6455 §4.1).
#![deny(clippy::indexing_slicing)]

use crate::extensions::parse_list;
use crate::headers::{Field, Headers, Span};
use crate::tokens::{is_token, list_contains};
use crate::{ClientHandshake, Extension, ResponseError};

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A valid `101 Switching Protocols`: the connection is a WebSocket now.
    Accepted(Accepted),
    /// Any other status: the handshake failed, here is why (a redirect's `Location`, a
    /// `401`'s challenge...). Bytes after the head are the response's body, if any.
    Rejected(Response),
}

impl Outcome {
    /// The bytes the response head took in the buffer; what follows are the server's
    /// first frames (accepted) or the body (rejected).
    pub fn head_len(&self) -> usize {
        self.response().head_len()
    }

    /// The response, accepted or not.
    pub fn response(&self) -> &Response {
        match self {
            Self::Accepted(a) => &a.response,
            Self::Rejected(r) => r,
        }
    }
}

/// The server's valid `101` answer: what it chose from the client's offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    protocol: Option<String>,
    extensions: Vec<Extension>,
    response: Response,
}

impl Accepted {
    /// The subprotocol the server chose, one the client offered.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The extensions the server accepted, with the parameters of its answer, in order.
    /// Every name was offered; whether the parameters are acceptable is for the extension
    /// to decide (§9.1).
    pub fn extensions(&self) -> &[Extension] {
        &self.extensions
    }

    /// The whole response (e.g. for `Set-Cookie`).
    pub fn response(&self) -> &Response {
        &self.response
    }

    /// See [`Outcome::head_len`].
    pub fn head_len(&self) -> usize {
        self.response.head_len()
    }
}

/// An HTTP response head, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    status: u16,
    reason: Span,
    headers: Headers,
}

impl Response {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase (empty if it was not UTF-8).
    pub fn reason(&self) -> &str {
        self.reason.get_str(self.headers.head())
    }

    /// Every header.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The `Location` header of a redirect, if any.
    pub fn location(&self) -> Option<&str> {
        self.headers.get_str("location")
    }

    /// The bytes the head took, through its blank line.
    pub fn head_len(&self) -> usize {
        self.headers.head().len()
    }
}

/// Parses a complete response head and checks a `101` against what `hs` offered.
pub(crate) fn parse_response(
    hs: &ClientHandshake,
    head: &[u8],
    header_lines: usize,
) -> Result<Outcome, ResponseError> {
    let mut slots = vec![httparse::EMPTY_HEADER; header_lines];
    let mut resp = httparse::Response::new(&mut slots);
    match resp.parse(head) {
        Ok(httparse::Status::Complete(n)) if n == head.len() => {}
        _ => return Err(ResponseError::Malformed),
    }
    let span = |part: &[u8]| Span::of(head, part).ok_or(ResponseError::Malformed);
    let status = resp.code.ok_or(ResponseError::Malformed)?;
    let reason = span(resp.reason.unwrap_or_default().as_bytes())?;
    let mut fields = Vec::with_capacity(resp.headers.len());
    for h in resp.headers.iter() {
        fields.push(Field {
            name: span(h.name.as_bytes())?,
            value: span(h.value)?,
        });
    }
    let response = Response {
        status,
        reason,
        headers: Headers::new(head.into(), fields),
    };
    if status != 101 {
        return Ok(Outcome::Rejected(response));
    }
    if resp.version != Some(1) {
        return Err(ResponseError::HttpVersionTooOld);
    }

    let mut upgrade = false;
    let mut connection = false;
    let mut accept = None;
    let mut protocol: Option<&[u8]> = None;
    let mut extensions = Vec::new();
    let mut extensions_ok = true;
    let mut duplicate = None;
    for (name, value) in response.headers.iter() {
        if name.eq_ignore_ascii_case("upgrade") {
            upgrade |= list_contains(value, "websocket");
        } else if name.eq_ignore_ascii_case("connection") {
            connection |= list_contains(value, "upgrade");
        } else if name.eq_ignore_ascii_case("sec-websocket-accept") {
            if accept.replace(value).is_some() {
                duplicate.get_or_insert("Sec-WebSocket-Accept");
            }
        } else if name.eq_ignore_ascii_case("sec-websocket-protocol") {
            if protocol.replace(value).is_some() {
                duplicate.get_or_insert("Sec-WebSocket-Protocol");
            }
        } else if name.eq_ignore_ascii_case("sec-websocket-extensions") {
            extensions_ok &= parse_list(value, &mut extensions).is_ok();
        }
    }
    // §4.1, the client's checks of the server's handshake, in the RFC's order.
    if let Some(name) = duplicate {
        return Err(ResponseError::DuplicateHeader(name));
    }
    if !upgrade {
        return Err(ResponseError::UpgradeNotWebSocket);
    }
    if !connection {
        return Err(ResponseError::ConnectionNotUpgrade);
    }
    match accept {
        None => return Err(ResponseError::MissingAccept),
        Some(a) if a != hs.accept.as_bytes() => return Err(ResponseError::AcceptMismatch),
        Some(_) => {}
    }
    if !extensions_ok {
        return Err(ResponseError::InvalidExtensions);
    }
    // "If the response includes a |Sec-WebSocket-Extensions| header field and this header
    // field indicates the use of an extension that was not present in the client's
    // handshake ..., the client MUST _Fail the WebSocket Connection_."
    if !extensions.iter().all(|e: &Extension| {
        hs.extensions
            .iter()
            .any(|offered| offered.eq_ignore_ascii_case(e.name()))
    }) {
        return Err(ResponseError::ExtensionNotOffered);
    }
    // "If the response includes a |Sec-WebSocket-Protocol| header field and this header
    // field indicates the use of a subprotocol that was not present in the client's
    // handshake ..., the client MUST _Fail the WebSocket Connection_."
    let protocol = match protocol {
        None => None,
        Some(p) if !is_token(p) => return Err(ResponseError::InvalidProtocol),
        Some(p) => match hs.protocols.iter().find(|o| o.as_bytes() == p) {
            Some(offered) => Some(offered.clone()),
            None => return Err(ResponseError::ProtocolNotOffered),
        },
    };
    Ok(Outcome::Accepted(Accepted {
        protocol,
        extensions,
        response,
    }))
}

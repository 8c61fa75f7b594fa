//! The client's error type.

use core::fmt;
use std::io;

use sockeye_handshake::{BuildError, Headers, Response, ResponseError, UrlError};
use sockeye_proto::CloseCode;

/// Which deadline ran out (the payload of [`Error::Timeout`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Timeout {
    /// The TCP connection was not established within
    /// [`ClientBuilder::connect_timeout`](crate::ClientBuilder::connect_timeout).
    Connect,
    /// The server's `101` response was not complete within
    /// [`ClientBuilder::handshake_timeout`](crate::ClientBuilder::handshake_timeout).
    Handshake,
    /// No message within [`ClientBuilder::read_timeout`](crate::ClientBuilder::read_timeout).
    /// The connection is still usable: call `recv` again.
    Read,
    /// A write did not complete within
    /// [`ClientBuilder::write_timeout`](crate::ClientBuilder::write_timeout). The
    /// connection is closed (part of a frame may have been written).
    Write,
}

/// A non-`101` answer to the opening handshake: a redirect, `401 Unauthorized`,
/// `404`, `503`... The connection is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The response head.
    pub response: Response,
    /// Whatever bytes of the body arrived with the head (at most one read's worth;
    /// the body is not read further).
    pub body: Vec<u8>,
}

impl Rejected {
    /// The status code, e.g. `401`.
    pub fn status(&self) -> u16 {
        self.response.status()
    }

    /// Every header of the response.
    pub fn headers(&self) -> &Headers {
        self.response.headers()
    }

    /// The `Location` of a redirect.
    pub fn location(&self) -> Option<&str> {
        self.response.location()
    }
}

/// Everything that can go wrong with a client connection.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The URL is not a valid `ws://` URL.
    Url(UrlError),
    /// The URL is `wss://` and this build has no TLS (the crate's `tls` feature).
    TlsNotSupported,
    /// The TLS session failed: the server's certificate was refused (unknown issuer, name
    /// mismatch, expired...), the server refused ours or the session, or the bytes were
    /// not TLS. Each cause is its own [`TlsError`](sockeye_driver::tls::TlsError) variant.
    #[cfg(feature = "tls")]
    Tls(sockeye_driver::tls::TlsError),
    /// TLS could not be set up: the system's roots or a CA file could not be loaded.
    #[cfg(feature = "tls")]
    TlsConfig(String),
    /// The host name resolved to no address.
    NoAddress,
    /// An option is not valid in a request: a subprotocol that is not a token, a header
    /// name or value that could inject into the request, a header the client writes itself.
    InvalidOption(BuildError),
    /// The operating system's random source failed: no key or mask could be made.
    Random,
    /// A socket error.
    Io(io::Error),
    /// A deadline ran out.
    Timeout(Timeout),
    /// The server answered the opening handshake with a status other than `101`.
    Rejected(Box<Rejected>),
    /// The server's handshake response is malformed, too large, or a `101` that breaks a
    /// rule of RFC 6455 §4.1 (wrong `Sec-WebSocket-Accept`, a subprotocol not offered...).
    Handshake(ResponseError),
    /// The server closed the connection before its handshake response was complete.
    HandshakeEof,
    /// The WebSocket connection failed or was misused (see [`sockeye_proto::Error`]):
    /// the server broke the protocol (its close code is in
    /// [`close_code`](Self::close_code); the close frame was sent to it), the close
    /// handshake or keepalive timed out, TCP ended without a close handshake (1006), or
    /// the caller tried to send after closing.
    Protocol(sockeye_proto::Error),
    /// The connection is closed: the closing handshake completed (normal end), or an
    /// earlier error ended it. Nothing more can be received or sent.
    ConnectionClosed,
    /// Non-blocking client: the message does not fit in the output buffer
    /// ([`ClientBuilder::max_write_buffer`](crate::ClientBuilder::max_write_buffer));
    /// nothing was queued. Wait for the socket to drain.
    WriteBufferFull,
    /// Non-blocking client: the opening handshake has not completed yet.
    NotOpen,
}

impl Error {
    /// The close code that describes the end of the connection, for protocol errors:
    /// the code sent to a server that broke the protocol (1002, 1007, 1009...), or 1006
    /// for timeouts and an abrupt end.
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Self::Protocol(e) => e.close_code(),
            _ => None,
        }
    }

    /// Whether this is [`Error::Timeout`] of the given kind.
    pub fn is_timeout(&self, kind: Timeout) -> bool {
        matches!(self, Self::Timeout(k) if *k == kind)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(e) => write!(f, "invalid WebSocket URL: {e}"),
            Self::TlsNotSupported => f.write_str(
                "TLS not supported: this build of sockeye-client has no `tls` feature (use ws://)",
            ),
            #[cfg(feature = "tls")]
            Self::Tls(e) => write!(f, "TLS: {e}"),
            #[cfg(feature = "tls")]
            Self::TlsConfig(e) => write!(f, "TLS configuration: {e}"),
            Self::NoAddress => f.write_str("host name resolved to no address"),
            Self::InvalidOption(e) => write!(f, "invalid client option: {e}"),
            Self::Random => f.write_str("the operating system's random source failed"),
            Self::Io(e) => write!(f, "I/O error: {e}"),
            Self::Timeout(Timeout::Connect) => f.write_str("connect timed out"),
            Self::Timeout(Timeout::Handshake) => f.write_str("opening handshake timed out"),
            Self::Timeout(Timeout::Read) => f.write_str("read timed out"),
            Self::Timeout(Timeout::Write) => f.write_str("write timed out"),
            Self::Rejected(r) => {
                write!(
                    f,
                    "server refused the WebSocket upgrade: {} {}",
                    r.status(),
                    r.response.reason()
                )?;
                if let Some(location) = r.location() {
                    write!(f, " (Location: {location})")?;
                }
                Ok(())
            }
            Self::Handshake(e) => write!(f, "invalid handshake response: {e}"),
            Self::HandshakeEof => f.write_str("server closed the connection during the handshake"),
            Self::Protocol(e) => write!(f, "WebSocket error: {e}"),
            Self::ConnectionClosed => f.write_str("connection closed"),
            Self::WriteBufferFull => f.write_str("output buffer full"),
            Self::NotOpen => f.write_str("opening handshake not complete"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Url(e) => Some(e),
            Self::InvalidOption(e) => Some(e),
            Self::Io(e) => Some(e),
            Self::Handshake(e) => Some(e),
            Self::Protocol(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<UrlError> for Error {
    fn from(e: UrlError) -> Self {
        Self::Url(e)
    }
}

impl From<BuildError> for Error {
    fn from(e: BuildError) -> Self {
        Self::InvalidOption(e)
    }
}

impl From<ResponseError> for Error {
    fn from(e: ResponseError) -> Self {
        Self::Handshake(e)
    }
}

impl From<sockeye_proto::Error> for Error {
    fn from(e: sockeye_proto::Error) -> Self {
        Self::Protocol(e)
    }
}

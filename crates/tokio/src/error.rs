//! The one error type of the crate.

use core::fmt;
use std::io;

use sockeye_driver::{Driver, Rejection, SendError};
use sockeye_handshake::{BuildError, RequestError, ResponseError, UrlError};
use sockeye_proto::CloseCode;

/// Everything that can go wrong with a connection, its handshake, or a send.
///
/// Errors that end the connection come out of the stream once, after the messages that
/// arrived before them; the stream then ends (`None`). The others (`Misuse`,
/// `WriteBufferFull` with [`OverflowPolicy::Refuse`](sockeye_driver::OverflowPolicy),
/// `InvalidOption`) leave the connection as it was.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The URL is not a valid `ws://` or `wss://` URL.
    Url(UrlError),
    /// [`connect`](crate::connect) got a `wss://` URL in a build without the `tls`
    /// feature. Turn it on, or bring your own TLS stream to
    /// [`client_with_stream`](crate::client_with_stream).
    TlsNotSupported,
    /// The TLS session failed: the server's certificate was refused (unknown issuer,
    /// wrong name, expired...), the peer sent an alert, or the bytes were not TLS. Each
    /// cause is its own [`TlsError`](sockeye_driver::tls::TlsError) variant.
    #[cfg(feature = "tls")]
    Tls(sockeye_driver::tls::TlsError),
    /// Client: the system's root certificates could not be loaded for `wss://` (give a
    /// configuration with [`ClientBuilder::tls`](crate::ClientBuilder::tls) instead).
    #[cfg(feature = "tls")]
    TlsConfig(String),
    /// The host name resolved to no address.
    NoAddress,
    /// A client option cannot go into a request: a subprotocol that is not a token, a
    /// header name or value that could inject into the request, a header the client
    /// writes itself.
    InvalidOption(BuildError),
    /// The operating system's random source failed: no masking key or nonce could be
    /// made, so nothing was sent.
    Random,
    /// The transport failed (connection refused or reset, a write error).
    Io(io::Error),
    /// Client: the TCP connect did not complete within
    /// [`DriverConfig::connect_timeout`](sockeye_driver::DriverConfig::connect_timeout).
    ConnectTimeout,
    /// The opening handshake did not complete within
    /// [`DriverConfig::handshake_timeout`](sockeye_driver::DriverConfig::handshake_timeout)
    /// (absolute, from the accept or the TCP connect).
    HandshakeTimeout,
    /// The peer closed the transport before the opening handshake completed.
    HandshakeEof,
    /// Server: the client's request breaks RFC 6455 §4.2.1 or a limit; the HTTP error
    /// response it calls for (400, 405, 426, 431) was sent.
    Request(RequestError),
    /// Server: the application refused the request (the callback of
    /// [`accept_hdr`](crate::accept_hdr) returned a [`Reject`](sockeye_handshake::Reject));
    /// its response, with this status, was sent.
    Refused {
        /// The status the application chose.
        status: u16,
    },
    /// Server: the application's [`Accept`](sockeye_handshake::Accept) chose what the
    /// client did not offer (a subprotocol, §4.2.2); a `500` was sent instead.
    Accept(BuildError),
    /// Client: the server's response is malformed, too large, or a `101` that breaks
    /// §4.1 (wrong `Sec-WebSocket-Accept`, a subprotocol or extension not offered).
    Response(ResponseError),
    /// Client: the server answered with a status other than `101` (a redirect, `401`,
    /// `404`...); its head and the start of its body.
    Rejected(Box<Rejection>),
    /// The WebSocket connection failed: the peer broke the protocol (its close code is
    /// [`close_code`](Self::close_code): 1002, 1007, 1009..., and that close frame was
    /// sent), a keepalive or close-handshake timer ran out, or the transport ended without
    /// a closing handshake (1006).
    Protocol(sockeye_proto::Error),
    /// The connection is closed for sending: a close was sent or received, or the
    /// connection ended. (A normal end of the stream is `None`, not this.)
    ConnectionClosed,
    /// The message would grow the queued output past
    /// [`DriverConfig::max_write_buffer`](sockeye_driver::DriverConfig::max_write_buffer);
    /// nothing was queued. With the default
    /// [`OverflowPolicy::Close`](sockeye_driver::OverflowPolicy::Close) the closing
    /// handshake has started (1008).
    WriteBufferFull,
    /// Local misuse, nothing was sent: a whole message while a message sent in
    /// [`Chunk`](crate::Chunk)s is unfinished, a chunk of another kind, a ping or pong
    /// over 125 bytes, a close code that may not be sent (1005, 1006, 1015...).
    Misuse(sockeye_proto::Error),
    /// Local misuse: a pre-framed message ([`send_shared`](crate::WebSocketStream::send_shared))
    /// on a client connection (every client frame needs its own masking key, §5.3).
    PreframedOnClient,
    /// Another end the driver reported (a driver error this crate has no better name
    /// for).
    Driver(sockeye_driver::Error),
}

impl Error {
    /// The close code that describes the end of the connection, for
    /// [`Error::Protocol`]: the code sent to a peer that broke the protocol (1002, 1007,
    /// 1009...), 1006 for timeouts and an abrupt end.
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Self::Protocol(e) => e.close_code(),
            _ => None,
        }
    }

    /// The crate's error for a driver's, taking a client's rejection out of the driver.
    pub(crate) fn from_driver(e: sockeye_driver::Error, driver: &mut Driver) -> Self {
        use sockeye_driver::Error as D;
        match e {
            D::Protocol(e) => Self::Protocol(e),
            D::Request(e) => Self::Request(e),
            D::Response(e) => Self::Response(e),
            D::Rejected { .. } => match driver.take_rejection() {
                Some(r) => Self::Rejected(Box::new(r)),
                None => Self::HandshakeEof,
            },
            D::HandshakeTimeout => Self::HandshakeTimeout,
            D::ConnectTimeout => Self::ConnectTimeout,
            D::HandshakeEof => Self::HandshakeEof,
            D::Accept(e) => Self::Accept(e),
            #[cfg(feature = "tls")]
            D::Tls(e) => Self::Tls(e),
            other => Self::Driver(other),
        }
    }

    /// The crate's error for a refused send.
    pub(crate) fn from_send(e: SendError) -> Self {
        match e {
            SendError::Full => Self::WriteBufferFull,
            SendError::Misuse(e) => Self::Misuse(e),
            SendError::PreframedOnClient => Self::PreframedOnClient,
            _ => Self::ConnectionClosed,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(e) => write!(f, "invalid WebSocket URL: {e}"),
            Self::TlsNotSupported => f.write_str(
                "wss:// needs the `tls` feature of sockeye-tokio \
                 (or pass your own TLS stream to client_with_stream)",
            ),
            #[cfg(feature = "tls")]
            Self::Tls(e) => write!(f, "TLS: {e}"),
            #[cfg(feature = "tls")]
            Self::TlsConfig(e) => write!(f, "TLS configuration: {e}"),
            Self::NoAddress => f.write_str("host name resolved to no address"),
            Self::InvalidOption(e) => write!(f, "invalid client option: {e}"),
            Self::Random => f.write_str("the operating system's random source failed"),
            Self::Io(e) => write!(f, "I/O error: {e}"),
            Self::ConnectTimeout => f.write_str("connect timed out"),
            Self::HandshakeTimeout => f.write_str("opening handshake timed out"),
            Self::HandshakeEof => f.write_str("connection closed during the opening handshake"),
            Self::Request(e) => write!(f, "invalid handshake request: {e}"),
            Self::Refused { status } => write!(f, "upgrade refused by the application ({status})"),
            Self::Accept(e) => write!(f, "cannot accept the request: {e}"),
            Self::Response(e) => write!(f, "invalid handshake response: {e}"),
            Self::Rejected(r) => write!(
                f,
                "the server refused the upgrade: {} {}",
                r.response.status(),
                r.response.reason()
            ),
            Self::Protocol(e) => write!(f, "WebSocket error: {e}"),
            Self::ConnectionClosed => f.write_str("connection closed"),
            Self::WriteBufferFull => f.write_str("output buffer full"),
            Self::Misuse(e) => write!(f, "cannot send that: {e}"),
            Self::PreframedOnClient => f.write_str("pre-framed messages are for servers only"),
            Self::Driver(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Url(e) => Some(e),
            Self::InvalidOption(e) | Self::Accept(e) => Some(e),
            Self::Io(e) => Some(e),
            Self::Request(e) => Some(e),
            Self::Response(e) => Some(e),
            Self::Protocol(e) | Self::Misuse(e) => Some(e),
            Self::Driver(e) => Some(e),
            #[cfg(feature = "tls")]
            Self::Tls(e) => Some(e),
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

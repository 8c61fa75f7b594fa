//! The one error type of the driver.

use core::fmt;

use sockeye_handshake::{BuildError, RequestError, ResponseError};

/// Why a connection ended, or what the caller did wrong. `Copy`, small, no strings.
///
/// Every variant but the local-misuse ones ([`Error::is_local_misuse`]) means the
/// connection is over: what is left to do is in [`Driver::poll_output`] (a close frame, an
/// HTTP error response), then [`Driver::wants_write_shutdown`] and
/// [`Driver::is_finished`].
///
/// [`Driver::poll_output`]: crate::Driver::poll_output
/// [`Driver::wants_write_shutdown`]: crate::Driver::wants_write_shutdown
/// [`Driver::is_finished`]: crate::Driver::is_finished
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The WebSocket connection failed or ended abnormally: the peer broke RFC 6455 (its
    /// close code, 1002/1007/1009..., is queued), a keepalive or close-handshake timer ran
    /// out, or TCP ended without a closing handshake (1006). See
    /// [`sockeye_proto::Error`].
    Protocol(sockeye_proto::Error),
    /// Server: the request breaks a rule of RFC 6455 §4.2.1 (or a limit); its HTTP error
    /// response (400, 405, 426, 431) is queued.
    Request(RequestError),
    /// Client: the server's response is malformed, too large, or a `101` that breaks a
    /// rule of §4.1.
    Response(ResponseError),
    /// Client: the server answered with a status other than `101`; the response is
    /// [`Driver::take_rejection`](crate::Driver::take_rejection).
    Rejected {
        /// The HTTP status.
        status: u16,
    },
    /// The opening handshake did not complete within
    /// [`DriverConfig::handshake_timeout`](crate::DriverConfig::handshake_timeout).
    HandshakeTimeout,
    /// Client: the TCP connect did not complete within
    /// [`DriverConfig::connect_timeout`](crate::DriverConfig::connect_timeout).
    ConnectTimeout,
    /// The peer closed TCP before the opening handshake completed.
    HandshakeEof,
    /// Local misuse (server): input was given while a received request waits for
    /// [`Driver::accept`](crate::Driver::accept) or a refusal. Nothing was consumed.
    DecisionPending,
    /// Local misuse (server): `accept` or a refusal without a request waiting for one.
    NoRequest,
    /// Local misuse (server): the acceptance cannot be written (a subprotocol the client
    /// did not offer, §4.2.2). A `500` response is queued instead and the connection
    /// ends.
    Accept(BuildError),
    /// The TLS session failed (a certificate refused on either side, an alert, bytes
    /// that are not TLS...): the alert, if any, is queued; an open WebSocket connection
    /// ends abnormally (1006).
    #[cfg(feature = "tls")]
    Tls(crate::tls::TlsError),
}

impl Error {
    /// Whether this is the caller's own mistake rather than the end of the connection.
    pub const fn is_local_misuse(&self) -> bool {
        matches!(self, Self::DecisionPending | Self::NoRequest)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Protocol(e) => write!(f, "WebSocket error: {e}"),
            Self::Request(e) => write!(f, "invalid handshake request: {e}"),
            Self::Response(e) => write!(f, "invalid handshake response: {e}"),
            Self::Rejected { status } => write!(f, "the server refused the upgrade ({status})"),
            Self::HandshakeTimeout => f.write_str("opening handshake timed out"),
            Self::ConnectTimeout => f.write_str("connect timed out"),
            Self::HandshakeEof => f.write_str("connection closed during the opening handshake"),
            Self::DecisionPending => f.write_str("a request waits for accept or a refusal"),
            Self::NoRequest => f.write_str("no request waits for a decision"),
            Self::Accept(e) => write!(f, "cannot accept the request: {e}"),
            #[cfg(feature = "tls")]
            Self::Tls(e) => write!(f, "TLS: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Protocol(e) => Some(e),
            Self::Request(e) => Some(e),
            Self::Response(e) => Some(e),
            Self::Accept(e) => Some(e),
            #[cfg(feature = "tls")]
            Self::Tls(e) => Some(e),
            _ => None,
        }
    }
}

impl From<sockeye_proto::Error> for Error {
    fn from(e: sockeye_proto::Error) -> Self {
        Self::Protocol(e)
    }
}

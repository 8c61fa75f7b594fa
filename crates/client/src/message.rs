//! Owned messages, as the blocking client returns them.

use sockeye_driver::Event;
use sockeye_proto::CloseCode;

/// A message received by [`WebSocket::recv`](crate::WebSocket::recv), owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (valid UTF-8, checked).
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// A ping with its payload; the pong was already sent.
    Ping(Vec<u8>),
    /// A pong with its payload.
    Pong(Vec<u8>),
    /// The server's close frame. The reply was already sent; the next `recv` waits for
    /// the server to close TCP and returns [`Error::ConnectionClosed`](crate::Error::ConnectionClosed).
    Close {
        /// The server's code; 1005 ([`CloseCode::NO_STATUS_RECEIVED`]) if its frame had
        /// no body.
        code: CloseCode,
        /// The server's reason.
        reason: String,
    },
}

impl Message {
    /// Whether this is a text or binary message.
    pub fn is_data(&self) -> bool {
        matches!(self, Self::Text(_) | Self::Binary(_))
    }

    /// An owned copy of an event; `None` for the others (streaming chunks: the blocking
    /// client turns streaming off; the handshake's events).
    pub(crate) fn from_event(event: Event<'_>) -> Option<Self> {
        Some(match event {
            // In pieces: see `sockeye_proto::payload_to_vec`.
            Event::Text(t) => Self::Text(sockeye_proto::text_to_string(t)),
            Event::Binary(b) => Self::Binary(sockeye_proto::payload_to_vec(b)),
            Event::Ping(p) => Self::Ping(p.to_vec()),
            Event::Pong(p) => Self::Pong(p.to_vec()),
            Event::Close { code, reason } => Self::Close {
                code,
                reason: reason.to_owned(),
            },
            _ => return None,
        })
    }
}

//! What a [`MioClient`](crate::MioClient) hands its handler: the client's view of the
//! driver's events.

use sockeye_driver::Event;
use sockeye_proto::{CloseCode, MessageKind};

/// What happened on a [`MioClient`](crate::MioClient), handed to the handler of
/// [`MioClient::on_readable`](crate::MioClient::on_readable). Borrows the read buffer or
/// the connection's assembly buffer: copy what you keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent<'a> {
    /// The opening handshake completed: messages may be sent now.
    Open {
        /// The subprotocol the server chose.
        protocol: Option<&'a str>,
    },
    /// A whole text message (valid UTF-8).
    Text(&'a str),
    /// A whole binary message.
    Binary(&'a [u8]),
    /// A ping; the pong is already queued (with the default `auto_pong`).
    Ping(&'a [u8]),
    /// A pong.
    Pong(&'a [u8]),
    /// The server's close frame; the reply is queued. Keep driving the client until
    /// [`MioClient::is_finished`].
    Close {
        /// The server's code (1005 if its frame had no body).
        code: CloseCode,
        /// The server's reason.
        reason: &'a str,
    },
    /// A piece of a message, in streaming mode ([`Config::streaming`]); see
    /// [`sockeye_proto::Event::Chunk`].
    Chunk {
        /// Text or binary.
        kind: MessageKind,
        /// The bytes.
        data: &'a [u8],
        /// First piece of its message.
        first: bool,
        /// Last piece of its message.
        last: bool,
    },
}

impl<'a> ClientEvent<'a> {
    /// The client's view of a driver event (a client driver has no `Request`).
    pub(crate) fn from_driver(event: Event<'a>) -> Option<Self> {
        Some(match event {
            Event::Open { protocol } => Self::Open { protocol },
            Event::Text(t) => Self::Text(t),
            Event::Binary(b) => Self::Binary(b),
            Event::Ping(p) => Self::Ping(p),
            Event::Pong(p) => Self::Pong(p),
            Event::Close { code, reason } => Self::Close { code, reason },
            Event::Chunk {
                kind,
                data,
                first,
                last,
            } => Self::Chunk {
                kind,
                data,
                first,
                last,
            },
            _ => return None,
        })
    }
}

//! What [`Connection::recv`](crate::Connection::recv) hands back.

use sockeye_frame::CloseCode;

use crate::Sender;

/// The two kinds of data message (§5.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// UTF-8 text (opcode 0x1).
    Text,
    /// Binary data (opcode 0x2).
    Binary,
}

/// One thing that happened on the connection. Borrows either the caller's input buffer
/// (a whole frame that arrived in one piece: zero copy) or the connection's own assembly
/// buffer (a message that arrived in pieces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// A whole text message, validated UTF-8 (§8.1).
    Text(&'a str),
    /// A whole binary message.
    Binary(&'a [u8]),
    /// A ping with its application data. With [`Config::auto_pong`](crate::Config) on
    /// (the default) the pong is already queued.
    Ping(&'a [u8]),
    /// A pong with its application data.
    Pong(&'a [u8]),
    /// The peer's close frame. `code` is 1005 ([`CloseCode::NO_STATUS_RECEIVED`]) when the
    /// frame had no body. If we had not sent a close yet, the reply (same code, §5.5.1) is
    /// queued; either way no more data may be sent and the driver finishes with
    /// [`poll_transmit`](crate::Connection::poll_transmit) and
    /// [`should_close_tcp`](crate::Connection::should_close_tcp).
    Close {
        /// The peer's status code (valid on the wire, or 1005).
        code: CloseCode,
        /// The peer's reason (valid UTF-8, at most 123 bytes).
        reason: &'a str,
    },
    /// Streaming mode only ([`Config::streaming`](crate::Config::streaming)): a piece of a
    /// data message, delivered as it arrives (for a message decoded by the extension: the
    /// decoded bytes, at most [`STREAM_CHUNK`](crate::STREAM_CHUNK) per chunk). For text,
    /// every chunk delivered so far
    /// concatenates to a valid UTF-8 prefix (a chunk may end inside a character); the
    /// whole message is valid UTF-8 once `last` is seen. Empty chunks are delivered only
    /// to mark `first` or `last`.
    Chunk {
        /// Text or binary.
        kind: MessageKind,
        /// The bytes (unmasked).
        data: &'a [u8],
        /// This is the message's first chunk.
        first: bool,
        /// This is the message's last chunk.
        last: bool,
    },
}

/// The result of one [`Connection::recv`](crate::Connection::recv) call.
///
/// `consumed` bytes of the input were used. If `event` is `None`, `consumed` equals the
/// input length: the connection kept whatever it needs from a partial frame and wants
/// more bytes. Otherwise call `recv` again with the rest of the input after handling the
/// event — also when the rest is empty: with an extension installed, a decoded message may
/// have more output waiting (see [`Connection::recv`](crate::Connection::recv)).
///
/// `sender` lets the event handler send while the event still borrows the connection
/// (e.g. echo `Event::Text(t)` with `sender.send_text(t, &mut out)`).
#[derive(Debug)]
pub struct Recv<'a> {
    /// Input bytes used by this call.
    pub consumed: usize,
    /// At most one event.
    pub event: Option<Event<'a>>,
    /// The sending half of the connection.
    pub sender: &'a mut Sender,
}

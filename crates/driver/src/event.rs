//! What [`Driver::recv`](crate::Driver::recv) hands back.

use sockeye_handshake::{HttpRequest, Request};
use sockeye_proto::{CloseCode, MessageKind};

use crate::Outbox;

/// One thing that happened on the connection. Borrows the caller's input (a frame that
/// arrived whole: no copy) or the driver's own buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// Server: a complete, valid opening handshake request (RFC 6455 §4.2.1). Answer with
    /// [`Driver::accept`](crate::Driver::accept), [`Driver::reject`](crate::Driver::reject)
    /// or [`Driver::refuse`](crate::Driver::refuse) before giving more input; the bytes
    /// after `consumed` are the client's first frames.
    Request(&'a Request),
    /// Server, with [`DriverConfig::serve_http`](crate::DriverConfig::serve_http): a
    /// complete plain `GET` or `HEAD` request. Answer with
    /// [`Driver::respond`](crate::Driver::respond); the connection ends once the response
    /// is written.
    Http(&'a HttpRequest),
    /// Client: the server's `101` arrived and checked out (§4.1); messages may flow. The
    /// bytes after `consumed` are the server's first frames.
    Open {
        /// The subprotocol the server chose, one of those offered.
        protocol: Option<&'a str>,
    },
    /// A whole text message, valid UTF-8 (§8.1).
    Text(&'a str),
    /// A whole binary message.
    Binary(&'a [u8]),
    /// Streaming mode ([`sockeye_proto::Config::streaming`]): a piece of a message, as it
    /// arrived. See [`sockeye_proto::Event::Chunk`].
    Chunk {
        /// Text or binary.
        kind: MessageKind,
        /// The bytes.
        data: &'a [u8],
        /// The message's first piece.
        first: bool,
        /// The message's last piece.
        last: bool,
    },
    /// A ping; with auto-pong (the default) its pong is already queued.
    Ping(&'a [u8]),
    /// A pong.
    Pong(&'a [u8]),
    /// The peer's close frame (`code` 1005 if it had none). Unless we had sent one, the
    /// reply with the same code is queued (§5.5.1); nothing more can be sent.
    Close {
        /// The peer's code.
        code: CloseCode,
        /// The peer's reason (valid UTF-8, at most 123 bytes).
        reason: &'a str,
    },
}

impl<'a> From<sockeye_proto::Event<'a>> for Event<'a> {
    fn from(event: sockeye_proto::Event<'a>) -> Self {
        use sockeye_proto::Event as P;
        match event {
            P::Text(t) => Self::Text(t),
            P::Binary(b) => Self::Binary(b),
            P::Ping(p) => Self::Ping(p),
            P::Pong(p) => Self::Pong(p),
            P::Close { code, reason } => Self::Close { code, reason },
            P::Chunk {
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
        }
    }
}

/// The result of one [`Driver::recv`](crate::Driver::recv) call.
///
/// `consumed` bytes of the input were used. Call `recv` again with the rest of the input
/// (possibly empty) until `event` is `None`: then everything given was consumed and
/// nothing is pending inside the driver.
#[derive(Debug)]
pub struct Recv<'a> {
    /// Input bytes used by this call.
    pub consumed: usize,
    /// At most one event.
    pub event: Option<Event<'a>>,
    /// Sends while the event still borrows the driver (e.g. an echo of `Event::Text`
    /// without a copy). Inert (every send is refused as closed) outside the open phase.
    pub outbox: Outbox<'a>,
}

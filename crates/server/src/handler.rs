//! What the application implements ([`Handler`]) and what it is handed ([`Context`]).

use sockeye_driver::{Outbox, SendError, Sent};
use sockeye_handshake::{Accept, HttpRequest, Reject, Request, RequestError};
use sockeye_proto::CloseCode;

use crate::{Closed, ConnId, ServerHandle};

/// A whole data message received from a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// A text message (valid UTF-8).
    Text(&'a str),
    /// A binary message.
    Binary(&'a [u8]),
}

/// Why the application turned a handshake down: a response of its own ([`Reject`]) or a
/// handshake rule ([`RequestError`], e.g. from [`OriginAllowList::check`], which answers
/// `403`). Both convert with `?`.
///
/// [`OriginAllowList::check`]: sockeye_handshake::OriginAllowList::check
#[derive(Debug)]
#[non_exhaustive]
pub enum Refusal {
    /// Send this response.
    Reject(Reject),
    /// Send the response this error prescribes.
    Request(RequestError),
}

impl From<Reject> for Refusal {
    fn from(r: Reject) -> Self {
        Self::Reject(r)
    }
}

impl From<RequestError> for Refusal {
    fn from(e: RequestError) -> Self {
        Self::Request(e)
    }
}

/// The application: called on the connection's event-loop thread.
///
/// One value serves every connection on every thread (it is shared behind an `Arc`);
/// per-connection data lives in [`Handler::State`], made by [`Handler::on_open`]. Callbacks
/// must not block: they run on the event loop. A callback that panics closes only its own
/// connection (with 1011).
pub trait Handler: Send + Sync + 'static {
    /// Per-connection state.
    type State: Send + 'static;

    /// A valid opening handshake arrived: accept it (choosing a subprotocol, adding
    /// headers) with the connection's initial state, or refuse it.
    fn on_open(&self, request: &Request, id: ConnId) -> Result<(Self::State, Accept), Refusal>;

    /// Answer plain HTTP `GET` and `HEAD` requests (no `Upgrade` header) on the WebSocket
    /// port with [`Handler::on_http`]: a page and its assets come from the same server as
    /// its WebSocket. The head limits and the handshake deadline of the upgrade apply;
    /// each response closes its connection. Default `false`: such requests are refused
    /// as broken handshakes (`426`/`400`).
    const SERVES_HTTP: bool = false;

    /// With [`Handler::SERVES_HTTP`]: the response to a plain request (see
    /// [`Assets`](crate::Assets) for pages and files); for `HEAD` only its head is sent.
    /// Default: `404`. A panic here answers `500`.
    fn on_http(&self, request: &HttpRequest) -> Reject {
        let _ = request;
        crate::assets::status(404)
    }

    /// A whole message arrived. Reply through `cx` (no copy of the message is made).
    fn on_message(&self, cx: &mut Context<'_>, state: &mut Self::State, message: Message<'_>);

    /// Deliver messages in pieces, as they arrive ([`Handler::on_chunk`]), instead of
    /// whole ([`Handler::on_message`]). A streaming handler needs no buffer for a large
    /// message and can answer before it has all arrived. Default `false`.
    const STREAMING: bool = false;

    /// With [`Handler::STREAMING`]: the next piece of a message (`first` and `last` mark
    /// its ends; a message that arrived in one read is one call with both set). Text is
    /// checked as it arrives: the pieces so far are a valid UTF-8 prefix, and the whole
    /// message is valid once `last` is seen.
    fn on_chunk(&self, cx: &mut Context<'_>, state: &mut Self::State, chunk: Chunk<'_>) {
        let _ = (cx, state, chunk);
    }

    /// A ping arrived (the pong is already queued unless auto-pong was turned off).
    fn on_ping(&self, cx: &mut Context<'_>, state: &mut Self::State, payload: &[u8]) {
        let _ = (cx, state, payload);
    }

    /// A pong arrived.
    fn on_pong(&self, cx: &mut Context<'_>, state: &mut Self::State, payload: &[u8]) {
        let _ = (cx, state, payload);
    }

    /// The connection ended; its state is handed back. Called once for every connection
    /// `on_open` accepted.
    fn on_close(&self, id: ConnId, state: Self::State, closed: Closed) {
        let _ = (id, state, closed);
    }
}

/// A piece of a message, for a streaming handler ([`Handler::on_chunk`]).
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    /// Text or binary.
    pub kind: sockeye_proto::MessageKind,
    /// The bytes (unmasked).
    pub data: &'a [u8],
    /// The message's first piece.
    pub first: bool,
    /// The message's last piece.
    pub last: bool,
}

/// What a send did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum SendStatus {
    /// Queued (and written at the end of this loop turn).
    Queued,
    /// Queued, but the connection's output is over
    /// [`ServerConfig::write_high_water`]: the peer is not keeping up; the server has
    /// stopped reading from it until it drains.
    QueuedAboveHighWater,
    /// Not queued: it would have passed [`ServerConfig::max_write_buffer`]. With
    /// [`OverflowPolicy::Close`] the connection is being closed (1008).
    Refused,
    /// Not queued: the connection is closing or closed.
    Closed,
    /// Not queued: the call was a mistake (a whole message while a fragmented one is
    /// unfinished, a fragment of another kind than its message, a ping over 125 bytes).
    Invalid,
}

impl From<Result<Sent, SendError>> for SendStatus {
    fn from(result: Result<Sent, SendError>) -> Self {
        match result {
            Ok(Sent::AboveHighWater) => Self::QueuedAboveHighWater,
            Ok(_) => Self::Queued,
            Err(SendError::Full) => Self::Refused,
            Err(SendError::Closed) => Self::Closed,
            Err(_) => Self::Invalid,
        }
    }
}

/// The connection a callback is about, for replying and closing.
pub struct Context<'a> {
    pub(crate) id: ConnId,
    pub(crate) outbox: Outbox<'a>,
    pub(crate) handle: &'a ServerHandle,
    /// The loop's count of messages queued (for [`crate::Stats::messages_out`]).
    pub(crate) sent: &'a mut u64,
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("id", &self.id)
            .field("queued", &self.queued())
            .finish_non_exhaustive()
    }
}

impl Context<'_> {
    /// This connection's id (to keep, and send to later through a [`ServerHandle`]).
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// Bytes queued for this connection and not yet written.
    pub fn queued(&self) -> usize {
        self.outbox.queued()
    }

    /// A handle to send to other connections, broadcast, or shut the server down.
    pub fn handle(&self) -> &ServerHandle {
        self.handle
    }

    /// Sends a text message to this connection.
    pub fn send_text(&mut self, text: &str) -> SendStatus {
        let status = self.outbox.send_text(text).into();
        self.count(status, true)
    }

    /// Sends the next fragment of a message (§5.4): the first call starts a message of
    /// `kind`, later ones continue it, the one with `fin` ends it. For text, the fragments
    /// together must be UTF-8 (a fragment may end inside a character). Messages sent to
    /// this connection through a [`ServerHandle`] meanwhile wait for the final fragment.
    pub fn send_fragment(
        &mut self,
        kind: sockeye_proto::MessageKind,
        data: &[u8],
        fin: bool,
    ) -> SendStatus {
        let status = self.outbox.send_fragment(kind, data, fin).into();
        self.count(status, fin)
    }

    /// Sends a binary message to this connection.
    pub fn send_binary(&mut self, data: &[u8]) -> SendStatus {
        let status = self.outbox.send_binary(data).into();
        self.count(status, true)
    }

    /// Counts a queued message (a fragmented one at its last fragment).
    fn count(&mut self, status: SendStatus, last: bool) -> SendStatus {
        if last
            && matches!(
                status,
                SendStatus::Queued | SendStatus::QueuedAboveHighWater
            )
        {
            *self.sent += 1;
        }
        status
    }

    /// Sends a ping (payload at most 125 bytes, else [`SendStatus::Invalid`]).
    pub fn ping(&mut self, payload: &[u8]) -> SendStatus {
        self.outbox.ping(payload).into()
    }

    /// Starts the closing handshake with `code` and `reason` (cut to 123 bytes). Returns
    /// `false` if the connection was already closing or `code` may not be sent.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> bool {
        self.outbox.close(code, reason).is_ok()
    }
}

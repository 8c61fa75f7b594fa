//! The connection: both halves, construction, and what the driver asks of it.

use std::sync::Arc;
use std::time::Instant;

use sockeye_frame::{CloseCode, OpCode, Rsv};

use crate::control_queue::ControlQueue;
use crate::recv::{self, Receiver};
use crate::send::{Extras, write_frame};
use crate::timers::Timer;
use crate::{Config, Error, Extension, MaskSource, MessageKind, Recv, Sender};

/// Which end of the connection this is (§5.1: clients mask, servers do not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Accepted the connection; receives masked frames, sends unmasked ones.
    Server,
    /// Opened the connection; sends masked frames, receives unmasked ones.
    Client,
}

/// Where the closing handshake stands (§7). It only moves forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    /// Messages flow both ways.
    Open,
    /// We sent a close frame and wait for the peer's; received messages are still
    /// delivered, nothing but the handshake's completion is sent.
    Closing,
    /// The handshake is complete (our reply may still wait in
    /// [`Connection::poll_transmit`]) or the connection failed. Input is discarded.
    Closed,
}

/// A WebSocket connection after the opening handshake: RFC 6455 §5–§7 without I/O.
///
/// See the [crate documentation](crate) for the driver loop. In short: feed received bytes
/// to [`recv`](Self::recv) until it has consumed them all, handling each event; send with
/// [`send_text`](Self::send_text) and friends into your output buffer; after each batch
/// call [`poll_transmit`](Self::poll_transmit) for the frames the connection produced
/// itself; write; keep one timer at [`poll_timeout`](Self::poll_timeout) and call
/// [`handle_timeout`](Self::handle_timeout) when it fires; close TCP when
/// [`should_close_tcp`](Self::should_close_tcp) says so; report EOF with
/// [`recv_eof`](Self::recv_eof).
///
/// An idle connection holds no heap memory: buffers exist only while a message is partly
/// received or control output waits.
#[derive(Debug)]
pub struct Connection {
    rx: Receiver,
    tx: Sender,
}

impl Connection {
    /// A server-side connection (expects masked frames, sends unmasked ones).
    /// `now` starts the keepalive timer, if configured.
    ///
    /// `config` is a [`Config`] or an `Arc<Config>`: connections made from clones of one
    /// `Arc` share it, so each holds a pointer instead of its own copy of the limits.
    pub fn server(config: impl Into<Arc<Config>>, now: Instant) -> Self {
        Self::new(Role::Server, config.into(), None, now)
    }

    /// A client-side connection: every frame it sends is masked with a fresh key from
    /// `masks` (§5.3). `now` starts the keepalive timer, if configured.
    /// `config` as for [`Connection::server`].
    pub fn client(
        config: impl Into<Arc<Config>>,
        masks: Box<dyn MaskSource>,
        now: Instant,
    ) -> Self {
        let extras = Extras {
            masks: Some(masks),
            ..Extras::default()
        };
        Self::new(Role::Client, config.into(), Some(Box::new(extras)), now)
    }

    fn new(role: Role, config: Arc<Config>, extras: Option<Box<Extras>>, now: Instant) -> Self {
        let mut tx = Sender {
            config,
            role,
            state: State::Open,
            failed: false,
            tcp_close_due: false,
            activity: false,
            timer: Timer::None,
            deadline: None,
            fragmenting: None,
            queue: ControlQueue::default(),
            extras,
        };
        tx.start_keepalive(now);
        Self {
            rx: Receiver::default(),
            tx,
        }
    }

    /// Installs a negotiated per-message extension (e.g. permessage-deflate). Call before
    /// the first `recv`. It is kept with the mask source in the connection's one boxed
    /// allocation for rare parts, with the state of the message it is decoding.
    #[must_use]
    pub fn with_extension(mut self, extension: Box<dyn Extension>) -> Self {
        self.tx
            .extras
            .get_or_insert_with(Default::default)
            .extension = Some(extension);
        self
    }

    /// Processes received bytes; see [`Recv`].
    ///
    /// Payload is unmasked in place in `input`. Returns after the first event (with the
    /// number of bytes consumed up to its end), or when all of `input` is consumed
    /// without one: a partial frame is remembered, so the caller can reuse its buffer.
    /// After the connection closed or failed all input is consumed and ignored.
    ///
    /// **Call it until it returns no event**, passing the rest of the input each time,
    /// even when the rest is empty. With an [`Extension`] installed a message is decoded
    /// as it arrives with bounded output per call (in streaming mode at most
    /// [`STREAM_CHUNK`](crate::STREAM_CHUNK) bytes per [`Event::Chunk`](crate::Event::Chunk)),
    /// so the last bytes of a read can leave decoded output waiting; a call with empty
    /// input delivers it. A loop that stops as soon as the input is used up would leave
    /// that output until the next read, which may never come. (Without an extension,
    /// `event: None` always comes with all input consumed and an empty call returns
    /// nothing, so such loops happen to work; don't rely on it.) Bytes a decoding
    /// extension could not take yet are not consumed: `consumed` stops before them and
    /// they are left as they were received, masking included, for the next call.
    ///
    /// # Errors
    /// [`Error::Protocol`] when the peer broke the protocol: the connection has failed,
    /// its close frame waits in [`poll_transmit`](Self::poll_transmit); stop feeding the
    /// rest of this input, write the output, and close TCP.
    #[inline]
    pub fn recv<'a>(&'a mut self, input: &'a mut [u8], now: Instant) -> Result<Recv<'a>, Error> {
        recv::recv(&mut self.rx, &mut self.tx, input, now)
    }

    /// Reports that the peer closed TCP (a read returned 0 bytes).
    ///
    /// # Errors
    /// [`Error::AbnormalClosure`] (close code 1006) unless the closing handshake had
    /// completed or the connection had already ended. Either way the connection is now
    /// closed and [`should_close_tcp`](Self::should_close_tcp) is true.
    pub fn recv_eof(&mut self) -> Result<(), Error> {
        self.tx.on_eof()
    }

    /// Appends the frames the connection produced itself — pongs, close replies, failure
    /// closes, keepalive pings — to `out`; returns how many bytes.
    ///
    /// They wait in a small bounded queue rather than being written into an output buffer
    /// passed to `recv`, so that `recv`'s hot path takes no output buffer, the pong policy
    /// (§5.5.3) can replace a pending pong, and timers can produce frames too. Call it after
    /// each batch of `recv` calls, after [`handle_timeout`](Self::handle_timeout), and
    /// before closing TCP.
    pub fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
        self.tx.poll_transmit(out)
    }

    /// Whether [`poll_transmit`](Self::poll_transmit) has something.
    pub fn has_pending_output(&self) -> bool {
        !self.tx.queue.is_empty()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called next, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.tx.deadline
    }

    /// Runs the timer if `now` is at or past [`poll_timeout`](Self::poll_timeout):
    /// keepalive pings (then call `poll_transmit`), the close handshake's timeout, the
    /// client's wait for the server's TCP close. Early or repeated calls do nothing.
    ///
    /// # Errors
    /// [`Error::Timeout`] when the connection is given up: close TCP.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        self.tx.handle_timeout(now)
    }

    /// Whether to close the TCP connection now (after writing everything
    /// `poll_transmit` produced). §7.1.1: the server closes first, right after the
    /// closing handshake or after failing; the client after failing, or once the server
    /// closed TCP ([`recv_eof`](Self::recv_eof)) or did not within the close timeout.
    pub fn should_close_tcp(&self) -> bool {
        self.tx.should_close_tcp()
    }

    /// The close state.
    pub fn state(&self) -> State {
        self.tx.state
    }

    /// This side's role.
    pub fn role(&self) -> Role {
        self.tx.role
    }

    /// Whether data may still be sent (state [`State::Open`]).
    pub fn can_send(&self) -> bool {
        self.tx.can_send()
    }

    /// Whether no partial frame or message is held and no output waits.
    pub fn is_idle(&self) -> bool {
        self.rx.is_idle() && self.tx.queue.is_empty()
    }

    /// Heap bytes the connection's receive buffer holds right now (its capacity and, while
    /// allocated, its header).
    pub fn buffered_capacity(&self) -> usize {
        self.rx.buffer_capacity()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.tx.config
    }

    /// The sending half.
    pub fn sender(&mut self) -> &mut Sender {
        &mut self.tx
    }

    /// [`Sender::send_text`].
    pub fn send_text(&mut self, text: &str, out: &mut Vec<u8>) -> Result<(), Error> {
        self.tx.send_text(text, out)
    }

    /// [`Sender::send_binary`].
    pub fn send_binary(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.tx.send_binary(data, out)
    }

    /// [`Sender::send_fragment`].
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        fin: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.tx.send_fragment(kind, data, fin, out)
    }

    /// [`Sender::ping`].
    pub fn ping(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.tx.ping(payload, out)
    }

    /// [`Sender::pong`].
    pub fn pong(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.tx.pong(payload, out)
    }

    /// [`Sender::close`].
    pub fn close(
        &mut self,
        code: CloseCode,
        reason: &str,
        now: Instant,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.tx.close(code, reason, now, out)
    }

    /// Frames a whole text message as a server sends it (one unmasked frame, no
    /// extension), for writing the same bytes to many connections: encode once, then for
    /// each connection check [`can_send`](Self::can_send) and append the bytes to its
    /// output. Don't interleave such bytes with a message being sent with
    /// [`send_fragment`](Self::send_fragment) on the same connection.
    pub fn encode_server_text(text: &str, out: &mut Vec<u8>) {
        write_frame(true, Rsv::NONE, OpCode::Text, None, text.as_bytes(), out);
    }

    /// The binary counterpart of [`encode_server_text`](Self::encode_server_text).
    pub fn encode_server_binary(data: &[u8], out: &mut Vec<u8>) {
        write_frame(true, Rsv::NONE, OpCode::Binary, None, data, out);
    }
}

/// The queries a driver needs while an event still borrows the connection (through
/// [`Recv::sender`](crate::Recv)).
impl Sender {
    /// [`Connection::poll_transmit`]: the frames the connection produced itself, appended
    /// to `out`; returns how many bytes.
    pub fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
        self.queue.drain_into(out)
    }

    /// Whether a message started with [`send_fragment`](Self::send_fragment) is
    /// unfinished: until its final fragment no other data frame may be sent (§5.4: "the
    /// fragments of one message MUST NOT be interleaved between the fragments of another
    /// message").
    pub fn is_fragmenting(&self) -> bool {
        self.fragmenting.is_some()
    }
}

//! [`WebSocketStream`]: a `Stream` of received messages and a `Sink` of messages to send,
//! over one transport.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::stream::FusedStream;
use futures_sink::Sink;
use sockeye_driver::{Closed, Driver, DriverConfig, SharedFrame};
use sockeye_handshake::DeflateParams;
use sockeye_proto::{CloseCode, Connection, Role};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::conn::{Conn, now};
use crate::masks::OsMasks;
use crate::sending::Sending;
use crate::{CloseFrame, Error, Message};

/// A WebSocket connection over a transport `S` (a `TcpStream`, a TLS stream, hyper's
/// upgraded connection...): a [`Stream`] of received [`Message`]s and a [`Sink`] of
/// messages to send, plus [`close`](Self::close), [`send_shared`](Self::send_shared) for
/// broadcasts and [`into_split`](Self::into_split) for halves.
///
/// It is a thin shell over [`sockeye_driver::Driver`], which owns the connection's life:
/// frames, limits, UTF-8, pings, timers, the close. Nothing runs in the background: the
/// connection moves while it is polled (any of its methods, or the stream). Polling the
/// stream also writes what is queued, so pongs and replies go out while you wait for
/// messages.
///
/// Messages that arrived before an error come out first; then the error, once; then the
/// stream ends (`None`) when the transport is done. Keep polling after an error (or call
/// [`close`](Self::close)) to let the close frame out and the transport close cleanly;
/// dropping the stream closes the transport at once.
#[derive(Debug)]
pub struct WebSocketStream<S> {
    pub(crate) conn: Conn<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketStream<S> {
    pub(crate) fn new(conn: Conn<S>) -> Self {
        Self { conn }
    }

    /// A connection whose opening handshake was done by someone else (an HTTP server's
    /// upgrade: hyper, axum), in `role`, with `config`'s limits and timers. No extension
    /// is in use (the handshake this crate did not see agreed on none it knows of); to
    /// have permessage-deflate too, answer the request with
    /// [`upgrade::accept`](crate::upgrade::accept) instead.
    pub fn from_upgraded(io: S, role: Role, config: impl Into<Arc<DriverConfig>>) -> Self {
        let config = config.into();
        let now = now();
        match role {
            Role::Server => {
                let ws = Connection::server(config.shared_connection(), now);
                Self::from_connection(io, ws, config, None)
            }
            Role::Client => {
                let (masks, failed) = OsMasks::new();
                let ws = Connection::client(config.shared_connection(), Box::new(masks), now);
                Self::from_connection(io, ws, config, Some(failed))
            }
        }
    }

    /// Over an open connection state machine (possibly with an extension installed).
    pub(crate) fn from_connection(
        io: S,
        ws: Connection,
        config: Arc<DriverConfig>,
        masks_failed: Option<Arc<std::sync::atomic::AtomicBool>>,
    ) -> Self {
        let driver = Driver::from_connection(config, ws, now());
        Self::new(Conn::new(io, driver, masks_failed))
    }

    /// The next message; `None` once the connection is over and everything was handed
    /// out. The same as `StreamExt::next`.
    ///
    /// Cancel safe: a message is taken out of the connection only when it is returned.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next message (what the [`Stream`] implementation does).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        loop {
            if let Some(item) = self.conn.pop() {
                return Poll::Ready(Some(item));
            }
            if self.conn.is_done() {
                return Poll::Ready(None);
            }
            if self.conn.poll_drive(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }

    /// Sends a message and writes everything queued. The same as `SinkExt::send`. Waits
    /// while the queued output is over
    /// [`write_high_water`](DriverConfig::write_high_water) (the peer is not reading).
    ///
    /// Cancel safe: the message is queued whole or not at all (dropped with the future);
    /// once queued, its bytes go out with the next write, whatever is cancelled.
    ///
    /// # Errors
    /// [`Error::ConnectionClosed`] once a close was sent or received,
    /// [`Error::WriteBufferFull`], [`Error::Misuse`], a transport error.
    pub fn send(&mut self, message: Message) -> Sending<'_, S> {
        Sending::message(self, message, true)
    }

    /// Queues a message without writing it: it goes out with the next
    /// [`flush`](Self::flush) or `send`, or when [`recv`](Self::recv) waits for input —
    /// so an echo loop that feeds each reply writes all the replies to one read at once.
    /// The same as `SinkExt::feed`. Waits while the queued output is over the high-water
    /// mark.
    ///
    /// Cancel safe, as [`send`](Self::send).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub fn feed(&mut self, message: Message) -> Sending<'_, S> {
        Sending::message(self, message, false)
    }

    /// Sends a message framed once for many connections (a broadcast: the same bytes are
    /// handed to every connection, no copy), and writes everything queued. Servers only.
    /// If a message sent in [`Chunk`](crate::Chunk)s is unfinished, the frame waits for its
    /// last piece (RFC 6455 §5.4).
    ///
    /// Cancel safe, as [`send`](Self::send).
    ///
    /// # Errors
    /// As [`send`](Self::send); [`Error::PreframedOnClient`].
    pub fn send_shared<'a>(&'a mut self, frame: &'a SharedFrame) -> Sending<'a, S> {
        Sending::shared(self, frame)
    }

    /// Writes everything queued. Cancel safe.
    ///
    /// # Errors
    /// A transport error (the connection is then over).
    pub async fn flush(&mut self) -> Result<(), Error> {
        poll_fn(|cx| self.conn.poll_flush(cx)).await
    }

    /// Closes the connection: sends a close frame (`None`: one without a body; default
    /// code 1000 with [`CloseFrame`]), then drives the connection to its end — the peer's
    /// close frame, the transport's close — discarding messages that still arrive.
    /// Resolves with how the connection ended: `clean` when the peer answered within
    /// [`Config::close_timeout`](sockeye_proto::Config::close_timeout) (default 5 s);
    /// when it did not, the connection is cut (`clean: false`, code 1006) and it resolves
    /// then. If the peer closed first, only waits for the end. Ok if already over.
    ///
    /// Cancel safe: the close frame, once queued, stays queued; call `close` again to
    /// wait for the end.
    ///
    /// # Errors
    /// [`Error::Misuse`] for a code that may not be sent (1005, 1006, 1015...; nothing
    /// sent).
    pub async fn close(&mut self, frame: Option<CloseFrame>) -> Result<Closed, Error> {
        if self.conn.driver.can_send() {
            self.conn.send(&Message::Close(frame))?;
        }
        Ok(poll_fn(|cx| self.conn.poll_finish(cx, false)).await)
    }

    /// The subprotocol agreed on in the handshake.
    pub fn protocol(&self) -> Option<&str> {
        self.conn.protocol.as_deref()
    }

    /// The permessage-deflate parameters agreed on, while open (`None`: uncompressed).
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.conn.driver.deflate()
    }

    /// How the connection ended, once it has (the close code, the peer's reason, whether
    /// the closing handshake completed).
    pub fn closed(&self) -> Option<&Closed> {
        self.conn.closed.as_deref()
    }

    /// Whether messages may be sent: open, no close sent or received.
    pub fn can_send(&self) -> bool {
        self.conn.driver.can_send()
    }

    /// Bytes queued and not yet written.
    pub fn buffered_amount(&self) -> usize {
        self.conn.driver.queued()
    }

    /// The driver's configuration (limits, timers, deflate).
    pub fn config(&self) -> &Arc<DriverConfig> {
        self.conn.driver.config()
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.conn.io
    }

    /// The transport, mutably (socket options; reading or writing it yourself corrupts
    /// the connection).
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.conn.io
    }

    /// Starts the closing handshake with `code` without waiting (what `SinkExt::close`
    /// and [`close`](Self::close) start with).
    pub(crate) fn start_close(&mut self, code: CloseCode) -> Result<(), Error> {
        if !self.conn.driver.can_send() {
            return Ok(());
        }
        let frame = CloseFrame {
            code,
            reason: crate::Utf8Bytes::default(),
        };
        self.conn.send(&Message::Close(Some(frame)))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocketStream<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_recv(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> FusedStream for WebSocketStream<S> {
    fn is_terminated(&self) -> bool {
        self.conn.is_done()
    }
}

/// Sending: `poll_ready` waits while the queued output is over the high-water mark,
/// `start_send` queues (frames into the output buffer), `poll_flush` writes. `poll_close`
/// is [`close`](WebSocketStream::close) with code 1000: it resolves once the connection
/// is over (messages still arriving are discarded).
impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocketStream<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().conn.poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        self.get_mut().conn.send(&item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().conn.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        this.start_close(CloseCode::NORMAL)?;
        this.conn.poll_finish(cx, false).map(|_| Ok(()))
    }
}

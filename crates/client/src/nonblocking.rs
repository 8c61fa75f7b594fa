//! The non-blocking client for mio event loops: a shell over the driver.

use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use sockeye_driver::{Driver, Event, Stage};
use sockeye_handshake::{Response, WsUrl};
use sockeye_proto::{CloseCode, MessageKind, State};

use crate::builder::{driver_error, parse_url};
use crate::{ClientBuilder, ClientEvent, Error, Outbox};

/// Most unread input discarded when the connection fails, so that closing the socket does
/// not turn into a reset (see `MioClient::fail`).
const FAIL_DRAIN_MAX: usize = 64 << 10;

/// A non-blocking WebSocket client connection for a [`mio`] event loop: an application
/// with one [`mio::Poll`] can drive many of them, each registered with its own
/// [`Token`].
///
/// A shell over [`sockeye_driver::Driver`], which owns the connection's life (handshake,
/// frames, timers, close). The client owns a [`mio::net::TcpStream`] and the driver; the
/// caller owns the
/// poll, the tokens, the timers, and one read buffer shared by all its connections
/// (`scratch`: received bytes are processed straight out of it, so an idle connection
/// holds no read buffer). The driving rules:
///
/// - register with [`register`](Self::register) (or yourself, with
///   [`interest`](Self::interest));
/// - on a readable (or error, or read-closed) event call
///   [`on_readable`](Self::on_readable): it does the handshake, then calls your handler
///   with each [`ClientEvent`]; the handler can reply through the [`Outbox`];
/// - on a writable event call [`on_writable`](Self::on_writable); after queueing
///   messages yourself ([`send_text`](Self::send_text)...) call it too, or wait for the
///   writable event (interest includes writable while output is queued). Every method
///   takes `now`: the client reads no clock (its timers run on your time, so they can be
///   tested on a virtual clock);
/// - after handling events, [`reregister`](Self::reregister) (a no-op unless the
///   interest changed), keep a timer at [`poll_timeout`](Self::poll_timeout) and call
///   [`handle_timeout`](Self::handle_timeout);
/// - when a method returns an error, or [`is_finished`](Self::is_finished) is true,
///   [`deregister`](Self::deregister) and drop the client.
///
/// ```no_run
/// use std::time::Instant;
/// use mio::{Events, Poll, Token};
/// use sockeye_client::{ClientBuilder, ClientEvent};
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(256);
/// let mut scratch = vec![0u8; 64 * 1024]; // one read buffer for every connection
/// let builder = ClientBuilder::new();
/// let mut clients: Vec<_> = (0..100)
///     .map(|_| builder.connect_mio("ws://127.0.0.1:9001/"))
///     .collect::<Result<_, _>>()?;
/// for (i, client) in clients.iter_mut().enumerate() {
///     client.register(poll.registry(), Token(i))?;
/// }
/// let mut live = clients.len();
/// while live > 0 {
///     let timeout = clients.iter().filter_map(|c| c.poll_timeout()).min();
///     poll.poll(&mut events, timeout.map(|t| t.saturating_duration_since(Instant::now())))?;
///     let now = Instant::now();
///     for event in events.iter() {
///         let client = &mut clients[event.token().0];
///         let mut result = Ok(());
///         if event.is_writable() {
///             result = client.on_writable(now);
///         }
///         // after on_writable drained the output, input left under back-pressure
///         let read = event.is_readable() || event.is_error() || client.wants_read_now();
///         if result.is_ok() && read {
///             result = client.on_readable(&mut scratch, now, |out, event| match event {
///                 ClientEvent::Open { .. } => {
///                     let _ = out.send_text("hello"); // Err(WriteBufferFull) if backed up
///                 }
///                 ClientEvent::Text(_) => {
///                     let _ = out.close(sockeye_proto::CloseCode::NORMAL, "");
///                 }
///                 _ => {}
///             });
///         }
///         if result.is_err() || client.is_finished() {
///             client.deregister(poll.registry())?;
///             live -= 1;
///         } else {
///             client.reregister(poll.registry())?;
///         }
///     }
///     let now = Instant::now();
///     for client in clients.iter_mut().filter(|c| !c.is_finished()) {
///         if client.poll_timeout().is_some_and(|t| t <= now) {
///             let result = client.handle_timeout(now);
///             if result.is_err() || client.is_finished() {
///                 client.deregister(poll.registry())?;
///                 live -= 1;
///             } else {
///                 client.reregister(poll.registry())?;
///             }
///         }
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct MioClient {
    stream: TcpStream,
    driver: Driver,
    registered: Option<(Token, Interest)>,
    protocol: Option<String>,
    response: Option<Response>,
    rng_failed: Arc<AtomicBool>,
    /// A read loop stopped because the driver stopped wanting input (back-pressure), not
    /// because the socket was empty: bytes may be waiting that no new event will announce.
    read_left: bool,
}

impl MioClient {
    /// A client over `stream`, a TCP connection to the server of `url` that is being
    /// established (e.g. from [`mio::net::TcpStream::connect`]) or already is. The
    /// handshake request is queued at once. The connect timeout starts at `now`.
    ///
    /// # Errors
    /// [`Error::Url`], [`Error::TlsNotSupported`], [`Error::InvalidOption`],
    /// [`Error::Random`].
    pub fn new(
        stream: TcpStream,
        url: &str,
        options: &ClientBuilder,
        now: Instant,
    ) -> Result<Self, Error> {
        Self::with_parsed_url(stream, &parse_url(url)?, options, now)
    }

    pub(crate) fn with_parsed_url(
        stream: TcpStream,
        url: &WsUrl,
        options: &ClientBuilder,
        now: Instant,
    ) -> Result<Self, Error> {
        let (driver, rng_failed) = options.driver(url, false, now)?;
        Ok(Self {
            stream,
            driver,
            registered: None,
            protocol: None,
            response: None,
            rng_failed,
            read_left: false,
        })
    }

    /// The socket, e.g. to register it yourself.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// The socket, mutably (mio's `register` takes `&mut`).
    pub fn stream_mut(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// The readiness to wait for: writable while connecting or while output is queued,
    /// readable otherwise too. Never writable with nothing to write (a loop woken by an
    /// always-writable socket would spin).
    pub fn interest(&self) -> Interest {
        match self.driver.stage() {
            Stage::Connecting => Interest::WRITABLE | Interest::READABLE,
            _ if self.driver.wants_write() => Interest::READABLE | Interest::WRITABLE,
            _ => Interest::READABLE,
        }
    }

    /// Registers the socket with `registry` under `token`, with [`interest`](Self::interest).
    ///
    /// # Errors
    /// The registry's error.
    pub fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        let interest = self.interest();
        registry.register(&mut self.stream, token, interest)?;
        self.registered = Some((token, interest));
        Ok(())
    }

    /// Updates the registration if [`interest`](Self::interest) changed since the last
    /// [`register`](Self::register) or `reregister` (no system call otherwise).
    ///
    /// # Errors
    /// The registry's error; [`ErrorKind::NotConnected`] if never registered.
    pub fn reregister(&mut self, registry: &Registry) -> io::Result<()> {
        let Some((token, current)) = self.registered else {
            return Err(io::Error::new(ErrorKind::NotConnected, "not registered"));
        };
        let interest = self.interest();
        if interest != current {
            registry.reregister(&mut self.stream, token, interest)?;
            self.registered = Some((token, interest));
        }
        Ok(())
    }

    /// Removes the socket from `registry` (if registered).
    ///
    /// # Errors
    /// The registry's error.
    pub fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        if self.registered.take().is_some() {
            registry.deregister(&mut self.stream)?;
        }
        Ok(())
    }

    /// Whether the opening handshake completed and the connection has not ended.
    pub fn is_open(&self) -> bool {
        self.driver.is_open()
    }

    /// Whether the connection has ended (closed normally or failed): deregister and drop.
    pub fn is_finished(&self) -> bool {
        self.driver.is_finished()
    }

    /// Whether messages may be sent (open, no close sent or received).
    pub fn can_send(&self) -> bool {
        self.driver.can_send()
    }

    /// The close state, once open.
    pub fn state(&self) -> Option<State> {
        self.driver.state()
    }

    /// The permessage-deflate parameters agreed on, while open (`None`: uncompressed).
    pub fn deflate(&self) -> Option<&sockeye_handshake::DeflateParams> {
        self.driver.deflate()
    }

    /// The subprotocol the server chose.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The server's `101` response, once received.
    pub fn response(&self) -> Option<&Response> {
        self.response.as_ref()
    }

    /// Bytes queued and not yet written to the socket.
    pub fn buffered_amount(&self) -> usize {
        self.driver.queued()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next: the connect or
    /// handshake deadline, then the connection's timers (keepalive, close handshake), then
    /// the wait for the server's TCP close.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.driver.poll_timeout()
    }

    /// Runs the timers that are due at `now`; early calls do nothing.
    ///
    /// # Errors
    /// [`Error::Timeout`] (`Connect`, `Handshake`) or [`Error::Protocol`] (close handshake
    /// or keepalive timed out): the connection has ended.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        if let Err(e) = self.driver.handle_timeout(now) {
            let e = driver_error(e, &mut self.driver);
            return Err(self.fail(e));
        }
        self.flush()
    }

    /// Call when the socket is writable (and after queueing output yourself): completes
    /// the TCP connect, writes queued output until the socket would block, and shuts our
    /// side down once the connection is over.
    ///
    /// # Errors
    /// [`Error::Io`] (connection refused, reset...), [`Error::Random`]: the connection has
    /// ended.
    pub fn on_writable(&mut self, now: Instant) -> Result<(), Error> {
        if self.driver.stage() == Stage::Connecting && !self.check_connected(now)? {
            return Ok(());
        }
        self.flush()
    }

    /// Call when the socket is readable (or reports an error or a read-side close):
    /// reads until the socket would block, through the shared `scratch` buffer (any
    /// size; 64 KiB is a good choice), handling the handshake, then calling `handler`
    /// with each event. The handler replies through the [`Outbox`]. Queued output
    /// (replies, pongs) is written before returning.
    ///
    /// # Errors
    /// The connection has ended: [`Error::Rejected`], [`Error::Handshake`],
    /// [`Error::HandshakeEof`], [`Error::Protocol`] (the server broke the protocol; the
    /// close frame was sent), `Protocol(AbnormalClosure)` (TCP ended without a close
    /// handshake), [`Error::Io`]. A normal end is `Ok` with
    /// [`is_finished`](Self::is_finished) true.
    pub fn on_readable<F>(
        &mut self,
        scratch: &mut [u8],
        now: Instant,
        mut handler: F,
    ) -> Result<(), Error>
    where
        F: FnMut(&mut Outbox<'_>, ClientEvent<'_>),
    {
        if scratch.is_empty() {
            return Err(Error::Io(io::Error::new(
                ErrorKind::InvalidInput,
                "empty read buffer",
            )));
        }
        if self.driver.stage() == Stage::Connecting && !self.check_connected(now)? {
            return Ok(());
        }
        loop {
            // Until the socket is empty, or until back-pressure stops the reading: then
            // the write below may drain the output and let it go on at once, and only
            // this loop (or `wants_read_now`) reads the bytes left: epoll raises no new
            // edge for them, and the peer, stuck on a full window, sends nothing new.
            self.read_left = true;
            while self.driver.wants_read() {
                let n = match self.stream.read(scratch) {
                    Ok(0) => {
                        self.read_left = false;
                        if let Err(e) = self.driver.recv_eof(now) {
                            let e = driver_error(e, &mut self.driver);
                            return Err(self.fail(e));
                        }
                        break;
                    }
                    Ok(n) => n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        self.read_left = false;
                        break;
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) => return Err(self.fail(Error::Io(e))),
                };
                let input = scratch.get_mut(..n).unwrap_or_default();
                self.feed(input, now, &mut handler)?;
            }
            self.flush()?;
            if !self.wants_read_now() {
                return Ok(());
            }
        }
    }

    /// Whether to call [`on_readable`](Self::on_readable) now, without waiting for an
    /// event: back-pressure stopped an earlier read with input possibly left in the
    /// socket, and the output has drained enough (e.g. in
    /// [`on_writable`](Self::on_writable)) for reading to go on. No readiness event comes
    /// for bytes that were already queued, so a loop that skips this check can stall.
    pub fn wants_read_now(&self) -> bool {
        self.read_left && self.driver.wants_read()
    }

    /// Queues a text message; call [`on_writable`](Self::on_writable) or wait for the
    /// writable event to send it.
    ///
    /// # Errors
    /// [`Error::NotOpen`] before the handshake completed; [`Error::ConnectionClosed`]
    /// after a close; [`Error::WriteBufferFull`]; nothing is queued then.
    pub fn send_text(&mut self, text: &str, now: Instant) -> Result<(), Error> {
        self.outbox(now)?.send_text(text)
    }

    /// Queues a binary message; see [`send_text`](Self::send_text).
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn send_binary(&mut self, data: &[u8], now: Instant) -> Result<(), Error> {
        self.outbox(now)?.send_binary(data)
    }

    /// Queues one frame of a message streamed in pieces; see [`Outbox::send_fragment`].
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        fin: bool,
        now: Instant,
    ) -> Result<(), Error> {
        self.outbox(now)?.send_fragment(kind, data, fin)
    }

    /// Queues a ping (payload at most 125 bytes).
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn ping(&mut self, payload: &[u8], now: Instant) -> Result<(), Error> {
        self.outbox(now)?.ping(payload)
    }

    /// Starts the closing handshake; keep driving the client until
    /// [`is_finished`](Self::is_finished) (the server answers and closes TCP, or the
    /// close timeout runs out).
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text); `Protocol(CloseCodeNotSendable)`.
    pub fn close(&mut self, code: CloseCode, reason: &str, now: Instant) -> Result<(), Error> {
        self.outbox(now)?.close(code, reason)
    }

    /// The sending half, for sending outside an event handler.
    ///
    /// # Errors
    /// [`Error::NotOpen`] before the handshake completed, [`Error::ConnectionClosed`]
    /// after the connection ended.
    pub fn outbox(&mut self, now: Instant) -> Result<Outbox<'_>, Error> {
        match self.driver.stage() {
            Stage::Open => Ok(Outbox::new(self.driver.outbox(now))),
            Stage::Connecting | Stage::Handshake => Err(Error::NotOpen),
            _ => Err(Error::ConnectionClosed),
        }
    }

    /// Whether the non-blocking connect completed; errors end the connection.
    fn check_connected(&mut self, now: Instant) -> Result<bool, Error> {
        match self.stream.take_error() {
            Ok(None) => {}
            Ok(Some(e)) | Err(e) => return Err(self.fail(Error::Io(e))),
        }
        match self.stream.peer_addr() {
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::NotConnected | ErrorKind::Interrupted) => {
                return Ok(false);
            }
            Err(e) => return Err(self.fail(Error::Io(e))),
        }
        if let Err(e) = self.stream.set_nodelay(true) {
            return Err(self.fail(Error::Io(e)));
        }
        // The handshake deadline is absolute from here: a trickling server cannot
        // extend it.
        self.driver.connected(now);
        Ok(true)
    }

    /// One read's bytes through the driver, each event to the handler.
    fn feed<F>(&mut self, input: &mut [u8], now: Instant, handler: &mut F) -> Result<(), Error>
    where
        F: FnMut(&mut Outbox<'_>, ClientEvent<'_>),
    {
        let mut at = 0;
        while let Some(rest) = input.get_mut(at..) {
            let r = match self.driver.recv(rest, now) {
                Ok(r) => r,
                Err(e) => {
                    let e = driver_error(e, &mut self.driver);
                    return Err(self.fail(e));
                }
            };
            at += r.consumed;
            let Some(event) = r.event else { break };
            if let Event::Open { protocol } = event {
                self.protocol = protocol.map(str::to_owned);
            }
            if let Some(event) = ClientEvent::from_driver(event) {
                handler(&mut Outbox::new(r.outbox), event);
            }
        }
        if self.response.is_none() {
            self.response = self.driver.accepted().map(|a| a.response().clone());
            if let Some(response) = &self.response {
                crate::trace::response(
                    response,
                    self.protocol.as_deref(),
                    self.driver.deflate().is_some(),
                );
            }
        }
        Ok(())
    }

    /// Writes queued output until done or the socket would block; shuts our side down
    /// once the connection is over and everything is written.
    fn flush(&mut self) -> Result<(), Error> {
        if self.rng_failed.load(Ordering::Relaxed) {
            // Never send a frame masked with a key that did not come from the OS.
            return Err(self.fail(Error::Random));
        }
        loop {
            let out = self.driver.poll_output();
            if out.is_empty() {
                break;
            }
            match self.stream.write(out) {
                Ok(0) => {
                    let e = io::Error::new(ErrorKind::WriteZero, "socket accepted no bytes");
                    return Err(self.fail(Error::Io(e)));
                }
                Ok(n) => self.driver.written(n),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(self.fail(Error::Io(e))),
            }
        }
        if self.driver.wants_write_shutdown() {
            let _ = self.stream.shutdown(Shutdown::Write);
            self.driver.write_shut();
        }
        Ok(())
    }

    /// Ends the connection after an error: writes what the driver has (a close frame)
    /// without blocking, discards input still waiting in the socket (up to
    /// [`FAIL_DRAIN_MAX`] bytes), shuts our sending side down. Closing a socket with unread
    /// input makes the kernel send a reset, which can destroy the close frame we just
    /// wrote before the server reads it; a non-blocking client cannot wait for the
    /// server's close here, so an error ends the connection at once.
    fn fail(&mut self, error: Error) -> Error {
        if !self.driver.is_finished() {
            if !self.rng_failed.load(Ordering::Relaxed) {
                while let Some(out) = Some(self.driver.poll_output()).filter(|o| !o.is_empty()) {
                    match self.stream.write(out) {
                        Ok(n) if n > 0 => self.driver.written(n),
                        _ => break,
                    }
                }
            }
            let mut sink = [0u8; 4096];
            let mut drained = 0;
            while drained < FAIL_DRAIN_MAX {
                match self.stream.read(&mut sink) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => drained += n,
                }
            }
            let _ = self.stream.shutdown(Shutdown::Write);
            self.driver.abort();
        }
        error
    }
}

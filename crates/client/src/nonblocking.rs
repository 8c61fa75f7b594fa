//! The non-blocking client for mio event loops.

use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use sockeye_handshake::{ClientHandshake, Response, WsUrl};
use sockeye_proto::{CloseCode, Config, Connection, Event, MessageKind, Sender, State};

use crate::builder::{check_response, open_connection, parse_url, write_request};
use crate::{ClientBuilder, Error, Timeout};

/// Output capacity kept after the buffer drains; more is given back to the allocator.
const KEEP_OUT_CAPACITY: usize = 64 * 1024;

/// Most unread input discarded when the connection ends, so that closing the socket does
/// not turn into a reset (see `MioClient::abort`).
const ABORT_DRAIN_MAX: usize = 64 << 10;
/// Room for a frame header (and mask) when checking the output limit.
const FRAME_OVERHEAD: usize = 14;

/// What happened on a [`MioClient`], handed to the handler of
/// [`MioClient::on_readable`]. Borrows the read buffer or the connection's assembly
/// buffer: copy what you keep.
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

impl<'a> From<Event<'a>> for ClientEvent<'a> {
    fn from(event: Event<'a>) -> Self {
        match event {
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
        }
    }
}

/// Where the connection stands.
#[derive(Debug)]
enum Phase {
    /// TCP connect in progress; the request waits in the output buffer.
    Connecting(Box<Handshaking>),
    /// Request (being) sent; the response head accumulates in `buf`.
    Handshake(Box<Handshaking>),
    /// Frames.
    Open(Box<Connection>),
    /// Ended (closed or failed); the socket is shut down.
    Done,
}

#[derive(Debug)]
struct Handshaking {
    handshake: ClientHandshake,
    buf: Vec<u8>,
    config: Config,
}

/// A non-blocking WebSocket client connection for a [`mio`] event loop: an application
/// with one [`mio::Poll`] can drive many of them, each registered with its own
/// [`Token`].
///
/// The client owns a [`mio::net::TcpStream`] and its output buffer; the caller owns the
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
///   writable event (interest includes writable while output is queued);
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
///             result = client.on_writable();
///         }
///         if result.is_ok() && (event.is_readable() || event.is_error()) {
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
    phase: Phase,
    /// Output not yet written is `out[out_pos..]`.
    out: Vec<u8>,
    out_pos: usize,
    max_write_buffer: usize,
    /// Connect deadline, then handshake deadline; `None` once open.
    deadline: Option<Instant>,
    handshake_timeout: core::time::Duration,
    registered: Option<(Token, Interest)>,
    protocol: Option<String>,
    response: Option<Response>,
    rng_failed: Option<Arc<AtomicBool>>,
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
        let mut out = Vec::new();
        let handshake = write_request(options, url, &mut out)?;
        Ok(Self {
            stream,
            phase: Phase::Connecting(Box::new(Handshaking {
                handshake,
                buf: Vec::new(),
                config: options.config.clone(),
            })),
            out,
            out_pos: 0,
            max_write_buffer: options.max_write_buffer,
            deadline: Some(now + options.connect_timeout),
            handshake_timeout: options.handshake_timeout,
            registered: None,
            protocol: None,
            response: None,
            rng_failed: None,
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
        match self.phase {
            Phase::Connecting(_) => Interest::WRITABLE | Interest::READABLE,
            _ if self.out_pos < self.out.len() => Interest::READABLE | Interest::WRITABLE,
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
        matches!(self.phase, Phase::Open(_))
    }

    /// Whether the connection has ended (closed normally or failed): deregister and drop.
    pub fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// Whether messages may be sent (open, no close sent or received).
    pub fn can_send(&self) -> bool {
        matches!(&self.phase, Phase::Open(c) if c.can_send())
    }

    /// The close state, once open.
    pub fn state(&self) -> Option<State> {
        match &self.phase {
            Phase::Open(c) => Some(c.state()),
            Phase::Done => Some(State::Closed),
            _ => None,
        }
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
        self.out.len() - self.out_pos
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next: the connect or
    /// handshake deadline, then the connection's timers (keepalive, close handshake).
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Connecting(_) | Phase::Handshake(_) => self.deadline,
            Phase::Open(conn) => conn.poll_timeout(),
            Phase::Done => None,
        }
    }

    /// Runs the timers that are due at `now`; early calls do nothing.
    ///
    /// # Errors
    /// [`Error::Timeout`] (`Connect`, `Handshake`) or [`Error::Protocol`] (close handshake
    /// or keepalive timed out): the connection has ended.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        match &mut self.phase {
            Phase::Connecting(_) | Phase::Handshake(_) => {
                if self.deadline.is_some_and(|d| now >= d) {
                    let kind = if matches!(self.phase, Phase::Connecting(_)) {
                        Timeout::Connect
                    } else {
                        Timeout::Handshake
                    };
                    return Err(self.abort(Error::Timeout(kind)));
                }
                Ok(())
            }
            Phase::Open(conn) => {
                if let Err(e) = conn.handle_timeout(now) {
                    return Err(self.fail(Error::Protocol(e)));
                }
                conn.poll_transmit(&mut self.out);
                self.on_writable()
            }
            Phase::Done => Ok(()),
        }
    }

    /// Call when the socket is writable (and after queueing output yourself): completes
    /// the TCP connect, writes queued output until the socket would block, and ends the
    /// connection when the closing handshake is complete.
    ///
    /// # Errors
    /// [`Error::Io`] (connection refused, reset...), [`Error::Random`]: the connection has
    /// ended.
    pub fn on_writable(&mut self) -> Result<(), Error> {
        if matches!(self.phase, Phase::Connecting(_)) && !self.check_connected()? {
            return Ok(());
        }
        if matches!(self.phase, Phase::Done) {
            return Ok(());
        }
        self.flush()?;
        if matches!(&self.phase, Phase::Open(conn) if conn.should_close_tcp())
            && self.out_pos == self.out.len()
        {
            self.abort(Error::ConnectionClosed);
        }
        Ok(())
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
        if matches!(self.phase, Phase::Connecting(_)) && !self.check_connected()? {
            return Ok(());
        }
        loop {
            if matches!(self.phase, Phase::Done) {
                return Ok(());
            }
            let n = match self.stream.read(scratch) {
                Ok(0) => return self.on_eof(),
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.abort(Error::Io(e))),
            };
            let input = scratch.get_mut(..n).unwrap_or_default();
            match &mut self.phase {
                Phase::Handshake(_) => self.handshake_input(input, now, &mut handler)?,
                Phase::Open(_) => self.frames_input(input, now, &mut handler)?,
                Phase::Connecting(_) | Phase::Done => {}
            }
        }
        self.on_writable()
    }

    /// Queues a text message; call [`on_writable`](Self::on_writable) or wait for the
    /// writable event to send it.
    ///
    /// # Errors
    /// [`Error::NotOpen`] before the handshake completed; [`Error::ConnectionClosed`]
    /// after a close; [`Error::WriteBufferFull`]; nothing is queued then.
    pub fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.outbox(Instant::now())?.send_text(text)
    }

    /// Queues a binary message; see [`send_text`](Self::send_text).
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.outbox(Instant::now())?.send_binary(data)
    }

    /// Queues a ping (payload at most 125 bytes).
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.outbox(Instant::now())?.ping(payload)
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
        match &mut self.phase {
            Phase::Open(conn) => Ok(Outbox {
                sender: conn.sender(),
                out: &mut self.out,
                out_pos: self.out_pos,
                max: self.max_write_buffer,
                now,
            }),
            Phase::Done => Err(Error::ConnectionClosed),
            _ => Err(Error::NotOpen),
        }
    }

    /// Whether the non-blocking connect completed; errors end the connection.
    fn check_connected(&mut self) -> Result<bool, Error> {
        match self.stream.take_error() {
            Ok(None) => {}
            Ok(Some(e)) | Err(e) => return Err(self.abort(Error::Io(e))),
        }
        match self.stream.peer_addr() {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotConnected => return Ok(false),
            Err(e) if e.kind() == ErrorKind::Interrupted => return Ok(false),
            Err(e) => return Err(self.abort(Error::Io(e))),
        }
        if let Err(e) = self.stream.set_nodelay(true) {
            return Err(self.abort(Error::Io(e)));
        }
        let phase = core::mem::replace(&mut self.phase, Phase::Done);
        if let Phase::Connecting(h) = phase {
            self.phase = Phase::Handshake(h);
        }
        // The handshake deadline is absolute from here: a trickling server cannot
        // extend it.
        self.deadline = Some(Instant::now() + self.handshake_timeout);
        Ok(true)
    }

    fn handshake_input<F>(
        &mut self,
        input: &mut [u8],
        now: Instant,
        handler: &mut F,
    ) -> Result<(), Error>
    where
        F: FnMut(&mut Outbox<'_>, ClientEvent<'_>),
    {
        let Phase::Handshake(h) = &mut self.phase else {
            return Ok(());
        };
        h.buf.extend_from_slice(input);
        let accepted = match check_response(&mut h.handshake, &h.buf) {
            Ok(Some(accepted)) => accepted,
            Ok(None) => return Ok(()),
            Err(e) => return Err(self.abort(e)),
        };
        let Phase::Handshake(h) = core::mem::replace(&mut self.phase, Phase::Done) else {
            return Ok(());
        };
        let Handshaking {
            mut buf, config, ..
        } = *h;
        let (mut conn, rng_failed) = open_connection(config, now);
        self.rng_failed = Some(rng_failed);
        self.deadline = None;
        self.protocol = accepted.protocol().map(str::to_owned);
        self.response = Some(accepted.response().clone());
        handler(
            &mut Outbox {
                sender: conn.sender(),
                out: &mut self.out,
                out_pos: self.out_pos,
                max: self.max_write_buffer,
                now,
            },
            ClientEvent::Open {
                protocol: self.protocol.as_deref(),
            },
        );
        self.phase = Phase::Open(Box::new(conn));
        // Bytes after the head are the server's first frames.
        let head_len = accepted.head_len();
        if let Some(rest) = buf.get_mut(head_len..).filter(|r| !r.is_empty()) {
            self.frames_input(rest, now, handler)?;
        }
        Ok(())
    }

    fn frames_input<F>(
        &mut self,
        input: &mut [u8],
        now: Instant,
        handler: &mut F,
    ) -> Result<(), Error>
    where
        F: FnMut(&mut Outbox<'_>, ClientEvent<'_>),
    {
        let Phase::Open(conn) = &mut self.phase else {
            return Ok(());
        };
        let mut at = 0;
        while at < input.len() {
            let rest = input.get_mut(at..).unwrap_or_default();
            match conn.recv(rest, now) {
                Ok(r) => {
                    at += r.consumed;
                    let Some(event) = r.event else { break };
                    let mut outbox = Outbox {
                        sender: r.sender,
                        out: &mut self.out,
                        out_pos: self.out_pos,
                        max: self.max_write_buffer,
                        now,
                    };
                    handler(&mut outbox, event.into());
                    if r.consumed == 0 && at < input.len() {
                        // Cannot happen per the proto contract; never spin.
                        continue;
                    }
                }
                Err(e) => return Err(self.fail(Error::Protocol(e))),
            }
        }
        conn.poll_transmit(&mut self.out);
        Ok(())
    }

    fn on_eof(&mut self) -> Result<(), Error> {
        match &mut self.phase {
            Phase::Open(conn) => match conn.recv_eof() {
                Ok(()) => {
                    // Normal end: write what is left (best effort) and finish.
                    conn.poll_transmit(&mut self.out);
                    let _ = self.flush();
                    self.abort(Error::ConnectionClosed);
                    Ok(())
                }
                Err(e) => Err(self.abort(Error::Protocol(e))),
            },
            Phase::Connecting(_) | Phase::Handshake(_) => Err(self.abort(Error::HandshakeEof)),
            Phase::Done => Ok(()),
        }
    }

    /// Writes queued output until done or the socket would block.
    fn flush(&mut self) -> Result<(), Error> {
        if self
            .rng_failed
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
        {
            return Err(self.abort(Error::Random));
        }
        while self.out_pos < self.out.len() {
            let pending = self.out.get(self.out_pos..).unwrap_or_default();
            match self.stream.write(pending) {
                Ok(0) => {
                    let e = io::Error::new(ErrorKind::WriteZero, "socket accepted no bytes");
                    return Err(self.abort(Error::Io(e)));
                }
                Ok(n) => self.out_pos += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(self.abort(Error::Io(e))),
            }
        }
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
            if self.out.capacity() > KEEP_OUT_CAPACITY {
                self.out = Vec::new();
            }
        } else if self.out_pos > self.out.len() / 2 {
            self.out.drain(..self.out_pos);
            self.out_pos = 0;
        }
        Ok(())
    }

    /// Ends the connection after a protocol error or timeout: queues the connection's
    /// close frame, writes what it can without blocking, shuts down.
    fn fail(&mut self, error: Error) -> Error {
        if let Phase::Open(conn) = &mut self.phase {
            conn.poll_transmit(&mut self.out);
            let _ = self.flush();
        }
        self.abort(error)
    }

    /// Shuts the socket down and marks the connection ended.
    ///
    /// Input still waiting in the socket is read and discarded first (up to
    /// [`ABORT_DRAIN_MAX`] bytes, without blocking), and only our sending side is shut
    /// down: closing a socket with unread input makes the kernel send a reset, which can
    /// destroy the close frame we just wrote before the server reads it. (The blocking
    /// client goes further and waits up to a second for the server's FIN; a non-blocking
    /// client cannot wait here.)
    fn abort(&mut self, error: Error) -> Error {
        if !matches!(self.phase, Phase::Done) {
            let mut sink = [0u8; 4096];
            let mut drained = 0;
            while drained < ABORT_DRAIN_MAX {
                match self.stream.read(&mut sink) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => drained += n,
                }
            }
            let _ = self.stream.shutdown(Shutdown::Write);
            self.phase = Phase::Done;
        }
        self.out = Vec::new();
        self.out_pos = 0;
        error
    }
}

/// The sending side of a [`MioClient`], handed to the event handler (and returned by
/// [`MioClient::outbox`]): frames are queued in the client's output buffer, bounded by
/// [`ClientBuilder::max_write_buffer`], and written when the socket is writable.
#[derive(Debug)]
pub struct Outbox<'a> {
    sender: &'a mut Sender,
    out: &'a mut Vec<u8>,
    out_pos: usize,
    max: usize,
    now: Instant,
}

impl Outbox<'_> {
    /// Queues a text message.
    ///
    /// # Errors
    /// [`Error::WriteBufferFull`]; [`Error::ConnectionClosed`] after a close was sent or
    /// received; [`Error::Protocol`] for other local misuse. Nothing is queued then.
    pub fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.room(text.len())?;
        self.sender.send_text(text, self.out).map_err(closed)
    }

    /// Queues a binary message.
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.room(data.len())?;
        self.sender.send_binary(data, self.out).map_err(closed)
    }

    /// Queues one frame of a message streamed in pieces
    /// ([`sockeye_proto::Sender::send_fragment`]).
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        fin: bool,
    ) -> Result<(), Error> {
        self.room(data.len())?;
        self.sender
            .send_fragment(kind, data, fin, self.out)
            .map_err(closed)
    }

    /// Queues a ping (payload at most 125 bytes).
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.room(payload.len())?;
        self.sender.ping(payload, self.out).map_err(closed)
    }

    /// Queues a pong (payload at most 125 bytes).
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.room(payload.len())?;
        self.sender.pong(payload, self.out).map_err(closed)
    }

    /// Starts the closing handshake (always queued: a close frame is small).
    ///
    /// # Errors
    /// [`Error::ConnectionClosed`] if a close was already sent or received;
    /// `Protocol(CloseCodeNotSendable)`.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.sender
            .close(code, reason, self.now, self.out)
            .map_err(closed)
    }

    /// Bytes queued and not yet written.
    pub fn buffered_amount(&self) -> usize {
        self.out.len().saturating_sub(self.out_pos)
    }

    /// Whether messages may still be sent.
    pub fn can_send(&self) -> bool {
        self.sender.can_send()
    }

    fn room(&self, payload: usize) -> Result<(), Error> {
        let needed = payload.saturating_add(FRAME_OVERHEAD);
        if self.buffered_amount().saturating_add(needed) > self.max {
            return Err(Error::WriteBufferFull);
        }
        Ok(())
    }
}

fn closed(e: sockeye_proto::Error) -> Error {
    match e {
        sockeye_proto::Error::Closed => Error::ConnectionClosed,
        e => Error::Protocol(e),
    }
}

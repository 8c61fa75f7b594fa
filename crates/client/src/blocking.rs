//! The blocking client over `std::net::TcpStream`.

use core::time::Duration;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use sockeye_handshake::{Response, WsUrl};
use sockeye_proto::{CloseCode, Connection, MessageKind, State};

use crate::builder::{check_response, open_connection, parse_url, resolve, write_request};
use crate::{ClientBuilder, Error, Message, Timeout};

/// Size of the blocking client's read buffer: 64 KiB (or the handshake head limit plus
/// 4 KiB, if larger).
const READ_BUF_LEN: usize = 64 * 1024;
/// The longest [`WebSocket`] waits for the server's TCP close after failing the connection.
const LINGER_MAX: Duration = Duration::from_secs(1);
/// The output buffer is given back to the allocator after a write if it grew past this.
const KEEP_OUT_CAPACITY: usize = 64 * 1024;

/// Opens a blocking WebSocket connection with the default options; see
/// [`ClientBuilder::connect`].
///
/// ```no_run
/// use sockeye_client::Message;
/// let mut ws = sockeye_client::connect("ws://127.0.0.1:9001/chat")?;
/// ws.send_text("hello")?;
/// match ws.recv()? {
///     Message::Text(text) => println!("got {text}"),
///     other => println!("got {other:?}"),
/// }
/// ws.close(sockeye_proto::CloseCode::NORMAL, "done")?;
/// # Ok::<(), sockeye_client::Error>(())
/// ```
///
/// # Errors
/// See [`ClientBuilder::connect`]; `wss://` is [`Error::TlsNotSupported`]:
///
/// ```
/// let err = sockeye_client::connect("wss://example.com/").unwrap_err();
/// assert!(matches!(err, sockeye_client::Error::TlsNotSupported));
/// assert!(err.to_string().contains("TLS not supported"));
/// ```
pub fn connect(url: &str) -> Result<WebSocket, Error> {
    ClientBuilder::new().connect(url)
}

/// A blocking WebSocket client connection.
///
/// Every send writes its frame to the socket before returning (bounded by the write
/// timeout); [`recv`](Self::recv) blocks until a message, answering pings and running
/// the connection's timers (keepalive, close timeout) while it waits;
/// [`close`](Self::close) completes the closing handshake.
///
/// Not `Sync`: one thread uses it at a time (clone the socket with
/// [`get_ref`](Self::get_ref) and `try_clone` only for shutdown purposes).
#[derive(Debug)]
pub struct WebSocket {
    stream: TcpStream,
    conn: Connection,
    rbuf: Box<[u8]>,
    /// Unprocessed received bytes are `rbuf[rpos..rlen]`.
    rpos: usize,
    rlen: usize,
    out: Vec<u8>,
    read_timeout: Option<Duration>,
    /// The timeout currently set on the socket for reads.
    socket_read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
    protocol: Option<String>,
    response: Response,
    rng_failed: Arc<AtomicBool>,
    peer_close: Option<(CloseCode, String)>,
    /// The connection ended (closed or failed); the socket is shut down.
    done: bool,
}

/// What the receive loop produced.
enum Pumped {
    Message(Message),
    /// The connection ended normally (closing handshake done, TCP closed).
    Finished,
}

pub(crate) fn connect_with(options: &ClientBuilder, url: &str) -> Result<WebSocket, Error> {
    let url = parse_url(url)?;
    let mut request = Vec::new();
    let mut handshake = write_request(options, &url, &mut request)?;
    let stream = tcp_connect(&url, options.connect_timeout)?;
    stream.set_nodelay(true)?;

    // The handshake deadline is absolute: a server trickling bytes cannot extend it.
    let deadline = Instant::now() + options.handshake_timeout;
    let remaining = |now: Instant| {
        deadline
            .checked_duration_since(now)
            .filter(|d| !d.is_zero())
            .ok_or(Error::Timeout(Timeout::Handshake))
    };
    stream.set_write_timeout(Some(remaining(Instant::now())?))?;
    write_all(&stream, &request).map_err(|e| match e {
        Error::Timeout(_) => Error::Timeout(Timeout::Handshake),
        e => e,
    })?;

    let buf_len = READ_BUF_LEN.max(options.limits.get_max_head_len().saturating_add(4096));
    let mut rbuf = vec![0u8; buf_len].into_boxed_slice();
    let mut rlen = 0;
    let accepted = loop {
        let Some(free) = rbuf.get_mut(rlen..).filter(|f| !f.is_empty()) else {
            return Err(Error::Handshake(
                sockeye_handshake::ResponseError::HeadTooLarge,
            ));
        };
        stream.set_read_timeout(Some(round_up(remaining(Instant::now())?)))?;
        match (&stream).read(free) {
            Ok(0) => return Err(Error::HandshakeEof),
            Ok(n) => rlen += n,
            Err(e) if is_timeout(&e) || e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::Io(e)),
        }
        if let Some(accepted) =
            check_response(&mut handshake, rbuf.get(..rlen).unwrap_or_default())?
        {
            break accepted;
        }
    };

    stream.set_write_timeout(options.write_timeout.map(round_up))?;
    stream.set_read_timeout(None)?;
    let mut config = options.config.clone();
    config.streaming = false;
    let (conn, rng_failed) = open_connection(config, Instant::now());
    Ok(WebSocket {
        stream,
        conn,
        rbuf,
        // Bytes after the head are the server's first frames: processed by `recv`.
        rpos: accepted.head_len(),
        rlen,
        out: Vec::new(),
        read_timeout: options.read_timeout,
        socket_read_timeout: None,
        write_timeout: options.write_timeout,
        protocol: accepted.protocol().map(str::to_owned),
        response: accepted.response().clone(),
        rng_failed,
        peer_close: None,
        done: false,
    })
}

/// Connects to the first address that answers.
fn tcp_connect(url: &WsUrl, timeout: Duration) -> Result<TcpStream, Error> {
    let timeout = round_up(timeout);
    let mut last = Error::NoAddress;
    for addr in resolve(url)? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) if is_timeout(&e) => last = Error::Timeout(Timeout::Connect),
            Err(e) => last = Error::Io(e),
        }
    }
    Err(last)
}

/// A socket timeout must not be zero (std refuses it).
fn round_up(d: Duration) -> Duration {
    d.max(Duration::from_millis(1))
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

fn write_all(mut stream: &TcpStream, buf: &[u8]) -> Result<(), Error> {
    match stream.write_all(buf) {
        Ok(()) => Ok(()),
        Err(e) if is_timeout(&e) => Err(Error::Timeout(Timeout::Write)),
        Err(e) => Err(Error::Io(e)),
    }
}

impl WebSocket {
    /// The subprotocol the server chose, if any (one of those offered with
    /// [`ClientBuilder::protocol`]).
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The server's `101` response (e.g. for `Set-Cookie`).
    pub fn response(&self) -> &Response {
        &self.response
    }

    /// The server's close code and reason, once its close frame arrived.
    pub fn peer_close(&self) -> Option<(CloseCode, &str)> {
        self.peer_close.as_ref().map(|(c, r)| (*c, r.as_str()))
    }

    /// The WebSocket state machine (state, configuration).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The TCP stream (addresses, socket options).
    pub fn get_ref(&self) -> &TcpStream {
        &self.stream
    }

    /// Whether the connection has ended: nothing more can be sent or received.
    pub fn is_closed(&self) -> bool {
        self.done
    }

    /// Changes the read timeout of [`recv`](Self::recv).
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) {
        self.read_timeout = timeout;
    }

    /// Changes the write timeout.
    ///
    /// # Errors
    /// [`Error::Io`] if the socket refuses it.
    pub fn set_write_timeout(&mut self, timeout: Option<Duration>) -> Result<(), Error> {
        self.stream.set_write_timeout(timeout.map(round_up))?;
        self.write_timeout = timeout;
        Ok(())
    }

    /// Sends a text message.
    ///
    /// # Errors
    /// [`Error::ConnectionClosed`] after a close was sent or received or the connection
    /// ended; [`Error::Timeout`]`(Write)` or [`Error::Io`] if writing fails (the
    /// connection is then closed); [`Error::Protocol`] for local misuse (see
    /// [`sockeye_proto::Error::is_local_misuse`]).
    pub fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.check_open()?;
        self.conn.send_text(text, &mut self.out).map_err(closed)?;
        self.write_out()
    }

    /// Sends a binary message; see [`send_text`](Self::send_text).
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.check_open()?;
        self.conn.send_binary(data, &mut self.out).map_err(closed)?;
        self.write_out()
    }

    /// Sends one frame of a message streamed in pieces (see
    /// [`sockeye_proto::Sender::send_fragment`]); the frame with `fin` ends it.
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        fin: bool,
    ) -> Result<(), Error> {
        self.check_open()?;
        self.conn
            .send_fragment(kind, data, fin, &mut self.out)
            .map_err(closed)?;
        self.write_out()
    }

    /// Sends a ping (payload at most 125 bytes); its pong arrives as [`Message::Pong`].
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text); `Protocol(ControlPayloadTooLong)`.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.check_open()?;
        self.conn.ping(payload, &mut self.out).map_err(closed)?;
        self.write_out()
    }

    /// Sends an unsolicited pong (a heartbeat; pings are answered automatically).
    ///
    /// # Errors
    /// As [`ping`](Self::ping).
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.check_open()?;
        self.conn.pong(payload, &mut self.out).map_err(closed)?;
        self.write_out()
    }

    /// Waits for the next message. Pings are answered before [`Message::Ping`] is
    /// returned. After [`Message::Close`] (the reply is sent) the next call waits for the
    /// server to close TCP and returns [`Error::ConnectionClosed`].
    ///
    /// # Errors
    /// - [`Error::ConnectionClosed`]: the connection ended normally (or had ended);
    /// - [`Error::Timeout`]`(Read)`: nothing within the read timeout; the connection is
    ///   still usable;
    /// - [`Error::Protocol`]: the server broke the protocol (the close frame with
    ///   [`Error::close_code`] was sent, TCP closed), TCP ended without a close handshake
    ///   (1006), or the keepalive or close handshake timed out;
    /// - [`Error::Io`], [`Error::Timeout`]`(Write)` (answering a ping), [`Error::Random`].
    pub fn recv(&mut self) -> Result<Message, Error> {
        let deadline = self.read_timeout.map(|t| Instant::now() + t);
        match self.pump(deadline)? {
            Pumped::Message(message) => Ok(message),
            Pumped::Finished => Err(Error::ConnectionClosed),
        }
    }

    /// Starts the closing handshake without waiting for it: sends a close frame with
    /// `code` and `reason` (cut to 123 bytes) and returns. Messages the server sent before
    /// it saw our close still arrive: keep calling [`recv`](Self::recv), which returns
    /// them, then [`Message::Close`] (the server's answer), then
    /// [`Error::ConnectionClosed`] once the server closed TCP (§7.1.1), all within
    /// [`Config::close_timeout`](sockeye_proto::Config::close_timeout). Does nothing if a
    /// close was already sent or received. [`close`](Self::close) is this plus waiting,
    /// discarding late messages.
    ///
    /// # Errors
    /// [`Error::Protocol`]`(CloseCodeNotSendable)` for a code that may not be sent
    /// (nothing sent); I/O errors writing the frame.
    pub fn start_close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        if self.done {
            return Ok(());
        }
        match self.conn.close(code, reason, Instant::now(), &mut self.out) {
            Ok(()) => self.write_out(),
            // A close was already sent or received: nothing more to send.
            Err(sockeye_proto::Error::Closed) => Ok(()),
            Err(e) => Err(Error::Protocol(e)),
        }
    }

    /// Closes the connection: sends a close frame with `code` and `reason` (cut to 123
    /// bytes; [`CloseCode::NO_STATUS_RECEIVED`] sends one without a body), discards
    /// messages still arriving, and returns once the server answered with its close frame
    /// and closed TCP. Waits at most [`Config::close_timeout`](sockeye_proto::Config::close_timeout)
    /// (default 5 s) for the server's close frame, then at most as long again for the TCP
    /// close. If the server closed first, only waits for the TCP close. Ok if the
    /// connection had already ended.
    ///
    /// # Errors
    /// [`Error::Protocol`]`(CloseCodeNotSendable)` for a code that may not be sent
    /// (nothing sent); `Protocol(Timeout(Close))` if the server did not answer in time;
    /// `Protocol(AbnormalClosure)` if it closed TCP without answering; I/O errors.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        if self.done {
            return Ok(());
        }
        self.start_close(code, reason)?;
        loop {
            match self.pump(None)? {
                Pumped::Message(_) => {} // late messages are discarded
                Pumped::Finished => return Ok(()),
            }
        }
    }

    fn check_open(&self) -> Result<(), Error> {
        if self.done || !self.conn.can_send() {
            Err(Error::ConnectionClosed)
        } else {
            Ok(())
        }
    }

    /// Receives until a message, the normal end, or an error.
    fn pump(&mut self, read_deadline: Option<Instant>) -> Result<Pumped, Error> {
        loop {
            if self.done {
                return Ok(Pumped::Finished);
            }
            // 1. Bytes already received (including those that came with the 101).
            while self.rpos < self.rlen {
                let input = self.rbuf.get_mut(self.rpos..self.rlen).unwrap_or_default();
                let r = match self.conn.recv(input, Instant::now()) {
                    Ok(r) => r,
                    Err(e) => {
                        self.rpos = self.rlen;
                        return Err(self.fail(Error::Protocol(e)));
                    }
                };
                self.rpos += r.consumed;
                let Some(event) = r.event else { break };
                let Some(message) = Message::from_event(event) else {
                    continue;
                };
                if let Message::Close { code, reason } = &message {
                    self.peer_close = Some((*code, reason.clone()));
                    // The server may already have closed TCP: a failed write of our
                    // reply still lets the application see the close.
                    if self.flush_control().is_err() {
                        self.abort();
                    }
                } else {
                    self.flush_control()?;
                }
                return Ok(Pumped::Message(message));
            }
            self.rpos = 0;
            self.rlen = 0;

            // 2. Output the connection produced, the end of the connection.
            self.flush_control()?;
            if self.conn.should_close_tcp() {
                self.abort();
                return Ok(Pumped::Finished);
            }

            // 3. Timers: keepalive, close handshake, wait for the server's TCP close.
            let now = Instant::now();
            let timer = self.conn.poll_timeout();
            if timer.is_some_and(|t| now >= t) {
                if let Err(e) = self.conn.handle_timeout(now) {
                    return Err(self.fail(Error::Protocol(e)));
                }
                continue;
            }
            let mut wait = None;
            if let Some(deadline) = read_deadline {
                match deadline
                    .checked_duration_since(now)
                    .filter(|d| !d.is_zero())
                {
                    Some(d) => wait = Some(d),
                    None => return Err(Error::Timeout(Timeout::Read)),
                }
            }
            if let Some(t) = timer {
                let d = t.saturating_duration_since(now);
                wait = Some(wait.map_or(d, |w: Duration| w.min(d)));
            }

            // 4. Read.
            let wait = wait.map(round_up);
            if wait != self.socket_read_timeout {
                if let Err(e) = self.stream.set_read_timeout(wait) {
                    return Err(self.fail(Error::Io(e)));
                }
                self.socket_read_timeout = wait;
            }
            match self.stream.read(&mut self.rbuf) {
                Ok(0) => {
                    return match self.conn.recv_eof() {
                        Ok(()) => {
                            self.abort();
                            Ok(Pumped::Finished)
                        }
                        Err(e) => Err(self.fail(Error::Protocol(e))),
                    };
                }
                Ok(n) => self.rlen = n,
                Err(e) if is_timeout(&e) || e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(self.fail(Error::Io(e))),
            }
        }
    }

    /// Writes the frames the connection produced itself (pongs, close replies, pings).
    fn flush_control(&mut self) -> Result<(), Error> {
        if self.conn.poll_transmit(&mut self.out) > 0 || !self.out.is_empty() {
            self.write_out()?;
        }
        Ok(())
    }

    /// Writes `out`; on failure the connection is ended.
    fn write_out(&mut self) -> Result<(), Error> {
        if self.rng_failed.load(Ordering::Relaxed) {
            // Never send a frame masked with a key that did not come from the OS.
            self.out.clear();
            return Err(self.fail(Error::Random));
        }
        let result = write_all(&self.stream, &self.out);
        self.out.clear();
        if self.out.capacity() > KEEP_OUT_CAPACITY {
            self.out = Vec::new();
        }
        if result.is_err() {
            self.abort();
        }
        result
    }

    /// Ends the connection after an error: sends what the connection queued (the close
    /// frame of a protocol violation), best effort, then shuts the socket down.
    fn fail(&mut self, error: Error) -> Error {
        if !self.done && !self.rng_failed.load(Ordering::Relaxed) {
            self.conn.poll_transmit(&mut self.out);
            if !self.out.is_empty() {
                // Best effort, bounded by the write timeout.
                if write_all(&self.stream, &self.out).is_ok()
                    && matches!(&error, Error::Protocol(e) if e.is_protocol_violation())
                {
                    self.linger();
                }
            }
        }
        self.abort();
        error
    }

    /// After sending the close frame of a protocol violation: half-close and discard
    /// input until the server closes TCP, for at most [`LINGER_MAX`] (or the close
    /// timeout, if shorter). Closing a socket with unread input makes the kernel send a
    /// reset, which can destroy the close frame before the server reads it; waiting for
    /// the server's close is also what §7.1.1 asks of a client.
    fn linger(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
        let limit = self.conn.config().close_timeout.min(LINGER_MAX);
        let deadline = Instant::now() + limit;
        loop {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return;
            };
            if self.stream.set_read_timeout(Some(round_up(left))).is_err() {
                return;
            }
            match self.stream.read(&mut self.rbuf) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) => {}
                Err(_) => return,
            }
        }
    }

    /// Shuts the socket down; the connection is over.
    fn abort(&mut self) {
        if !self.done {
            let _ = self.stream.shutdown(Shutdown::Both);
            self.done = true;
        }
        self.out = Vec::new();
        self.rpos = 0;
        self.rlen = 0;
    }

    /// Whether the connection is open for sending (no close sent or received).
    pub fn can_send(&self) -> bool {
        !self.done && self.conn.state() == State::Open
    }
}

/// Sending after a close is [`Error::ConnectionClosed`]; other proto errors as they are.
fn closed(e: sockeye_proto::Error) -> Error {
    match e {
        sockeye_proto::Error::Closed => Error::ConnectionClosed,
        e => Error::Protocol(e),
    }
}

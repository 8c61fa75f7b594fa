//! The blocking client over `std::net::TcpStream`.

use core::time::Duration;
use std::io::{self, ErrorKind, Read};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use sockeye_driver::{Driver, Event, SendError, Stage};
use sockeye_handshake::Response;
use sockeye_proto::{CloseCode, Connection, MessageKind};

use crate::builder::{driver_error, parse_url};
use crate::socket::{handshake_left, is_timeout, round_up, tcp_connect, write_driver};
use crate::{ClientBuilder, Error, Message, Timeout};

/// Size of the blocking client's read buffer: 64 KiB.
const READ_BUF_LEN: usize = 64 * 1024;

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
/// See [`ClientBuilder::connect`]; without the `tls` feature `wss://` is
/// [`Error::TlsNotSupported`]:
///
/// ```
/// # if !cfg!(feature = "tls") {
/// let err = sockeye_client::connect("wss://example.com/").unwrap_err();
/// assert!(matches!(err, sockeye_client::Error::TlsNotSupported));
/// assert!(err.to_string().contains("TLS not supported"));
/// # }
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
/// It is a shell over [`sockeye_driver::Driver`], which owns the connection's life: the
/// handshake, the frames, the timers, the close.
///
/// Not `Sync`: one thread uses it at a time (clone the socket with
/// [`get_ref`](Self::get_ref) and `try_clone` only for shutdown purposes).
#[derive(Debug)]
pub struct WebSocket {
    stream: TcpStream,
    driver: Driver,
    rbuf: Box<[u8]>,
    /// Unprocessed received bytes are `rbuf[rpos..rlen]`.
    rpos: usize,
    rlen: usize,
    read_timeout: Option<Duration>,
    /// The timeout currently set on the socket for reads.
    socket_read_timeout: Option<Duration>,
    protocol: Option<String>,
    response: Response,
    rng_failed: Arc<AtomicBool>,
    peer_close: Option<(CloseCode, String)>,
}

/// What the receive loop produced.
enum Pumped {
    Message(Message),
    /// The connection ended normally (closing handshake done, TCP closed).
    Finished,
}

pub(crate) fn connect_with(options: &ClientBuilder, url: &str) -> Result<WebSocket, Error> {
    let url = parse_url(url)?;
    let (mut driver, rng_failed) = options.driver(&url, true, Instant::now())?;
    let stream = tcp_connect(&url, options.connect_timeout)?;
    stream.set_nodelay(true)?;
    // The handshake deadline is absolute from here: a server trickling bytes cannot
    // extend it (the driver keeps it).
    driver.connected(Instant::now());
    let mut rbuf = vec![0u8; READ_BUF_LEN].into_boxed_slice();
    let handshake_time = |driver: &mut Driver, e: Error| match e {
        Error::Timeout(_) => {
            let _ = driver.handle_timeout(Instant::now());
            Error::Timeout(Timeout::Handshake)
        }
        e => e,
    };
    loop {
        let left = handshake_left(&driver)?;
        stream.set_write_timeout(Some(left))?;
        write_driver(&stream, &mut driver).map_err(|e| handshake_time(&mut driver, e))?;
        stream.set_read_timeout(Some(handshake_left(&driver)?))?;
        let n = match (&stream).read(&mut rbuf) {
            Ok(n) => n,
            Err(e) if is_timeout(&e) || e.kind() == ErrorKind::Interrupted => {
                if let Err(e) = driver.handle_timeout(Instant::now()) {
                    return Err(driver_error(e, &mut driver));
                }
                continue;
            }
            Err(e) => return Err(Error::Io(e)),
        };
        if n == 0 {
            return Err(Error::HandshakeEof);
        }
        let input = rbuf.get_mut(..n).unwrap_or_default();
        let opened = match driver.recv(input, Instant::now()) {
            Ok(r) => match r.event {
                Some(Event::Open { protocol }) => Some((r.consumed, protocol.map(str::to_owned))),
                _ => None,
            },
            Err(e) => return Err(driver_error(e, &mut driver)),
        };
        let Some((consumed, protocol)) = opened else {
            continue;
        };
        stream.set_write_timeout(options.write_timeout.map(round_up))?;
        stream.set_read_timeout(None)?;
        let response = driver
            .accepted()
            .map(|a| a.response().clone())
            .ok_or(Error::HandshakeEof)?;
        crate::trace::response(&response, protocol.as_deref(), driver.deflate().is_some());
        return Ok(WebSocket {
            stream,
            driver,
            rbuf,
            // Bytes after the head are the server's first frames: processed by `recv`.
            rpos: consumed,
            rlen: n,
            read_timeout: options.read_timeout,
            socket_read_timeout: None,
            protocol,
            response,
            rng_failed,
            peer_close: None,
        });
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

    /// The permessage-deflate parameters agreed on, while open (`None`: uncompressed).
    pub fn deflate(&self) -> Option<&sockeye_handshake::DeflateParams> {
        self.driver.deflate()
    }

    /// The server's close code and reason, once its close frame arrived.
    pub fn peer_close(&self) -> Option<(CloseCode, &str)> {
        self.peer_close.as_ref().map(|(c, r)| (*c, r.as_str()))
    }

    /// The WebSocket state machine (state, configuration), while the connection is open.
    pub fn connection(&self) -> Option<&Connection> {
        self.driver.connection()
    }

    /// The TCP stream (addresses, socket options).
    pub fn get_ref(&self) -> &TcpStream {
        &self.stream
    }

    /// Whether the connection has ended: nothing more can be sent or received.
    pub fn is_closed(&self) -> bool {
        self.driver.is_finished()
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
        self.send(|o| o.send_text(text).map(drop))
    }

    /// Sends a binary message; see [`send_text`](Self::send_text).
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.send(|o| o.send_binary(data).map(drop))
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
        self.send(|o| o.send_fragment(kind, data, fin).map(drop))
    }

    /// Sends a ping (payload at most 125 bytes); its pong arrives as [`Message::Pong`].
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text); `Protocol(ControlPayloadTooLong)`.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.send(|o| o.ping(payload).map(drop))
    }

    /// Sends an unsolicited pong (a heartbeat; pings are answered automatically).
    ///
    /// # Errors
    /// As [`ping`](Self::ping).
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.send(|o| o.pong(payload).map(drop))
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
        match self.driver.outbox(Instant::now()).close(code, reason) {
            // A close was already sent or received, or the connection ended.
            Ok(()) | Err(SendError::Closed) => self.write_out(),
            Err(SendError::Misuse(e)) => Err(Error::Protocol(e)),
            Err(_) => Ok(()),
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
        if self.driver.is_finished() {
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

    /// Whether the connection is open for sending (no close sent or received).
    pub fn can_send(&self) -> bool {
        self.driver.can_send()
    }

    fn send(
        &mut self,
        queue: impl FnOnce(&mut sockeye_driver::Outbox<'_>) -> Result<(), SendError>,
    ) -> Result<(), Error> {
        match queue(&mut self.driver.outbox(Instant::now())) {
            Ok(()) => self.write_out(),
            Err(SendError::Misuse(e)) => Err(Error::Protocol(e)),
            Err(_) => Err(Error::ConnectionClosed),
        }
    }

    /// Receives until a message, the normal end, or an error.
    fn pump(&mut self, read_deadline: Option<Instant>) -> Result<Pumped, Error> {
        loop {
            // 1. Bytes already received (including those that came with the 101), until
            //    the driver has nothing more for them.
            loop {
                let input = self.rbuf.get_mut(self.rpos..self.rlen).unwrap_or_default();
                let r = match self.driver.recv(input, Instant::now()) {
                    Ok(r) => r,
                    Err(e) => {
                        self.rpos = self.rlen;
                        return Err(self.fail(e));
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
                    if self.write_out().is_err() {
                        self.driver.abort();
                    }
                } else {
                    self.write_out()?;
                }
                return Ok(Pumped::Message(message));
            }
            self.rpos = 0;
            self.rlen = 0;

            // 2. Output, the end of the connection.
            self.write_out()?;
            if self.driver.stage() == Stage::Closing {
                self.linger();
            }
            if self.driver.is_finished() {
                #[cfg(feature = "tracing")]
                if let Some(closed) = self.driver.take_closed() {
                    crate::trace::event!(
                        debug,
                        code = closed.code.as_u16(),
                        by = closed.by.as_str(),
                        clean = closed.clean,
                        "closed"
                    );
                }
                let _ = self.stream.shutdown(Shutdown::Both);
                return Ok(Pumped::Finished);
            }

            // 3. Timers: keepalive, close handshake, wait for the server's TCP close.
            let now = Instant::now();
            let timer = self.driver.poll_timeout();
            if timer.is_some_and(|t| now >= t) {
                if let Err(e) = self.driver.handle_timeout(now) {
                    return Err(self.fail(e));
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
            match self.read(wait) {
                Ok(0) => {
                    if let Err(e) = self.driver.recv_eof(Instant::now()) {
                        return Err(self.fail(e));
                    }
                }
                Ok(n) => self.rlen = n,
                Err(e) if is_timeout(&e) || e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    self.driver.abort();
                    return Err(Error::Io(e));
                }
            }
        }
    }

    /// One read with `wait` as the socket's timeout (`None`: block).
    fn read(&mut self, wait: Option<Duration>) -> io::Result<usize> {
        let wait = wait.map(round_up);
        if wait != self.socket_read_timeout {
            self.stream.set_read_timeout(wait)?;
            self.socket_read_timeout = wait;
        }
        self.stream.read(&mut self.rbuf)
    }

    /// Writes what the driver has; on failure the connection is ended.
    fn write_out(&mut self) -> Result<(), Error> {
        if self.rng_failed.load(Ordering::Relaxed) {
            // Never send a frame masked with a key that did not come from the OS.
            self.driver.abort();
            return Err(Error::Random);
        }
        let result = write_driver(&self.stream, &mut self.driver);
        if result.is_err() {
            self.driver.abort();
        }
        result
    }

    /// The connection ended with an error: the driver's last frames (the close frame of a
    /// protocol violation) go out, then it lingers for the server's TCP close; the error is
    /// the client's.
    fn fail(&mut self, error: sockeye_driver::Error) -> Error {
        let error = driver_error(error, &mut self.driver);
        crate::trace::event!(info, error = %error, "connection failed");
        if self.write_out().is_ok() {
            self.linger();
        }
        self.driver.abort();
        let _ = self.stream.shutdown(Shutdown::Both);
        error
    }

    /// While the driver is closing: our sending side is shut down and input discarded
    /// until the server closes TCP or the linger deadline passes (closing a socket with
    /// unread input makes the kernel send a reset, which can destroy the close frame
    /// before the server reads it; waiting for the server's close is also what §7.1.1
    /// asks of a client).
    fn linger(&mut self) {
        while self.driver.stage() == Stage::Closing {
            if self.driver.wants_write_shutdown() {
                let _ = self.stream.shutdown(Shutdown::Write);
                self.driver.write_shut();
                continue;
            }
            let wait = self
                .driver
                .poll_timeout()
                .map(|t| t.saturating_duration_since(Instant::now()));
            match self.read(wait) {
                Ok(0) => {
                    let _ = self.driver.recv_eof(Instant::now());
                }
                Ok(_) => {} // discarded: the connection is over
                Err(e) if is_timeout(&e) || e.kind() == ErrorKind::Interrupted => {
                    let _ = self.driver.handle_timeout(Instant::now());
                }
                Err(_) => self.driver.abort(),
            }
        }
    }
}

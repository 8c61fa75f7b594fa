//! The core every API of this crate is a view of: one transport, one [`Driver`], and the
//! messages taken from input but not yet handed out. It is poll-based and keeps all of its
//! state here, none in futures: dropping any future of this crate mid-way loses nothing
//! that was not already handed to the caller, which is what makes the methods cancel safe.
//!
//! Input is processed one message at a time: a read is fed to the driver until its first
//! message, and the rest waits (in a per-connection stash, only while it is not empty)
//! until that message has been handed out. So whatever the application sends in answer to
//! a message is queued before the next frame is even parsed, exactly as if each message
//! had arrived alone: an echo of a message followed by an invalid frame goes out before
//! the close frame that the invalid frame causes (Autobahn's strict order, cases 3.2,
//! 4.1.3, 5.15...).
//!
//! One step ([`Conn::poll_drive`]) does the first of: feed the stash's next message;
//! after a read that filled the buffer, read again (up to [`MAX_READS_BEFORE_WRITE`]
//! reads, while the socket has more); otherwise write what the driver has (so replies to
//! the whole of those reads leave in one write, once they are processed), shut our side
//! down when the driver asks, run the timer at [`Driver::poll_timeout`] on tokio's clock,
//! read and feed while the driver wants input.
//! No protocol decision is made here: bytes in and out of the driver, and its events
//! turned into owned [`Message`]s.
//!
//! A binary message or a streamed chunk of at least [`ZERO_COPY_MIN`] bytes that the
//! driver unmasked in place in the read buffer is handed out as a slice of that buffer
//! (`Bytes`, no copy); smaller payloads, text (its `Utf8Bytes` would have to be checked
//! again) and what the driver assembled or decrypted itself are copied. A message held
//! by the application keeps its part of the read buffer's allocation (64 KiB) alive: at
//! most 4 times its own size.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use sockeye_driver::{Closed, Driver, Event, SharedFrame, Stage};
use sockeye_handshake::Request;
use sockeye_proto::CloseCode;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Sleep;

use crate::buffers::{lend_output, reclaim_output, return_read_buffer, take_read_buffer};
use crate::message::Chunk;
use crate::{Error, Message};

/// The smallest payload handed out as a slice of the read buffer rather than copied.
pub(crate) const ZERO_COPY_MIN: usize = 16 << 10;

/// After a read that filled the buffer, more bytes are likely waiting in the socket: read
/// again before writing, up to this many reads, so that the replies to consecutive reads
/// leave in one write, as the mio server does (up to 4 reads per turn). A 1 MiB echo went
/// from 17.2 to 13.5 `sendto`s per message and 1,290 to 1,390 messages per CPU-second
/// (`perf stat`, e2e `1m`, 5 rounds: docs/performance.md). A read that finds the socket
/// empty writes at once.
const MAX_READS_BEFORE_WRITE: u8 = 4;

/// `now` on tokio's clock (paused and advanced in tests like every tokio timer).
pub(crate) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// How a message is made once the driver's event no longer borrows the input.
enum Shared {
    /// Copied out of the event (or no message: a handshake event).
    Copied(Option<Message>),
    /// A binary message at this range of the input.
    Binary(core::ops::Range<usize>),
    /// A streamed chunk at this range of the input.
    Chunk(
        core::ops::Range<usize>,
        sockeye_proto::MessageKind,
        bool,
        bool,
    ),
}

/// Where `data` lies in the input `base..base + len`, if it lies there and is large
/// enough to be worth sharing (the driver's own buffers, and small payloads, are copied).
fn in_input(base: usize, len: usize, data: &[u8]) -> Option<core::ops::Range<usize>> {
    let start = (data.as_ptr() as usize).checked_sub(base)?;
    let end = start.checked_add(data.len())?;
    (data.len() >= ZERO_COPY_MIN && end <= len).then_some(start..end)
}

/// Splits the first `used` bytes off `input` and returns `range` of them, without a copy.
fn split_off(input: &mut BytesMut, used: usize, range: core::ops::Range<usize>) -> Bytes {
    let head = input.split_to(used.min(input.len())).freeze();
    head.slice(range.start.min(head.len())..range.end.min(head.len()))
}

/// A transport and the driver of its connection.
#[derive(Debug)]
pub(crate) struct Conn<S> {
    pub(crate) io: S,
    pub(crate) driver: Driver,
    /// The message taken from input and not yet handed out (one at a time).
    message: Option<Message>,
    /// The error that ended the connection, handed out after the message before it
    /// (boxed: rare, and an idle connection pays a pointer for it).
    failure: Option<Box<Error>>,
    /// Input read but not yet given to the driver (a part of a read buffer). Empty and
    /// pointing at no allocation unless a read held more than one message.
    stash: BytesMut,
    /// The driver may hold events for input it was given already: call `recv` (with the
    /// stash, possibly empty) before reading again.
    more: bool,
    /// Reads in a row that filled the buffer, and whose replies have not been written
    /// (see [`MAX_READS_BEFORE_WRITE`]).
    full_reads: u8,
    /// Boxed and only while the driver has a deadline: an idle open connection without
    /// keepalive holds no timer.
    timer: Option<Pin<Box<Sleep>>>,
    /// Client: the masking keys' OS source failed (checked before every write).
    masks_failed: Option<Arc<AtomicBool>>,
    /// Server: a complete request waiting for `accept` or a refusal.
    pub(crate) request: Option<Box<Request>>,
    /// The subprotocol agreed on.
    pub(crate) protocol: Option<Box<str>>,
    /// How the open connection ended, once it has (boxed: once per connection).
    pub(crate) closed: Option<Box<Closed>>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    pub(crate) fn new(io: S, driver: Driver, masks_failed: Option<Arc<AtomicBool>>) -> Self {
        Self {
            io,
            driver,
            message: None,
            failure: None,
            stash: BytesMut::new(),
            more: false,
            full_reads: 0,
            timer: None,
            masks_failed,
            request: None,
            protocol: None,
            closed: None,
        }
    }

    /// The next message (or the error that ended the connection), in arrival order.
    pub(crate) fn pop(&mut self) -> Option<Result<Message, Error>> {
        match self.message.take() {
            Some(message) => Some(Ok(message)),
            None => self.failure.take().map(|e| Err(*e)),
        }
    }

    /// Whether a message (or the final error) waits to be handed out.
    pub(crate) fn has_item(&self) -> bool {
        self.message.is_some() || self.failure.is_some()
    }

    /// Records the error that ended the connection (the first one: what follows from it
    /// is not news).
    fn fail(&mut self, error: Error) {
        self.failure.get_or_insert_with(|| Box::new(error));
    }

    /// Whether everything is over and handed out: the stream's end.
    pub(crate) fn is_done(&self) -> bool {
        self.driver.is_finished() && !self.has_item()
    }

    /// Whether sends should wait: queued output is over the high-water mark.
    pub(crate) fn over_high_water(&self) -> bool {
        self.driver.queued() > self.driver.config().write_high_water
    }

    /// One step of the connection's life (see the module documentation). `Ready` when
    /// something happened (input fed, a timer run, the end reached, an error queued),
    /// `Pending` when nothing can move until a waker fires. Callers take the waiting
    /// message and check [`is_done`](Self::is_done) before each step.
    pub(crate) fn poll_drive(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        lend_output(&mut self.driver);
        let step = self.step(cx);
        if self.closed.is_none() && !self.driver.is_open() {
            self.closed = self.driver.take_closed().map(Box::new);
        }
        reclaim_output(&mut self.driver);
        step
    }

    fn step(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.driver.is_finished() {
            return Poll::Ready(());
        }
        let now = now();
        // Input waits for the waiting message to be taken, and for the application's
        // decision on a request.
        let may_feed = !self.has_item() && self.request.is_none();
        if may_feed && self.more {
            self.feed_stash(now);
            self.flush_if_ending(cx);
            return Poll::Ready(());
        }
        let defer_write = may_feed
            && self.full_reads > 0
            && self.full_reads < MAX_READS_BEFORE_WRITE
            && self.driver.wants_read()
            && !self.driver.wants_write_shutdown();
        if defer_write {
            if self.poll_read(cx, now).is_ready() {
                self.flush_if_ending(cx);
                return Poll::Ready(());
            }
            // The socket is empty: the replies go out now.
            self.full_reads = 0;
        }
        let mut moved = false;
        if let Poll::Ready(Err(e)) = self.write_out(cx) {
            self.fail(e);
            return Poll::Ready(());
        }
        if self.driver.wants_write_shutdown() {
            // §7.1.1: our FIN after our last frame; errors mean the peer is gone, which
            // the driver learns from the EOF or its linger bound.
            if Pin::new(&mut self.io).poll_shutdown(cx).is_ready() {
                self.driver.write_shut();
                moved = true;
            }
        }
        if self.driver.is_finished() {
            return Poll::Ready(());
        }
        if self.poll_timer(cx).is_ready() {
            if let Err(e) = self.driver.handle_timeout(now) {
                let e = Error::from_driver(e, &mut self.driver);
                self.fail(e);
            }
            return Poll::Ready(());
        }
        if may_feed && self.driver.wants_read() && self.poll_read(cx, now).is_ready() {
            self.flush_if_ending(cx);
            return Poll::Ready(());
        }
        if moved {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// When input ended the connection (a failure: its close frame is queued) or brought
    /// the peer's close (our reply is queued), writes at once, before that is handed
    /// out: an application that stops polling then still has the close go out.
    fn flush_if_ending(&mut self, cx: &mut Context<'_>) {
        let ending = self.failure.is_some() || matches!(self.message, Some(Message::Close(_)));
        if !ending {
            return;
        }
        if let Poll::Ready(Err(e)) = self.write_out(cx) {
            self.fail(e);
        }
        if self.driver.wants_write_shutdown() && Pin::new(&mut self.io).poll_shutdown(cx).is_ready()
        {
            self.driver.write_shut();
        }
    }

    /// Feeds the stashed input up to its next message.
    fn feed_stash(&mut self, now: Instant) {
        let mut stash = core::mem::take(&mut self.stash);
        self.feed(&mut stash, now);
        if !stash.is_empty() {
            self.stash = stash;
        }
        // Drained: dropped, so an idle connection holds no part of a read buffer.
    }

    /// One read into this thread's buffer, fed to the driver; the rest is stashed if
    /// feeding stopped early.
    fn poll_read(&mut self, cx: &mut Context<'_>, now: Instant) -> Poll<()> {
        let mut buf = take_read_buffer();
        let room = buf.capacity() - buf.len();
        let polled = tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut buf);
        self.full_reads = match polled {
            Poll::Ready(Ok(n)) if n == room => self.full_reads.saturating_add(1),
            _ => 0,
        };
        let ready = match polled {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(0)) => {
                if let Err(e) = self.driver.recv_eof(now) {
                    let e = Error::from_driver(e, &mut self.driver);
                    self.fail(e);
                }
                Poll::Ready(())
            }
            Poll::Ready(Ok(_)) => {
                self.feed(&mut buf, now);
                // `more` is set: the rest is fed before anything is read again. A small
                // rest is copied out, so that a connection whose message waits to be
                // taken does not keep a whole read buffer alive for it.
                if buf.len() >= ZERO_COPY_MIN {
                    self.stash = buf.split();
                } else if !buf.is_empty() {
                    self.stash = BytesMut::from(&buf[..]);
                    buf.clear();
                }
                Poll::Ready(())
            }
            Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => Poll::Ready(()),
            Poll::Ready(Err(e)) => {
                // Reset by the peer or another hard error: nothing more can be sent.
                self.driver.abort();
                self.fail(Error::Io(e));
                Poll::Ready(())
            }
        };
        return_read_buffer(buf);
        ready
    }

    /// Gives `input` to the driver until its first message, or until it has no event,
    /// and removes what it used from `input`. After a message `more` is set: the driver
    /// may hold more (the rest of `input`, or decoded output of the bytes it took).
    fn feed(&mut self, input: &mut BytesMut, now: Instant) {
        let mut at = 0;
        let base = input.as_ptr() as usize;
        let len = input.len();
        loop {
            let rest = input.get_mut(at..).unwrap_or_default();
            let r = match self.driver.recv(rest, now) {
                Ok(r) => r,
                Err(e) => {
                    // The connection is over: the rest of this input is not for it.
                    self.more = false;
                    let e = Error::from_driver(e, &mut self.driver);
                    self.fail(e);
                    input.clear();
                    return;
                }
            };
            at += r.consumed;
            let Some(event) = r.event else {
                self.more = false;
                input.advance(at);
                return;
            };
            let message = match event {
                Event::Request(request) => {
                    // The bytes after the head are the client's first frames: they wait
                    // for the decision.
                    self.request = Some(Box::new(request.clone()));
                    self.more = true;
                    input.advance(at);
                    return;
                }
                // The bytes after the 101 are the server's first frames: on.
                Event::Open { protocol } => {
                    self.protocol = protocol.map(Into::into);
                    continue;
                }
                Event::Binary(data) => match in_input(base, len, data) {
                    Some(range) => Shared::Binary(range),
                    None => Shared::Copied(Message::from_event(Event::Binary(data))),
                },
                Event::Chunk {
                    kind,
                    data,
                    first,
                    last,
                } => match in_input(base, len, data) {
                    Some(range) => Shared::Chunk(range, kind, first, last),
                    None => Shared::Copied(Message::from_event(Event::Chunk {
                        kind,
                        data,
                        first,
                        last,
                    })),
                },
                event => Shared::Copied(Message::from_event(event)),
            };
            // The event's borrow of `input` is over: the payload may be split off.
            let message = match message {
                Shared::Copied(None) => continue,
                Shared::Copied(Some(message)) => {
                    input.advance(at);
                    message
                }
                Shared::Binary(range) => Message::Binary(split_off(input, at, range)),
                Shared::Chunk(range, kind, first, last) => Message::Chunk(Chunk {
                    kind,
                    data: split_off(input, at, range),
                    first,
                    last,
                }),
            };
            self.message = Some(message);
            self.more = true;
            return;
        }
    }

    /// Writes what the driver has until it is all written or the transport would block,
    /// then flushes the transport (a buffering one, TLS, holds bytes until then). An
    /// error ends the connection.
    pub(crate) fn write_out(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.driver.is_finished() {
            return Poll::Ready(Ok(()));
        }
        if self
            .masks_failed
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
        {
            // Never send a frame masked with a key that did not come from the OS.
            self.driver.abort();
            return Poll::Ready(Err(Error::Random));
        }
        loop {
            let out = self.driver.poll_output();
            if out.is_empty() {
                break;
            }
            match Pin::new(&mut self.io).poll_write(cx, out) {
                Poll::Ready(Ok(0)) => {
                    self.driver.abort();
                    return Poll::Ready(Err(Error::Io(io::ErrorKind::WriteZero.into())));
                }
                Poll::Ready(Ok(n)) => self.driver.written(n),
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => {
                    self.driver.abort();
                    return Poll::Ready(Err(Error::Io(e)));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        match Pin::new(&mut self.io).poll_flush(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(e)) => {
                self.driver.abort();
                Poll::Ready(Err(Error::Io(e)))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// `Ready` once the driver's deadline has passed. The timer exists only while there
    /// is a deadline, and is re-armed only when the deadline moves (or after it fired:
    /// a deadline the driver did not act on is waited for again, never spun on).
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(deadline) = self.driver.poll_timeout() else {
            self.timer = None;
            return Poll::Pending;
        };
        let when = tokio::time::Instant::from_std(deadline);
        let sleep = match &mut self.timer {
            Some(sleep) => {
                if sleep.deadline() != when || sleep.is_elapsed() {
                    sleep.as_mut().reset(when);
                }
                sleep
            }
            None => self.timer.insert(Box::pin(tokio::time::sleep_until(when))),
        };
        sleep.as_mut().poll(cx)
    }

    /// Queues a message (framed into the output buffer; nothing is written yet).
    pub(crate) fn send(&mut self, message: &Message) -> Result<(), Error> {
        lend_output(&mut self.driver);
        let mut outbox = self.driver.outbox(now());
        let sent = match message {
            Message::Text(text) => outbox.send_text(text),
            Message::Binary(data) => outbox.send_binary(data),
            Message::Ping(payload) => outbox.ping(payload),
            Message::Pong(payload) => outbox.pong(payload),
            Message::Close(frame) => {
                let (code, reason) = frame
                    .as_ref()
                    .map_or((CloseCode::NO_STATUS_RECEIVED, ""), |f| {
                        (f.code, f.reason.as_str())
                    });
                outbox
                    .close(code, reason)
                    .map(|()| sockeye_driver::Sent::Queued)
            }
            Message::Chunk(chunk) => outbox.send_fragment(chunk.kind, &chunk.data, chunk.last),
        };
        reclaim_output(&mut self.driver);
        sent.map(drop).map_err(Error::from_send)
    }

    /// Queues a pre-framed message (the compressed frame where this connection may take
    /// it).
    pub(crate) fn send_shared(&mut self, frame: &SharedFrame) -> Result<(), Error> {
        lend_output(&mut self.driver);
        let sent = self.driver.send_shared(frame, now());
        reclaim_output(&mut self.driver);
        sent.map(drop).map_err(Error::from_send)
    }

    /// Sends must wait while queued output is over the high-water mark: `Ready(Ok)` when
    /// a message may be queued, an error if none may be sent any more.
    pub(crate) fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if !self.driver.can_send() {
            return Poll::Ready(Err(Error::ConnectionClosed));
        }
        if self.over_high_water() {
            if let Poll::Ready(Err(e)) = self.poll_flush(cx) {
                return Poll::Ready(Err(e));
            }
            if self.over_high_water() {
                return Poll::Pending;
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Writes everything queued.
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        lend_output(&mut self.driver);
        let flushed = self.write_out(cx);
        reclaim_output(&mut self.driver);
        flushed
    }

    /// Whether the connection is over for the application: finished, or its end known
    /// (the closing handshake done, or failed) with our last frame written and our side
    /// shut down. What is left, the wait for the peer's EOF (bounded by the linger
    /// timeout), goes on while the stream is polled and is cut short if it is dropped.
    pub(crate) fn is_over(&self) -> bool {
        self.driver.is_finished()
            || (self.closed.is_some()
                && self.driver.stage() == Stage::Closing
                && self.driver.queued() == 0
                && !self.driver.wants_write_shutdown())
    }

    /// Drives the connection until it is over (see [`is_over`](Self::is_over)), or with
    /// `linger` until it is finished (the peer's EOF, or the linger bound: a refused
    /// client then reads the response before the transport closes), discarding what
    /// arrives: how it ended.
    pub(crate) fn poll_finish(&mut self, cx: &mut Context<'_>, linger: bool) -> Poll<Closed> {
        loop {
            while self.pop().is_some() {}
            let done = if linger {
                self.driver.is_finished()
            } else {
                self.is_over()
            };
            if done {
                let closed = self.closed.as_deref().cloned().unwrap_or_else(|| Closed {
                    code: CloseCode::ABNORMAL,
                    reason: String::new(),
                    clean: false,
                    by: sockeye_driver::ClosedBy::Transport,
                });
                return Poll::Ready(closed);
            }
            if self.poll_drive(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

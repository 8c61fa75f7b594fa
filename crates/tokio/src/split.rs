//! Halves without a lock: [`WebSocketStream::into_split`] moves the connection into a
//! task of its own ([`task`](crate::task)), which alone touches the driver and the
//! transport; the halves talk to it through bounded channels.
//!
//! Why a task rather than a lock around the stream: a driver is one state machine
//! (receiving a ping queues a pong, receiving a close ends sending, compression state is
//! shared), so two halves touching it would need a lock, and a half waiting on the lock
//! (or on a reader that is busy elsewhere) would stall the other. With the task, reading
//! and writing never wait for each other, a connection keeps answering pings while the
//! application is busy, and the writer is `Clone`: any number of tasks can hold one (a
//! chat room keeps one per member). The price, paid only by connections that are split:
//! one task, two channels, and a hop through the task per message.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_channel::{mpsc, oneshot};
use futures_core::Stream;
use futures_core::stream::FusedStream;
use futures_sink::Sink;
use sockeye_driver::{Closed, SharedFrame};
use sockeye_proto::CloseCode;
use tokio::sync::watch;

use crate::{CloseFrame, Error, Message};

/// Commands a writer may have in flight before `send` waits (back-pressure beyond this
/// comes from the connection's own output bound: the task takes no command while its
/// output is over the high-water mark).
pub(crate) const COMMANDS: usize = 32;
/// Messages the task hands ahead to the reader; past them it stops reading the
/// transport.
pub(crate) const ITEMS: usize = 32;

/// What a writer asks of the connection task, with where its verdict goes.
#[derive(Debug)]
pub(crate) enum Command {
    Send(Message, Option<oneshot::Sender<Result<(), Error>>>),
    Shared(SharedFrame, Option<oneshot::Sender<Result<(), Error>>>),
    Close(Option<CloseFrame>, oneshot::Sender<Result<(), Error>>),
}

/// The connection as the halves see it, published by the task.
#[derive(Debug, Clone, Default)]
pub(crate) struct Status {
    pub(crate) can_send: bool,
    pub(crate) closed: Option<Closed>,
    /// Over for the application (`Conn::is_over`), or the task has ended.
    pub(crate) over: bool,
}

/// The receiving half: a [`Stream`] of messages (then the error that ended the
/// connection, if one did; then `None`). Dropping it makes the connection discard what
/// arrives (pings are still answered).
#[derive(Debug)]
pub struct ReadHalf {
    pub(crate) items: mpsc::Receiver<Result<Message, Error>>,
    /// Dropped with the reader: wakes the task, which then discards what arrives (a
    /// dropped channel receiver alone wakes nobody unless the task waits on it).
    pub(crate) _alive: oneshot::Sender<()>,
}

impl ReadHalf {
    /// The next message; `None` once the connection is over.
    ///
    /// Cancel safe: a message leaves the channel only when it is returned.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut self.items).poll_next(cx)).await
    }
}

impl Stream for ReadHalf {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.get_mut().items).poll_next(cx)
    }
}

impl FusedStream for ReadHalf {
    fn is_terminated(&self) -> bool {
        self.items.is_terminated()
    }
}

/// The sending half: `Clone`, so many tasks can send to one connection. Also a
/// [`Sink`] of messages.
///
/// When every writer and the reader are dropped, the connection task closes the
/// connection (1000) and ends.
pub struct WriteHalf {
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) status: watch::Receiver<Status>,
    /// `Sink::poll_close`: the wait for the end, once started.
    closing: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl Clone for WriteHalf {
    fn clone(&self) -> Self {
        Self::new(self.commands.clone(), self.status.clone())
    }
}

impl core::fmt::Debug for WriteHalf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WriteHalf")
            .field("status", &*self.status.borrow())
            .field("closing", &self.closing.is_some())
            .finish_non_exhaustive()
    }
}

impl WriteHalf {
    pub(crate) fn new(commands: mpsc::Sender<Command>, status: watch::Receiver<Status>) -> Self {
        Self {
            commands,
            status,
            closing: None,
        }
    }

    /// Sends a message: resolves once the connection task has queued it (it writes at
    /// once), with the task's verdict.
    ///
    /// Cancel safe: dropped before the task took it, the message is not sent; after, it
    /// is sent whole (only the verdict is lost).
    ///
    /// # Errors
    /// As [`WebSocketStream::send`](crate::WebSocketStream::send).
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        self.command(Command::Send(message, Some(tx))).await?;
        rx.await.unwrap_or(Err(Error::ConnectionClosed))
    }

    /// Sends a message framed once for many connections (no copy per connection; see
    /// [`WebSocketStream::send_shared`](crate::WebSocketStream::send_shared)).
    ///
    /// Cancel safe, as [`send`](Self::send).
    ///
    /// # Errors
    /// As [`send`](Self::send); [`Error::PreframedOnClient`].
    pub async fn send_shared(&mut self, frame: SharedFrame) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        self.command(Command::Shared(frame, Some(tx))).await?;
        rx.await.unwrap_or(Err(Error::ConnectionClosed))
    }

    /// Hands a message to the connection task without waiting: for a broadcast loop
    /// that must not wait for its slowest member. The task writes it promptly; a refusal
    /// by the connection (closed, misuse) is not reported.
    ///
    /// # Errors
    /// [`Error::WriteBufferFull`] when the task's queue is full (the peer is not keeping
    /// up: drop the message, or the member); [`Error::ConnectionClosed`] once the
    /// connection is over.
    pub fn try_send(&mut self, message: Message) -> Result<(), Error> {
        self.try_command(Command::Send(message, None))
    }

    /// [`try_send`](Self::try_send) for a frame made once for many connections.
    ///
    /// # Errors
    /// As [`try_send`](Self::try_send).
    pub fn try_send_shared(&mut self, frame: SharedFrame) -> Result<(), Error> {
        self.try_command(Command::Shared(frame, None))
    }

    fn try_command(&mut self, command: Command) -> Result<(), Error> {
        if !self.status.borrow().can_send {
            return Err(Error::ConnectionClosed);
        }
        self.commands.try_send(command).map_err(|e| {
            if e.is_full() {
                Error::WriteBufferFull
            } else {
                Error::ConnectionClosed
            }
        })
    }

    /// Closes the connection (see
    /// [`WebSocketStream::close`](crate::WebSocketStream::close)): resolves when the
    /// connection is over, the peer's close frame received or the close timeout passed.
    /// The reader still gets the messages that arrive meanwhile, then `None`.
    ///
    /// Cancel safe: once the task took the close, the closing handshake goes on.
    ///
    /// # Errors
    /// [`Error::Misuse`] for a code that may not be sent.
    pub async fn close(&mut self, frame: Option<CloseFrame>) -> Result<Closed, Error> {
        let (tx, rx) = oneshot::channel();
        if self.command(Command::Close(frame, tx)).await.is_ok()
            && let Ok(Err(e)) = rx.await
        {
            return Err(e);
        }
        Ok(wait_finished(self.status.clone()).await)
    }

    /// Whether messages may be sent: open, no close sent or received.
    pub fn can_send(&self) -> bool {
        self.status.borrow().can_send
    }

    /// How the connection ended, once it has.
    pub fn closed(&self) -> Option<Closed> {
        self.status.borrow().closed.clone()
    }

    async fn command(&mut self, command: Command) -> Result<(), Error> {
        std::future::poll_fn(|cx| self.poll_command_ready(cx)).await?;
        self.commands
            .start_send(command)
            .map_err(|_| Error::ConnectionClosed)
    }

    fn poll_command_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.commands
            .poll_ready(cx)
            .map_err(|_| Error::ConnectionClosed)
    }
}

/// The end of the connection as the task published it.
async fn wait_finished(mut status: watch::Receiver<Status>) -> Closed {
    let waited = status.wait_for(|s| s.over).await.map(|s| s.closed.clone());
    // Err: the task is gone without publishing its end (its runtime shut down).
    let closed = waited.unwrap_or_else(|_| status.borrow().closed.clone());
    closed.unwrap_or_else(|| Closed {
        code: CloseCode::ABNORMAL,
        reason: String::new(),
        clean: false,
        by: sockeye_driver::ClosedBy::Transport,
    })
}

/// `poll_ready` waits for room in the task's queue, `start_send` hands the message over
/// (a refusal by the connection is not reported here; [`WriteHalf::send`] reports it),
/// `poll_flush` is ready once the task has every message (it writes without waiting),
/// `poll_close` sends a close (1000) and resolves when the connection is over.
impl Sink<Message> for WriteHalf {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if !this.status.borrow().can_send {
            return Poll::Ready(Err(Error::ConnectionClosed));
        }
        this.poll_command_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        self.get_mut()
            .commands
            .start_send(Command::Send(item, None))
            .map_err(|_| Error::ConnectionClosed)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.closing.is_none() {
            if this.status.borrow().can_send {
                match this.poll_command_ready(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(())) => {
                        let frame = CloseFrame {
                            code: CloseCode::NORMAL,
                            reason: crate::Utf8Bytes::default(),
                        };
                        let (tx, _) = oneshot::channel();
                        let _ = this.commands.start_send(Command::Close(Some(frame), tx));
                    }
                    Poll::Ready(Err(_)) => {} // the task is gone: nothing to wait for
                }
            }
            let status = this.status.clone();
            this.closing = Some(Box::pin(async move {
                wait_finished(status).await;
            }));
        }
        match &mut this.closing {
            Some(wait) => wait.as_mut().poll(cx).map(Ok),
            None => Poll::Ready(Ok(())),
        }
    }
}

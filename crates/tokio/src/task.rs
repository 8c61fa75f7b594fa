//! The connection task behind split halves: it owns the [`Conn`] and is the only code
//! that touches the driver and the transport. Each turn it takes writers' commands (while
//! the output is under the high-water mark), hands messages to the reader (while the
//! reader's channel has room), and drives the connection one step; it sleeps when none of
//! the three can move. It ends with the connection, after publishing how it ended.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_channel::{mpsc, oneshot};
use futures_core::Stream;
use sockeye_proto::CloseCode;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

use crate::conn::Conn;
use crate::split::{COMMANDS, Command, ITEMS, ReadHalf, Status, WriteHalf};
use crate::{CloseFrame, Error, Message, WebSocketStream};

impl<S> WebSocketStream<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Splits the connection into a reading and a writing half that need no lock: the
    /// connection moves into a task of its own (`tokio::spawn`, so call this inside a
    /// runtime), which answers pings and runs the timers whatever the halves do. The
    /// writer is `Clone`.
    ///
    /// (`futures::StreamExt::split` still works on the stream, as with any
    /// `Stream + Sink`: two halves sharing it through a lock, no task.)
    ///
    /// # Panics
    /// Outside a tokio runtime (as `tokio::spawn` does).
    pub fn into_split(self) -> (ReadHalf, WriteHalf) {
        let (command_tx, commands) = mpsc::channel(COMMANDS);
        let (items, item_rx) = mpsc::channel(ITEMS);
        let (status, status_rx) = watch::channel(Status::default());
        let (alive, reader) = oneshot::channel();
        let mut task = ConnectionTask {
            conn: self.conn,
            commands: Some(commands),
            items: Some(items),
            reader: Some(reader),
            status,
            closing: false,
        };
        task.publish();
        tokio::spawn(task);
        (
            ReadHalf {
                items: item_rx,
                _alive: alive,
            },
            WriteHalf::new(command_tx, status_rx),
        )
    }
}

/// The future `into_split` spawns.
struct ConnectionTask<S> {
    conn: Conn<S>,
    /// `None` once every writer is gone.
    commands: Option<mpsc::Receiver<Command>>,
    /// `None` once the reader is gone: what arrives is discarded.
    items: Option<mpsc::Sender<Result<Message, Error>>>,
    /// Completes (cancelled) when the reader is dropped.
    reader: Option<oneshot::Receiver<()>>,
    status: watch::Sender<Status>,
    /// The task started the close itself (nobody holds a half any more).
    closing: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> ConnectionTask<S> {
    fn apply(&mut self, command: Command) {
        match command {
            Command::Send(message, verdict) => {
                let sent = self.conn.send(&message);
                if let Some(tx) = verdict {
                    let _ = tx.send(sent);
                }
            }
            Command::Shared(frame, verdict) => {
                let sent = self.conn.send_shared(&frame);
                if let Some(tx) = verdict {
                    let _ = tx.send(sent);
                }
            }
            Command::Close(frame, verdict) => {
                let sent = if self.conn.driver.can_send() {
                    self.conn.send(&Message::Close(frame))
                } else {
                    Ok(())
                };
                let _ = verdict.send(sent);
            }
        }
    }

    /// Takes commands until the channel is empty or the output is backed up.
    fn take_commands(&mut self, cx: &mut Context<'_>) -> bool {
        let mut moved = false;
        while !self.conn.over_high_water() {
            let Some(commands) = &mut self.commands else {
                break;
            };
            match Pin::new(commands).poll_next(cx) {
                Poll::Ready(Some(command)) => self.apply(command),
                Poll::Ready(None) => self.commands = None,
                Poll::Pending => break,
            }
            moved = true;
        }
        moved
    }

    /// Hands queued messages to the reader while its channel has room.
    fn hand_out(&mut self, cx: &mut Context<'_>) -> bool {
        let mut moved = false;
        if let Some(reader) = &mut self.reader
            && Pin::new(reader).poll(cx).is_ready()
        {
            self.reader = None;
            self.items = None;
            moved = true;
        }
        while self.conn.has_item() {
            let Some(items) = &mut self.items else {
                // Nobody reads: discard.
                while self.conn.pop().is_some() {}
                return true;
            };
            match items.poll_ready(cx) {
                Poll::Ready(Ok(())) => {
                    if let Some(item) = self.conn.pop()
                        && items.start_send(item).is_err()
                    {
                        self.items = None;
                    }
                }
                Poll::Ready(Err(_)) => self.items = None,
                Poll::Pending => break,
            }
            moved = true;
        }
        moved
    }

    /// Publishes what the halves may want to know, waking them only on a change.
    fn publish(&mut self) {
        let can_send = self.conn.driver.can_send();
        let over = self.conn.is_over();
        let closed = self.conn.closed.as_deref();
        self.status.send_if_modified(|s| {
            let changed = s.can_send != can_send || s.over != over || s.closed.as_ref() != closed;
            if changed {
                *s = Status {
                    can_send,
                    closed: closed.cloned(),
                    over,
                };
            }
            changed
        });
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Future for ConnectionTask<S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            let mut moved = this.take_commands(cx);
            if this.commands.is_none() && this.items.is_none() && !this.closing {
                // Nobody can use the connection any more: close it properly.
                this.closing = true;
                if this.conn.driver.can_send() {
                    let frame = CloseFrame {
                        code: CloseCode::NORMAL,
                        reason: crate::Utf8Bytes::default(),
                    };
                    let _ = this.conn.send(&Message::Close(Some(frame)));
                }
            }
            moved |= this.hand_out(cx);
            if this.conn.is_done() {
                this.publish();
                // The task ends: whatever the connection says, it is over.
                this.status.send_modify(|s| s.over = true);
                // Dropping the sender ends the reader's stream.
                this.items = None;
                return Poll::Ready(());
            }
            // Output, timers and the transport's end move even while the reader lags
            // (input waits then: the inbox is full).
            if !this.conn.driver.is_finished() {
                moved |= this.conn.poll_drive(cx).is_ready();
            }
            this.publish();
            if !moved {
                return Poll::Pending;
            }
        }
    }
}

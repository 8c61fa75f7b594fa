//! The futures of [`WebSocketStream::feed`], [`send`](WebSocketStream::send) and
//! [`send_shared`](WebSocketStream::send_shared), written out rather than `async fn`s:
//! an `async fn` keeps its argument and its local copy side by side, and whatever a
//! future weighs, the task awaiting it carries for its whole life (a task per connection
//! is what a tokio server is made of). These are the message, a reference and a flag.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use sockeye_driver::SharedFrame;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::{Error, Message, WebSocketStream};

/// What is being sent.
#[derive(Debug)]
enum Item<'a> {
    Message(Message),
    Shared(&'a SharedFrame),
}

/// Waits for room (the queued output under the high-water mark), queues the item, and
/// with `flush` writes everything queued. Cancel safe: the item is queued whole or not at
/// all.
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Sending<'a, S> {
    ws: &'a mut WebSocketStream<S>,
    item: Option<Item<'a>>,
    flush: bool,
}

impl<'a, S> Sending<'a, S> {
    pub(crate) fn message(ws: &'a mut WebSocketStream<S>, message: Message, flush: bool) -> Self {
        Self {
            ws,
            item: Some(Item::Message(message)),
            flush,
        }
    }

    pub(crate) fn shared(ws: &'a mut WebSocketStream<S>, frame: &'a SharedFrame) -> Self {
        Self {
            ws,
            item: Some(Item::Shared(frame)),
            flush: true,
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Future for Sending<'_, S> {
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let conn = &mut this.ws.conn;
        if this.item.is_some() {
            ready!(conn.poll_ready(cx))?;
            match this.item.take() {
                Some(Item::Message(message)) => conn.send(&message)?,
                Some(Item::Shared(frame)) => conn.send_shared(frame)?,
                None => {}
            }
        }
        if this.flush {
            conn.poll_flush(cx)
        } else {
            Poll::Ready(Ok(()))
        }
    }
}

//! The non-blocking client's sending side: the driver's outbox with the client's errors.

use sockeye_driver::SendError;
use sockeye_proto::{CloseCode, MessageKind};

use crate::Error;

/// The sending side of a [`MioClient`](crate::MioClient), handed to the event handler (and
/// returned by [`MioClient::outbox`](crate::MioClient::outbox)): frames are queued in the
/// client's output buffer, bounded by
/// [`ClientBuilder::max_write_buffer`](crate::ClientBuilder::max_write_buffer), and written
/// when the socket is writable.
#[derive(Debug)]
pub struct Outbox<'a> {
    inner: sockeye_driver::Outbox<'a>,
}

impl<'a> Outbox<'a> {
    pub(crate) fn new(inner: sockeye_driver::Outbox<'a>) -> Self {
        Self { inner }
    }

    /// Queues a text message.
    ///
    /// # Errors
    /// [`Error::WriteBufferFull`]; [`Error::ConnectionClosed`] after a close was sent or
    /// received; [`Error::Protocol`] for other local misuse. Nothing is queued then.
    pub fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.inner.send_text(text).map(drop).map_err(refused)
    }

    /// Queues a binary message.
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.inner.send_binary(data).map(drop).map_err(refused)
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
        self.inner
            .send_fragment(kind, data, fin)
            .map(drop)
            .map_err(refused)
    }

    /// Queues a ping (payload at most 125 bytes).
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.inner.ping(payload).map(drop).map_err(refused)
    }

    /// Queues a pong (payload at most 125 bytes).
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.inner.pong(payload).map(drop).map_err(refused)
    }

    /// Starts the closing handshake (always queued: a close frame is small).
    ///
    /// # Errors
    /// [`Error::ConnectionClosed`] if a close was already sent or received;
    /// `Protocol(CloseCodeNotSendable)`.
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        self.inner.close(code, reason).map_err(refused)
    }

    /// Bytes queued and not yet written.
    pub fn buffered_amount(&self) -> usize {
        self.inner.queued()
    }

    /// Whether messages may still be sent.
    pub fn can_send(&self) -> bool {
        self.inner.can_send()
    }
}

fn refused(e: SendError) -> Error {
    match e {
        SendError::Full => Error::WriteBufferFull,
        SendError::Misuse(e) => Error::Protocol(e),
        _ => Error::ConnectionClosed,
    }
}

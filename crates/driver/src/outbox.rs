//! Sending: whole messages, fragments, pre-framed messages shared by many connections,
//! pings, close, all under the output limits.
//!
//! A pre-framed message ([`Outbox::send_frame`], what a broadcast uses) is a complete data
//! frame, so it may not go out while a message sent with [`Outbox::send_fragment`] is
//! unfinished (RFC 6455 §5.4: "the fragments of one message MUST NOT be interleaved between
//! the fragments of another message"). It waits, in order with other pre-framed messages,
//! and goes out right after the fragmented message's final frame.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use sockeye_proto::{CloseCode, MessageKind, Role, Sender};

use crate::DriverConfig;
use crate::output::Boxed;
use crate::phase::Rare;

/// The longest frame header (and masking key), counted when checking room for a message.
const FRAME_OVERHEAD: usize = 14;

/// What a send did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Sent {
    /// Queued.
    Queued,
    /// Queued, but the queued output is over
    /// [`DriverConfig::write_high_water`](crate::DriverConfig::write_high_water): the peer
    /// is not keeping up, and the driver stops asking for its input until it drains.
    AboveHighWater,
}

/// Why a send was refused. Nothing was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SendError {
    /// The connection is not open for data: not yet open, a close was sent or received,
    /// or it ended.
    Closed,
    /// It would pass [`DriverConfig::max_write_buffer`](crate::DriverConfig::max_write_buffer).
    /// With [`OverflowPolicy::Close`](crate::OverflowPolicy::Close) the closing handshake
    /// has started (1008).
    Full,
    /// Local misuse reported by the connection: a whole message while a fragmented one is
    /// unfinished, a fragment of another kind, a control payload over 125 bytes, a close
    /// code that may not be sent ([`sockeye_proto::Error::is_local_misuse`]).
    Misuse(sockeye_proto::Error),
    /// Local misuse: a pre-framed message on a client connection (every client frame needs
    /// its own fresh masking key, §5.3).
    PreframedOnClient,
}

impl core::fmt::Display for SendError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Closed => f.write_str("the connection is not open for sending"),
            Self::Full => f.write_str("the output buffer is full"),
            Self::Misuse(e) => write!(f, "{e}"),
            Self::PreframedOnClient => f.write_str("pre-framed messages are for servers only"),
        }
    }
}

impl std::error::Error for SendError {}

/// Pre-framed messages waiting for a fragmented message to end. Boxed, and only while
/// something waits: a connection pays one pointer for it.
#[derive(Debug, Default)]
pub(crate) struct Waiting(Option<Box<Queue>>);

#[derive(Debug, Default)]
struct Queue {
    frames: VecDeque<Bytes>,
    bytes: usize,
}

impl Waiting {
    pub(crate) fn bytes(&self) -> usize {
        self.0.as_ref().map_or(0, |q| q.bytes)
    }

    fn push(&mut self, frame: &Bytes) {
        let queue = self.0.get_or_insert_with(Box::default);
        queue.bytes = queue.bytes.saturating_add(frame.len());
        queue.frames.push_back(frame.clone());
    }

    /// Appends every waiting frame to `out`, in order, and forgets them.
    fn drain_into(&mut self, out: &mut Vec<u8>) {
        if let Some(queue) = self.0.take() {
            for frame in queue.frames {
                out.extend_from_slice(&frame);
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.0 = None;
    }
}

/// What an [`Outbox`] works on (the open phase's parts).
#[derive(Debug)]
pub(crate) struct Parts<'a> {
    pub(crate) sender: &'a mut Sender,
    pub(crate) out: &'a mut Boxed,
    /// The open phase's rare parts: the pre-framed messages waiting for a fragmented
    /// message to end, and the failure an overflow records (1008).
    pub(crate) rare: &'a mut Option<Box<Rare>>,
    pub(crate) config: &'a DriverConfig,
    pub(crate) now: Instant,
}

impl Parts<'_> {
    fn rare_mut(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    fn waiting_bytes(&self) -> usize {
        self.rare.as_ref().map_or(0, |r| r.waiting.bytes())
    }

    fn clear_waiting(&mut self) {
        if let Some(r) = self.rare.as_deref_mut() {
            r.waiting.clear();
        }
    }
}

/// The sending side of an open connection: from [`Recv::outbox`](crate::Recv) while an
/// event borrows the driver, or from [`Driver::outbox`](crate::Driver::outbox).
///
/// Every send is checked against the output limits first: the queued bytes plus the new
/// message may not pass [`DriverConfig::max_write_buffer`]; past
/// [`DriverConfig::write_high_water`] the send succeeds with [`Sent::AboveHighWater`].
#[derive(Debug)]
pub struct Outbox<'a> {
    parts: Option<Parts<'a>>,
}

impl<'a> Outbox<'a> {
    pub(crate) fn new(parts: Parts<'a>) -> Self {
        Self { parts: Some(parts) }
    }

    /// An outbox that refuses everything (no open connection).
    pub(crate) fn inert() -> Self {
        Self { parts: None }
    }

    /// Sends a whole text message (fragmented per
    /// [`Config::max_send_frame`](sockeye_proto::Config::max_send_frame)).
    ///
    /// # Errors
    /// [`SendError`]; nothing is queued then.
    pub fn send_text(&mut self, text: &str) -> Result<Sent, SendError> {
        self.send_with(text.len(), |s, out| s.send_text(text, out))
    }

    /// Sends a whole binary message.
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn send_binary(&mut self, data: &[u8]) -> Result<Sent, SendError> {
        self.send_with(data.len(), |s, out| s.send_binary(data, out))
    }

    /// Sends the next frame of a message streamed in pieces (§5.4): the first call starts
    /// a message of `kind`, later ones continue it, the one with `fin` ends it; then the
    /// pre-framed messages that waited for it go out. For text, the pieces together must
    /// be UTF-8.
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        fin: bool,
    ) -> Result<Sent, SendError> {
        let sent = self.send_with(data.len(), |s, out| s.send_fragment(kind, data, fin, out))?;
        // Only with frames waiting: an idle connection keeps no output box.
        if fin
            && let Some(p) = &mut self.parts
            && let Some(rare) = p.rare.as_deref_mut()
            && rare.waiting.bytes() > 0
        {
            rare.waiting.drain_into(p.out.buf());
        }
        Ok(sent)
    }

    /// Sends a pre-framed message: one complete, unmasked data frame (or a fragmented
    /// message's frames, complete), e.g. encoded once by
    /// [`Connection::encode_server_text`](sockeye_proto::Connection::encode_server_text) and
    /// shared by every connection of a broadcast. If a fragmented message is being sent,
    /// it waits for its final frame (§5.4). Server connections only.
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text); [`SendError::PreframedOnClient`].
    pub fn send_frame(&mut self, frame: &Bytes) -> Result<Sent, SendError> {
        let Some(p) = &mut self.parts else {
            return Err(SendError::Closed);
        };
        if p.sender.role() == Role::Client {
            return Err(SendError::PreframedOnClient);
        }
        self.room(frame.len())?;
        let Some(p) = &mut self.parts else {
            return Err(SendError::Closed);
        };
        if p.sender.is_fragmenting() {
            p.rare_mut().waiting.push(frame);
        } else {
            // Frames the connection queued itself (pongs) answer earlier input: first.
            let out = p.out.buf();
            p.sender.poll_transmit(out);
            sockeye_proto::extend_payload(out, frame);
        }
        Ok(self.status())
    }

    /// Sends a ping (payload at most 125 bytes).
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn ping(&mut self, payload: &[u8]) -> Result<Sent, SendError> {
        self.send_with(payload.len(), |s, out| s.ping(payload, out))
    }

    /// Sends a pong (payload at most 125 bytes): the answer to a ping with auto-pong off,
    /// or an unsolicited heartbeat (§5.5.3).
    ///
    /// # Errors
    /// As [`send_text`](Self::send_text).
    pub fn pong(&mut self, payload: &[u8]) -> Result<Sent, SendError> {
        self.send_with(payload.len(), |s, out| s.pong(payload, out))
    }

    /// Starts the closing handshake (§7.1.2) with `code` and `reason` (cut to 123 bytes at
    /// a character boundary); [`CloseCode::NO_STATUS_RECEIVED`] sends a close frame
    /// without a body. Pre-framed messages still waiting are dropped: nothing may follow a
    /// close frame (§5.5.1). Always queued, whatever the limits: a close frame is small.
    ///
    /// # Errors
    /// [`SendError::Closed`] if a close was sent or received already;
    /// [`SendError::Misuse`] for a code that may not be sent (§7.4).
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), SendError> {
        let Some(p) = &mut self.parts else {
            return Err(SendError::Closed);
        };
        p.sender
            .close(code, reason, p.now, p.out.buf())
            .map_err(refusal)?;
        p.clear_waiting();
        Ok(())
    }

    /// Starts the closing handshake, as [`close`](Self::close), for a reason of ours
    /// rather than an ordinary end (an application bug: 1011; a policy: 1008): the close
    /// report ([`Driver::take_closed`](crate::Driver::take_closed)) says `code`, not
    /// clean, whatever the peer answers.
    ///
    /// # Errors
    /// As [`close`](Self::close).
    pub fn close_with_error(&mut self, code: CloseCode, reason: &str) -> Result<(), SendError> {
        self.close(code, reason)?;
        if let Some(p) = &mut self.parts {
            p.rare_mut().failure.get_or_insert(code);
        }
        Ok(())
    }

    /// Bytes queued and not yet written, waiting pre-framed messages included.
    pub fn queued(&self) -> usize {
        self.parts
            .as_ref()
            .map_or(0, |p| p.out.len().saturating_add(p.waiting_bytes()))
    }

    /// Whether data may be sent (open, no close sent or received).
    pub fn can_send(&self) -> bool {
        self.parts.as_ref().is_some_and(|p| p.sender.can_send())
    }

    /// Whether a message started with [`send_fragment`](Self::send_fragment) is unfinished.
    pub fn is_fragmenting(&self) -> bool {
        self.parts
            .as_ref()
            .is_some_and(|p| p.sender.is_fragmenting())
    }

    fn send_with(
        &mut self,
        len: usize,
        write: impl FnOnce(&mut Sender, &mut Vec<u8>) -> Result<(), sockeye_proto::Error>,
    ) -> Result<Sent, SendError> {
        self.room(len)?;
        let Some(p) = &mut self.parts else {
            return Err(SendError::Closed);
        };
        write(p.sender, p.out.buf()).map_err(refusal)?;
        Ok(self.status())
    }

    /// Checks that `len` more bytes fit; applies the overflow policy if not.
    #[inline]
    fn room(&mut self, len: usize) -> Result<(), SendError> {
        let queued = self.queued();
        let Some(p) = &mut self.parts else {
            return Err(SendError::Closed);
        };
        if !p.sender.can_send() {
            return Err(SendError::Closed);
        }
        let needed = len.saturating_add(FRAME_OVERHEAD);
        if queued.saturating_add(needed) <= p.config.max_write_buffer {
            return Ok(());
        }
        Self::overflow(p)
    }

    /// Over [`DriverConfig::max_write_buffer`]: the overflow policy (out of the hot path).
    #[cold]
    fn overflow(p: &mut Parts<'_>) -> Result<(), SendError> {
        if p.config.overflow == crate::OverflowPolicy::Close {
            // §7.4.1 1008: "a message that violates its policy" — a peer that does not
            // read what it is sent.
            if p.sender
                .close(
                    CloseCode::POLICY_VIOLATION,
                    "output buffer overflow",
                    p.now,
                    p.out.buf(),
                )
                .is_ok()
            {
                p.rare_mut()
                    .failure
                    .get_or_insert(CloseCode::POLICY_VIOLATION);
                p.clear_waiting();
            }
        }
        Err(SendError::Full)
    }

    #[inline]
    fn status(&self) -> Sent {
        match &self.parts {
            Some(p) if self.queued() > p.config.write_high_water => Sent::AboveHighWater,
            _ => Sent::Queued,
        }
    }
}

/// A refused send: "closed" or the caller's misuse.
fn refusal(e: sockeye_proto::Error) -> SendError {
    match e {
        sockeye_proto::Error::Closed => SendError::Closed,
        e => SendError::Misuse(e),
    }
}

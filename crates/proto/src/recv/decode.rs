//! Received messages whose first frame carried the extension's RSV bits, decoded through
//! [`Extension::decode`](crate::Extension::decode) as their payload arrives.
//!
//! Nothing encoded is assembled. Each piece of payload goes to the extension with a bound
//! on what it may produce: the rest of the message budget plus one byte (so going over
//! [`Config::max_message_size`](crate::Config::max_message_size) is seen having produced
//! at most one byte too many), and in streaming mode also [`STREAM_CHUNK`]. Whole
//! messages are decoded into the receiver's buffer; streaming chunks pass through it one
//! at a time.
//!
//! When the bound stops the extension it may hold unconsumed input and pending output.
//! The input is given back (re-masked in place, see the caller) and the chunk delivered;
//! the next `recv` call first asks the extension for its pending output, with no new
//! input, before it parses anything else. That keeps the chunks in order before any
//! later frame, and is why callers must call `recv` until it returns no event, even with
//! an empty input.

use sockeye_frame::{CloseCode, OpCode, Rsv};

use super::{Cleanup, Loc, Pending, Receiver, message};
use crate::send::Extras;
use crate::{Error, ExtensionError, MessageKind, Sender, Violation};

/// Most bytes one streaming [`Event::Chunk`](crate::Event::Chunk) of a decoded message
/// carries (64 KiB): bounds the receive buffer of a connection in streaming mode.
pub const STREAM_CHUNK: usize = 64 << 10;

/// Where the decoding of the current message stands; kept in the boxed extras next to
/// the extension, so connections without one pay nothing for it.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Decoding {
    /// Decoded bytes of the message so far.
    produced: u64,
    /// The last call filled its output bound: the extension may hold more output.
    stalled: bool,
    /// The message's last payload byte went to the extension.
    ended: bool,
}

impl Decoding {
    /// A new message begins.
    pub(crate) fn start(&mut self) {
        *self = Self::default();
    }
}

/// A data message whose first frame carries extension bits begins: tell the extension.
pub(super) fn start(tx: &mut Sender, op: OpCode, rsv: Rsv) -> Result<(), Error> {
    let kind = if op == OpCode::Text {
        MessageKind::Text
    } else {
        MessageKind::Binary
    };
    let started = match tx.extras.as_deref_mut() {
        Some(extras) => {
            extras.decoding.start();
            match extras.extension.as_deref_mut() {
                Some(ext) => ext.start_message(kind, rsv),
                None => Err(ExtensionError {
                    code: CloseCode::PROTOCOL_ERROR,
                }),
            }
        }
        // Unreachable: the parser accepts RSV bits only when an extension names them.
        None => Err(ExtensionError {
            code: CloseCode::PROTOCOL_ERROR,
        }),
    };
    started.map_err(|e| tx.fail(Violation::Extension, e.code))
}

/// Whether the extension has to be asked for pending output before new input is parsed,
/// and if so whether the message's input has all been given (`Some(ended)`).
pub(super) fn stalled(tx: &Sender) -> Option<bool> {
    let d = tx.extras.as_ref()?.decoding;
    d.stalled.then_some(d.ended)
}

/// Gives `input` (the next payload bytes of the current message, unmasked; may be empty)
/// to the extension, `end` when the message's payload ends with it. Returns how many
/// bytes it consumed and the event to deliver, if there is one.
pub(super) fn feed(
    rx: &mut Receiver,
    tx: &mut Sender,
    input: &[u8],
    end: bool,
) -> Result<(usize, Option<Pending>), Error> {
    let kind = rx.msg.unwrap_or(MessageKind::Binary);
    let max = tx.config.max_message_size;
    let streaming = tx.config.streaming;
    let before = rx.buf.len();
    let called = match tx.extras.as_deref_mut() {
        Some(Extras {
            extension: Some(ext),
            decoding,
            ..
        }) => {
            // Budget + 1: one byte past the limit proves the message too big.
            let budget = max.saturating_sub(decoding.produced).saturating_add(1);
            let mut room = usize::try_from(budget).unwrap_or(usize::MAX);
            if streaming {
                room = room.min(STREAM_CHUNK);
            }
            ext.decode(input, end, &mut rx.buf, room).map(|d| (d, room))
        }
        // Unreachable: extension bits are only accepted with an extension installed.
        _ => Err(ExtensionError {
            code: CloseCode::PROTOCOL_ERROR,
        }),
    };
    let (decoded, room) = match called {
        Ok(x) => x,
        Err(e) => return Err(tx.fail(Violation::Extension, e.code)),
    };
    let done = end && decoded.done;
    let produced = rx.buf.len().wrapping_sub(before);
    let full = produced >= room;
    // The progress contract of `Extension::decode`: a call that stopped short of its
    // input, or of the message's end, must have filled its bound; otherwise the next
    // call could do the same forever.
    if rx.buf.len() < before
        || decoded.consumed > input.len()
        || (!full && !done && (decoded.consumed < input.len() || end))
    {
        return Err(tx.fail(Violation::Extension, CloseCode::INTERNAL_ERROR));
    }
    let total = match tx.extras.as_deref_mut() {
        Some(extras) => {
            let d = &mut extras.decoding;
            d.produced = d.produced.saturating_add(produced as u64);
            d.stalled = full && !done;
            d.ended |= end && decoded.consumed == input.len();
            d.produced
        }
        None => u64::MAX,
    };
    if total > max {
        return Err(tx.fail(Violation::MessageTooBig, CloseCode::MESSAGE_TOO_BIG));
    }
    if kind == MessageKind::Text {
        // §8.1, on the decoded bytes, as they are produced (fail fast), and at the end.
        let checked = rx
            .utf8
            .feed(&rx.buf[before..])
            .and_then(|()| if done { rx.utf8.finish() } else { Ok(()) });
        if checked.is_err() {
            return Err(tx.fail(Violation::InvalidUtf8, CloseCode::INVALID_PAYLOAD));
        }
    }

    if streaming {
        // The buffer holds nothing else now: a chunk is released (cleared) at the start
        // of the next call, and a control frame's partial payload is only held while no
        // data payload can arrive.
        let first = !rx.msg_chunked;
        if produced == 0 && !first && !done {
            return Ok((decoded.consumed, None));
        }
        rx.msg_chunked = true;
        let loc = Loc::Buf(before, rx.buf.len());
        if done {
            rx.end_message();
            rx.cleanup = Cleanup::Message;
        } else {
            rx.cleanup = Cleanup::Chunk;
        }
        return Ok((
            decoded.consumed,
            Some(Pending::Chunk(kind, loc, first, done)),
        ));
    }
    if !done {
        return Ok((decoded.consumed, None));
    }
    rx.end_message();
    rx.cleanup = Cleanup::Message;
    Ok((
        decoded.consumed,
        Some(message(kind, Loc::Buf(0, rx.buf.len()))),
    ))
}

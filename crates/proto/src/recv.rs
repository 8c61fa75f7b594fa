//! The receiving half: bytes in, unmasked in place, at most one event out.
//!
//! Every byte given to [`recv`] is consumed unless an event is returned first: a partial
//! header (at most 13 bytes) is kept in an inline array, a partial payload is unmasked and
//! appended to the assembly buffer (or, in streaming mode, handed out as a chunk). So the
//! driver needs no per-connection read buffer. A frame whose payload is entirely in the
//! input and which is a whole message (or a control frame, or a streaming chunk) is
//! delivered straight from the input: parse, unmask, validate, no copy.
//!
//! Nothing is allocated from an announced length: the assembly buffer grows only as
//! payload bytes actually arrive, and limits are checked against the announced length
//! before any payload is read.

use std::time::Instant;

use sockeye_frame::{
    CloseCode, MAX_HEADER_LEN, OpCode, ParseConfig, Rsv, Status, apply_mask, parse_header,
};

use crate::utf8::Utf8Validator;
use crate::{Error, Event, MessageKind, Recv, Role, Sender, State, Violation};

mod buf;
mod control;
mod decode;
mod whole;

pub(crate) use decode::Decoding;
pub use decode::STREAM_CHUNK;

/// What is kept between `recv` calls.
#[derive(Debug)]
pub(crate) struct Receiver {
    /// A header that has not fully arrived.
    hdr: [u8; MAX_HEADER_LEN],
    hdr_len: u8,
    /// A frame's payload is being received.
    in_frame: bool,
    fin: bool,
    opcode: OpCode,
    key: Option<[u8; 4]>,
    /// Payload bytes of the current frame still to come.
    remaining: u64,
    /// Payload bytes of the current frame received so far, modulo 256: all that is asked
    /// of it is the masking phase (modulo 4) and a control payload's length (at most 125,
    /// §5.5); a `u64` would cost an idle connection 6 more bytes, this and the flag below
    /// counted.
    received: u8,
    /// Some of the current frame's payload came in an earlier piece (it is not whole).
    partial: bool,
    /// The data message in progress.
    msg: Option<MessageKind>,
    /// RSV bits of the message's first frame (decoded by the extension when not empty).
    msg_rsv: Rsv,
    /// Streaming mode: the message's first chunk went out.
    msg_chunked: bool,
    /// Frames of the message so far.
    fragments: u32,
    /// Announced payload bytes of the message so far.
    msg_len: u64,
    utf8: Utf8Validator,
    /// The message being assembled, followed by a control frame's partial payload.
    buf: buf::Buf,
    /// What to release at the start of the next call (an event borrowed `buf`).
    cleanup: Cleanup,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cleanup {
    None,
    /// The message in `buf` was delivered.
    Message,
    /// A streaming chunk of a decoded message, all of `buf`, was delivered; the message
    /// goes on, so the allocation is kept for the next chunk.
    Chunk,
    /// A control payload of this length (at most 125) at the end of `buf` was delivered.
    Control(u8),
}

/// Where an event's bytes are.
#[derive(Debug, Clone, Copy)]
enum Loc {
    Input(usize, usize),
    Buf(usize, usize),
}

/// The event to build once the loop is left (built from positions, so that the input and
/// the buffer are borrowed for the caller only at the very end).
#[derive(Debug, Clone, Copy)]
enum Pending {
    Nothing,
    Text(Loc),
    Binary(Loc),
    Ping(Loc),
    Pong(Loc),
    Close(CloseCode, Loc),
    Chunk(MessageKind, Loc, bool, bool),
}

impl Default for Receiver {
    fn default() -> Self {
        Self {
            hdr: [0; MAX_HEADER_LEN],
            hdr_len: 0,
            in_frame: false,
            fin: false,
            opcode: OpCode::Continuation,
            key: None,
            remaining: 0,
            received: 0,
            partial: false,
            msg: None,
            msg_rsv: Rsv::NONE,
            msg_chunked: false,
            fragments: 0,
            msg_len: 0,
            utf8: Utf8Validator::default(),
            buf: buf::Buf::default(),
            cleanup: Cleanup::None,
        }
    }
}

impl Receiver {
    /// Releases what the previous event borrowed; everything once the connection is closed.
    fn cleanup(&mut self, closed: bool) {
        if closed {
            if self.buf.is_allocated() || self.msg.is_some() {
                *self = Self::default();
            }
            return;
        }
        match core::mem::replace(&mut self.cleanup, Cleanup::None) {
            Cleanup::None => {}
            Cleanup::Message => self.buf.release(),
            Cleanup::Chunk => self.buf.clear(),
            Cleanup::Control(len) => {
                let keep = self.buf.len().saturating_sub(usize::from(len));
                self.buf.truncate(keep);
                if keep == 0 {
                    self.buf.release();
                }
            }
        }
    }

    /// Whether a partial frame or message is held.
    pub(crate) fn is_idle(&self) -> bool {
        self.hdr_len == 0 && !self.in_frame && self.msg.is_none()
    }

    /// Bytes of heap memory held: the buffer's capacity and, once allocated, its header.
    pub(crate) fn buffer_capacity(&self) -> usize {
        self.buf.heap_bytes()
    }

    /// Checks a new frame against connection state, then starts receiving its payload.
    fn start_frame(&mut self, h: sockeye_frame::FrameHeader, tx: &mut Sender) -> Result<(), Error> {
        // §5.1: "The server MUST close the connection upon receiving a frame that is not
        // masked ... A client MUST close a connection if it detects a masked frame."
        match (tx.role, h.is_masked()) {
            (Role::Server, false) => {
                return Err(tx.fail(Violation::UnmaskedFrame, CloseCode::PROTOCOL_ERROR));
            }
            (Role::Client, true) => {
                return Err(tx.fail(Violation::MaskedFrame, CloseCode::PROTOCOL_ERROR));
            }
            _ => {}
        }
        let len = h.payload_len();
        let config = &tx.config;
        match h.opcode() {
            op if op.is_control() => {
                if !h.rsv().is_empty() {
                    return Err(tx.fail(Violation::ReservedBitsOnFrame, CloseCode::PROTOCOL_ERROR));
                }
            }
            OpCode::Continuation => {
                // §5.4: a continuation belongs to a message started by a text or binary
                // frame; "the fragments of one message MUST NOT be interleaved".
                if self.msg.is_none() {
                    return Err(
                        tx.fail(Violation::UnexpectedContinuation, CloseCode::PROTOCOL_ERROR)
                    );
                }
                if !h.rsv().is_empty() {
                    return Err(tx.fail(Violation::ReservedBitsOnFrame, CloseCode::PROTOCOL_ERROR));
                }
                self.fragments = self.fragments.saturating_add(1);
                self.msg_len = self.msg_len.saturating_add(len);
                if self.msg_len > config.max_message_size {
                    return Err(tx.fail(Violation::MessageTooBig, CloseCode::MESSAGE_TOO_BIG));
                }
                if u64::from(self.fragments) > fragments_allowed(config, self.msg_len) {
                    return Err(tx.fail(Violation::TooManyFragments, CloseCode::MESSAGE_TOO_BIG));
                }
            }
            op => {
                // §5.4: a new message may not start inside a fragmented one.
                if self.msg.is_some() {
                    return Err(tx.fail(Violation::ExpectedContinuation, CloseCode::PROTOCOL_ERROR));
                }
                if len > config.max_message_size {
                    return Err(tx.fail(Violation::MessageTooBig, CloseCode::MESSAGE_TOO_BIG));
                }
                self.msg = Some(if op == OpCode::Text {
                    MessageKind::Text
                } else {
                    MessageKind::Binary
                });
                self.msg_rsv = h.rsv();
                self.msg_chunked = false;
                if !h.rsv().is_empty() {
                    decode::start(tx, op, h.rsv())?;
                }
                self.fragments = 1;
                self.msg_len = len;
                self.utf8.reset();
            }
        }
        self.in_frame = true;
        self.fin = h.fin();
        self.opcode = h.opcode();
        self.key = h.mask();
        self.remaining = len;
        self.received = 0;
        self.partial = false;
        Ok(())
    }

    /// The data message ended (delivered or handed to the caller).
    fn end_message(&mut self) {
        self.msg = None;
        self.msg_rsv = Rsv::NONE;
        self.fragments = 0;
        self.msg_len = 0;
    }
}

/// How many frames a message with `payload` announced bytes may have (see
/// [`Config::fragment_allowance`](crate::Config::fragment_allowance)). The first frame is
/// always allowed.
fn fragments_allowed(config: &crate::Config, payload: u64) -> u64 {
    let earned = match config.fragment_bytes {
        0 => 0,
        unit => payload / u64::from(unit),
    };
    u64::from(config.fragment_allowance.max(1)).saturating_add(earned)
}

/// See [`Connection::recv`](crate::Connection::recv). The common case (`whole.rs`) is
/// inlined into the caller, so that its event needs no round trip through memory; the
/// rest is [`recv_general`].
#[inline(always)]
pub(crate) fn recv<'a>(
    rx: &'a mut Receiver,
    tx: &'a mut Sender,
    input: &'a mut [u8],
    now: Instant,
) -> Result<Recv<'a>, Error> {
    if let Some(w) = whole::take(rx, tx, input)? {
        let input: &'a [u8] = input;
        let data = input.get(w.start..w.end).unwrap_or_default();
        let event = match (w.kind, tx.config.streaming) {
            // Streaming: the whole message is its own first and last chunk (its text was
            // checked by `take`).
            (kind, true) => Event::Chunk {
                kind,
                data,
                first: true,
                last: true,
            },
            (MessageKind::Text, false) => Event::Text(text(tx, data)?),
            (MessageKind::Binary, false) => Event::Binary(data),
        };
        return Ok(Recv {
            consumed: w.end,
            event: Some(event),
            sender: tx,
        });
    }
    recv_general(rx, tx, input, now)
}

/// Every case: partial headers and payloads, fragments, control frames, the extension.
#[inline(never)]
fn recv_general<'a>(
    rx: &'a mut Receiver,
    tx: &'a mut Sender,
    input: &'a mut [u8],
    now: Instant,
) -> Result<Recv<'a>, Error> {
    let closed = tx.state == State::Closed;
    rx.cleanup(closed);
    if closed {
        // §7.1.7: "An endpoint MUST NOT continue to attempt to process data (including a
        // responding Close frame) from the remote endpoint after being instructed to _Fail
        // the WebSocket Connection_"; after the closing handshake nothing more may arrive
        // (§5.5.1). Discard.
        return Ok(Recv {
            consumed: input.len(),
            event: None,
            sender: tx,
        });
    }
    if !input.is_empty() {
        tx.activity = true;
    }
    let parse_config = ParseConfig::new()
        .allowed_rsv(tx.extension().map_or(Rsv::NONE, |e| e.rsv()))
        .max_payload_len(tx.config.max_frame_payload);
    let len = input.len();
    let mut pos = 0;
    let pending = 'found: {
        if let Some(ended) = decode::stalled(tx) {
            // The extension stopped at its output bound last time: its pending output comes
            // before anything else in the input.
            if let (_, Some(pending)) = decode::feed(rx, tx, &[], ended)? {
                break 'found pending;
            }
            if ended {
                // Unreachable: the message's last call either filled its bound or finished.
                return Err(tx.fail(Violation::Extension, CloseCode::INTERNAL_ERROR));
            }
        }
        loop {
            if !rx.in_frame {
                if pos == len {
                    break Pending::Nothing;
                }
                let header = if rx.hdr_len == 0 {
                    match parse_header(&input[pos..], &parse_config) {
                        Ok(Status::Complete(h)) => {
                            pos += h.len();
                            h
                        }
                        Ok(Status::Incomplete(_)) => {
                            // Fewer than 14 bytes: keep them inline.
                            let rest = &input[pos..];
                            rx.hdr[..rest.len()].copy_from_slice(rest);
                            rx.hdr_len = rest.len() as u8;
                            pos = len;
                            continue;
                        }
                        Err(e) => return Err(tx.fail(Violation::Frame(e), e.close_code())),
                    }
                } else {
                    let have = usize::from(rx.hdr_len);
                    let take = (MAX_HEADER_LEN - have).min(len - pos);
                    rx.hdr[have..have + take].copy_from_slice(&input[pos..pos + take]);
                    match parse_header(&rx.hdr[..have + take], &parse_config) {
                        Ok(Status::Complete(h)) => {
                            pos += h.len() - have;
                            rx.hdr_len = 0;
                            h
                        }
                        Ok(Status::Incomplete(_)) => {
                            rx.hdr_len = (have + take) as u8;
                            pos += take;
                            continue;
                        }
                        Err(e) => return Err(tx.fail(Violation::Frame(e), e.close_code())),
                    }
                };
                rx.start_frame(header, tx)?;
            }

            // The payload, as much of it as is here.
            let avail = (len - pos) as u64;
            if rx.remaining > 0 && avail == 0 {
                break Pending::Nothing;
            }
            let n = rx.remaining.min(avail) as usize;
            let start = pos;
            pos += n;
            let chunk = &mut input[start..pos];
            let offset = (rx.received & 3) as usize;
            if let Some(key) = rx.key {
                apply_mask(chunk, key, offset);
            }
            let was_partial = rx.partial;
            let whole = !was_partial && n as u64 == rx.remaining;
            rx.remaining -= n as u64;
            // Wrapping: only the low bits are used (see the field).
            rx.received = rx.received.wrapping_add(n as u8);
            rx.partial = true;
            let done = rx.remaining == 0;

            if rx.opcode.is_control() {
                let loc = if whole {
                    Loc::Input(start, pos)
                } else {
                    rx.buf.extend_from_slice(chunk);
                    if !done {
                        continue;
                    }
                    // A control payload is at most 125 bytes (§5.5).
                    let plen = usize::from(rx.received);
                    rx.cleanup = Cleanup::Control(plen as u8);
                    Loc::Buf(rx.buf.len() - plen, rx.buf.len())
                };
                rx.in_frame = false;
                let payload = match loc {
                    Loc::Input(a, b) => &input[a..b],
                    Loc::Buf(a, b) => &rx.buf[a..b],
                };
                let pending = control::control(tx, rx.opcode, payload, loc, now)?;
                if matches!(pending, Pending::Close(..)) {
                    rx.cleanup = Cleanup::Message;
                }
                break pending;
            }

            let kind = rx.msg.unwrap_or(MessageKind::Binary);
            let last = done && rx.fin;
            if !rx.msg_rsv.is_empty() {
                // Decoded by the extension as it arrives, never assembled encoded.
                let (used, pending) = decode::feed(rx, tx, &input[start..pos], last)?;
                if used < n {
                    // Stopped at its output bound: give the rest back, masked again (masking
                    // is its own inverse), for the caller to pass in again after the event.
                    let back = n - used;
                    if let Some(key) = rx.key {
                        apply_mask(&mut input[start + used..pos], key, (offset + used) & 3);
                    }
                    rx.remaining += back as u64;
                    rx.received = rx.received.wrapping_sub(back as u8);
                    if used == 0 {
                        rx.partial = was_partial;
                    }
                    pos -= back;
                } else if done {
                    rx.in_frame = false;
                }
                match pending {
                    Some(pending) => break pending,
                    None => continue,
                }
            }
            if tx.config.streaming {
                // Streaming: hand the bytes out as they come, straight from the input.
                if kind == MessageKind::Text {
                    let checked = rx
                        .utf8
                        .feed(chunk)
                        .and_then(|()| if last { rx.utf8.finish() } else { Ok(()) });
                    if checked.is_err() {
                        return Err(tx.fail(Violation::InvalidUtf8, CloseCode::INVALID_PAYLOAD));
                    }
                }
                let first = !rx.msg_chunked;
                if done {
                    rx.in_frame = false;
                }
                if last {
                    rx.end_message();
                }
                if n > 0 || first || last {
                    rx.msg_chunked = true;
                    break Pending::Chunk(kind, Loc::Input(start, pos), first, last);
                }
                continue;
            }

            if whole && last && rx.fragments == 1 {
                // The fast path: a whole unfragmented message in the input. UTF-8 is checked
                // once, when the event is built.
                rx.in_frame = false;
                rx.end_message();
                break message(kind, Loc::Input(start, pos));
            }

            // Assembly: check text as it arrives (fail fast), keep the bytes.
            let chunk = &input[start..pos];
            if kind == MessageKind::Text && rx.utf8.feed(chunk).is_err() {
                return Err(tx.fail(Violation::InvalidUtf8, CloseCode::INVALID_PAYLOAD));
            }
            crate::copy::extend_payload(&mut rx.buf, chunk);
            if !done {
                continue;
            }
            rx.in_frame = false;
            if !last {
                continue;
            }
            rx.end_message();
            rx.cleanup = Cleanup::Message;
            if kind == MessageKind::Text && rx.utf8.finish().is_err() {
                // §8.1: the message ended inside a character.
                return Err(tx.fail(Violation::InvalidUtf8, CloseCode::INVALID_PAYLOAD));
            }
            break message(kind, Loc::Buf(0, rx.buf.len()));
        }
    };

    let input: &'a [u8] = input;
    let buf: &'a [u8] = &rx.buf;
    let bytes = |loc: Loc| -> &'a [u8] {
        match loc {
            Loc::Input(a, b) => input.get(a..b).unwrap_or_default(),
            Loc::Buf(a, b) => buf.get(a..b).unwrap_or_default(),
        }
    };
    let event = match pending {
        Pending::Nothing => None,
        Pending::Text(loc) => Some(Event::Text(text(tx, bytes(loc))?)),
        Pending::Binary(loc) => Some(Event::Binary(bytes(loc))),
        Pending::Ping(loc) => Some(Event::Ping(bytes(loc))),
        Pending::Pong(loc) => Some(Event::Pong(bytes(loc))),
        Pending::Close(code, loc) => Some(Event::Close {
            code,
            // Validated by `parse_close_payload` already.
            reason: core::str::from_utf8(bytes(loc)).unwrap_or_default(),
        }),
        Pending::Chunk(kind, loc, first, last) => Some(Event::Chunk {
            kind,
            data: bytes(loc),
            first,
            last,
        }),
    };
    Ok(Recv {
        consumed: pos,
        event,
        sender: tx,
    })
}

/// A whole text message's bytes as a `str`, or the connection fails.
fn text<'a>(tx: &mut Sender, bytes: &'a [u8]) -> Result<&'a str, Error> {
    // §8.1: "MUST _Fail the WebSocket Connection_".
    simdutf8::basic::from_utf8(bytes)
        .map_err(|_| tx.fail(Violation::InvalidUtf8, CloseCode::INVALID_PAYLOAD))
}

fn message(kind: MessageKind, loc: Loc) -> Pending {
    match kind {
        MessageKind::Text => Pending::Text(loc),
        MessageKind::Binary => Pending::Binary(loc),
    }
}

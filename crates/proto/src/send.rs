//! The sending half: whole messages, fragments, pings, pongs, and the state both halves
//! share (role, close state, control queue, timers).

use std::sync::Arc;
use std::time::Instant;

use sockeye_frame::{ControlFrame, FrameHeader, MAX_HEADER_LEN, OpCode, Rsv, apply_mask};

use crate::control_queue::ControlQueue;
use crate::layout::frame_in_place;
use crate::recv::Decoding;
use crate::timers::Timer;
use crate::{Config, Error, Extension, MessageKind, Role, State};

/// A source of masking keys for a client (§5.3: "The masking key is a 32-bit value chosen
/// at random by the client ... MUST pick a fresh masking key from the set of allowed
/// 32-bit values" and §10.3: it "MUST NOT make it simple for servers or proxies to predict
/// the masking key"). Use a cryptographically strong generator, e.g. a buffered
/// `getrandom`. Any `FnMut() -> [u8; 4]` closure is one.
pub trait MaskSource: Send {
    /// The key for the next frame.
    fn mask_key(&mut self) -> [u8; 4];
}

impl<F: FnMut() -> [u8; 4] + Send> MaskSource for F {
    fn mask_key(&mut self) -> [u8; 4] {
        self()
    }
}

/// The sending half of a [`Connection`](crate::Connection), with the state both halves
/// share. Reached through [`Connection::sender`](crate::Connection::sender), through the
/// same-named methods on `Connection`, or through [`Recv::sender`](crate::Recv) while an
/// event still borrows the connection.
///
/// Every method appends whole frames to a caller-owned `out` buffer (masked with a fresh
/// key per frame for a client, §5.3) and writes nothing when it returns an error.
pub struct Sender {
    /// Shared by the connections of one front end (see [`Connection::server`]): a pointer
    /// here, not 88 bytes of limits per connection.
    pub(crate) config: Arc<Config>,
    pub(crate) role: Role,
    pub(crate) state: State,
    /// The connection failed (peer violation, timeout, EOF): TCP is closed by both roles.
    pub(crate) failed: bool,
    /// The driver may close TCP once the queue is written (client: server closed TCP,
    /// or the wait for it timed out).
    pub(crate) tcp_close_due: bool,
    /// Bytes arrived since the keepalive timer was last armed.
    pub(crate) activity: bool,
    pub(crate) timer: Timer,
    pub(crate) deadline: Option<Instant>,
    /// `send_fragment` started a message of this kind and has not finished it.
    pub(crate) fragmenting: Option<MessageKind>,
    pub(crate) queue: ControlQueue,
    /// The mask source (clients) and the extension, boxed together so that a plain
    /// server connection pays one pointer for both.
    pub(crate) extras: Option<Box<Extras>>,
}

/// The rarely present parts of a connection.
#[derive(Default)]
pub(crate) struct Extras {
    pub(crate) masks: Option<Box<dyn MaskSource>>,
    pub(crate) extension: Option<Box<dyn Extension>>,
    /// The extension's progress through the received message.
    pub(crate) decoding: Decoding,
    /// The message being sent with `send_fragment` is encoded by the extension.
    pub(crate) encoding_fragments: bool,
}

impl core::fmt::Debug for Sender {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sender")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("failed", &self.failed)
            .field("deadline", &self.deadline)
            .field("fragmenting", &self.fragmenting)
            .field("extension", &self.extension())
            .finish_non_exhaustive()
    }
}

impl Sender {
    /// Sends a whole text message (fragmented per
    /// [`Config::max_send_frame`](crate::Config::max_send_frame), transformed by the
    /// extension if any: the RSV bits it returns go on the first frame only).
    ///
    /// # Errors
    /// [`Error::Closed`] once a close was sent or received, or the connection failed;
    /// [`Error::FragmentedMessageInProgress`] while a [`send_fragment`](Self::send_fragment)
    /// message is unfinished. Nothing is written then. [`Error::ExtensionEncode`] when the
    /// extension fails: nothing of the message is written (control frames the connection
    /// had queued may have been moved to `out`, as any send does).
    pub fn send_text(&mut self, text: &str, out: &mut Vec<u8>) -> Result<(), Error> {
        self.send_message(MessageKind::Text, text.as_bytes(), out)
    }

    /// Sends a whole binary message; see [`send_text`](Self::send_text).
    pub fn send_binary(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.send_message(MessageKind::Binary, data, out)
    }

    /// Sends one frame of a message the caller streams: the first call of a message sends
    /// a frame with `kind`'s opcode, later calls continuation frames (§5.4), the one with
    /// `fin` ends the message. Control frames may be sent in between. With an extension,
    /// each piece goes through [`Extension::encode_fragment`] and out as one frame at once
    /// (permessage-deflate compresses the stream as it goes, RSV1 on the first frame), or,
    /// when the extension declines at the first piece, the message goes as it is. For text,
    /// the caller is responsible for the concatenation being UTF-8.
    ///
    /// # Errors
    /// [`Error::Closed`]; [`Error::FragmentedMessageInProgress`] if `kind` differs from
    /// the unfinished message's kind.
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        data: &[u8],
        fin: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.check_open()?;
        let first = self.fragmenting.is_none();
        let opcode = match self.fragmenting {
            None => opcode_of(kind),
            Some(k) if k == kind => OpCode::Continuation,
            Some(_) => return Err(Error::FragmentedMessageInProgress),
        };
        if self.extension().is_some() && (first || self.encoding_fragments()) {
            // As in `send_message`: the extension writes after room for the header.
            self.queue.drain_into(out);
            let base = out.len();
            out.resize(base + MAX_HEADER_LEN, 0);
            let encoded = match self.extension_mut() {
                Some(ext) => ext.encode_fragment(kind, data, first, fin, out),
                None => Ok(Rsv::NONE),
            };
            match encoded {
                Err(_) => {
                    out.truncate(base);
                    return Err(Error::ExtensionEncode);
                }
                Ok(rsv) if first && rsv.is_empty() => out.truncate(base),
                Ok(rsv) => {
                    // RFC 7692 §6.1: the bit on the first frame only.
                    let rsv = if first { rsv } else { Rsv::NONE };
                    if let Some(extras) = self.extras.as_deref_mut() {
                        extras.encoding_fragments = !fin;
                    }
                    let masks = match (self.role, self.extras.as_deref_mut()) {
                        (Role::Client, Some(extras)) => extras.masks.as_mut(),
                        _ => None,
                    };
                    frame_in_place(out, base, (opcode, rsv, fin), 0, masks);
                    self.fragmenting = if fin { None } else { Some(kind) };
                    return Ok(());
                }
            }
        }
        self.write_frame(fin, Rsv::NONE, opcode, data, out);
        self.fragmenting = if fin { None } else { Some(kind) };
        Ok(())
    }

    /// Whether the message being sent in pieces is encoded by the extension.
    fn encoding_fragments(&self) -> bool {
        self.extras.as_ref().is_some_and(|e| e.encoding_fragments)
    }

    /// Sends a ping with `payload` (at most 125 bytes).
    ///
    /// # Errors
    /// [`Error::Closed`]; [`Error::ControlPayloadTooLong`].
    pub fn ping(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.check_open()?;
        check_control_len(payload)?;
        let frame = ControlFrame::ping(payload, self.mask_key())
            .map_err(|_| Error::ControlPayloadTooLong)?;
        self.queue.drain_into(out);
        out.extend_from_slice(&frame);
        Ok(())
    }

    /// Sends a pong with `payload` (at most 125 bytes): the answer to a ping when
    /// [`Config::auto_pong`](crate::Config::auto_pong) is off (§5.5.3: it must carry the
    /// ping's application data), or an unsolicited heartbeat (§5.5.3: "A Pong frame MAY be
    /// sent unsolicited").
    ///
    /// # Errors
    /// [`Error::Closed`]; [`Error::ControlPayloadTooLong`].
    pub fn pong(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.check_open()?;
        check_control_len(payload)?;
        let frame = ControlFrame::pong(payload, self.mask_key())
            .map_err(|_| Error::ControlPayloadTooLong)?;
        self.queue.drain_into(out);
        out.extend_from_slice(&frame);
        Ok(())
    }

    /// Whether data may still be sent: no close sent or received, not failed.
    pub fn can_send(&self) -> bool {
        self.state == State::Open
    }

    /// This side's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The close state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn extension(&self) -> Option<&dyn Extension> {
        self.extras.as_ref()?.extension.as_deref()
    }

    pub(crate) fn extension_mut(&mut self) -> Option<&mut (dyn Extension + 'static)> {
        self.extras.as_mut()?.extension.as_deref_mut()
    }

    pub(crate) fn check_open(&self) -> Result<(), Error> {
        if self.state == State::Open {
            Ok(())
        } else {
            Err(Error::Closed)
        }
    }

    /// A fresh key for a client's next frame (§5.3), `None` for a server (§5.1: "A server
    /// MUST NOT mask any frames that it sends to the client").
    pub(crate) fn mask_key(&mut self) -> Option<[u8; 4]> {
        match (self.role, self.extras.as_mut()) {
            (Role::Client, Some(extras)) => extras.masks.as_mut().map(|m| m.mask_key()),
            _ => None,
        }
    }

    fn send_message(
        &mut self,
        kind: MessageKind,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.check_open()?;
        if self.fragmenting.is_some() {
            return Err(Error::FragmentedMessageInProgress);
        }
        if self.extension().is_some() {
            // The extension writes the wire payload straight into `out`, after room for
            // the largest header; the frames are then laid out around it in place.
            self.queue.drain_into(out);
            let base = out.len();
            out.resize(base + MAX_HEADER_LEN, 0);
            let encoded = match self.extension_mut() {
                Some(ext) => ext.encode(kind, payload, out),
                None => Ok(Rsv::NONE),
            };
            match encoded {
                Ok(rsv) if !rsv.is_empty() && out.len() >= base + MAX_HEADER_LEN => {
                    let max = self.config.max_send_frame;
                    let masks = match (self.role, self.extras.as_deref_mut()) {
                        (Role::Client, Some(extras)) => extras.masks.as_mut(),
                        _ => None,
                    };
                    frame_in_place(out, base, (opcode_of(kind), rsv, true), max, masks);
                    return Ok(());
                }
                Ok(_) => out.truncate(base),
                Err(_) => {
                    out.truncate(base);
                    return Err(Error::ExtensionEncode);
                }
            }
        }
        self.write_message(kind, payload, out);
        Ok(())
    }

    /// Writes a message as one frame, or as several of at most `max_send_frame` bytes
    /// (§5.4: the first frame has the message's opcode, the rest are continuations, the
    /// last has FIN).
    fn write_message(&mut self, kind: MessageKind, payload: &[u8], out: &mut Vec<u8>) {
        let max = self.config.max_send_frame;
        if max == 0 || payload.len() <= max {
            self.write_frame(true, Rsv::NONE, opcode_of(kind), payload, out);
            return;
        }
        let count = payload.len().div_ceil(max);
        out.reserve(payload.len() + count * 14);
        for (i, chunk) in payload.chunks(max).enumerate() {
            let opcode = if i == 0 {
                opcode_of(kind)
            } else {
                OpCode::Continuation
            };
            self.write_frame(i + 1 == count, Rsv::NONE, opcode, chunk, out);
        }
    }

    /// Appends one data frame: header, then the payload, masked in place for a client.
    ///
    /// Control frames the connection queued itself (pongs) go first: they answer frames
    /// that arrived before whatever this frame answers, so they leave in that order
    /// (§5.5.2: a pong is sent "as soon as is practical") whichever way the driver
    /// interleaves `recv`, sends and `poll_transmit`.
    pub(crate) fn write_frame(
        &mut self,
        fin: bool,
        rsv: Rsv,
        opcode: OpCode,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) {
        self.queue.drain_into(out);
        let mask = self.mask_key();
        write_frame(fin, rsv, opcode, mask, payload, out);
    }
}

/// Appends one data frame (shared with the server broadcast helper).
pub(crate) fn write_frame(
    fin: bool,
    rsv: Rsv,
    opcode: OpCode,
    mask: Option<[u8; 4]>,
    payload: &[u8],
    out: &mut Vec<u8>,
) {
    // A data opcode and a slice length (< 2^63) always make a valid header.
    let Ok(header) = FrameHeader::new(fin, rsv, opcode, mask, payload.len() as u64) else {
        return;
    };
    let header = header.encode();
    out.reserve(MAX_HEADER_LEN + payload.len());
    // A fixed-size copy cut back: no `memcpy` call for a few bytes.
    let at = out.len() + header.len();
    out.extend_from_slice(header.padded());
    out.truncate(at);
    crate::copy::extend_payload(out, payload);
    if let Some(key) = mask {
        apply_mask(&mut out[at..], key, 0);
    }
}

pub(crate) fn opcode_of(kind: MessageKind) -> OpCode {
    match kind {
        MessageKind::Text => OpCode::Text,
        MessageKind::Binary => OpCode::Binary,
    }
}

fn check_control_len(payload: &[u8]) -> Result<(), Error> {
    // §5.5: "All control frames MUST have a payload length of 125 bytes or less".
    if payload.len() > sockeye_frame::MAX_CONTROL_PAYLOAD_LEN {
        Err(Error::ControlPayloadTooLong)
    } else {
        Ok(())
    }
}

//! The seam for per-message extensions such as permessage-deflate (RFC 7692).
//!
//! An extension is built by whoever negotiated it (the handshake layer parses
//! `Sec-WebSocket-Extensions` and constructs the transform with the agreed parameters) and
//! handed to [`Connection::with_extension`](crate::Connection::with_extension). The
//! connection then:
//!
//! - accepts the RSV bits [`Extension::rsv`] names on the **first frame** of a data
//!   message only (RFC 7692 §6.1: "An endpoint MUST NOT set the 'Per-Message Compressed'
//!   bit of control frames and non-first fragments of a data message. An endpoint
//!   receiving such a frame MUST _Fail the WebSocket Connection_."); RSV bits on a
//!   continuation or control frame, or bits the extension does not name, fail with 1002;
//! - decodes such a message **as its payload arrives**: [`Extension::start_message`] when
//!   its first frame header is read, then [`Extension::decode`] with each piece of payload
//!   (pieces of frames, however the bytes were split by the transport). The decoded bytes
//!   count against [`Config::max_message_size`](crate::Config::max_message_size) as they
//!   are produced: `max_out` is the remaining budget plus one, so a compression bomb is
//!   stopped (1009) after at most the limit plus one byte of output. Text is validated as
//!   UTF-8 on the decoded bytes, incrementally. In streaming mode the decoded bytes go out
//!   as [`Event::Chunk`](crate::Event::Chunk)s of at most
//!   [`STREAM_CHUNK`](crate::STREAM_CHUNK) bytes;
//! - calls [`Extension::encode`] for every message given to `send_text`/`send_binary`
//!   and sets the RSV bits it returns on the message's first frame (also when the message
//!   is fragmented by [`Config::max_send_frame`](crate::Config::max_send_frame)).
//!   Fragments sent with [`Sender::send_fragment`](crate::Sender::send_fragment) are sent
//!   untransformed: the caller streams raw bytes of a message whose whole is not known,
//!   and an extension that transforms whole messages cannot apply to it.
//!
//! The frame and fragment limits apply to the wire (encoded) bytes, as does the
//! announced-length check of `max_message_size`; the decoded bytes are counted against
//! `max_message_size` separately.

use sockeye_frame::{CloseCode, Rsv};

use crate::MessageKind;

/// An extension failed: the connection fails with `code` (permessage-deflate uses 1007
/// for corrupt compressed data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtensionError {
    /// The close code to fail the connection with.
    pub code: CloseCode,
}

/// What one [`Extension::decode`] call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Decoded {
    /// Input bytes used (at most the input's length). Bytes not consumed are passed again
    /// at the start of the next call's input.
    pub consumed: usize,
    /// Only meaningful when the call had `end` set: the message is completely decoded,
    /// nothing more will be appended for it.
    pub done: bool,
}

/// A per-message payload transform negotiated in the opening handshake.
///
/// The receiving side is incremental: the connection never assembles an encoded message,
/// it hands the payload to [`decode`](Self::decode) as it arrives and bounds what may be
/// produced per call.
pub trait Extension: Send + core::fmt::Debug {
    /// The RSV bits this extension gives a meaning to (e.g. RSV1 for permessage-deflate).
    fn rsv(&self) -> Rsv;

    /// A received data message of `kind` begins whose first frame carried the RSV bits
    /// `rsv` (never empty, always within [`rsv`](Self::rsv)). Its payload follows through
    /// [`decode`](Self::decode).
    ///
    /// # Errors
    /// An [`ExtensionError`] fails the connection with its code.
    fn start_message(&mut self, kind: MessageKind, rsv: Rsv) -> Result<(), ExtensionError>;

    /// Decodes the next payload bytes of the message begun by
    /// [`start_message`](Self::start_message), appending at most `max_out` bytes to
    /// `out` (never reserving more than it is about to fill: `max_out` may be large).
    ///
    /// `end` says that no payload byte of the message comes after `input`: the message's
    /// last byte is in `input` or was given before (then `input` may be empty). The call
    /// returns when `max_out` bytes were appended or all of `input` was consumed; with
    /// `end`, `done` is true once everything is decoded and appended. The connection
    /// relies on this to make progress: a call that consumed less than all of `input`, or
    /// had `end` without finishing, must have appended exactly `max_out` bytes, and the
    /// connection then calls again (with an empty `input` if all was consumed) after the
    /// output was delivered. A call breaking this fails the connection with 1011.
    ///
    /// # Errors
    /// An [`ExtensionError`] (e.g. 1007 for corrupt data) fails the connection.
    fn decode(
        &mut self,
        input: &[u8],
        end: bool,
        out: &mut Vec<u8>,
        max_out: usize,
    ) -> Result<Decoded, ExtensionError>;

    /// Encodes an outgoing message, appending the wire payload to `out`, and returns the
    /// RSV bits to set on its first frame. `Rsv::NONE` means "sent as is": then nothing
    /// may be appended and the original payload is sent.
    ///
    /// # Errors
    /// An [`ExtensionError`] makes the send fail with
    /// [`Error::ExtensionEncode`](crate::Error::ExtensionEncode).
    fn encode(
        &mut self,
        kind: MessageKind,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Rsv, ExtensionError>;

    /// Encodes the next piece of an outgoing message sent in pieces
    /// ([`Sender::send_fragment`](crate::Sender::send_fragment)), appending its wire
    /// payload to `out`: each piece goes out as one frame as soon as it is sent, so the
    /// encoder must give out everything for it now (for DEFLATE, a sync flush). `first`
    /// marks the message's first piece: the returned RSV bits go on its frame, and
    /// `Rsv::NONE` means the whole message goes as it is (nothing may be appended, and
    /// there is no further call for it). For later pieces the return value is ignored.
    /// `fin` marks the last piece, which ends the encoding of the message.
    ///
    /// The default sends every message sent in pieces as it is.
    ///
    /// # Errors
    /// An [`ExtensionError`] makes the send fail with
    /// [`Error::ExtensionEncode`](crate::Error::ExtensionEncode); the message can then not
    /// be finished (send a close).
    fn encode_fragment(
        &mut self,
        kind: MessageKind,
        input: &[u8],
        first: bool,
        fin: bool,
        out: &mut Vec<u8>,
    ) -> Result<Rsv, ExtensionError> {
        let _ = (kind, input, first, fin, out);
        Ok(Rsv::NONE)
    }
}

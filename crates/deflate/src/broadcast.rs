//! A message compressed once and sent as the same bytes to many connections.
//!
//! Which connections may receive pre-compressed bytes follows from what their client's
//! decompressor holds. The frame is a fresh DEFLATE stream that refers to nothing before
//! it, ending at a sync point, so *any* permessage-deflate client can inflate it whatever
//! it took over from earlier messages, as long as its window is at least ours: the client
//! inflates with the server's negotiated `server_max_window_bits`, so the message must be
//! compressed with at most that many. But after it, the client's window holds this
//! message, while the connection's own compressor never saw it: with context takeover the
//! connection's next message could refer to data at distances that now point into the
//! broadcast message. So the connection must compress without context takeover: the
//! negotiated `server_no_context_takeover` (request it with
//! `DeflateServerPolicy::server_no_context_takeover`), with which
//! [`PerMessageDeflate`](crate::PerMessageDeflate) starts every message fresh.

use sockeye_frame::{FrameHeader, OpCode};
use sockeye_handshake::DeflateParams;
use sockeye_proto::{ExtensionError, MessageKind, Rsv};

use crate::SharedCompressor;
use crate::compress::{compress, new_compressor};

/// A whole message compressed with a fresh stream and framed as a server sends it (one
/// unmasked frame, FIN, RSV1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Precompressed {
    frame: Vec<u8>,
    window_bits: u8,
}

impl Precompressed {
    /// Compresses `payload` at `level` within a window of `window_bits` (8..=15).
    ///
    /// # Errors
    /// An [`ExtensionError`] if the compressor fails (it does not with valid input).
    pub fn new(
        kind: MessageKind,
        payload: &[u8],
        level: u32,
        window_bits: u8,
    ) -> Result<Self, ExtensionError> {
        let window_bits = window_bits.clamp(8, 15);
        let mut z = new_compressor(level, window_bits);
        let mut body = Vec::new();
        compress(&mut z, payload, window_bits, &mut body)?;
        Ok(Self::framed(kind, &body, window_bits))
    }

    /// The same with an event loop's [`SharedCompressor`] (no zlib state is made).
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn with_compressor(
        shared: &SharedCompressor,
        kind: MessageKind,
        payload: &[u8],
    ) -> Result<Self, ExtensionError> {
        let mut body = Vec::new();
        shared.compress_message(payload, &mut body)?;
        Ok(Self::framed(kind, &body, shared.window_bits()))
    }

    fn framed(kind: MessageKind, body: &[u8], window_bits: u8) -> Self {
        let opcode = match kind {
            MessageKind::Text => OpCode::Text,
            MessageKind::Binary => OpCode::Binary,
        };
        let mut frame = Vec::with_capacity(body.len() + 10);
        // A data opcode and a slice length always make a valid header.
        if let Ok(header) = FrameHeader::new(true, Rsv::RSV1, opcode, None, body.len() as u64) {
            frame.extend_from_slice(&header.encode());
            frame.extend_from_slice(body);
        }
        Self { frame, window_bits }
    }

    /// The frame's bytes, to append to a connection's output.
    pub fn frame(&self) -> &[u8] {
        &self.frame
    }

    /// The window it was compressed within.
    pub fn window_bits(&self) -> u8 {
        self.window_bits
    }

    /// Whether these bytes may be sent to a connection whose server side negotiated
    /// `params` (and uses [`PerMessageDeflate`](crate::PerMessageDeflate) with them): the
    /// server compresses without context takeover and the client accepts our window (see
    /// the [module docs](self)). As with any frame written around the connection, also
    /// check that it may still send (`Connection::can_send`) and is not in the middle of a
    /// message sent with `send_fragment`.
    pub fn may_send_to(&self, params: &DeflateParams) -> bool {
        params.server_no_context_takeover && self.window_bits <= params.server_max_window_bits
    }
}

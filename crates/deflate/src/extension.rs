//! The per-connection extension: [`sockeye_proto::Extension`] for permessage-deflate.

use flate2::{Compress, Decompress};
use sockeye_handshake::{DeflateParams, Side};
use sockeye_proto::{Decoded, Extension, ExtensionError, MessageKind, Role, Rsv};

use crate::compress::{compress, compress_piece, new_compressor};
use crate::inflate::{self, History, Message, inflate_window_bits};

fn side_of(role: Role) -> Side {
    match role {
        Role::Server => Side::Server,
        Role::Client => Side::Client,
    }
}
use crate::{DeflateOptions, Memory, SharedCompressor};

/// permessage-deflate on one connection, built from the negotiated [`DeflateParams`].
///
/// RFC 7692 §6: the "Per-Message Compressed" bit is RSV1, set on a compressed message's
/// first frame (`sockeye-proto` enforces where it may appear). Received messages with RSV1
/// are inflated incrementally within the bounds `sockeye-proto` passes; corrupt data fails
/// the connection with 1007. Messages to send are compressed unless shorter than
/// [`DeflateOptions::threshold`], or, where no context is taken over, if compression would
/// not make them smaller.
///
/// State: the inflater decompresses with the peer's negotiated window (9 bits for 8, see
/// [`crate::inflate`]'s docs) and is reset before each message when the peer compresses
/// without context takeover (§7.2.2: then we "MAY decompress each new message with an empty
/// LZ77 sliding window"); the compressor uses our negotiated window and is reset after each
/// message when we compress without context takeover. [`Memory`] says whether a state that
/// is reset is kept or released; states are made on first use, so a connection that never
/// exchanges a compressed message holds none.
#[derive(Debug)]
pub struct PerMessageDeflate {
    side: Side,
    params: DeflateParams,
    options: DeflateOptions,
    compressor: Option<Compress>,
    shared: Option<SharedCompressor>,
    inflater: Option<Decompress>,
    /// The inflater's window, to restart it with after a final block.
    history: History,
    message: Message,
}

impl PerMessageDeflate {
    /// The extension for `role` with the negotiated `params`.
    pub fn new(role: Role, params: DeflateParams, options: DeflateOptions) -> Self {
        Self {
            side: side_of(role),
            params,
            options,
            compressor: None,
            shared: None,
            inflater: None,
            history: History::new(params.decompress_window_bits(side_of(role))),
            message: Message::default(),
        }
    }

    /// Compresses with `shared` instead of a compressor of its own, when that is correct:
    /// this side compresses without context takeover and `shared`'s window is within the
    /// negotiated one. Otherwise `shared` is ignored.
    #[must_use]
    pub fn with_shared_compressor(mut self, shared: SharedCompressor) -> Self {
        if self.compress_fresh() && shared.window_bits() <= self.compress_bits() {
            self.shared = Some(shared);
        }
        self
    }

    /// Whether [`with_shared_compressor`](Self::with_shared_compressor) took the handle.
    pub fn uses_shared_compressor(&self) -> bool {
        self.shared.is_some()
    }

    /// The negotiated parameters.
    pub fn params(&self) -> &DeflateParams {
        &self.params
    }

    /// Whether a zlib state is held right now (compressor, inflater).
    pub fn holds_state(&self) -> (bool, bool) {
        (self.compressor.is_some(), self.inflater.is_some())
    }

    fn compress_bits(&self) -> u8 {
        self.params.compress_window_bits(self.side)
    }

    /// Every message we send starts a fresh window.
    fn compress_fresh(&self) -> bool {
        self.params.compress_no_context_takeover(self.side)
    }

    /// Every message we receive starts a fresh window.
    fn inflate_fresh(&self) -> bool {
        self.params.decompress_no_context_takeover(self.side)
    }

    fn encode_own(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), ExtensionError> {
        let bits = self.compress_bits();
        let level = self.options.level;
        let fresh = self.compress_fresh();
        let z = self
            .compressor
            .get_or_insert_with(|| new_compressor(level, bits));
        let result = compress(z, input, bits, out);
        if fresh {
            match self.options.memory {
                Memory::Keep => z.reset(),
                Memory::Release => self.compressor = None,
            }
        }
        result
    }
}

impl Extension for PerMessageDeflate {
    fn rsv(&self) -> Rsv {
        Rsv::RSV1
    }

    fn start_message(&mut self, _kind: MessageKind, _rsv: Rsv) -> Result<(), ExtensionError> {
        let fresh = self.inflate_fresh();
        if fresh && self.message.seen_input {
            // §7.2.2: the peer compresses every message with an empty window.
            if let Some(z) = self.inflater.as_mut() {
                z.reset(false);
            }
            self.history.forget();
        }
        // With context takeover a stream ended by a final block goes on in this message,
        // with the window (the first data restarts it).
        self.message = Message {
            stream_ended: self.message.stream_ended && !fresh,
            ..Message::default()
        };
        if self.inflater.is_none() {
            let bits = inflate_window_bits(self.params.decompress_window_bits(self.side));
            self.inflater = Some(Decompress::new_with_window_bits(false, bits));
        }
        Ok(())
    }

    fn decode(
        &mut self,
        input: &[u8],
        end: bool,
        out: &mut Vec<u8>,
        max_out: usize,
    ) -> Result<Decoded, ExtensionError> {
        let Some(z) = self.inflater.as_mut() else {
            return Err(inflate::CORRUPT);
        };
        let decoded = inflate::decode(
            z,
            &mut self.history,
            &mut self.message,
            input,
            end,
            out,
            max_out,
        )?;
        let fresh = self.inflate_fresh();
        if decoded.done
            && self.options.memory == Memory::Release
            && (fresh || self.message.stream_ended)
        {
            // Nothing of zlib's state is needed for the next message (a fresh window, or a
            // stream that ended: restarted from the history): release it now.
            self.inflater = None;
            if fresh {
                self.history.clear();
                self.message = Message::default();
            }
        }
        Ok(decoded)
    }

    fn encode(
        &mut self,
        _kind: MessageKind,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Rsv, ExtensionError> {
        if input.len() < self.options.threshold {
            // RFC 7692 §6.1: a sender may leave any message uncompressed.
            return Ok(Rsv::NONE);
        }
        let start = out.len();
        let result = match &self.shared {
            Some(shared) => shared.compress_message(input, out),
            None => self.encode_own(input, out),
        };
        if let Err(e) = result {
            out.truncate(start);
            return Err(e);
        }
        if self.compress_fresh() && out.len() - start >= input.len() {
            // Incompressible: nothing of this message lives on in a compressor (fresh
            // window per message), so sending it as it is costs the peer nothing either.
            out.truncate(start);
            return Ok(Rsv::NONE);
        }
        Ok(Rsv::RSV1)
    }

    /// A message sent in pieces is compressed as one stream across them, each piece
    /// flushed out at once (a streaming echo compresses as it echoes). It needs a
    /// compressor of its own: between its pieces a shared compressor serves other
    /// connections. A message that is one piece (`first && fin`: what a streaming echo
    /// sends for every message that arrived in one read) is a whole message and goes the
    /// way of [`encode`](Self::encode): through the shared compressor, uncompressed if
    /// small or incompressible. Before, it made and dropped a compressor of its own per
    /// message under `Memory::Release`, a fifth of the server's CPU on 512-byte chat.
    fn encode_fragment(
        &mut self,
        kind: MessageKind,
        input: &[u8],
        first: bool,
        fin: bool,
        out: &mut Vec<u8>,
    ) -> Result<Rsv, ExtensionError> {
        if first && fin {
            return self.encode(kind, input, out);
        }
        let bits = self.compress_bits();
        let level = self.options.level;
        let fresh = self.compress_fresh();
        let z = self
            .compressor
            .get_or_insert_with(|| new_compressor(level, bits));
        let start = out.len();
        let result = if fin {
            compress(z, input, bits, out)
        } else {
            compress_piece(z, input, bits, out)
        };
        if let Err(e) = result {
            out.truncate(start);
            return Err(e);
        }
        if fin && fresh {
            match self.options.memory {
                Memory::Keep => z.reset(),
                Memory::Release => self.compressor = None,
            }
        }
        Ok(Rsv::RSV1)
    }
}

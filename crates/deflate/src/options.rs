//! How a connection's permessage-deflate compresses and what it keeps between messages.

/// Per-connection settings of [`PerMessageDeflate`](crate::PerMessageDeflate) that the
/// negotiation does not decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DeflateOptions {
    /// zlib compression level, 0..=9 (clamped). Default [`DEFAULT_LEVEL`](Self::DEFAULT_LEVEL).
    pub level: u32,
    /// Messages shorter than this go out uncompressed (RFC 7692 §6.1 lets a sender leave
    /// any message uncompressed). Default [`DEFAULT_THRESHOLD`](Self::DEFAULT_THRESHOLD).
    pub threshold: usize,
    /// What is kept between messages. Default [`Memory::Keep`].
    pub memory: Memory,
}

/// What a connection's zlib states do between messages.
///
/// A direction with context takeover needs its state for the connection's whole life (its
/// LZ77 window is the history of every message so far). A direction without it (the
/// negotiated `*_no_context_takeover`) starts every message afresh, so its state can
/// either be reset and kept, or released and made again for the next message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Memory {
    /// Keep every state once made (reset between messages where there is no takeover):
    /// no allocation per message.
    Keep,
    /// Release a state without context takeover as soon as its message is done and make
    /// it again on demand. With no context takeover in both directions (a server asking
    /// for `client_no_context_takeover` and using `server_no_context_takeover`, or sending
    /// through a [`SharedCompressor`](crate::SharedCompressor)) an idle connection holds no
    /// zlib state at all, for an allocation and initialisation per message.
    Release,
}

impl DeflateOptions {
    /// Level 1 (zlib's fastest): on the Autobahn JSON data (4 KiB messages, context
    /// takeover) 1334 MB/s for a ratio of 0.066, against 220 MB/s and 0.047 at level 6
    /// (`docs/compression.md`): six times the speed for 40% more compressed bytes.
    pub const DEFAULT_LEVEL: u32 = 1;
    /// 64 bytes. Measured on the same data: a 16-byte message compressed with a fresh
    /// window shrinks by under 2% (0.983), a 64-byte one by 23% (with context taken over,
    /// 85%); below 64 bytes the saving is a few bytes for the cost of a compressor call.
    pub const DEFAULT_THRESHOLD: usize = 64;

    /// The defaults listed on each field.
    pub const fn new() -> Self {
        Self {
            level: Self::DEFAULT_LEVEL,
            threshold: Self::DEFAULT_THRESHOLD,
            memory: Memory::Keep,
        }
    }
}

impl Default for DeflateOptions {
    fn default() -> Self {
        Self::new()
    }
}

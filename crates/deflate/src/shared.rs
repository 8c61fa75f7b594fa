//! One compressor for many connections (uWebSockets' `SHARED_COMPRESSOR` style).
//!
//! A connection that compresses every message with a fresh window
//! (`server_no_context_takeover`, RFC 7692 §7.1.1.1) needs no compressor between its
//! messages, so all connections of an event loop can take turns with one: the loop runs
//! one message at a time anyway. The zlib state (about 256 KiB at 15 bits) then exists once
//! per loop instead of once per connection.

use std::sync::{Arc, Mutex, MutexGuard};

use flate2::Compress;
use sockeye_proto::ExtensionError;

use crate::compress::{compress, new_compressor};

/// A cloneable handle to one compressor, for the connections of one event loop.
///
/// `Send` and `Sync`; the lock is uncontended when one thread uses it, which is the intended
/// use (one per event loop). Connections whose compressor window was negotiated smaller
/// than this compressor's, or that use context takeover, use their own compressor instead
/// ([`PerMessageDeflate::with_shared_compressor`](crate::PerMessageDeflate::with_shared_compressor)).
#[derive(Debug, Clone)]
pub struct SharedCompressor {
    inner: Arc<Mutex<Compress>>,
    level: u32,
    window_bits: u8,
}

impl SharedCompressor {
    /// A compressor at `level` (0..=9) for windows of `window_bits` (8..=15, clamped).
    pub fn new(level: u32, window_bits: u8) -> Self {
        let window_bits = window_bits.clamp(8, 15);
        Self {
            inner: Arc::new(Mutex::new(new_compressor(level, window_bits))),
            level,
            window_bits,
        }
    }

    /// The window it compresses with.
    pub fn window_bits(&self) -> u8 {
        self.window_bits
    }

    /// The compression level.
    pub fn level(&self) -> u32 {
        self.level
    }

    fn lock(&self) -> MutexGuard<'_, Compress> {
        // A panic while compressing left the state unknown; it is reset before each use.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Compresses `input` as a message of its own (a fresh stream, §7.2.1), appending the
    /// payload to `out`.
    pub(crate) fn compress_message(
        &self,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), ExtensionError> {
        let mut z = self.lock();
        z.reset();
        compress(&mut z, input, self.window_bits, out)
    }
}

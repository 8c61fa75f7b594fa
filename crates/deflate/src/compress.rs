//! Compression of one outgoing message (RFC 7692 §7.2.1).
//!
//! §7.2.1: "1. Compress all the octets of the payload of the message using DEFLATE. 2. If
//! the resulting data does not end with an empty DEFLATE block with no compression (the
//! 'BTYPE' bits are set to 00), append an empty DEFLATE block with no compression to the
//! tail end. 3. Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end." A sync
//! flush (`Z_SYNC_FLUSH`) ends the data with exactly such an empty stored block, whose
//! last 4 octets are then cut off.
//!
//! **8-bit windows.** zlib, and zlib-rs after it, cannot compress with a 256-byte window
//! (`deflateInit2` refuses raw 8 or turns it into 9), yet a peer may ask for 8 (§7.1.2.1:
//! "between 8 to 15, inclusive"; §7.1.2.2: "between 8 to 15 inclusive"). A 9-bit compressor
//! keeps to a 256-byte window if it never sees more than 256 bytes of history: the input
//! goes in 256-byte pieces, each followed by a full flush, which empties the match history,
//! so no back-reference reaches further than 255 bytes. The cost (measured in
//! `docs/compression.md`) is a worse ratio than 9 bits, still far better than sending
//! uncompressed.

use flate2::{Compress, Compression, FlushCompress};
use sockeye_proto::{CloseCode, ExtensionError};

use crate::inflate::TAIL;

/// History a compressor for an 8-bit window may see between full flushes.
const WINDOW_8: usize = 256;

/// A compressor failed (cannot happen with valid state; reported rather than panicking).
const FAILED: ExtensionError = ExtensionError {
    code: CloseCode::INTERNAL_ERROR,
};

/// A compressor for `window_bits` (8..=15) at `level`.
pub(crate) fn new_compressor(level: u32, window_bits: u8) -> Compress {
    Compress::new_with_window_bits(
        Compression::new(level.min(9)),
        false,
        window_bits.clamp(9, 15),
    )
}

/// Feeds all of `input` with `flush`, growing `out` as the compressor asks, until the
/// flush is complete (zlib: a call that returns with output space left).
fn run(
    z: &mut Compress,
    input: &[u8],
    flush: FlushCompress,
    out: &mut Vec<u8>,
) -> Result<(), ExtensionError> {
    let mut at = 0;
    loop {
        // Deflate rarely expands; a stored block costs 5 bytes per 64 KiB.
        let left = input.len() - at;
        out.reserve((left / 2).max(64) + 16);
        let before = z.total_in();
        z.compress_vec(input.get(at..).unwrap_or_default(), out, flush)
            .map_err(|_| FAILED)?;
        at += (z.total_in() - before) as usize;
        if at == input.len() && out.len() < out.capacity() {
            return Ok(());
        }
    }
}

/// Appends the §7.2.1 payload of `input` to `out`, compressed by `z` (which carries the
/// context of earlier messages, if any). `window_bits` is the negotiated limit: 8 takes
/// the 256-byte-piece path above.
pub(crate) fn compress(
    z: &mut Compress,
    input: &[u8],
    window_bits: u8,
    out: &mut Vec<u8>,
) -> Result<(), ExtensionError> {
    if input.is_empty() {
        // An empty stored block's header, its LEN and NLEN being the removed tail: the
        // empty message's payload (the stream is at a byte boundary after the previous
        // message's flush). zlib would refuse a second flush without input.
        out.push(0x00);
        return Ok(());
    }
    let start = out.len();
    if window_bits <= 8 {
        // A full flush is a sync flush that also empties the match history, so each piece
        // and the next message start with none.
        for piece in input.chunks(WINDOW_8) {
            run(z, piece, FlushCompress::Full, out)?;
        }
    } else {
        run(z, input, FlushCompress::Sync, out)?;
    }
    // §7.2.1 step 3.
    if out.len() < start + TAIL.len() || out[out.len() - TAIL.len()..] != TAIL {
        return Err(FAILED);
    }
    out.truncate(out.len() - TAIL.len());
    Ok(())
}

/// Appends the compressed form of `input`, a piece of a message sent in pieces that is not
/// its last: everything it needs is flushed out now (a sync flush, whose empty stored block
/// stays in the stream: only the message's end loses its 4 tail octets, §7.2.1 step 3, and
/// the last piece is compressed by [`compress`]). With an 8-bit window each piece also
/// ends with a full flush, so no back-reference reaches into an earlier piece.
pub(crate) fn compress_piece(
    z: &mut Compress,
    input: &[u8],
    window_bits: u8,
    out: &mut Vec<u8>,
) -> Result<(), ExtensionError> {
    if input.is_empty() {
        // Nothing to flush: an empty frame.
        return Ok(());
    }
    if window_bits <= 8 {
        for piece in input.chunks(WINDOW_8) {
            run(z, piece, FlushCompress::Full, out)?;
        }
        Ok(())
    } else {
        run(z, input, FlushCompress::Sync, out)
    }
}

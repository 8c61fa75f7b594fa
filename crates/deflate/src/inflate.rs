//! Decompression of received messages (RFC 7692 §7.2.2), bounded and incremental.
//!
//! §7.2.2: "1. Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the payload of
//! the message. 2. Decompress the resulting data using DEFLATE." The payload arrives in
//! pieces; each is inflated as it comes, into the caller's vector, never past `max_out`
//! bytes per call and growing the vector only by what is produced (at most
//! [`STEP`] at a time), never by a size the peer announced. The 4-byte tail is fed once
//! the message's last piece has been, and only for a non-empty payload (an empty payload
//! with RSV1 is an empty message: feeding the tail alone would leave the inflater inside
//! a stored block).
//!
//! A DEFLATE block with BFINAL set ends the stream (§7.2.3.4 allows a sender to flush
//! that way): whatever follows it in the message is not DEFLATE data and is skipped, and
//! the next message starts a new stream, as the sender's compressor had to start one.

use flate2::{Decompress, FlushDecompress, Status};
use sockeye_proto::{CloseCode, Decoded, ExtensionError};

/// Most bytes the output vector is grown by per inflate call.
pub(crate) const STEP: usize = 32 << 10;

/// The tail §7.2.1 step 3 removed: an empty stored block's LEN and NLEN.
pub(crate) const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Corrupt compressed data: 1007, "data within a message that was not consistent with the
/// type of the message" (RFC 6455 §7.4.1), the payload not being DEFLATE data.
pub(crate) const CORRUPT: ExtensionError = ExtensionError {
    code: CloseCode::INVALID_PAYLOAD,
};

/// flate2 (like zlib) has no 8-bit window; a 9-bit inflater decodes every stream an
/// 8-bit compressor can produce (its distances are at most 256).
pub(crate) fn inflate_window_bits(bits: u8) -> u8 {
    bits.clamp(9, 15)
}

/// One received message's progress through the inflater.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Message {
    /// Some payload byte arrived.
    pub(crate) seen_input: bool,
    /// Bytes of [`TAIL`] already inflated.
    pub(crate) tail_fed: u8,
    /// A final block ended the stream.
    pub(crate) stream_ended: bool,
}

/// What one inflate call did.
struct Step {
    consumed: usize,
    /// The output bound was reached.
    full: bool,
}

/// Inflates `input` into `out` until it is used up or `room` bytes were appended.
fn inflate(
    z: &mut Decompress,
    input: &[u8],
    out: &mut Vec<u8>,
    room: usize,
    msg: &mut Message,
) -> Result<Step, ExtensionError> {
    let mut consumed = 0;
    let mut produced = 0;
    while produced < room && !msg.stream_ended {
        let step = (room - produced).min(STEP);
        let len = out.len();
        out.resize(len + step, 0);
        let (in0, out0) = (z.total_in(), z.total_out());
        let status = z.decompress(
            input.get(consumed..).unwrap_or_default(),
            out.get_mut(len..).unwrap_or_default(),
            FlushDecompress::Sync,
        );
        let used_in = (z.total_in() - in0) as usize;
        let used_out = (z.total_out() - out0) as usize;
        out.truncate(len + used_out);
        consumed += used_in;
        produced += used_out;
        match status {
            Err(_) => return Err(CORRUPT),
            Ok(Status::StreamEnd) => msg.stream_ended = true,
            // Output space left over: zlib wants more input.
            Ok(Status::Ok | Status::BufError) if used_out < step => break,
            Ok(_) => {}
        }
    }
    if msg.stream_ended {
        // Bytes after the final block are not part of the DEFLATE stream.
        consumed = input.len();
    }
    Ok(Step {
        consumed,
        full: produced >= room,
    })
}

/// One `Extension::decode` call for the message `msg`: inflates `input`, then, with
/// `end`, the tail. `Ok(Decoded { done: true, .. })` once everything is out.
pub(crate) fn decode(
    z: &mut Decompress,
    msg: &mut Message,
    input: &[u8],
    end: bool,
    out: &mut Vec<u8>,
    max_out: usize,
) -> Result<Decoded, ExtensionError> {
    msg.seen_input |= !input.is_empty();
    let start = out.len();
    let step = inflate(z, input, out, max_out, msg)?;
    if step.full || step.consumed < input.len() || !end {
        return Ok(Decoded {
            consumed: step.consumed,
            done: false,
        });
    }
    if msg.seen_input && !msg.stream_ended {
        let fed = usize::from(msg.tail_fed).min(TAIL.len());
        let room = max_out - (out.len() - start);
        let tail = inflate(z, &TAIL[fed..], out, room, msg)?;
        msg.tail_fed = (fed + tail.consumed).min(TAIL.len()) as u8;
        if tail.full {
            return Ok(Decoded {
                consumed: step.consumed,
                done: false,
            });
        }
    }
    Ok(Decoded {
        consumed: step.consumed,
        done: true,
    })
}

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
//! A DEFLATE block with BFINAL set ends zlib's stream, not the message's data: §7.2.1 "An
//! endpoint MAY use both DEFLATE blocks with the 'BFINAL' bit set to 0 and DEFLATE blocks
//! with the 'BFINAL' bit set to 1 ... The next DEFLATE block follows the padded data if
//! any", and §7.2.2, with context takeover, "MUST decompress each new message using the
//! LZ77 sliding window used to process the last compressed message". zlib forgets its
//! window when it is reset to read a new stream, so the inflater keeps its own copy of the
//! last window's worth of output ([`History`]) and restarts with it as the preset
//! dictionary: blocks after a final one (in the same message or the next) decode as if the
//! stream had gone on.

use flate2::{Decompress, FlushDecompress, Status};
use sockeye_proto::{CloseCode, Decoded, ExtensionError};

/// Most bytes the output vector is grown by per inflate call.
pub(crate) const STEP: usize = 32 << 10;

/// Fewest bytes the output vector is grown by per inflate call.
const MIN_STEP: usize = 256;

/// The first step's size for `input` bytes: what they are likely to inflate to (4×),
/// within [`MIN_STEP`]..=[`STEP`]. Each step that fills up doubles the next, so a large
/// output still moves [`STEP`] at a time, while a peer trickling one byte per read no
/// longer costs a 32 KiB zeroed extension of the vector per byte (the work stays
/// proportional to the input, not 32,768 times it).
fn first_step(input: usize) -> usize {
    input.saturating_mul(4).clamp(MIN_STEP, STEP)
}

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
    /// A final block ended zlib's stream: restart it (with the [`History`]) before more
    /// data.
    pub(crate) stream_ended: bool,
}

/// The last `2^bits` bytes inflated: the LZ77 window the sender compresses against, as a
/// ring, to restart zlib with after a final block. It grows with the output, so a
/// connection that only ever receives short messages keeps a short one.
#[derive(Debug)]
pub(crate) struct History {
    buf: Vec<u8>,
    /// Where the next byte goes once `buf` is full (the oldest byte).
    next: usize,
    size: usize,
}

impl History {
    pub(crate) fn new(bits: u8) -> Self {
        Self {
            buf: Vec::new(),
            next: 0,
            size: 1 << bits.clamp(8, 15),
        }
    }

    /// Remembers `data` (the newest output).
    fn push(&mut self, data: &[u8]) {
        let data = data
            .get(data.len().saturating_sub(self.size)..)
            .unwrap_or(data);
        let fill = (self.size - self.buf.len()).min(data.len());
        let (head, mut rest) = data.split_at(fill);
        self.buf.extend_from_slice(head);
        while !rest.is_empty() {
            let n = (self.size - self.next).min(rest.len());
            if let Some(slot) = self.buf.get_mut(self.next..self.next + n) {
                slot.copy_from_slice(&rest[..n]);
            }
            self.next = (self.next + n) % self.size;
            rest = &rest[n..];
        }
    }

    /// Forgets the window and releases its memory.
    pub(crate) fn clear(&mut self) {
        self.buf = Vec::new();
        self.next = 0;
    }

    /// Forgets the window, keeping the memory for the next message.
    pub(crate) fn forget(&mut self) {
        self.buf.clear();
        self.next = 0;
    }

    /// Starts zlib on a new stream with this window as its dictionary, oldest byte first.
    fn restart(&self, z: &mut Decompress) -> Result<(), ExtensionError> {
        z.reset(false);
        let (newest, oldest) = self.buf.split_at(self.next.min(self.buf.len()));
        for part in [oldest, newest] {
            if !part.is_empty() {
                z.set_dictionary(part).map_err(|_| CORRUPT)?;
            }
        }
        Ok(())
    }
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
    history: &mut History,
    input: &[u8],
    out: &mut Vec<u8>,
    room: usize,
    msg: &mut Message,
) -> Result<Step, ExtensionError> {
    let mut consumed = 0;
    let mut produced = 0;
    let mut want = first_step(input.len());
    while produced < room {
        if msg.stream_ended {
            if consumed == input.len() {
                break;
            }
            // More data after a final block: the next block (§7.2.1).
            history.restart(z)?;
            msg.stream_ended = false;
        }
        let step = (room - produced).min(want);
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
        history.push(out.get(len..).unwrap_or_default());
        consumed += used_in;
        produced += used_out;
        match status {
            Err(_) => return Err(CORRUPT),
            Ok(Status::StreamEnd) => msg.stream_ended = true,
            // Output space left over: zlib wants more input.
            Ok(Status::Ok | Status::BufError) if used_out < step => break,
            Ok(_) => want = want.saturating_mul(2).min(STEP),
        }
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
    history: &mut History,
    msg: &mut Message,
    input: &[u8],
    end: bool,
    out: &mut Vec<u8>,
    max_out: usize,
) -> Result<Decoded, ExtensionError> {
    msg.seen_input |= !input.is_empty();
    let start = out.len();
    let step = inflate(z, history, input, out, max_out, msg)?;
    if step.full || step.consumed < input.len() || !end {
        return Ok(Decoded {
            consumed: step.consumed,
            done: false,
        });
    }
    // A payload that ended right after a final block needs no tail: the stream is whole
    // (the RFC's §7.2.3.4 example instead starts an empty stored block after it, which
    // the tail completes).
    if msg.seen_input && !msg.stream_ended {
        let fed = usize::from(msg.tail_fed).min(TAIL.len());
        let room = max_out - (out.len() - start);
        let tail = inflate(z, history, &TAIL[fed..], out, room, msg)?;
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

#[cfg(test)]
mod tests {
    use flate2::{Compress, Compression, FlushCompress};

    use super::*;

    /// Output pushed in pieces of every size: restarting from the ring decodes a stream
    /// that refers back to the whole window, as the original window would.
    #[test]
    fn the_ring_holds_the_last_window_oldest_first() {
        let bits = 9; // 512 bytes
        let old: Vec<u8> = (0..2000u32).map(|i| (i * 7 % 251) as u8).collect();
        // A raw stream compressed against `old`'s last 512 bytes as its dictionary.
        let window = &old[old.len() - 512..];
        let message: Vec<u8> = window
            .iter()
            .rev()
            .copied()
            .chain(window.iter().copied())
            .collect();
        let mut c = Compress::new_with_window_bits(Compression::best(), false, bits);
        c.set_dictionary(window).unwrap();
        let mut compressed = Vec::with_capacity(4096);
        c.compress_vec(&message, &mut compressed, FlushCompress::Finish)
            .unwrap();
        for piece in [1, 7, 100, 511, 512, 513, 2000] {
            let mut h = History::new(bits);
            for chunk in old.chunks(piece) {
                h.push(chunk);
            }
            let mut z = Decompress::new_with_window_bits(false, bits);
            h.restart(&mut z).unwrap();
            let mut out = Vec::with_capacity(message.len() + 16);
            z.decompress_vec(&compressed, &mut out, FlushDecompress::Finish)
                .unwrap();
            assert_eq!(out, message, "pieces of {piece}");
        }
    }

    /// A message fed one byte per call, as a peer trickling bytes makes the server do:
    /// the output vector grows with what is produced (a few steps of [`MIN_STEP`]), not
    /// by 32 KiB per byte, and the message still comes out whole; a big message fed
    /// whole still comes out whole, in doubling steps.
    #[test]
    fn trickled_input_grows_the_output_by_what_it_produces() {
        let message: Vec<u8> = (0..3000u32)
            .map(|i| b"chat json "[(i % 10) as usize])
            .collect();
        let mut c = Compress::new_with_window_bits(Compression::fast(), false, 15);
        let mut compressed = Vec::with_capacity(4096);
        c.compress_vec(&message, &mut compressed, FlushCompress::Sync)
            .unwrap();
        assert!(compressed.ends_with(&TAIL));
        let payload = &compressed[..compressed.len() - TAIL.len()];

        let mut z = Decompress::new_with_window_bits(false, 15);
        let mut history = History::new(15);
        let mut msg = Message::default();
        let mut out = Vec::new();
        let mut most = 0;
        for (i, byte) in payload.iter().enumerate() {
            let end = i + 1 == payload.len();
            let mut left: &[u8] = std::slice::from_ref(byte);
            loop {
                let d =
                    decode(&mut z, &mut history, &mut msg, left, end, &mut out, 1 << 20).unwrap();
                most = most.max(out.capacity());
                left = &left[d.consumed..];
                if left.is_empty() && (d.done || !end) {
                    break;
                }
            }
        }
        assert_eq!(out, message);
        assert!(
            most < 8 << 10,
            "the vector grew to {most} bytes for 3,000 of output"
        );

        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 7) as u8).collect();
        let mut c = Compress::new_with_window_bits(Compression::fast(), false, 15);
        let mut compressed = Vec::with_capacity(big.len());
        c.compress_vec(&big, &mut compressed, FlushCompress::Sync)
            .unwrap();
        let payload = &compressed[..compressed.len() - TAIL.len()];
        let mut z = Decompress::new_with_window_bits(false, 15);
        let mut history = History::new(15);
        let mut msg = Message::default();
        let mut out = Vec::new();
        let d = decode(
            &mut z,
            &mut history,
            &mut msg,
            payload,
            true,
            &mut out,
            1 << 20,
        )
        .unwrap();
        assert!(d.done);
        assert_eq!(d.consumed, payload.len());
        assert_eq!(out, big);
    }
}

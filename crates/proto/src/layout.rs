//! Frames around a payload that an extension already wrote into the output buffer.
//!
//! [`Sender`](crate::Sender) reserves room for the largest header (14 bytes) at the end of
//! `out` and lets the extension append the encoded payload after it, so that no buffer is
//! allocated per message. This module then writes the real header(s) and moves the
//! payload down into place: one frame, or several of at most `max_send_frame` bytes
//! (§5.4) with the extension's RSV bits on the first only (RFC 7692 §6: "An endpoint MUST
//! NOT set the 'Per-Message Compressed' bit of ... non-first fragments of a data
//! message"). A client's payloads are masked with a fresh key per frame (§5.3).

use sockeye_frame::{FrameHeader, MAX_HEADER_LEN, OpCode, Rsv, apply_mask};

use crate::MaskSource;

/// The header length of a frame with `len` payload bytes (§5.2).
fn header_len(len: usize, masked: bool) -> usize {
    let ext = match len {
        0..=125 => 0,
        126..=0xFFFF => 2,
        _ => 8,
    };
    2 + ext + if masked { 4 } else { 0 }
}

/// `out[base..base + 14]` is reserved, the payload follows to the end of `out`. Rewrites
/// `out[base..]` as frames: `opcode` and `rsv` on the first, continuations after, `fin` on
/// the last; `max` bytes of payload per frame at most (`0`: one frame).
pub(crate) fn frame_in_place(
    out: &mut Vec<u8>,
    base: usize,
    (opcode, rsv, fin): (OpCode, Rsv, bool),
    max: usize,
    mut masks: Option<&mut Box<dyn MaskSource>>,
) {
    let src = base + MAX_HEADER_LEN;
    let len = out.len().saturating_sub(src);
    let masked = masks.is_some();
    let per = if max == 0 || len <= max { len } else { max };
    let count = if per == 0 { 1 } else { len.div_ceil(per) };
    let last = len - per * (count - 1);
    let headers = header_len(per, masked) * (count - 1) + header_len(last, masked);
    let total = headers + len;

    // 1. The payload moves to the end of the final layout (up or down, memmove).
    if base + total > out.len() {
        out.resize(base + total, 0);
    }
    out.copy_within(src..src + len, base + headers);
    // 2. Front to back, each chunk moves down behind its header. Writing header `i` and
    // chunk `i` never reaches chunk `i + 1`, which still lies further up.
    let mut at = base;
    let mut from = base + headers;
    for i in 0..count {
        let n = if i + 1 == count { last } else { per };
        let (op, bits) = if i == 0 {
            (opcode, rsv)
        } else {
            (OpCode::Continuation, Rsv::NONE)
        };
        let key = masks.as_mut().map(|m| m.mask_key());
        // A data opcode and a slice length (< 2^63) always make a valid header.
        let Ok(header) = FrameHeader::new(fin && i + 1 == count, bits, op, key, n as u64) else {
            out.truncate(base);
            return;
        };
        let header = header.encode();
        out[at..at + header.len()].copy_from_slice(&header);
        at += header.len();
        out.copy_within(from..from + n, at);
        if let Some(key) = key {
            apply_mask(&mut out[at..at + n], key, 0);
        }
        at += n;
        from += n;
    }
    out.truncate(at);
}

#[cfg(all(test, feature = "test-support"))]
mod tests {
    use super::*;
    use crate::test_support::{CounterMasks, parse_frames};

    fn layout(payload: &[u8], max: usize, masked: bool) -> Vec<crate::test_support::Frame> {
        let mut out = b"before".to_vec();
        let base = out.len();
        out.extend_from_slice(&[0xEE; MAX_HEADER_LEN]);
        out.extend_from_slice(payload);
        let mut masks: Box<dyn MaskSource> = Box::new(CounterMasks::default());
        let masks = if masked { Some(&mut masks) } else { None };
        frame_in_place(&mut out, base, (OpCode::Text, Rsv::RSV1, true), max, masks);
        assert_eq!(&out[..base], b"before");
        parse_frames(&out[base..]).expect("whole frames")
    }

    #[test]
    fn every_size_and_split_lays_out_valid_frames() {
        let payload: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for len in [0, 1, 125, 126, 127, 300, 65_535, 65_536, 70_000] {
            for max in [0, 1, 3, 125, 126, 1000, 65_536] {
                if max == 1 && len > 1000 {
                    continue; // quick enough elsewhere
                }
                for masked in [false, true] {
                    let frames = layout(&payload[..len], max, masked);
                    let joined: Vec<u8> = frames.iter().flat_map(|f| f.payload.clone()).collect();
                    assert_eq!(joined, &payload[..len], "len {len} max {max}");
                    assert_eq!(frames[0].rsv, Rsv::RSV1);
                    assert_eq!(frames[0].opcode, OpCode::Text);
                    for (i, f) in frames.iter().enumerate() {
                        assert_eq!(f.fin, i + 1 == frames.len());
                        assert_eq!(f.masked, masked);
                        if i > 0 {
                            assert_eq!(f.rsv, Rsv::NONE, "RSV1 on the first frame only");
                            assert_eq!(f.opcode, OpCode::Continuation);
                        }
                        if max > 0 {
                            assert!(f.payload.len() <= max);
                        }
                    }
                }
            }
        }
    }
}

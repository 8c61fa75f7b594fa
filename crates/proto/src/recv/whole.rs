//! The common case in one step: a whole, unfragmented, uncompressed data frame at the
//! start of the input, with no frame or message in progress. What an echo, a chat or a
//! ticker receives nearly every time, so it skips the general loop (`parse_header`'s
//! general grammar, `start_frame`'s state, the assembly and streaming branches), and it
//! is inlined into the caller (the driver's `recv`, inlined in turn into the front end's
//! read loop), so the event comes back in registers rather than through a stack copy the
//! CPU stalls on. Together a fifth of the driver's echo path for 20-byte messages
//! (`cargo bench -p sockeye-benches --bench driver`, docs/performance.md).
//!
//! It only ever says yes to a frame the general path would deliver as the same event
//! from the input with no state left behind; anything else (a control frame, a fragment,
//! RSV bits, a 64-bit length, a limit passed, a broken rule) gets `None` and goes the
//! general way, which also produces the errors. The property tests
//! (`tests/properties.rs`) feed random frame sequences in random pieces, so both ways
//! meet the same expected events and close codes.

use sockeye_frame::{CloseCode, apply_mask};

use super::{Cleanup, Receiver, decode};
use crate::{Error, MessageKind, Role, Sender, State, Violation};

/// A whole message taken from the input: its kind and where its payload is, unmasked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Taken {
    pub(super) kind: MessageKind,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// The common case, when the connection is between frames with nothing to release or
/// finish first: a whole frame at the start of `input` ([`whole_frame`]), unmasked in
/// place; in streaming mode its text is checked here (§8.1), otherwise the caller checks
/// it as it makes the `str`. `None` for anything else, untouched.
///
/// # Errors
/// Streaming text that is not UTF-8: the connection has failed (1007).
#[inline(always)]
pub(super) fn take(
    rx: &Receiver,
    tx: &mut Sender,
    input: &mut [u8],
) -> Result<Option<Taken>, Error> {
    if tx.state == State::Closed
        || rx.cleanup != Cleanup::None
        || rx.hdr_len != 0
        || rx.in_frame
        || rx.msg.is_some()
        || decode::stalled(tx).is_some()
    {
        return Ok(None);
    }
    // A frame over either limit goes the general way, which fails it.
    let max = tx.config.max_frame_payload.min(tx.config.max_message_size);
    let Some(w) = whole_frame(input, tx.role, max) else {
        return Ok(None);
    };
    tx.activity = true;
    let start = w.header_len;
    let end = start + w.payload_len;
    let Some(payload) = input.get_mut(start..end) else {
        return Ok(None); // cannot happen: `whole_frame` saw it all
    };
    if let Some(key) = w.key {
        apply_mask(payload, key, 0);
    }
    if tx.config.streaming && w.kind == MessageKind::Text && !crate::utf8::is_utf8(payload) {
        // §8.1: "MUST _Fail the WebSocket Connection_".
        return Err(tx.fail(Violation::InvalidUtf8, CloseCode::INVALID_PAYLOAD));
    }
    Ok(Some(Taken {
        kind: w.kind,
        start,
        end,
    }))
}

/// Where the frame's parts are, relative to the start of the input given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Whole {
    kind: MessageKind,
    /// Header bytes (2, 4, 6 or 8).
    header_len: usize,
    payload_len: usize,
    key: Option<[u8; 4]>,
}

/// A frame with FIN set, no RSV bit, opcode text or binary, the mask bit the role needs
/// (§5.1), a 7- or minimal 16-bit length (§5.2) of at most `max` bytes, and all of it in
/// `input`.
#[inline]
fn whole_frame(input: &[u8], role: Role, max: u64) -> Option<Whole> {
    let [b0, b1, rest @ ..] = input else {
        return None;
    };
    let kind = match *b0 {
        0x81 => MessageKind::Text,
        0x82 => MessageKind::Binary,
        _ => return None,
    };
    let masked = b1 & 0x80 != 0;
    if masked != (role == Role::Server) {
        return None;
    }
    let (payload_len, rest, ext) = match b1 & 0x7F {
        126 => {
            let [hi, lo, rest @ ..] = rest else {
                return None;
            };
            let len = u16::from_be_bytes([*hi, *lo]);
            if len < 126 {
                return None; // not minimal: the general path fails it
            }
            (usize::from(len), rest, 2)
        }
        127 => return None,
        n => (usize::from(n), rest, 0),
    };
    if payload_len as u64 > max {
        return None;
    }
    let (key, rest, key_len) = if masked {
        let [k0, k1, k2, k3, rest @ ..] = rest else {
            return None;
        };
        (Some([*k0, *k1, *k2, *k3]), rest, 4)
    } else {
        (None, rest, 0)
    };
    if rest.len() < payload_len {
        return None;
    }
    Some(Whole {
        kind,
        header_len: 2 + ext + key_len,
        payload_len,
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_only_whole_final_data_frames_within_the_limit() {
        let text = [0x81, 0x85, 1, 2, 3, 4, b'h', b'e', b'l', b'l', b'o'];
        let w = whole_frame(&text, Role::Server, 100).unwrap();
        assert_eq!(
            w,
            Whole {
                kind: MessageKind::Text,
                header_len: 6,
                payload_len: 5,
                key: Some([1, 2, 3, 4]),
            }
        );
        assert_eq!(whole_frame(&text[..10], Role::Server, 100), None, "short");
        assert_eq!(
            whole_frame(&text, Role::Client, 100),
            None,
            "masked to a client"
        );
        assert_eq!(whole_frame(&text, Role::Server, 4), None, "over the limit");
        let mut other = text;
        for b0 in [0x01, 0x80, 0x89, 0x8A, 0x88, 0xC1, 0xA2, 0x91, 0x83] {
            other[0] = b0;
            assert_eq!(whole_frame(&other, Role::Server, 100), None, "{b0:#x}");
        }
        let unmasked = [0x82, 0x02, 7, 8];
        let w = whole_frame(&unmasked, Role::Client, 100).unwrap();
        assert_eq!(
            (w.kind, w.header_len, w.payload_len, w.key),
            (MessageKind::Binary, 2, 2, None)
        );
        assert_eq!(
            whole_frame(&unmasked, Role::Server, 100),
            None,
            "unmasked to a server"
        );
    }

    #[test]
    fn sixteen_bit_lengths_only_when_minimal() {
        let mut frame = vec![0x82, 0xFE, 0, 200, 9, 9, 9, 9];
        frame.resize(8 + 200, 0);
        let w = whole_frame(&frame, Role::Server, 1000).unwrap();
        assert_eq!((w.header_len, w.payload_len), (8, 200));
        assert_eq!(whole_frame(&frame[..207], Role::Server, 1000), None);
        frame[3] = 125; // 125 in 16 bits: not minimal
        assert_eq!(whole_frame(&frame, Role::Server, 1000), None);
        let long = [0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4];
        assert_eq!(
            whole_frame(&long, Role::Server, u64::MAX),
            None,
            "64-bit lengths go the general way"
        );
    }
}

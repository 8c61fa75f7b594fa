//! Whole control frames: ping, pong and close (RFC 6455 §5.5).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use core::ops::Deref;

use crate::header::MAX_CONTROL_PAYLOAD_LEN;
use crate::{CloseCode, Error, FrameHeader, OpCode, Rsv, apply_mask};

/// The longest control frame: a 2-byte header, a 4-byte masking key and 125 payload bytes.
pub const MAX_CONTROL_FRAME_LEN: usize = 2 + 4 + MAX_CONTROL_PAYLOAD_LEN;

/// The longest close reason: 125 bytes less the 2-byte status code.
pub const MAX_CLOSE_REASON_LEN: usize = MAX_CONTROL_PAYLOAD_LEN - 2;

/// A complete, encoded control frame (header and masked payload), held inline without
/// allocation, read through `Deref<Target = [u8]>`.
///
/// ```
/// use sockeye_frame::{CloseCode, ControlFrame};
/// // RFC 6455 §5.7: an unmasked ping with body "Hello".
/// let ping = ControlFrame::ping(b"Hello", None)?;
/// assert_eq!(&ping[..], b"\x89\x05Hello");
/// let close = ControlFrame::close(CloseCode::NORMAL, "bye", Some([1, 2, 3, 4]))?;
/// assert_eq!(close.len(), 2 + 4 + 2 + 3);
/// # Ok::<(), sockeye_frame::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ControlFrame {
    buf: [u8; MAX_CONTROL_FRAME_LEN],
    len: u8,
}

impl ControlFrame {
    /// A ping with `payload` (at most 125 bytes, else [`Error::ControlPayloadTooLong`]),
    /// masked with `mask` if given (clients must mask, §5.3).
    pub fn ping(payload: &[u8], mask: Option<[u8; 4]>) -> Result<Self, Error> {
        Self::build(OpCode::Ping, &[payload], mask)
    }

    /// A pong with `payload` (at most 125 bytes); §5.5.3: a pong answering a ping carries
    /// that ping's "Application data".
    pub fn pong(payload: &[u8], mask: Option<[u8; 4]>) -> Result<Self, Error> {
        Self::build(OpCode::Pong, &[payload], mask)
    }

    /// A close frame with `code` and `reason` (§5.5.1).
    ///
    /// `code` must be one that may be sent ([`CloseCode::is_valid_on_wire`], else
    /// [`Error::CloseCodeNotSendable`]). `reason` is cut to at most
    /// [`MAX_CLOSE_REASON_LEN`] bytes at a character boundary so that the frame stays a
    /// valid control frame with a valid UTF-8 reason; [`truncate_reason`] tells what is
    /// kept.
    pub fn close(code: CloseCode, reason: &str, mask: Option<[u8; 4]>) -> Result<Self, Error> {
        if !code.is_valid_on_wire() {
            return Err(Error::CloseCodeNotSendable(code.as_u16()));
        }
        let reason = truncate_reason(reason);
        Self::build(
            OpCode::Close,
            &[&code.as_u16().to_be_bytes(), reason.as_bytes()],
            mask,
        )
    }

    /// A close frame with no body (the peer sees status 1005, "no status received").
    pub fn close_empty(mask: Option<[u8; 4]>) -> Self {
        let mut frame = Self {
            buf: [0; MAX_CONTROL_FRAME_LEN],
            len: 0,
        };
        // An empty close always fits: a 2- or 6-byte header.
        let header = FrameHeader::from_checked(true, Rsv::NONE, OpCode::Close, mask, 0).encode();
        frame.push(&header);
        frame
    }

    fn build(opcode: OpCode, parts: &[&[u8]], mask: Option<[u8; 4]>) -> Result<Self, Error> {
        let payload_len: usize = parts.iter().map(|p| p.len()).sum();
        let header = FrameHeader::new(true, Rsv::NONE, opcode, mask, payload_len as u64)?;
        let mut frame = Self {
            buf: [0; MAX_CONTROL_FRAME_LEN],
            len: 0,
        };
        frame.push(&header.encode());
        let start = usize::from(frame.len);
        for part in parts {
            frame.push(part);
        }
        if let (Some(key), Some(payload)) = (mask, frame.buf.get_mut(start..usize::from(frame.len)))
        {
            apply_mask(payload, key, 0);
        }
        Ok(frame)
    }

    /// Appends bytes; callers have checked that the frame stays within its buffer.
    fn push(&mut self, bytes: &[u8]) {
        let at = usize::from(self.len);
        if let Some(dst) = self.buf.get_mut(at..at + bytes.len()) {
            dst.copy_from_slice(bytes);
            self.len += bytes.len() as u8;
        }
    }

    /// The encoded frame.
    pub fn as_slice(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or(&self.buf)
    }
}

impl Deref for ControlFrame {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for ControlFrame {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl core::fmt::Debug for ControlFrame {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ControlFrame({:02x?})", self.as_slice())
    }
}

/// The longest prefix of `reason` that fits a close frame ([`MAX_CLOSE_REASON_LEN`] bytes)
/// and ends at a character boundary.
pub fn truncate_reason(reason: &str) -> &str {
    if reason.len() <= MAX_CLOSE_REASON_LEN {
        return reason;
    }
    let mut end = MAX_CLOSE_REASON_LEN;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason.get(..end).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ParseConfig, Status, parse_close_payload, parse_header};

    #[test]
    fn control_payload_limit() {
        assert!(ControlFrame::ping(&[0; 125], None).is_ok());
        assert_eq!(
            ControlFrame::ping(&[0; 126], None),
            Err(Error::ControlPayloadTooLong)
        );
        assert_eq!(
            ControlFrame::pong(&[0; 126], Some([1; 4])),
            Err(Error::ControlPayloadTooLong)
        );
    }

    #[test]
    fn close_reason_is_cut_at_a_char_boundary() {
        // 62 two-byte characters = 124 bytes; only 61 (122 bytes) fit in 123.
        let reason = "é".repeat(62);
        let frame =
            ControlFrame::close(CloseCode::GOING_AWAY, &reason, Some([9, 8, 7, 6])).unwrap();
        let Status::Complete(h) = parse_header(&frame, &ParseConfig::new()).unwrap() else {
            panic!("incomplete")
        };
        assert_eq!(h.payload_len(), 2 + 122);
        let mut payload = frame[h.len()..].to_vec();
        apply_mask(&mut payload, h.mask().unwrap(), 0);
        let body = parse_close_payload(&payload).unwrap().unwrap();
        assert_eq!(body.code, CloseCode::GOING_AWAY);
        assert_eq!(body.reason, "é".repeat(61));
    }

    #[test]
    fn unsendable_codes_are_local_misuse() {
        for code in [1004, 1005, 1006, 1015, 999, 5000] {
            let err = ControlFrame::close(CloseCode::new(code), "", None).unwrap_err();
            assert_eq!(err, Error::CloseCodeNotSendable(code));
            assert!(err.is_local_misuse());
        }
        assert_eq!(&ControlFrame::close_empty(None)[..], &[0x88, 0x00]);
    }
}

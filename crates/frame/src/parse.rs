//! The header parser (RFC 6455 §5.2), built on nom's streaming parsers.
//!
//! It looks at no more than the 14 header bytes, so its work is constant whatever the
//! payload length, and it never allocates. A short buffer is [`Status::Incomplete`] with
//! the exact number of bytes still missing from the header; every violation it can see in
//! the bytes present is reported at once (fail fast), even before the header is complete:
//! a reserved opcode or RSV bit in the first byte is an error with one byte received.
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

use core::num::NonZeroUsize;

use nom::IResult;
use nom::number::streaming::{be_u8, be_u16, be_u64};

use crate::header::MAX_CONTROL_PAYLOAD_LEN;
use crate::{Error, FrameHeader, OpCode, Rsv};

/// The default for [`ParseConfig::max_payload_len`]: 16 MiB.
pub const DEFAULT_MAX_PAYLOAD_LEN: u64 = 16 << 20;

/// What the caller allows in a header beyond the fixed rules of RFC 6455.
///
/// ```
/// use sockeye_frame::{ParseConfig, Rsv};
/// // permessage-deflate negotiated (RFC 7692 §6: RSV1), frames up to 1 MiB.
/// let config = ParseConfig::new().allowed_rsv(Rsv::RSV1).max_payload_len(1 << 20);
/// assert_eq!(config.get_max_payload_len(), 1 << 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParseConfig {
    allowed_rsv: Rsv,
    max_payload_len: u64,
}

impl ParseConfig {
    /// No RSV bit allowed, payloads up to [`DEFAULT_MAX_PAYLOAD_LEN`].
    pub const fn new() -> Self {
        Self {
            allowed_rsv: Rsv::NONE,
            max_payload_len: DEFAULT_MAX_PAYLOAD_LEN,
        }
    }

    /// The RSV bits the negotiated extensions give a meaning to; any other set bit is
    /// [`Error::ReservedBitsSet`] (§5.2).
    #[must_use]
    pub const fn allowed_rsv(mut self, rsv: Rsv) -> Self {
        self.allowed_rsv = rsv;
        self
    }

    /// The largest payload length accepted; a longer one is [`Error::PayloadTooLarge`].
    #[must_use]
    pub const fn max_payload_len(mut self, max: u64) -> Self {
        self.max_payload_len = max;
        self
    }

    /// The allowed RSV bits.
    pub const fn get_allowed_rsv(&self) -> Rsv {
        self.allowed_rsv
    }

    /// The largest payload length accepted.
    pub const fn get_max_payload_len(&self) -> u64 {
        self.max_payload_len
    }
}

impl Default for ParseConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// The outcome of parsing bytes that may not yet hold a whole header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status<T> {
    /// A whole, valid header; for a [`FrameHeader`], [`FrameHeader::len`] bytes were used.
    Complete(T),
    /// The header is not complete yet: at least this many more bytes are needed. Once the
    /// first two bytes are present the number is exact.
    Incomplete(NonZeroUsize),
}

impl<T> Status<T> {
    /// The complete value, if any.
    pub fn complete(self) -> Option<T> {
        match self {
            Self::Complete(t) => Some(t),
            Self::Incomplete(_) => None,
        }
    }
}

/// Parses and validates the frame header at the start of `buf`.
///
/// Returns the header (the payload starts at `buf[header.len()..]`), or how many more
/// bytes the header needs, or the first rule the bytes present break. Never panics, never
/// allocates, and reads at most [`MAX_HEADER_LEN`](crate::MAX_HEADER_LEN) bytes whatever
/// `buf` holds.
///
/// Checked here: reserved opcodes and RSV bits (§5.2), fragmented or oversized control
/// frames (§5.5), the 64-bit length's most significant bit and the minimal length encoding
/// (§5.2; always enforced, so [`FrameHeader::len`] is exactly the number of header bytes
/// on the wire), and `config`'s payload limit. Not checked here, because they need connection
/// state: the mask bit against the role (§5.1) and the order of data frames (§5.4).
///
/// ```
/// use sockeye_frame::{parse_header, OpCode, ParseConfig, Status};
/// // RFC 6455 §5.7: a single-frame masked text message "Hello".
/// let frame = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
/// let Status::Complete(h) = parse_header(&frame, &ParseConfig::new())? else { panic!() };
/// assert_eq!((h.opcode(), h.fin(), h.payload_len(), h.len()), (OpCode::Text, true, 5, 6));
/// assert_eq!(h.mask(), Some([0x37, 0xfa, 0x21, 0x3d]));
/// # Ok::<(), sockeye_frame::Error>(())
/// ```
#[inline]
pub fn parse_header(buf: &[u8], config: &ParseConfig) -> Result<Status<FrameHeader>, Error> {
    match header(buf, config) {
        Ok((_, h)) => Ok(Status::Complete(h)),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e.into_frame_error()),
        Err(nom::Err::Incomplete(_)) => Ok(Status::Incomplete(missing(buf))),
    }
}

/// How many bytes the header in `buf` still lacks (called only when it is incomplete).
fn missing(buf: &[u8]) -> NonZeroUsize {
    let want: usize = match buf {
        [_, b1, ..] => {
            let ext = match b1 & 0x7F {
                126 => 2,
                127 => 8,
                _ => 0,
            };
            2 + ext + if b1 & 0x80 != 0 { 4 } else { 0 }
        }
        _ => 2,
    };
    NonZeroUsize::new(want.saturating_sub(buf.len())).unwrap_or(NonZeroUsize::MIN)
}

/// nom's error type for this parser: either a frame rule broken or (never in practice for
/// these streaming parsers) nom's own complaint, which maps to a protocol error.
#[derive(Debug)]
enum PErr {
    Frame(Error),
    Nom,
}

impl PErr {
    fn into_frame_error(self) -> Error {
        match self {
            Self::Frame(e) => e,
            // The streaming number parsers only ever fail with Incomplete; keep a total
            // mapping anyway rather than a panic.
            Self::Nom => Error::ReservedOpCode(0xFF),
        }
    }
}

impl<I> nom::error::ParseError<I> for PErr {
    fn from_error_kind(_: I, _: nom::error::ErrorKind) -> Self {
        Self::Nom
    }
    fn append(_: I, _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

#[inline]
fn fail<T>(e: Error) -> IResult<&'static [u8], T, PErr> {
    Err(nom::Err::Failure(PErr::Frame(e)))
}

#[inline]
fn header<'a>(input: &'a [u8], config: &ParseConfig) -> IResult<&'a [u8], FrameHeader, PErr> {
    // Byte 0: FIN, RSV1-3, opcode. Validated before byte 1 is looked at.
    let (input, b0) = be_u8(input)?;
    let fin = b0 & 0x80 != 0;
    let rsv = Rsv::from_first_byte(b0);
    let Some(opcode) = OpCode::from_u8(b0 & 0x0F) else {
        // §5.2: "If an unknown opcode is received, the receiving endpoint MUST _Fail the
        // WebSocket Connection_."
        return fail(Error::ReservedOpCode(b0 & 0x0F));
    };
    let disallowed = rsv.difference(config.allowed_rsv);
    if !disallowed.is_empty() {
        // §5.2: RSV1-3 "MUST be 0 unless an extension is negotiated that defines meanings
        // for non-zero values. If a nonzero value is received and none of the negotiated
        // extensions defines the meaning of such a nonzero value, the receiving endpoint
        // MUST _Fail the WebSocket Connection_."
        return fail(Error::ReservedBitsSet(disallowed));
    }
    if opcode.is_control() && !fin {
        // §5.5: "All control frames MUST have a payload length of 125 bytes or less and
        // MUST NOT be fragmented."
        return fail(Error::FragmentedControlFrame);
    }

    // Byte 1: MASK, 7-bit payload length.
    let (input, b1) = be_u8(input)?;
    let masked = b1 & 0x80 != 0;
    let len7 = b1 & 0x7F;
    if opcode.is_control() && usize::from(len7) > MAX_CONTROL_PAYLOAD_LEN {
        // §5.5: a control frame's length always fits the 7-bit field (126 and 127 announce
        // an extended length, which is over 125 by construction).
        return fail(Error::ControlPayloadTooLong);
    }

    // §5.2: "Payload length: 7 bits, 7+16 bits, or 7+64 bits ... in all cases, the minimal
    // number of bytes MUST be used to encode the length."
    let (input, payload_len) = match len7 {
        126 => {
            let (input, len) = be_u16(input)?;
            if len < 126 {
                return fail(Error::NonMinimalLength);
            }
            (input, u64::from(len))
        }
        127 => {
            // Fail fast on the most significant bit as soon as its byte is here.
            if let Some(first) = input.first()
                && first & 0x80 != 0
            {
                // §5.2: "the most significant bit MUST be 0".
                return fail(Error::LengthMsbSet);
            }
            let (input, len) = be_u64(input)?;
            if len <= 0xFFFF {
                return fail(Error::NonMinimalLength);
            }
            (input, len)
        }
        n => (input, u64::from(n)),
    };
    if payload_len > config.max_payload_len {
        // Rejected from the announced length alone: nothing has been read or reserved.
        return fail(Error::PayloadTooLarge {
            len: payload_len,
            max: config.max_payload_len,
        });
    }

    // §5.2: "Masking-key: 0 or 4 bytes".
    let (input, mask) = if masked {
        let (input, key) = be_u32_bytes(input)?;
        (input, Some(key))
    } else {
        (input, None)
    };
    Ok((
        input,
        FrameHeader::from_checked(fin, rsv, opcode, mask, payload_len),
    ))
}

/// Four bytes as an array, via nom's streaming take.
#[inline]
fn be_u32_bytes(input: &[u8]) -> IResult<&[u8], [u8; 4], PErr> {
    let (input, key) = nom::number::streaming::be_u32(input)?;
    Ok((input, key.to_be_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::MAX_PAYLOAD_LEN;

    fn parse(buf: &[u8]) -> Result<Status<FrameHeader>, Error> {
        parse_header(buf, &ParseConfig::new())
    }

    fn need(n: usize) -> Result<Status<FrameHeader>, Error> {
        Ok(Status::Incomplete(NonZeroUsize::new(n).unwrap()))
    }

    #[test]
    fn short_buffers_report_exact_need() {
        assert_eq!(parse(&[]), need(2));
        assert_eq!(parse(&[0x82]), need(1));
        assert_eq!(parse(&[0x82, 0xFE]), need(6));
        assert_eq!(parse(&[0x82, 0xFE, 0x01]), need(5));
        assert_eq!(parse(&[0x82, 0x7F, 0x00]), need(7));
        assert_eq!(parse(&[0x82, 0x85, 0, 0, 0]), need(1));
    }

    #[test]
    fn first_byte_fails_fast() {
        assert_eq!(parse(&[0x83]), Err(Error::ReservedOpCode(3)));
        assert_eq!(parse(&[0x8B]), Err(Error::ReservedOpCode(0xB)));
        assert_eq!(parse(&[0xC1]), Err(Error::ReservedBitsSet(Rsv::RSV1)));
        assert_eq!(parse(&[0x09]), Err(Error::FragmentedControlFrame));
        let deflate = ParseConfig::new().allowed_rsv(Rsv::RSV1);
        assert!(matches!(
            parse_header(&[0xC1, 0x00], &deflate),
            Ok(Status::Complete(_))
        ));
        assert_eq!(
            parse_header(&[0xE1], &deflate),
            Err(Error::ReservedBitsSet(Rsv::RSV2))
        );
    }

    #[test]
    fn length_rules() {
        assert_eq!(parse(&[0x89, 0x7E]), Err(Error::ControlPayloadTooLong));
        assert_eq!(
            parse(&[0x82, 0x7E, 0x00, 0x05]),
            Err(Error::NonMinimalLength)
        );
        assert_eq!(parse(&[0x82, 0x7F, 0x80]), Err(Error::LengthMsbSet));
        assert_eq!(
            parse(&[0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]),
            Err(Error::NonMinimalLength)
        );
        let huge = [0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        assert_eq!(
            parse(&huge),
            Err(Error::PayloadTooLarge {
                len: MAX_PAYLOAD_LEN,
                max: DEFAULT_MAX_PAYLOAD_LEN
            })
        );
        assert_eq!(parse(&huge).unwrap_err().close_code().as_u16(), 1009);
    }
}

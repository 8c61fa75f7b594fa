//! The one error type of this crate.

use core::fmt;

use crate::{CloseCode, Rsv};

/// What is wrong with a frame header, a close payload, or a frame the caller asked to encode.
///
/// Variants fall in two groups. **Peer violations** are found by [`parse_header`] and
/// [`parse_close_payload`] in bytes that came off the wire; [`Error::close_code`] names the
/// code RFC 6455 prescribes for failing the connection. **Local misuse** is found when the
/// caller builds a header or control frame that may not be sent
/// ([`Error::is_local_misuse`]).
///
/// The type is `Copy` and small: no variant carries a string or allocates.
///
/// [`parse_header`]: crate::parse_header
/// [`parse_close_payload`]: crate::parse_close_payload
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The opcode is one of the reserved values `0x3`–`0x7` or `0xB`–`0xF` (§5.2: "If an
    /// unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket
    /// Connection_"). Close code 1002.
    ReservedOpCode(u8),
    /// RSV bits are set that no negotiated extension allows (§5.2). Carries the offending
    /// bits (those set but not allowed). Close code 1002.
    ReservedBitsSet(Rsv),
    /// A control frame has FIN clear (§5.5: "All control frames ... MUST NOT be
    /// fragmented"). Close code 1002.
    FragmentedControlFrame,
    /// A control frame announces a payload over 125 bytes (§5.5: "All control frames MUST
    /// have a payload length of 125 bytes or less"). Close code 1002.
    ControlPayloadTooLong,
    /// A 64-bit payload length has its most significant bit set (§5.2: "the most
    /// significant bit MUST be 0"). Close code 1002.
    LengthMsbSet,
    /// The payload length is not in its minimal encoding (§5.2: "the minimal number of
    /// bytes MUST be used to encode the length"), e.g. 5 sent in the 16-bit form.
    /// Close code 1002.
    NonMinimalLength,
    /// The announced payload length exceeds the caller's maximum. Rejected from the header
    /// alone, before any payload byte is read or any memory is reserved. Close code 1009.
    PayloadTooLarge {
        /// The announced payload length.
        len: u64,
        /// The maximum the caller configured.
        max: u64,
    },
    /// A close frame carries a 1-byte payload (§5.5.1: a body, if present, starts with a
    /// 2-byte status code). Close code 1002.
    CloseFrameTooShort,
    /// A close frame carries a status code that may not appear on the wire (§7.4).
    /// Close code 1002.
    InvalidCloseCode(u16),
    /// A close frame's reason is not valid UTF-8 (§5.5.1: "the data ... MUST be UTF-8
    /// encoded"; §8.1). Close code 1007.
    InvalidCloseReason,
    /// Local misuse: the caller asked to send a close code that may not be sent (1004, 1005,
    /// 1006, 1015, or outside the ranges of §7.4).
    CloseCodeNotSendable(u16),
    /// Local misuse: a payload length of 2^63 or more cannot be encoded (§5.2).
    PayloadLengthUnencodable(u64),
}

impl Error {
    /// The close code RFC 6455 prescribes when this error is found in bytes from the peer:
    /// 1009 for [`Error::PayloadTooLarge`], 1007 for [`Error::InvalidCloseReason`], 1002
    /// for the other peer violations. For local misuse (which never comes from the peer)
    /// this is 1011 (internal error).
    pub const fn close_code(&self) -> CloseCode {
        match self {
            Self::PayloadTooLarge { .. } => CloseCode::MESSAGE_TOO_BIG,
            Self::InvalidCloseReason => CloseCode::INVALID_PAYLOAD,
            Self::CloseCodeNotSendable(_) | Self::PayloadLengthUnencodable(_) => {
                CloseCode::INTERNAL_ERROR
            }
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }

    /// Whether this error describes the caller's own mistake rather than the peer's.
    pub const fn is_local_misuse(&self) -> bool {
        matches!(
            self,
            Self::CloseCodeNotSendable(_) | Self::PayloadLengthUnencodable(_)
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReservedOpCode(op) => write!(f, "reserved opcode {op:#x}"),
            Self::ReservedBitsSet(rsv) => {
                write!(f, "reserved bits set without an extension: {rsv:?}")
            }
            Self::FragmentedControlFrame => f.write_str("control frame with FIN clear"),
            Self::ControlPayloadTooLong => f.write_str("control frame payload over 125 bytes"),
            Self::LengthMsbSet => {
                f.write_str("64-bit payload length with the most significant bit set")
            }
            Self::NonMinimalLength => f.write_str("payload length not minimally encoded"),
            Self::PayloadTooLarge { len, max } => {
                write!(f, "payload length {len} exceeds the maximum {max}")
            }
            Self::CloseFrameTooShort => f.write_str("close frame with a 1-byte payload"),
            Self::InvalidCloseCode(code) => write!(f, "invalid close code {code}"),
            Self::InvalidCloseReason => f.write_str("close reason is not valid UTF-8"),
            Self::CloseCodeNotSendable(code) => write!(f, "close code {code} may not be sent"),
            Self::PayloadLengthUnencodable(len) => {
                write!(f, "payload length {len} is 2^63 or more")
            }
        }
    }
}

impl core::error::Error for Error {}

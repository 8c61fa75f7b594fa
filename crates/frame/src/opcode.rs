//! Frame opcodes (RFC 6455 §5.2, §11.8).

use crate::Error;

/// A frame opcode that RFC 6455 defines.
///
/// The reserved opcodes `0x3`–`0x7` (non-control) and `0xB`–`0xF` (control) have no variant:
/// [`OpCode::from_u8`] returns `None` for them and the parser reports
/// [`Error::ReservedOpCode`]. A value of this type is therefore always a defined opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OpCode {
    /// `0x0`: a continuation of a fragmented message.
    Continuation = 0x0,
    /// `0x1`: the first (or only) frame of a text message.
    Text = 0x1,
    /// `0x2`: the first (or only) frame of a binary message.
    Binary = 0x2,
    /// `0x8`: connection close.
    Close = 0x8,
    /// `0x9`: ping.
    Ping = 0x9,
    /// `0xA`: pong.
    Pong = 0xA,
}

impl OpCode {
    /// The opcode for the low four bits of `nibble`, or `None` for a reserved value.
    ///
    /// Bits above the low nibble must be clear; any other input is `None`.
    #[inline]
    pub const fn from_u8(nibble: u8) -> Option<Self> {
        match nibble {
            0x0 => Some(Self::Continuation),
            0x1 => Some(Self::Text),
            0x2 => Some(Self::Binary),
            0x8 => Some(Self::Close),
            0x9 => Some(Self::Ping),
            0xA => Some(Self::Pong),
            _ => None,
        }
    }

    /// The wire value (0x0–0xF).
    #[inline]
    pub const fn as_u8(self) -> u8 {
        self as u8
    }

    /// Whether this is a control opcode (RFC 6455 §5.5: the most significant opcode bit set).
    #[inline]
    pub const fn is_control(self) -> bool {
        (self as u8) & 0x8 != 0
    }

    /// Whether this is a data opcode (continuation, text or binary; §5.6).
    #[inline]
    pub const fn is_data(self) -> bool {
        !self.is_control()
    }
}

impl TryFrom<u8> for OpCode {
    type Error = Error;

    fn try_from(value: u8) -> Result<Self, Error> {
        Self::from_u8(value).ok_or(Error::ReservedOpCode(value))
    }
}

impl From<OpCode> for u8 {
    fn from(op: OpCode) -> u8 {
        op.as_u8()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nibble_is_defined_or_reserved() {
        for n in 0u8..=0xFF {
            match OpCode::from_u8(n) {
                Some(op) => {
                    assert_eq!(op.as_u8(), n);
                    assert_eq!(op.is_control(), n >= 0x8);
                }
                None => assert!(n > 0xF || (0x3..=0x7).contains(&n) || n >= 0xB),
            }
        }
    }
}

//! The three reserved bits of the first header byte (RFC 6455 §5.2).

use core::fmt;
use core::ops::{BitAnd, BitOr};

/// A set of the RSV1, RSV2 and RSV3 bits.
///
/// RFC 6455 §5.2: "MUST be 0 unless an extension is negotiated that defines meanings for
/// non-zero values." The parser takes the set of bits the negotiated extensions allow
/// (e.g. [`Rsv::RSV1`] for permessage-deflate, RFC 7692 §6) and rejects any other.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rsv(u8);

impl Rsv {
    /// No bit set: what every frame carries when no extension is negotiated.
    pub const NONE: Self = Self(0);
    /// RSV1 (`0x40` of the first header byte); permessage-deflate's "compressed" bit.
    pub const RSV1: Self = Self(0b100);
    /// RSV2 (`0x20` of the first header byte).
    pub const RSV2: Self = Self(0b010);
    /// RSV3 (`0x10` of the first header byte).
    pub const RSV3: Self = Self(0b001);
    /// All three bits.
    pub const ALL: Self = Self(0b111);

    /// The set for `bits` (RSV1 = `0b100`, RSV2 = `0b010`, RSV3 = `0b001`), or `None` when a
    /// bit above these three is set.
    #[inline]
    pub const fn from_bits(bits: u8) -> Option<Self> {
        if bits <= 0b111 {
            Some(Self(bits))
        } else {
            None
        }
    }

    /// The set as bits (RSV1 = `0b100`, RSV2 = `0b010`, RSV3 = `0b001`).
    #[inline]
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// The bits as they stand in the first header byte (`0x70` mask).
    #[inline]
    pub(crate) const fn from_first_byte(b0: u8) -> Self {
        Self((b0 >> 4) & 0b111)
    }

    /// The bits as they stand in the first header byte.
    #[inline]
    pub(crate) const fn to_first_byte(self) -> u8 {
        self.0 << 4
    }

    /// Whether no bit is set.
    #[inline]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every bit of `other` is set in `self`.
    #[inline]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The bits set in either.
    #[inline]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The bits set in both.
    #[inline]
    pub const fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// The bits of `self` that are not in `other`.
    #[inline]
    pub const fn difference(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }
}

impl BitOr for Rsv {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        self.union(rhs)
    }
}

impl BitAnd for Rsv {
    type Output = Self;
    fn bitand(self, rhs: Self) -> Self {
        self.intersection(rhs)
    }
}

impl fmt::Debug for Rsv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Rsv(")?;
        let mut first = true;
        for (bit, name) in [
            (Self::RSV1, "RSV1"),
            (Self::RSV2, "RSV2"),
            (Self::RSV3, "RSV3"),
        ] {
            if self.contains(bit) {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("NONE")?;
        }
        f.write_str(")")
    }
}

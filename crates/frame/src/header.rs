//! The validated frame header and its encoder (RFC 6455 §5.2).

use core::ops::Deref;

use crate::{Error, OpCode, Rsv};

/// The longest header: 2 bytes, an 8-byte extended length and a 4-byte masking key.
pub const MAX_HEADER_LEN: usize = 14;

/// The longest control frame payload (§5.5).
pub const MAX_CONTROL_PAYLOAD_LEN: usize = 125;

/// Payload lengths are 63-bit (§5.2).
pub const MAX_PAYLOAD_LEN: u64 = (1 << 63) - 1;

/// A frame header that satisfies every rule the frame layer can check on its own:
///
/// - the opcode is a defined one (the type cannot hold a reserved opcode);
/// - a control frame has FIN set and a payload of at most 125 bytes (§5.5);
/// - the payload length is below 2^63 (§5.2).
///
/// Headers come from [`parse_header`](crate::parse_header), which also checks the RSV bits
/// and the caller's size limit, or from [`FrameHeader::new`]. Fields are private so these
/// invariants hold for every value; the accessors and [`FrameHeader::encode`] cannot fail
/// or panic.
///
/// Whether the mask bit fits the sender's role (§5.1: clients mask, servers do not) is
/// reported by [`FrameHeader::mask`] for the connection layer to enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    fin: bool,
    rsv: Rsv,
    opcode: OpCode,
    mask: Option<[u8; 4]>,
    payload_len: u64,
}

impl FrameHeader {
    /// A header, checked against the rules listed on [`FrameHeader`].
    ///
    /// # Errors
    /// [`Error::FragmentedControlFrame`] or [`Error::ControlPayloadTooLong`] for a control
    /// opcode with FIN clear or a payload over 125 bytes;
    /// [`Error::PayloadLengthUnencodable`] for a length of 2^63 or more.
    pub const fn new(
        fin: bool,
        rsv: Rsv,
        opcode: OpCode,
        mask: Option<[u8; 4]>,
        payload_len: u64,
    ) -> Result<Self, Error> {
        if payload_len > MAX_PAYLOAD_LEN {
            return Err(Error::PayloadLengthUnencodable(payload_len));
        }
        if opcode.is_control() {
            if !fin {
                return Err(Error::FragmentedControlFrame);
            }
            if payload_len > MAX_CONTROL_PAYLOAD_LEN as u64 {
                return Err(Error::ControlPayloadTooLong);
            }
        }
        Ok(Self {
            fin,
            rsv,
            opcode,
            mask,
            payload_len,
        })
    }

    /// A header whose invariants the caller (the parser) has already checked.
    #[inline]
    pub(crate) const fn from_checked(
        fin: bool,
        rsv: Rsv,
        opcode: OpCode,
        mask: Option<[u8; 4]>,
        payload_len: u64,
    ) -> Self {
        Self {
            fin,
            rsv,
            opcode,
            mask,
            payload_len,
        }
    }

    /// The same header with a different masking key (or none).
    #[inline]
    #[must_use]
    pub const fn with_mask(mut self, mask: Option<[u8; 4]>) -> Self {
        self.mask = mask;
        self
    }

    /// FIN: this is the final fragment of its message.
    #[inline]
    pub const fn fin(&self) -> bool {
        self.fin
    }

    /// The RSV bits.
    #[inline]
    pub const fn rsv(&self) -> Rsv {
        self.rsv
    }

    /// The opcode.
    #[inline]
    pub const fn opcode(&self) -> OpCode {
        self.opcode
    }

    /// The masking key, if the mask bit is set.
    #[inline]
    pub const fn mask(&self) -> Option<[u8; 4]> {
        self.mask
    }

    /// Whether the mask bit is set.
    #[inline]
    pub const fn is_masked(&self) -> bool {
        self.mask.is_some()
    }

    /// The payload length in bytes (below 2^63).
    #[inline]
    pub const fn payload_len(&self) -> u64 {
        self.payload_len
    }

    /// The number of bytes this header occupies on the wire (2 to 14), with the length in
    /// its minimal encoding.
    #[inline]
    #[allow(clippy::len_without_is_empty)]
    pub const fn len(&self) -> usize {
        let ext = if self.payload_len < 126 {
            0
        } else if self.payload_len <= 0xFFFF {
            2
        } else {
            8
        };
        let mask = if self.mask.is_some() { 4 } else { 0 };
        2 + ext + mask
    }

    /// Header plus payload length, or `None` if that does not fit in a `u64`.
    #[inline]
    pub const fn frame_len(&self) -> Option<u64> {
        self.payload_len.checked_add(self.len() as u64)
    }

    /// Encodes the header with the minimal length encoding (§5.2).
    ///
    /// The payload itself is the caller's to append (masked with
    /// [`apply_mask`](crate::apply_mask) when [`FrameHeader::mask`] is set).
    #[inline]
    pub fn encode(&self) -> HeaderBytes {
        let mut buf = [0u8; MAX_HEADER_LEN];
        let b0 = (if self.fin { 0x80 } else { 0 }) | self.rsv.to_first_byte() | self.opcode.as_u8();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let len = self.payload_len;
        let mut at = 2;
        // §5.2: 0-125 in the 7-bit field, 126 + 16-bit length, 127 + 64-bit length.
        let (b1, ext): (u8, &[u8]) = if len < 126 {
            (len as u8, &[])
        } else if len <= 0xFFFF {
            (126, &(len as u16).to_be_bytes())
        } else {
            (127, &len.to_be_bytes())
        };
        buf[0] = b0;
        buf[1] = mask_bit | b1;
        buf[at..at + ext.len()].copy_from_slice(ext);
        at += ext.len();
        if let Some(key) = self.mask {
            buf[at..at + 4].copy_from_slice(&key);
            at += 4;
        }
        HeaderBytes { buf, len: at as u8 }
    }
}

/// An encoded header: up to [`MAX_HEADER_LEN`] bytes, read through `Deref<Target = [u8]>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeaderBytes {
    buf: [u8; MAX_HEADER_LEN],
    len: u8,
}

impl HeaderBytes {
    /// The encoded bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or(&self.buf)
    }

    /// The encoded bytes (what [`as_slice`](Self::as_slice) gives)
    /// followed by zeroes up to [`MAX_HEADER_LEN`]: for a writer that copies a fixed size
    /// and cuts back, which compiles to a few stores instead of a `memcpy` call of a
    /// variable size (a measurable part of framing a small message).
    ///
    /// ```
    /// # use sockeye_frame::{FrameHeader, OpCode, Rsv, MAX_HEADER_LEN};
    /// let h = FrameHeader::new(true, Rsv::NONE, OpCode::Text, None, 5)?.encode();
    /// let mut out = b"x".to_vec();
    /// out.extend_from_slice(h.padded());
    /// out.truncate(1 + h.len());
    /// assert_eq!(out, [b'x', 0x81, 5]);
    /// assert_eq!(h.padded().len(), MAX_HEADER_LEN);
    /// # Ok::<(), sockeye_frame::Error>(())
    /// ```
    #[inline]
    pub fn padded(&self) -> &[u8; MAX_HEADER_LEN] {
        &self.buf
    }
}

impl Deref for HeaderBytes {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for HeaderBytes {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl core::fmt::Debug for HeaderBytes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "HeaderBytes({:02x?})", self.as_slice())
    }
}

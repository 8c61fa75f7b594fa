//! Payloads, described rather than stored when they are large: the suite builds its big
//! payloads by repeating a short unit (`sendFrame(payload=UNIT, payload_len=N)`:
//! `UNIT * (N // len(UNIT)) + UNIT[:N % len(UNIT)]`), and so does [`Payload::Repeat`].

use std::sync::Arc;

/// A payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// These bytes.
    Bytes(Arc<[u8]>),
    /// `unit` repeated to exactly `len` bytes (the last repetition cut short).
    Repeat {
        /// What is repeated (not empty).
        unit: Arc<[u8]>,
        /// Length in bytes.
        len: usize,
    },
}

impl Payload {
    /// The empty payload.
    pub fn empty() -> Self {
        Self::Bytes(Arc::from(&[][..]))
    }

    /// These bytes.
    pub fn bytes(b: impl AsRef<[u8]>) -> Self {
        Self::Bytes(Arc::from(b.as_ref()))
    }

    /// `unit` repeated to `len` bytes; an empty `unit` gives the empty payload.
    pub fn repeat(unit: impl AsRef<[u8]>, len: usize) -> Self {
        let unit = unit.as_ref();
        if unit.is_empty() || len == 0 {
            return Self::empty();
        }
        Self::Repeat {
            unit: Arc::from(unit),
            len,
        }
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        match self {
            Self::Bytes(b) => b.len(),
            Self::Repeat { len, .. } => *len,
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Self::Bytes(b) => b.to_vec(),
            Self::Repeat { unit, len } => unit.iter().copied().cycle().take(*len).collect(),
        }
    }

    /// Whether `bytes` are this payload.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        match self {
            Self::Bytes(b) => **b == *bytes,
            Self::Repeat { unit, len } => {
                bytes.len() == *len
                    && bytes
                        .chunks(unit.len())
                        .all(|chunk| chunk == &unit[..chunk.len()])
            }
        }
    }

    /// A short description for reports: the bytes if short, else the unit and length.
    pub fn describe(&self) -> String {
        match self {
            Self::Bytes(b) if b.len() <= 48 => crate::wire::preview(b),
            Self::Bytes(b) => format!("{} bytes", b.len()),
            Self::Repeat { unit, len } => {
                format!("{} repeated to {len} bytes", crate::wire::preview(unit))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeat_is_the_suites_payload_len_rule() {
        // `"BAsd7&jh23" * (25 // 10) + "BAsd7&jh23"[:25 % 10]`
        let p = Payload::repeat(b"BAsd7&jh23", 25);
        assert_eq!(p.to_vec(), b"BAsd7&jh23BAsd7&jh23BAsd7");
        assert!(p.matches(b"BAsd7&jh23BAsd7&jh23BAsd7"));
        assert!(!p.matches(b"BAsd7&jh23BAsd7&jh23BAsd8"));
        assert!(!p.matches(b"BAsd7&jh23BAsd7&jh23BAsd7&"));
        assert_eq!(Payload::repeat(b"*", 0), Payload::empty());
        assert!(Payload::repeat([0xfe], 3).matches(&[0xfe; 3]));
    }
}

//! The suite's incremental UTF-8 validator (`autobahn/websocket/utf8validator.py`,
//! Höhrmann's DFA, or wsaccel's equivalent): `validate(chunk)` answers
//! `(valid, ends on a code point)` for everything seen so far; once invalid it stays
//! invalid, and an empty chunk then answers `(true, false)`, as the DFA does (its loop
//! does not run).

/// Incremental validator.
#[derive(Debug, Default, Clone)]
pub(crate) struct Utf8Validator {
    /// The incomplete sequence at the end of what was seen (at most 3 bytes).
    pending: Vec<u8>,
    rejected: bool,
    /// Bytes consumed (up to the rejecting one).
    seen: usize,
}

impl Utf8Validator {
    /// Feeds `chunk`.
    pub(crate) fn validate(&mut self, chunk: &[u8]) -> (bool, bool) {
        if self.rejected {
            return (chunk.is_empty(), false);
        }
        let mut bytes = std::mem::take(&mut self.pending);
        let carried = bytes.len();
        bytes.extend_from_slice(chunk);
        match core::str::from_utf8(&bytes) {
            Ok(_) => {
                self.seen += chunk.len();
                (true, true)
            }
            Err(e) => match e.error_len() {
                // The DFA rejects at the first byte that cannot continue: the one after
                // the longest valid prefix of the bad sequence.
                Some(n) => {
                    self.rejected = true;
                    let bad = (e.valid_up_to() + n).saturating_sub(carried);
                    self.seen += bad.min(chunk.len());
                    (false, false)
                }
                None => {
                    self.seen += chunk.len();
                    self.pending = bytes[e.valid_up_to()..].to_vec();
                    (true, false)
                }
            },
        }
    }

    /// Octets consumed, for the suite's "at payload octet index" texts.
    pub(crate) fn index(&self) -> usize {
        self.seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_like_the_dfa() {
        let mut v = Utf8Validator::default();
        assert_eq!(v.validate(b"\xce\xba\xe1"), (true, false));
        assert_eq!(v.validate(b"\xbd\xb9"), (true, true));
        assert_eq!(v.validate(b"\xf4"), (true, false));
        assert_eq!(v.validate(b"\x90"), (false, false));
        assert_eq!(v.validate(b"ab"), (false, false));
        assert_eq!(v.validate(b""), (true, false));
        let mut v = Utf8Validator::default();
        assert_eq!(v.validate(b""), (true, true));
        assert_eq!(v.validate(b"\xed\xa0\x80"), (false, false));
    }
}

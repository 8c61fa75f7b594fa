//! Incremental, fail-fast UTF-8 validation of text arriving in pieces (RFC 6455 §8.1).
//!
//! §8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the byte
//! stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the WebSocket
//! Connection_." Each piece is checked as soon as it arrives: the bulk with simdutf8's
//! fast `basic` validator, the last up-to-3 bytes (which may be an unfinished character)
//! with the `compat` validator, which tells an unfinished-but-valid prefix from an invalid
//! sequence. Such a prefix is carried (at most 3 bytes) into the next piece. So an error is
//! found at the first byte that cannot start or continue a valid sequence, whatever the
//! chunking, and every byte is looked at about once.

/// The state between pieces: the bytes of an unfinished character.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Utf8Validator {
    carry: [u8; 4],
    len: u8,
}

/// The input is not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid;

/// Whether `bytes` is UTF-8, all at once (a whole message whose text is not needed as a
/// `str`: a streamed message's only chunk). Short ASCII, the common small message, is
/// settled by a word-at-a-time check; simdutf8 hands inputs this short to the standard
/// library's validator, which costs more per byte.
pub(crate) fn is_utf8(bytes: &[u8]) -> bool {
    (bytes.len() < 64 && bytes.is_ascii()) || simdutf8::basic::from_utf8(bytes).is_ok()
}

/// How many bytes the character starting with `lead` has (for a valid lead byte).
fn char_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

impl Utf8Validator {
    /// Checks the next piece.
    pub(crate) fn feed(&mut self, mut piece: &[u8]) -> Result<(), Invalid> {
        if self.len > 0 {
            // Finish the carried character with as many bytes as it still needs.
            let have = usize::from(self.len);
            let need = char_len(self.carry[0]).saturating_sub(have);
            let take = need.min(piece.len());
            let mut tmp = self.carry;
            for (dst, src) in tmp[have..].iter_mut().zip(&piece[..take]) {
                *dst = *src;
            }
            let total = have + take;
            match simdutf8::compat::from_utf8(&tmp[..total]) {
                Ok(_) => self.len = 0,
                Err(e) if e.error_len().is_some() => return Err(Invalid),
                Err(_) => {
                    // Still unfinished (the piece ran out) yet a valid prefix.
                    self.carry = tmp;
                    self.len = total as u8;
                    return Ok(());
                }
            }
            piece = &piece[take..];
        }
        // Split off the last character if it may be unfinished: the bulk goes to the fast
        // validator, the tail (at most 3 bytes, starting at a lead byte) to `compat`.
        let split = tail_start(piece);
        let (bulk, tail) = piece.split_at(split);
        if simdutf8::basic::from_utf8(bulk).is_err() {
            return Err(Invalid);
        }
        match simdutf8::compat::from_utf8(tail) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_some() => Err(Invalid),
            Err(e) => {
                let rest = &tail[e.valid_up_to()..];
                self.carry[..rest.len()].copy_from_slice(rest);
                self.len = rest.len() as u8;
                Ok(())
            }
        }
    }

    /// The message ended: an unfinished character is an error.
    pub(crate) fn finish(&mut self) -> Result<(), Invalid> {
        let ok = self.len == 0;
        self.len = 0;
        if ok { Ok(()) } else { Err(Invalid) }
    }

    /// Forgets any carried bytes.
    pub(crate) fn reset(&mut self) {
        self.len = 0;
    }
}

/// Where the last character of `piece` starts if it is unfinished (a lead byte in the
/// last 3 bytes announcing more bytes than follow it); otherwise `piece.len()`.
fn tail_start(piece: &[u8]) -> usize {
    let n = piece.len();
    for back in 1..=n.min(3) {
        let b = piece[n - back];
        if b < 0x80 {
            return n;
        }
        if b >= 0xC0 {
            return if char_len(b) > back { n - back } else { n };
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_check_agrees_with_the_standard_library_short_and_long() {
        let cases: [&[u8]; 8] = [
            b"",
            b"plain ascii",
            "κόσμε".as_bytes(),
            b"\xff",
            b"ascii then \xc3",
            b"\xed\xa0\x80", // a surrogate
            &[b'a'; 100],
            &[0x80; 70],
        ];
        for bytes in cases {
            assert_eq!(
                is_utf8(bytes),
                core::str::from_utf8(bytes).is_ok(),
                "{bytes:?}"
            );
        }
    }

    fn chunked(bytes: &[u8], size: usize) -> Result<(), Invalid> {
        let mut v = Utf8Validator::default();
        for c in bytes.chunks(size.max(1)) {
            v.feed(c)?;
        }
        v.finish()
    }

    #[test]
    fn agrees_with_std_for_every_chunk_size() {
        let samples: &[&[u8]] = &[
            "κόσμε".as_bytes(),
            "a€b𝄞c".as_bytes(),
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
            b"\xf4\x90\x80\x80",
            b"\xc0\xaf",
            b"abc\xe2\x82",
            b"\x80",
            b"\xf0\x9f\x98",
            "plain ascii".as_bytes(),
        ];
        for s in samples {
            let expected = core::str::from_utf8(s).is_ok();
            for size in 1..=s.len().max(1) {
                assert_eq!(chunked(s, size).is_ok(), expected, "{s:?} size {size}");
            }
        }
    }

    #[test]
    fn fails_at_the_first_bad_byte() {
        // 0xF4 0x90 can never be completed: the error is seen on the byte 0x90.
        let mut v = Utf8Validator::default();
        assert_eq!(v.feed(b"ok\xf4"), Ok(()));
        assert_eq!(v.feed(b"\x90"), Err(Invalid));
        let mut v = Utf8Validator::default();
        assert_eq!(v.feed(b"\xe0"), Ok(()));
        assert_eq!(v.feed(b"\x80"), Err(Invalid)); // overlong
    }
}

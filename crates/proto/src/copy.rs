//! Appending a payload to a buffer without glibc's slow path on AMD processors.
//!
//! glibc's `memcpy` copies anything over 2 KiB–8 KiB (by vector width) with `rep movsb`.
//! On AMD Zen that instruction is some thirty times slower when the destination lies a
//! few bytes (up to about 48) past the source modulo 4 KiB: a 16 KiB copy takes 9 µs
//! instead of 0.3 µs (measured on this project's AMD EPYC build machine; see
//! docs/performance.md, "The memcpy cliff"). That is exactly where a frame's payload
//! lands when it is copied from a read buffer into an output buffer behind a header a
//! few bytes shorter than the one it arrived with, so an echo hit it on every message.
//! Copying in pieces of 2 KiB keeps every `memcpy` under the `rep movsb` threshold (its
//! vector loop has no such cliff and is as fast elsewhere), at the price of one extra
//! length check per 2 KiB.

/// The largest single `memcpy`: at or under glibc's smallest `rep movsb` threshold.
const PIECE: usize = 2 << 10;

/// Appends `src` to `out` (one reservation, then pieces of at most 2 KiB). Same result as
/// `out.extend_from_slice(src)`.
pub fn extend_payload(out: &mut Vec<u8>, src: &[u8]) {
    if src.len() <= PIECE {
        out.extend_from_slice(src);
        return;
    }
    out.reserve(src.len());
    for piece in src.chunks(PIECE) {
        out.extend_from_slice(piece);
    }
}

/// `src` in a new vector of exactly its length (what `src.to_vec()` gives).
pub fn payload_to_vec(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len());
    extend_payload(&mut out, src);
    out
}

/// `src` in a new string of exactly its length, copied in pieces of at most 2 KiB cut at
/// character boundaries (what `src.to_owned()` gives).
pub fn text_to_string(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while rest.len() > PIECE {
        // A UTF-8 character is at most 4 bytes: the cut is at PIECE - 3 or later.
        let mut cut = PIECE;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (piece, tail) = rest.split_at(cut);
        out.push_str(piece);
        rest = tail;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_as_extend_from_slice_at_every_size_around_a_piece() {
        let src: Vec<u8> = (0..3 * PIECE + 7).map(|i| (i * 31 % 251) as u8).collect();
        for len in [0, 1, PIECE - 1, PIECE, PIECE + 1, 2 * PIECE, src.len()] {
            let mut out = b"head".to_vec();
            extend_payload(&mut out, &src[..len]);
            assert_eq!(&out[..4], b"head");
            assert_eq!(&out[4..], &src[..len], "length {len}");
            let v = payload_to_vec(&src[..len]);
            assert_eq!(v, &src[..len]);
            assert_eq!(v.capacity(), len, "exact capacity at {len}");
        }
    }

    #[test]
    fn text_is_cut_only_between_characters() {
        let text: String = "aé€😀".repeat(1000); // 1-, 2-, 3- and 4-byte characters
        for len in [0, 1, 3, PIECE, PIECE + 1, text.len()] {
            let mut end = len;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let src = &text[..end];
            let copy = text_to_string(src);
            assert_eq!(copy, src);
            assert_eq!(copy.capacity(), src.len());
        }
    }
}

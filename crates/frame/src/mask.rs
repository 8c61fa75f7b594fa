//! Payload masking (RFC 6455 §5.3).
//!
//! §5.3: "Octet i of the transformed data ("transformed-octet-i") is the XOR of octet i of
//! the original data ("original-octet-i") with octet at index i modulo 4 of the masking
//! key ("masking-key-octet-j")". Masking and unmasking are the same operation.
//!
//! The implementation is safe code: the buffer is walked in 64-byte chunks XORed with a
//! 64-byte repetition of the key, a loop the compiler turns into SSE2 vector operations in
//! a default x86-64 build (and into the widest vectors a `target-cpu` allows). With the
//! `std` feature on x86-64, the same loop is also compiled for AVX2 and chosen at run time
//! when the CPU has it (see the `simd` module, the crate's only `unsafe`).
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)
)]

/// Bytes per step of the chunked loop.
const CHUNK: usize = 64;

/// XORs `buf` with the masking `key`, where `buf` starts `offset` bytes into the payload.
///
/// Payload arrives in pieces: unmasking piece after piece, each with the number of payload
/// bytes before it as `offset`, gives the same bytes as unmasking the whole payload at
/// once. Only `offset % 4` matters.
///
/// ```
/// use sockeye_frame::apply_mask;
/// let key = [0x37, 0xfa, 0x21, 0x3d];
/// let mut whole = *b"\x7f\x9f\x4d\x51\x58"; // RFC 6455 §5.7, "Hello" masked
/// apply_mask(&mut whole, key, 0);
/// assert_eq!(&whole, b"Hello");
///
/// let mut pieces = *b"\x7f\x9f\x4d\x51\x58";
/// let (a, b) = pieces.split_at_mut(3);
/// apply_mask(a, key, 0);
/// apply_mask(b, key, 3);
/// assert_eq!(&pieces, b"Hello");
/// ```
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotate(key, offset);
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if buf.len() >= 2 * CHUNK && crate::simd::avx2_available() {
        crate::simd::apply_mask_avx2(buf, key);
        return;
    }
    apply_mask_portable(buf, key);
}

/// The key as seen from payload position `offset`.
#[inline]
fn rotate(key: [u8; 4], offset: usize) -> [u8; 4] {
    let mut k = key;
    k.rotate_left(offset % 4);
    k
}

/// The portable loop: `buf` starts at a key phase of 0 (the key is already rotated).
///
/// Public within the crate so that the SIMD module compiles the very same code with other
/// target features, and so that tests compare the two.
#[inline(always)]
pub(crate) fn apply_mask_portable(buf: &mut [u8], key: [u8; 4]) {
    let mut pattern = [0u8; CHUNK];
    for quad in pattern.chunks_exact_mut(4) {
        quad.copy_from_slice(&key);
    }
    let mut chunks = buf.chunks_exact_mut(CHUNK);
    for chunk in &mut chunks {
        for (b, k) in chunk.iter_mut().zip(pattern.iter()) {
            *b ^= *k;
        }
    }
    // The remainder starts at a multiple of CHUNK, a multiple of 4: the key phase is 0.
    for (b, k) in chunks.into_remainder().iter_mut().zip(pattern.iter()) {
        *b ^= *k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn naive(buf: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= key[(offset + i) % 4];
        }
    }

    #[test]
    fn matches_naive_for_all_lengths_and_offsets() {
        let key = [0x12, 0x34, 0x56, 0x78];
        // Miri interprets every byte operation: a smaller sweep still crosses two chunks.
        let (lens, offsets) = if cfg!(miri) {
            (0..140, 0..4)
        } else {
            (0..300, 0..8)
        };
        for len in lens {
            for offset in offsets.clone() {
                let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
                let mut a = data.clone();
                let mut b = data.clone();
                apply_mask(&mut a, key, offset);
                naive(&mut b, key, offset);
                assert_eq!(a, b, "len {len} offset {offset}");
            }
        }
    }

    #[test]
    fn portable_and_dispatched_agree_on_large_buffers() {
        let key = [0xde, 0xad, 0xbe, 0xef];
        let n = if cfg!(miri) { 300 } else { 10_000u32 };
        let data: Vec<u8> = (0..n).map(|i| (i * 31) as u8).collect();
        for start in 0..4 {
            let mut a = data[start..].to_vec();
            let mut b = a.clone();
            apply_mask(&mut a, key, start);
            apply_mask_portable(&mut b, rotate(key, start));
            assert_eq!(a, b);
        }
    }
}

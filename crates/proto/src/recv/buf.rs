//! The receiver's assembly buffer, a `Vec<u8>` behind one pointer.
//!
//! Most connections spend their life with no message in pieces: idle, or receiving frames
//! whole in one read (delivered straight from the caller's buffer). An empty `Vec` still
//! takes 24 bytes in every connection; this takes 8 and allocates the vector's header with
//! its first byte. Reading an empty one borrows a shared empty vector.

use core::ops::{Deref, DerefMut};

static EMPTY: Vec<u8> = Vec::new();

// Boxing the vector is the point (8 bytes in place of 24 while empty), not an oversight.
#[allow(clippy::box_collection)]
#[derive(Debug, Default)]
pub(crate) struct Buf(Option<Box<Vec<u8>>>);

impl Buf {
    /// Releases the vector and its header.
    pub(crate) fn release(&mut self) {
        self.0 = None;
    }

    /// Whether the header is allocated (even with no capacity behind it).
    pub(crate) fn is_allocated(&self) -> bool {
        self.0.is_some()
    }

    /// Heap bytes held: the vector's capacity and its boxed header.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.0
            .as_ref()
            .map_or(0, |v| v.capacity() + size_of::<Vec<u8>>())
    }
}

impl Deref for Buf {
    type Target = Vec<u8>;

    fn deref(&self) -> &Vec<u8> {
        self.0.as_deref().unwrap_or(&EMPTY)
    }
}

impl DerefMut for Buf {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        self.0.get_or_insert_with(Box::default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pointer_until_written_and_after_release() {
        assert_eq!(size_of::<Buf>(), 8);
        let mut b = Buf::default();
        assert!(b.is_empty() && b.capacity() == 0);
        assert!(b.0.is_none(), "reading does not allocate");
        assert_eq!(b.heap_bytes(), 0);
        b.extend_from_slice(b"abc");
        assert_eq!(&b[..], b"abc");
        assert!(b.is_allocated() && b.heap_bytes() >= 3 + 24);
        b.release();
        assert!(!b.is_allocated() && b.is_empty() && b.heap_bytes() == 0);
    }
}

//! The connection's one output buffer: bytes waiting for the socket, and its shrink policy.
//!
//! Written bytes are dropped from the front lazily: the buffer is cleared when everything
//! was written, and compacted when more than half of it is already written, so a
//! connection that never quite drains still holds at most about twice its queued bytes.

/// Bytes queued for the transport: `buf[pos..]`.
#[derive(Debug, Default)]
pub(crate) struct Output {
    pub(crate) buf: Vec<u8>,
    pos: usize,
}

impl Output {
    /// The bytes not yet written.
    pub(crate) fn pending(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// How many bytes are not yet written.
    pub(crate) fn len(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `n` bytes of [`pending`](Self::pending) were written.
    pub(crate) fn advance(&mut self, n: usize, keep_capacity: usize) {
        self.pos = self.pos.saturating_add(n).min(self.buf.len());
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            if self.buf.capacity() > keep_capacity {
                self.buf = Vec::new();
            }
        } else if self.pos > self.buf.len() / 2 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }

    /// Drops everything queued and the buffer (the transport is gone).
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }

    /// Takes `spare` as the buffer if this one is empty and has no capacity (a front end's
    /// buffer lent to the connection it works on, so idle connections own none).
    pub(crate) fn lend(&mut self, spare: &mut Vec<u8>) {
        if self.buf.capacity() == 0 {
            spare.clear();
            core::mem::swap(&mut self.buf, spare);
            self.pos = 0;
        }
    }

    /// If nothing is queued, gives the larger of the two buffers to `spare` and keeps none.
    pub(crate) fn reclaim(&mut self, spare: &mut Vec<u8>) {
        if self.is_empty() && self.buf.capacity() > 0 {
            if self.buf.capacity() > spare.capacity() {
                core::mem::swap(&mut self.buf, spare);
            }
            spare.clear();
            self.buf = Vec::new();
            self.pos = 0;
        }
    }

    /// Heap bytes held.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drains_compacts_and_releases() {
        let mut out = Output::default();
        out.buf.extend_from_slice(&[1; 100]);
        out.advance(10, 0);
        assert_eq!(out.len(), 90);
        out.advance(50, 0); // past half: compacted
        assert_eq!((out.pos, out.buf.len()), (0, 40));
        out.advance(40, 0);
        assert_eq!((out.len(), out.capacity()), (0, 0));
        out.buf.extend_from_slice(&[1; 100]);
        out.advance(100, 1000);
        assert!(out.capacity() >= 100, "kept under keep_capacity");
    }

    #[test]
    fn lend_and_reclaim_keep_the_larger_buffer_outside() {
        let mut out = Output::default();
        let mut spare = Vec::with_capacity(4096);
        out.lend(&mut spare);
        assert_eq!((out.capacity(), spare.capacity()), (4096, 0));
        out.buf.extend_from_slice(&[0; 10_000]);
        out.reclaim(&mut spare); // not drained: kept
        assert!(out.capacity() >= 10_000);
        out.advance(10_000, usize::MAX);
        out.reclaim(&mut spare);
        assert_eq!(out.capacity(), 0);
        assert!(spare.capacity() >= 10_000 && spare.is_empty());
    }
}

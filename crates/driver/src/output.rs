//! The connection's one output buffer: bytes waiting for the socket, and its shrink policy.
//!
//! Written bytes are dropped from the front lazily: the buffer is cleared when everything
//! was written, and compacted when more than half of it is already written, so a
//! connection that never quite drains still holds at most about twice its queued bytes.
//!
//! A drained buffer of the connection's own is released above `keep_output_capacity`; a
//! buffer the front end lent keeps its capacity, because it goes back to the front end at
//! reclaim and serves the next connection's writes (releasing it made every write turn
//! grow a new buffer from nothing: a `malloc` and several `realloc`s per turn).

/// Bytes queued for the transport: `buf[pos..]`.
#[derive(Debug, Default)]
pub(crate) struct Output {
    pub(crate) buf: Vec<u8>,
    pos: usize,
    /// Lent by the front end ([`Boxed::lend`]): its capacity is the front end's to keep.
    lent: bool,
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

    #[cfg(feature = "tls")]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `n` bytes of [`pending`](Self::pending) were written.
    pub(crate) fn advance(&mut self, n: usize, keep_capacity: usize) {
        self.pos = self.pos.saturating_add(n).min(self.buf.len());
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            if !self.lent && self.buf.capacity() > keep_capacity {
                self.buf = Vec::new();
            }
        } else if self.pos > self.buf.len() / 2 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }

    /// Drops everything queued and the buffer (the transport is gone).
    #[cfg(feature = "tls")]
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }

    /// Heap bytes held.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }
}

/// A connection's output behind one pointer: an idle connection (nothing queued, no
/// buffer lent) holds 8 bytes here instead of 32. A drained box, even one whose buffer
/// was released, goes back to the front end at [`reclaim`](Self::reclaim), so a lending
/// front end allocates no box per write.
#[derive(Debug, Default)]
pub(crate) struct Boxed(Option<Box<Output>>);

impl Boxed {
    pub(crate) fn pending(&self) -> &[u8] {
        self.0.as_deref().map_or(&[], Output::pending)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.as_deref().map_or(0, Output::len)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn capacity(&self) -> usize {
        self.0.as_deref().map_or(0, Output::capacity)
    }

    /// The buffer to frame into (a box is made on the first write that has none).
    pub(crate) fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.0.get_or_insert_with(Box::default).buf
    }

    /// The output, if there is a box: for code that works on an [`Output`] (TLS).
    #[cfg(feature = "tls")]
    pub(crate) fn get_mut(&mut self) -> Option<&mut Output> {
        self.0.as_deref_mut()
    }

    pub(crate) fn advance(&mut self, n: usize, keep_capacity: usize) {
        if let Some(o) = self.0.as_deref_mut() {
            o.advance(n, keep_capacity);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.0 = None;
    }

    /// Takes `spare`'s buffer (box and all) if this output has none.
    pub(crate) fn lend(&mut self, spare: &mut OutputBuffer) {
        if self.capacity() == 0
            && let Some(mut lent) = spare.0.take()
        {
            lent.buf.clear();
            lent.pos = 0;
            lent.lent = true;
            self.0 = Some(lent);
        }
    }

    /// If nothing is queued, keeps no box: gives it to `spare` if that has none or a
    /// smaller buffer (a drained box whose buffer was released still saves `spare` an
    /// allocation), else drops it. A buffer over [`OutputBuffer::MAX_KEPT`] is released
    /// first, so one large message does not pin its size in the front end for good.
    pub(crate) fn reclaim(&mut self, spare: &mut OutputBuffer) {
        if !self.is_empty() {
            return;
        }
        if let Some(mut mine) = self.0.take() {
            if mine.capacity() > OutputBuffer::MAX_KEPT {
                mine.buf = Vec::new();
            }
            if spare.0.is_none() || mine.capacity() > spare.capacity() {
                mine.buf.clear();
                mine.pos = 0;
                spare.0 = Some(mine);
            }
        }
    }
}

/// An output buffer a front end owns and lends to the connection it works on
/// ([`Driver::lend_buffer`](crate::Driver::lend_buffer)), so that idle connections own
/// none: one per event loop (or thread) serves all its connections.
#[derive(Debug, Default)]
pub struct OutputBuffer(Option<Box<Output>>);

impl OutputBuffer {
    /// The largest capacity a reclaimed buffer keeps (4 MiB); a larger one is released
    /// at [`Driver::reclaim_buffer`](crate::Driver::reclaim_buffer).
    pub const MAX_KEPT: usize = 4 << 20;

    /// An empty buffer (it allocates once a connection writes into it).
    pub const fn new() -> Self {
        Self(None)
    }

    /// Heap bytes it holds (its buffer's capacity).
    pub fn capacity(&self) -> usize {
        self.0.as_deref().map_or(0, Output::capacity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxed_holds_nothing_when_idle_and_lends_without_allocating() {
        assert_eq!(size_of::<Boxed>(), 8);
        let mut out = Boxed::default();
        let mut spare = OutputBuffer::new();
        out.lend(&mut spare); // nothing to lend yet
        out.buf().extend_from_slice(&[1; 100]);
        out.advance(100, 0);
        assert_eq!(out.capacity(), 0, "drained: no buffer kept");
        // The drained box goes to the front end, for the next write of any connection.
        let drained = out.0.as_deref().map(core::ptr::from_ref);
        out.reclaim(&mut spare);
        assert!(out.0.is_none());
        assert_eq!(spare.0.as_deref().map(core::ptr::from_ref), drained);
        out.lend(&mut spare);
        out.buf().extend_from_slice(&[2; 5000]);
        out.advance(5000, usize::MAX);
        out.reclaim(&mut spare);
        assert!(out.0.is_none() && spare.capacity() >= 5000);
        // Lent to another connection: the same box, no new allocation.
        let lent = spare.0.as_deref().map(core::ptr::from_ref);
        let mut other = Boxed::default();
        other.lend(&mut spare);
        assert_eq!(other.0.as_deref().map(core::ptr::from_ref), lent);
        assert!(spare.0.is_none());
        // Not drained: the connection keeps it, and the front end's spare stays empty.
        other.buf().extend_from_slice(&[3; 10]);
        other.reclaim(&mut spare);
        assert_eq!((other.len(), spare.capacity()), (10, 0));
    }

    #[test]
    fn a_lent_buffer_keeps_its_capacity_for_the_front_end() {
        let mut spare = OutputBuffer::new();
        let mut out = Boxed::default();
        out.buf().reserve(1000);
        out.buf().extend_from_slice(&[1; 10]);
        out.advance(10, 0);
        assert_eq!(out.capacity(), 0, "the connection's own buffer is released");
        spare.0 = Some(Box::new(Output {
            buf: Vec::with_capacity(1000),
            ..Output::default()
        }));
        out.lend(&mut spare);
        out.buf().extend_from_slice(&[2; 10]);
        out.advance(10, 0);
        assert!(out.capacity() >= 1000, "lent: kept until reclaimed");
        out.reclaim(&mut spare);
        assert!(out.0.is_none() && spare.capacity() >= 1000);
        // Too large to keep: the box comes back without its buffer.
        out.lend(&mut spare);
        out.buf().resize(OutputBuffer::MAX_KEPT + 1, 0);
        out.advance(OutputBuffer::MAX_KEPT + 1, 0);
        out.reclaim(&mut spare);
        assert!(out.0.is_none() && spare.0.is_some());
        assert_eq!(spare.capacity(), 0);
    }

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
    fn reclaim_keeps_the_larger_buffer_outside() {
        let mut spare = OutputBuffer::new();
        let mut out = Boxed::default();
        out.buf().reserve(4096);
        out.reclaim(&mut spare);
        assert!(out.0.is_none() && spare.capacity() >= 4096);
        let mut small = Boxed::default();
        small.buf().reserve(16);
        small.reclaim(&mut spare);
        assert!(small.0.is_none(), "the smaller one is dropped");
        assert!(spare.capacity() >= 4096, "the larger one stays the spare");
    }
}

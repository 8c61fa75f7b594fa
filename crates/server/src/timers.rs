//! One min-heap of deadlines per event loop, with lazy cancellation.
//!
//! A connection keeps the earliest deadline it has in the heap (`Conn::timer_at`). A new
//! deadline is pushed only if it is earlier than that one; a later one waits until the
//! scheduled entry fires and the connection reschedules itself. Entries whose generation
//! or time no longer match are skipped when popped. So deadlines that move later on every
//! message (keepalive) cost nothing per message, and the heap holds about one entry per
//! connection.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

#[derive(Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u32, u32)>>,
}

impl Timers {
    pub(crate) fn push(&mut self, at: Instant, slot: u32, generation: u32) {
        self.heap.push(Reverse((at, slot, generation)));
    }

    /// The earliest entry, if any.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Pops an entry due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, u32, u32)> {
        match self.heap.peek() {
            Some(Reverse((at, _, _))) if *at <= now => self.heap.pop().map(|Reverse(e)| e),
            _ => None,
        }
    }
}

//! One min-heap of deadlines per event loop, with lazy cancellation.
//!
//! A connection keeps the earliest deadline it has in the heap (`Conn::timer_at`). A new
//! deadline is pushed only if it is earlier than that one; a later one waits until the
//! scheduled entry fires and the connection reschedules itself. Entries whose generation
//! or time no longer match are skipped when popped. So deadlines that move later on every
//! message (keepalive) cost nothing per message, and the heap holds about one entry per
//! connection.
//!
//! Deadlines are kept as [`Tick`]s, nanoseconds since the loop started, not as `Instant`s:
//! 8 bytes instead of 16 in every connection and every heap entry (an idle connection
//! costs both).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::num::NonZeroU64;
use std::time::{Duration, Instant};

/// A deadline: 1 + nanoseconds since the loop's epoch (never zero, so `Option<Tick>` is
/// 8 bytes). Exact for any `Instant` after the epoch; earlier ones (none are made: every
/// deadline lies ahead of the loop's start) saturate to the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Tick(NonZeroU64);

pub(crate) struct Timers {
    epoch: Instant,
    heap: BinaryHeap<Reverse<(Tick, u32, u32)>>,
}

impl Default for Timers {
    fn default() -> Self {
        Self {
            epoch: Instant::now(),
            heap: BinaryHeap::new(),
        }
    }
}

impl Timers {
    /// `at` as a tick of this loop.
    pub(crate) fn tick(&self, at: Instant) -> Tick {
        let nanos = at.saturating_duration_since(self.epoch).as_nanos();
        let nanos = u64::try_from(nanos).unwrap_or(u64::MAX - 1);
        Tick(NonZeroU64::MIN.saturating_add(nanos))
    }

    fn instant(&self, tick: Tick) -> Instant {
        self.epoch + Duration::from_nanos(tick.0.get() - 1)
    }

    pub(crate) fn push(&mut self, at: Tick, slot: u32, generation: u32) {
        self.heap.push(Reverse((at, slot, generation)));
    }

    /// The earliest entry, if any.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap
            .peek()
            .map(|Reverse((at, _, _))| self.instant(*at))
    }

    /// Pops an entry due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Tick, u32, u32)> {
        let now = self.tick(now);
        match self.heap.peek() {
            Some(Reverse((at, _, _))) if *at <= now => self.heap.pop().map(|Reverse(e)| e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_keep_instants_exactly_and_pop_in_order() {
        let mut timers = Timers::default();
        let t0 = Instant::now();
        let (a, b) = (
            t0 + Duration::from_nanos(1_500),
            t0 + Duration::from_secs(3),
        );
        assert!(timers.tick(a) < timers.tick(b));
        timers.push(timers.tick(b), 1, 1);
        timers.push(timers.tick(a), 2, 1);
        assert_eq!(timers.next(), Some(a), "the earliest, to the nanosecond");
        assert!(timers.pop_due(t0).is_none(), "nothing due yet");
        assert_eq!(timers.pop_due(a), Some((timers.tick(a), 2, 1)));
        assert!(timers.pop_due(a).is_none());
        assert_eq!(timers.pop_due(b).map(|e| e.1), Some(1));
        assert_eq!(size_of::<Option<Tick>>(), 8);
        assert_eq!(size_of::<(Tick, u32, u32)>(), 16);
    }
}

//! Connection identifiers.

use std::fmt;

/// Names one connection of a server, for the whole life of the server: a slot is reused
/// after its connection ends, but with a new generation, so a stale id never reaches a
/// newer connection.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId {
    pub(crate) worker: u16,
    pub(crate) slot: u32,
    pub(crate) generation: u32,
}

impl ConnId {
    /// The event-loop thread that owns the connection (0-based).
    pub fn worker(&self) -> usize {
        usize::from(self.worker)
    }
}

impl fmt::Debug for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ConnId({}:{}:{})",
            self.worker, self.slot, self.generation
        )
    }
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.worker, self.slot, self.generation)
    }
}

//! What the runner talks through: a byte pipe to the peer under test, with its clock.

use std::time::{Duration, Instant};

/// What came from the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// Bytes.
    Data(Vec<u8>),
    /// The peer closed TCP (or the pipe broke).
    Eof,
    /// Nothing within the timeout.
    Timeout,
}

/// A connection to the peer under test, from the tester's side.
pub trait Transport {
    /// Writes bytes: one call is one TCP write (the peer may still see it split or
    /// merged, as TCP allows). Never blocks on a peer that does not read: over TCP the
    /// bytes are queued to a writer. `Err` when the connection is known to be gone.
    fn send(&mut self, bytes: &[u8]) -> Result<(), String>;
    /// Waits at most `timeout` for bytes.
    fn recv(&mut self, timeout: Duration) -> Incoming;
    /// The transport's clock: real time over TCP, virtual time in memory (where waiting
    /// costs nothing and the peer's timers run on the same clock).
    fn now(&self) -> Instant;
    /// The tester closes TCP, after what it wrote has gone out.
    fn close(&mut self);
    /// Notes for the report (e.g. what the in-memory connection reported).
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

//! What the runner talks through: a byte pipe to the peer under test.

use std::time::Duration;

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
    /// Writes bytes. `Err` with a description when the peer is gone; further writes are
    /// pointless then. Writes between two waits may reach the peer as one read, as they
    /// would over TCP.
    fn send(&mut self, bytes: &[u8]) -> Result<(), String>;
    /// Waits at most `timeout` for bytes.
    fn recv(&mut self, timeout: Duration) -> Incoming;
    /// Marks a write boundary the peer should see as a separate read (after each chop).
    /// Over TCP (with `TCP_NODELAY`) writes go out at once, so this does nothing there.
    fn flush(&mut self) {}
    /// The tester closes TCP.
    fn close(&mut self);
    /// Waits (real time over TCP, virtual time in memory).
    fn pause(&mut self, d: Duration);
    /// Notes for the report (e.g. what the in-memory connection reported).
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

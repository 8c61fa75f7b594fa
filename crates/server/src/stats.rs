//! Counters an operator reads: [`ServerHandle::stats`](crate::ServerHandle::stats).
//!
//! Each event loop counts into plain integers of its own while it works and adds them to
//! its shared totals once per loop turn (one uncontended lock per turn, none per message),
//! so a snapshot is at most one loop turn behind.

use std::collections::BTreeMap;

use sockeye_driver::{Closed, ClosedBy};

/// A snapshot of a server's counters since it started. Every count is a total except
/// [`open`](Self::open).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Connections open now (TCP accepted and not yet removed, handshaking ones included).
    pub open: usize,
    /// TCP connections accepted and kept.
    pub accepted: u64,
    /// TCP connections closed at once on accept: over
    /// [`ServerConfig::max_connections`](crate::ServerConfig::max_connections), or the
    /// server was shutting down.
    pub over_limit: u64,
    /// Opening handshakes completed (`101 Switching Protocols` sent).
    pub upgraded: u64,
    /// Upgrade requests answered with an HTTP error, by status (400, 403, 404, 426, 431...).
    pub refused: BTreeMap<u16, u64>,
    /// Plain HTTP requests answered ([`Handler::SERVES_HTTP`](crate::Handler::SERVES_HTTP)).
    pub http_responses: u64,
    /// Opening handshakes that ended with no response: timed out, the peer went away, or
    /// TLS failed.
    pub handshake_failed: u64,
    /// Data messages received (a streamed message counts once, at its last piece).
    pub messages_in: u64,
    /// Data messages queued for sending: a handler's replies and each connection's copy of
    /// a handle's send or broadcast.
    pub messages_out: u64,
    /// Bytes read from sockets (TLS records included under TLS).
    pub bytes_in: u64,
    /// Bytes written to sockets.
    pub bytes_out: u64,
    /// Ends of open WebSocket connections by close code (1000, 1001, 1002, 1006...).
    pub closes: BTreeMap<u16, u64>,
    /// Of those ends, the ones the peer started (its close frame came first).
    pub closed_by_peer: u64,
    /// Of those ends, the ones we started (our close frame came first: the application,
    /// a shutdown, a protocol violation, a limit).
    pub closed_locally: u64,
    /// Of those ends, the ones with no close frame first: TCP ended or reset, or a timer.
    pub closed_by_transport: u64,
    /// Peer violations of RFC 6455 (failed with 1002, 1007, 1009...).
    pub protocol_errors: u64,
    /// Times reading from a connection paused because its queued output passed
    /// [`ServerConfig::write_high_water`](crate::ServerConfig::write_high_water).
    pub backpressure_pauses: u64,
}

impl Stats {
    /// Adds another loop's counts (`open` is the server's, set by the caller).
    pub(crate) fn add(&mut self, other: &Stats) {
        self.accepted += other.accepted;
        self.over_limit += other.over_limit;
        self.upgraded += other.upgraded;
        for (status, n) in &other.refused {
            *self.refused.entry(*status).or_default() += n;
        }
        self.http_responses += other.http_responses;
        self.handshake_failed += other.handshake_failed;
        self.messages_in += other.messages_in;
        self.messages_out += other.messages_out;
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
        for (code, n) in &other.closes {
            *self.closes.entry(*code).or_default() += n;
        }
        self.closed_by_peer += other.closed_by_peer;
        self.closed_locally += other.closed_locally;
        self.closed_by_transport += other.closed_by_transport;
        self.protocol_errors += other.protocol_errors;
        self.backpressure_pauses += other.backpressure_pauses;
    }

    pub(crate) fn is_zero(&self) -> bool {
        *self == Stats::default()
    }

    pub(crate) fn closed(&mut self, closed: &Closed) {
        *self.closes.entry(closed.code.as_u16()).or_default() += 1;
        match closed.by {
            ClosedBy::Peer => self.closed_by_peer += 1,
            ClosedBy::Local => self.closed_locally += 1,
            _ => self.closed_by_transport += 1,
        }
    }

    pub(crate) fn refused(&mut self, status: u16) {
        *self.refused.entry(status).or_default() += 1;
    }
}

//! What a [`Bridge`](crate::Bridge) is configured with.

use std::time::Duration;

/// A bridge's settings. Start from [`BridgeConfig::new`] and change fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BridgeConfig {
    /// The broker, e.g. `redis://127.0.0.1:6379`.
    pub url: String,
    /// Prepended to every channel name in Redis (default `sockeye:`), so that one Redis
    /// can serve several applications.
    pub prefix: String,
    /// This node's identity in the envelopes: how it recognises (and skips) its own
    /// messages coming back from the broker. Must differ between the nodes of a cluster;
    /// [`BridgeConfig::new`] takes it as an argument (no randomness below the caller).
    pub node_id: u64,
    /// Publishes waiting for the broker; when full (the broker is slower than the
    /// publishers, or down), further publishes are delivered locally only and counted in
    /// [`BridgeStats::dropped`](crate::BridgeStats::dropped). Default 10,000.
    pub queue: usize,
    /// First wait before reconnecting to the broker; doubled on each failure. Default 50 ms.
    pub reconnect_min: Duration,
    /// Longest wait between reconnection attempts. Default 2 s.
    pub reconnect_max: Duration,
    /// Bound on one connection attempt. Default 1 s.
    pub connect_timeout: Duration,
    /// Bound on one command (a `PUBLISH` and its reply): a broker that stops answering
    /// without closing the connection (a paused process, a silent network) counts as
    /// down, the publish is retried on a new connection, and a [`Bridge`](crate::Bridge)
    /// stopping never waits on it for longer than this. Default 2 s.
    pub command_timeout: Duration,
}

impl BridgeConfig {
    /// The defaults listed on each field, for the broker at `url` and this `node_id`.
    pub fn new(url: impl Into<String>, node_id: u64) -> Self {
        Self {
            url: url.into(),
            prefix: "sockeye:".to_owned(),
            node_id,
            queue: 10_000,
            reconnect_min: Duration::from_millis(50),
            reconnect_max: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(1),
            command_timeout: Duration::from_secs(2),
        }
    }
}

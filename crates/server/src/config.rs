//! Server settings: threads, connection limits, timeouts, back-pressure.

use std::time::Duration;

use sockeye_driver::{DeflateConfig, DriverConfig, OverflowPolicy};
use sockeye_handshake::Limits;

/// Server settings. Start from [`ServerConfig::default`] and change fields.
///
/// Every limit has a safe default, listed on each field and in `docs/limits.md`. The
/// defaults accept what the Autobahn test suite sends (16 MiB messages; 4 MiB in 65,537
/// frames).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Event-loop threads, each with its own `mio::Poll` and `SO_REUSEPORT` listener.
    /// Default: the number of CPUs.
    pub threads: usize,
    /// Most open connections (all threads together, handshakes included); further ones
    /// are accepted and closed at once. Default 100,000.
    pub max_connections: usize,
    /// Time from `accept` to a complete, accepted opening handshake. Absolute: not reset
    /// by each byte (a slow-loris client cannot stretch it). Default 10 s.
    pub handshake_timeout: Duration,
    /// Caps on the HTTP request head (default 8 KiB, 64 headers, 4 KiB lines).
    pub handshake_limits: Limits,
    /// The WebSocket connection's limits, keepalive and close timeout
    /// ([`sockeye_proto::Config`]). The server's default turns keepalive on: a ping after
    /// 60 s without input, failure if nothing comes back within 30 s. `streaming` follows
    /// the handler ([`Handler::STREAMING`](crate::Handler::STREAMING)); setting it for a
    /// handler that does not stream is refused by [`Server::bind`](crate::Server::bind).
    pub connection: sockeye_proto::Config,
    /// Output queued for one connection above which the server stops reading from it
    /// (and [`SendStatus::QueuedAboveHighWater`](crate::SendStatus) is reported) until it
    /// drains. Default 1 MiB.
    pub write_high_water: usize,
    /// Hard cap on one connection's queued output: a send that would pass it is refused
    /// (see [`OverflowPolicy`]). Must leave room for the largest message the application
    /// sends; the default, 40 MiB, fits two 16 MiB echoes plus the high-water mark.
    pub max_write_buffer: usize,
    /// What happens on overflow. Default [`OverflowPolicy::Close`](crate::OverflowPolicy::Close).
    pub overflow: OverflowPolicy,
    /// After the server decides to close TCP it shuts down its sending side and reads
    /// (discarding) until the peer closes, so that the peer gets the last frames rather
    /// than a reset; this bounds that wait. Default 2 s.
    pub linger_timeout: Duration,
    /// Bytes read from a socket at once, in a buffer shared by all connections of a
    /// thread. Default 64 KiB.
    pub read_buffer_size: usize,
    /// Pause after `accept` fails for lack of file descriptors (EMFILE/ENFILE), instead of
    /// spinning. Default 100 ms.
    pub accept_backoff: Duration,
    /// Commands (sends, closes, broadcasts) from [`ServerHandle`](crate::ServerHandle)s
    /// waiting for one thread; more are refused with
    /// [`SendError::QueueFull`](crate::SendError::QueueFull). Default 65,536.
    pub max_queued_commands: usize,
    /// `listen(2)` backlog. Default 1024.
    pub backlog: i32,
    /// permessage-deflate (RFC 7692): accepted when a client offers it, with these
    /// settings; `None` turns it off. Default [`DeflateConfig::no_idle_state`]: the server
    /// compresses every message afresh through one compressor per event loop and asks
    /// clients to do the same, so an idle connection holds no zlib state
    /// (`docs/compression.md` has the memory of each mode).
    pub deflate: Option<DeflateConfig>,
    /// TLS: every connection speaks `wss://` with this configuration (certificates from
    /// PEM files, by SNI, renewable through
    /// [`ServerHandle::reload_certificate`](crate::ServerHandle::reload_certificate)).
    /// Default `None` (plain `ws://`). The TLS handshake counts against
    /// `handshake_timeout`.
    #[cfg(feature = "tls")]
    pub tls: Option<sockeye_driver::tls::TlsServerConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        let mut connection = sockeye_proto::Config::default();
        connection.keepalive_interval = Some(Duration::from_secs(60));
        connection.keepalive_timeout = Duration::from_secs(30);
        Self {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_connections: 100_000,
            handshake_timeout: Duration::from_secs(10),
            handshake_limits: Limits::new(),
            connection,
            write_high_water: 1 << 20,
            max_write_buffer: 40 << 20,
            overflow: OverflowPolicy::Close,
            linger_timeout: Duration::from_secs(2),
            read_buffer_size: 64 << 10,
            accept_backoff: Duration::from_millis(100),
            max_queued_commands: 1 << 16,
            backlog: 1024,
            deflate: Some(DeflateConfig::default()),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ServerConfig {
    /// The per-connection part, for the drivers: `streaming` and `serve_http` as the
    /// handler needs.
    pub(crate) fn driver_config(&self, streaming: bool, serve_http: bool) -> DriverConfig {
        let mut config = DriverConfig::default();
        config.serve_http = serve_http;
        config.connection = self.connection.clone();
        config.connection.streaming = streaming;
        config.handshake_timeout = self.handshake_timeout;
        config.handshake_limits = self.handshake_limits;
        config.write_high_water = self.write_high_water;
        config.max_write_buffer = self.max_write_buffer;
        config.overflow = self.overflow;
        config.linger_timeout = self.linger_timeout;
        // The loop lends its one output buffer to the connection it works on (a lent
        // buffer keeps its capacity: it goes back to the loop), so a connection's own
        // buffer keeps none. 0 also releases a TLS connection's ciphertext buffer as it
        // drains (it is not lent), so an idle wss connection holds none.
        config.keep_output_capacity = 0;
        // A shared compressor per event loop: each loop's config has its own.
        config.deflate = self.deflate.as_ref().map(DeflateConfig::for_event_loop);
        #[cfg(feature = "tls")]
        {
            config.tls_server = self.tls.clone();
        }
        config
    }
}

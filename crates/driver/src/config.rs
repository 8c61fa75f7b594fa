//! What one connection's life is bounded by: handshake deadlines, output water marks, the
//! overflow policy, the linger bound, and the WebSocket connection's own limits.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sockeye_handshake::Limits;

/// What to do with a send that would grow a connection's queued output past
/// [`DriverConfig::max_write_buffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OverflowPolicy {
    /// Refuse the message ([`SendError::Full`](crate::SendError::Full)) and keep the
    /// connection.
    Refuse,
    /// Refuse the message and start the closing handshake with 1008 (policy violation): a
    /// peer that does not read its data is cut off (the default).
    Close,
}

/// Limits and timers of a [`Driver`](crate::Driver), shared by every connection of a front
/// end (hold it in an `Arc`). Start from [`DriverConfig::default`] and change fields.
///
/// Every limit has a safe default, listed on each field and in `docs/limits.md`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DriverConfig {
    /// `connection` in an `Arc` that every connection made from this configuration
    /// shares (made on first use; see [`DriverConfig::shared_connection`]).
    shared: SharedConnection,
    /// The WebSocket connection's limits, keepalive and close timeout
    /// ([`sockeye_proto::Config`]).
    pub connection: sockeye_proto::Config,
    /// Server: from [`Driver::server`](crate::Driver::server) (the accept) to a complete
    /// request answered with `101`. Client: from
    /// [`Driver::connected`](crate::Driver::connected) (TCP is up) to the server's complete
    /// `101`. Absolute: not reset by each byte, so a peer trickling its head cannot stretch
    /// it (slow loris). Default 10 s.
    pub handshake_timeout: Duration,
    /// Client: from [`Driver::client`](crate::Driver::client) to
    /// [`Driver::connected`](crate::Driver::connected) (the TCP connect). Default 10 s.
    pub connect_timeout: Duration,
    /// Caps on the HTTP head read in the handshake (default 8 KiB, 64 headers, 4 KiB
    /// lines).
    pub handshake_limits: Limits,
    /// Server: answer plain HTTP `GET` and `HEAD` requests (no `Upgrade` header) through
    /// [`Event::Http`](crate::Event::Http) and [`Driver::respond`](crate::Driver::respond)
    /// instead of refusing them as broken handshakes, so one port serves a page and its
    /// WebSocket. The head limits and the handshake deadline apply to them as to an
    /// upgrade; every response closes the connection. Default `false`.
    pub serve_http: bool,
    /// Queued output above which the driver stops asking for input
    /// ([`Driver::wants_read`](crate::Driver::wants_read) is false) until it drains to
    /// half of it, and sends report [`Sent::AboveHighWater`](crate::Sent::AboveHighWater).
    /// Default 1 MiB.
    pub write_high_water: usize,
    /// Hard cap on queued output (waiting pre-framed messages included): a send that would
    /// pass it is refused, see [`OverflowPolicy`]. Must leave room for the largest message
    /// the application sends; the default, 40 MiB, fits two 16 MiB echoes and the
    /// high-water mark.
    pub max_write_buffer: usize,
    /// What happens on overflow. Default [`OverflowPolicy::Close`].
    pub overflow: OverflowPolicy,
    /// Once the connection is over, the driver asks for our sending side to be shut down
    /// and reads (discarding) until the peer closes its side, so that the peer gets our
    /// last frames rather than a reset; this bounds that wait. Default 2 s.
    pub linger_timeout: Duration,
    /// Capacity a connection's own output buffer keeps once everything queued was
    /// written; a larger buffer is released. Default 64 KiB. A front end that lends one
    /// buffer to every connection ([`Driver::lend_buffer`](crate::Driver::lend_buffer))
    /// sets 0, so that only the lent buffer (which goes back to the front end with its
    /// capacity, up to [`OutputBuffer::MAX_KEPT`](crate::OutputBuffer::MAX_KEPT)) keeps
    /// room. Under TLS it also bounds the ciphertext buffer, which is never lent.
    pub keep_output_capacity: usize,
    /// permessage-deflate (RFC 7692): a server accepts it, a client offers it. `None`
    /// turns it off. Default [`DeflateConfig::no_idle_state`](crate::DeflateConfig::no_idle_state).
    #[cfg(feature = "deflate")]
    pub deflate: Option<crate::DeflateConfig>,
    /// Server: TLS for every connection (`wss://`). Default `None` (plain `ws://`).
    #[cfg(feature = "tls")]
    pub tls_server: Option<crate::tls::TlsServerConfig>,
    /// Client: what [`Driver::client_tls`](crate::Driver::client_tls) connects with
    /// (`wss://` URLs). Default `None`: a front end supplies one (e.g. the system's roots).
    #[cfg(feature = "tls")]
    pub tls_client: Option<crate::tls::TlsClientConfig>,
}

impl DriverConfig {
    /// 10 seconds.
    pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
    /// 10 seconds.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// 1 MiB.
    pub const DEFAULT_WRITE_HIGH_WATER: usize = 1 << 20;
    /// 40 MiB.
    pub const DEFAULT_MAX_WRITE_BUFFER: usize = 40 << 20;
    /// 2 seconds.
    pub const DEFAULT_LINGER_TIMEOUT: Duration = Duration::from_secs(2);
    /// 64 KiB.
    pub const DEFAULT_KEEP_OUTPUT_CAPACITY: usize = 64 << 10;

    /// The defaults listed on each field.
    pub fn new() -> Self {
        Self {
            shared: SharedConnection::default(),
            connection: sockeye_proto::Config::new(),
            handshake_timeout: Self::DEFAULT_HANDSHAKE_TIMEOUT,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            handshake_limits: Limits::new(),
            serve_http: false,
            write_high_water: Self::DEFAULT_WRITE_HIGH_WATER,
            max_write_buffer: Self::DEFAULT_MAX_WRITE_BUFFER,
            overflow: OverflowPolicy::Close,
            linger_timeout: Self::DEFAULT_LINGER_TIMEOUT,
            keep_output_capacity: Self::DEFAULT_KEEP_OUTPUT_CAPACITY,
            #[cfg(feature = "deflate")]
            deflate: Some(crate::DeflateConfig::default()),
            #[cfg(feature = "tls")]
            tls_server: None,
            #[cfg(feature = "tls")]
            tls_client: None,
        }
    }

    /// [`DriverConfig::connection`] for a new connection (what the driver gives
    /// [`Connection::server`](sockeye_proto::Connection::server), and what a front end
    /// that builds its own connections should give it): one `Arc` shared by every
    /// connection of this configuration, so each holds a pointer rather than its own
    /// copy of the limits (88 bytes of an idle connection's memory otherwise).
    ///
    /// The shared copy is made on first use and handed out while it still equals
    /// `connection`; if the field was changed since (through `Arc::get_mut`, or on a
    /// clone, whose cache starts empty anyway), the connection gets a fresh copy of the
    /// field as it is now, so a change is never missed.
    pub fn shared_connection(&self) -> Arc<sockeye_proto::Config> {
        match self.shared.0.get() {
            Some(shared) if **shared == self.connection => Arc::clone(shared),
            Some(_) => Arc::new(self.connection.clone()),
            None => {
                let fresh = Arc::new(self.connection.clone());
                // Another thread may have set it meanwhile: either copy is the same value.
                let _ = self.shared.0.set(Arc::clone(&fresh));
                fresh
            }
        }
    }

    /// Where reading resumes after back-pressure stopped it: half the high-water mark.
    pub(crate) fn low_water(&self) -> usize {
        self.write_high_water / 2
    }
}

/// The cache behind [`DriverConfig::shared_connection`]. A clone starts empty, so a clone
/// changed afterwards never hands out the original's limits.
#[derive(Default)]
struct SharedConnection(OnceLock<Arc<sockeye_proto::Config>>);

impl Clone for SharedConnection {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl core::fmt::Debug for SharedConnection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // A cache of `connection`, which `Debug` shows already.
        f.write_str("..")
    }
}

impl Default for DriverConfig {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_share_one_copy_of_the_limits_and_never_a_stale_one() {
        let mut config = DriverConfig::new();
        config.connection.max_message_size = 1000;
        let a = config.shared_connection();
        let b = config.shared_connection();
        assert!(Arc::ptr_eq(&a, &b), "one shared copy");
        assert_eq!(a.max_message_size, 1000);

        // A change after the cache was made is seen by the next connection.
        config.connection.max_message_size = 2000;
        let c = config.shared_connection();
        assert_eq!(c.max_message_size, 2000);
        assert_eq!(a.max_message_size, 1000, "earlier connections keep theirs");

        // A clone starts without the original's cache.
        let mut copy = config.clone();
        copy.connection.max_message_size = 3000;
        assert_eq!(copy.shared_connection().max_message_size, 3000);
    }
}

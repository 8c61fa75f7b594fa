//! Options of a client connection, and the steps both clients share.

use core::time::Duration;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use sockeye_driver::{DeflateConfig, Driver, DriverConfig, OverflowPolicy};
use sockeye_handshake::{ClientRequest, Limits, WsUrl};
use sockeye_proto::Config;

use crate::error::Rejected;
use crate::random::{OsMasks, nonce};
use crate::{Error, MioClient, Timeout, WebSocket};

/// Default [`ClientBuilder::connect_timeout`]: 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`ClientBuilder::handshake_timeout`]: 10 s.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`ClientBuilder::write_timeout`]: 30 s.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default [`ClientBuilder::max_write_buffer`]: 32 MiB.
pub const DEFAULT_MAX_WRITE_BUFFER: usize = 32 << 20;
/// Most bytes of a rejected response's body kept in [`Rejected::body`].
const MAX_REJECTED_BODY: usize = 64 * 1024;
/// Output capacity kept after the buffer drains; more is given back to the allocator.
const KEEP_OUT_CAPACITY: usize = 64 * 1024;

/// Options for a client connection; [`connect`](Self::connect) opens a blocking
/// [`WebSocket`], [`connect_mio`](Self::connect_mio) a non-blocking [`MioClient`].
///
/// Every option has a safe default (see the [crate documentation](crate#limits-and-timeouts)).
/// Subprotocols and headers are checked when connecting:
/// [`Error::InvalidOption`] for a subprotocol that is not a token or a header that could
/// inject into the request.
///
/// ```
/// use std::time::Duration;
/// use sockeye_client::ClientBuilder;
///
/// let mut config = sockeye_proto::Config::default();
/// config.max_message_size = 1 << 20;
/// let builder = ClientBuilder::new()
///     .protocol("chat")
///     .protocol("superchat")
///     .header("Authorization", "Bearer 123")
///     .connect_timeout(Duration::from_secs(3))
///     .read_timeout(Some(Duration::from_secs(60)))
///     .config(config);
/// // builder.connect("ws://127.0.0.1:9001/chat")?
/// # let _ = builder;
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    pub(crate) protocols: Vec<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) origin: Option<String>,
    pub(crate) connect_timeout: Duration,
    pub(crate) handshake_timeout: Duration,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) write_timeout: Option<Duration>,
    pub(crate) config: Config,
    pub(crate) limits: Limits,
    pub(crate) max_write_buffer: usize,
    pub(crate) deflate: Option<DeflateConfig>,
    /// `wss://`: whom to trust (default: the system's roots).
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<sockeye_driver::tls::TlsClientConfig>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientBuilder {
    /// The defaults: no subprotocol, no extra header, the timeouts and limits listed in
    /// the [crate documentation](crate#limits-and-timeouts).
    pub fn new() -> Self {
        Self {
            protocols: Vec::new(),
            headers: Vec::new(),
            origin: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            read_timeout: None,
            write_timeout: Some(DEFAULT_WRITE_TIMEOUT),
            config: Config::default(),
            limits: Limits::new(),
            max_write_buffer: DEFAULT_MAX_WRITE_BUFFER,
            deflate: Some(DeflateConfig::context_takeover()),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// `wss://` trusts the roots of `tls` (e.g.
    /// [`TlsClientConfig::system`](sockeye_driver::tls::TlsClientConfig::system) with a
    /// CA file, or [`with_ca_file`](sockeye_driver::tls::TlsClientConfig::with_ca_file) for
    /// a private CA) instead of the system's. The server's host name is always verified.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn tls(mut self, tls: sockeye_driver::tls::TlsClientConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Offers a subprotocol (`Sec-WebSocket-Protocol`), in order of preference. The one
    /// the server chose is [`WebSocket::protocol`] / [`MioClient::protocol`].
    #[must_use]
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocols.push(protocol.into());
        self
    }

    /// Adds a request header (`Cookie`, `Authorization`, `User-Agent`...).
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sends an `Origin` header, as a browser would.
    #[must_use]
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// How long establishing the TCP connection may take (per address tried, for the
    /// blocking client). Default 10 s. Name resolution is not covered (the system
    /// resolver has its own timeouts).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long after TCP is connected the server's `101` response may take to arrive,
    /// complete: an absolute deadline, not reset by each byte (a server trickling its
    /// response cannot hold the client). Default 10 s.
    #[must_use]
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Blocking client: how long [`WebSocket::recv`] waits for a message before returning
    /// [`Timeout::Read`](crate::Timeout::Read) (the connection stays usable). Default
    /// `None`: wait as long as the connection lives (use keepalive,
    /// [`Config::keepalive_interval`], to detect a dead peer).
    #[must_use]
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Blocking client: how long one write to the socket may block (a server that does
    /// not read). Default 30 s; `None` blocks indefinitely. A write timeout closes the
    /// connection.
    #[must_use]
    pub fn write_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// The WebSocket connection's limits and behaviour ([`sockeye_proto::Config`]:
    /// message and frame size limits, fragment count, keepalive, close timeout...).
    /// `streaming` is ignored by the blocking client, which always delivers whole
    /// messages.
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Shorthand: the largest message and frame accepted from the server (both
    /// [`Config::max_message_size`] and [`Config::max_frame_payload`]). Default 16 MiB.
    #[must_use]
    pub fn max_message_size(mut self, max: u64) -> Self {
        self.config.max_message_size = max;
        self.config.max_frame_payload = max;
        self
    }

    /// How long [`WebSocket::close`] waits for the server's close frame, and then again
    /// for the server to close TCP ([`Config::close_timeout`]). Default 5 s.
    #[must_use]
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.config.close_timeout = timeout;
        self
    }

    /// Caps on the server's handshake response head (default [`Limits::new`]: 8 KiB,
    /// 64 headers, 4 KiB lines).
    #[must_use]
    pub fn handshake_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Non-blocking client: the most bytes of output queued and not yet written before
    /// sends are refused with [`Error::WriteBufferFull`]. Default 32 MiB. (The blocking
    /// client writes each message before returning, so it only ever buffers one.)
    #[must_use]
    pub fn max_write_buffer(mut self, max: usize) -> Self {
        self.max_write_buffer = max;
        self
    }

    /// permessage-deflate (RFC 7692): what to offer and how to compress; `None` offers
    /// nothing. Default [`DeflateConfig::context_takeover`]: the offer browsers make
    /// (`permessage-deflate; client_max_window_bits`), context kept for the connection's
    /// life unless the server asks otherwise. The agreed parameters are
    /// [`WebSocket::deflate`] / [`MioClient::deflate`].
    #[must_use]
    pub fn deflate(mut self, deflate: Option<DeflateConfig>) -> Self {
        self.deflate = deflate;
        self
    }

    /// The WebSocket configuration these options will use.
    pub fn get_config(&self) -> &Config {
        &self.config
    }

    /// Opens a blocking connection to a `ws://` or `wss://` URL: TCP connect, TLS handshake
    /// for `wss://`, opening handshake.
    ///
    /// # Errors
    /// [`Error::Url`], [`Error::TlsNotSupported`] for `wss://` without the `tls` feature,
    /// [`Error::Tls`] for a failed TLS session, [`Error::InvalidOption`],
    /// [`Error::Io`] (connection refused...), [`Error::Timeout`] (connect, handshake),
    /// [`Error::Rejected`] for a non-`101` answer, [`Error::Handshake`] for an invalid one,
    /// [`Error::HandshakeEof`].
    pub fn connect(&self, url: &str) -> Result<WebSocket, Error> {
        crate::blocking::connect_with(self, url)
    }

    /// Starts a non-blocking connection to a `ws://` or `wss://` URL: resolves the host (blocking,
    /// through the system resolver), starts a non-blocking TCP connect to its first
    /// address and queues the handshake request. Register the result with a
    /// [`mio::Poll`] and drive it (see [`MioClient`]).
    ///
    /// # Errors
    /// [`Error::Url`], [`Error::TlsNotSupported`], [`Error::InvalidOption`],
    /// [`Error::NoAddress`], [`Error::Io`].
    pub fn connect_mio(&self, url: &str) -> Result<MioClient, Error> {
        let parsed = parse_url(url)?;
        let addr = resolve(&parsed)?
            .into_iter()
            .next()
            .ok_or(Error::NoAddress)?;
        let stream = mio::net::TcpStream::connect(addr)?;
        MioClient::with_parsed_url(stream, &parsed, self, Instant::now())
    }
}

/// Parses the URL; `wss://` needs the `tls` feature.
pub(crate) fn parse_url(url: &str) -> Result<WsUrl, Error> {
    let url = WsUrl::parse(url)?;
    if url.is_secure() && !cfg!(feature = "tls") {
        return Err(Error::TlsNotSupported);
    }
    Ok(url)
}

/// The system's roots, loaded once per process (shared by every client in it).
#[cfg(feature = "tls")]
fn system_tls() -> Result<sockeye_driver::tls::TlsClientConfig, Error> {
    sockeye_driver::tls::TlsClientConfig::system_shared().map_err(Error::TlsConfig)
}

/// The addresses of the URL's host.
pub(crate) fn resolve(url: &WsUrl) -> Result<Vec<SocketAddr>, Error> {
    let addrs: Vec<SocketAddr> = (url.host(), url.port()).to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(Error::NoAddress);
    }
    Ok(addrs)
}

/// How long a client waits for the server's TCP close after the connection ended (its
/// input discarded), at most: closing a socket with unread input makes the kernel send a
/// reset, which can destroy our last frame before the server reads it.
const LINGER_MAX: Duration = Duration::from_secs(1);

impl ClientBuilder {
    /// The driver's configuration for these options. The blocking client writes every
    /// message before returning, so it never queues more than one: no output cap.
    pub(crate) fn driver_config(&self, blocking: bool) -> Arc<DriverConfig> {
        let mut config = DriverConfig::default();
        config.connection = self.config.clone();
        if blocking {
            config.connection.streaming = false;
        }
        config.handshake_timeout = self.handshake_timeout;
        config.connect_timeout = self.connect_timeout;
        config.handshake_limits = self.limits;
        config.max_write_buffer = if blocking {
            usize::MAX
        } else {
            self.max_write_buffer
        };
        // A client keeps reading while its output waits (a load generator must).
        config.write_high_water = config.max_write_buffer;
        config.overflow = OverflowPolicy::Refuse;
        config.linger_timeout = self.config.close_timeout.min(LINGER_MAX);
        config.keep_output_capacity = KEEP_OUT_CAPACITY;
        config.deflate = self.deflate.clone();
        Arc::new(config)
    }

    /// The driver of a new connection to `url`: the request (with a fresh OS-random key)
    /// is queued, frames will be masked with OS-random keys. The flag reports a failure of
    /// the random source (check it before writing).
    pub(crate) fn driver(
        &self,
        url: &WsUrl,
        blocking: bool,
        now: Instant,
    ) -> Result<(Driver, Arc<AtomicBool>), Error> {
        let mut request = ClientRequest::new(url, nonce()?).limits(self.limits);
        if let Some(origin) = &self.origin {
            request = request.origin(origin)?;
        }
        for protocol in &self.protocols {
            request = request.protocol(protocol)?;
        }
        for (name, value) in &self.headers {
            request = request.header(name, value)?;
        }
        #[cfg(feature = "tracing")]
        {
            let mut head = Vec::new();
            let _ = request.clone().write(&mut head);
            crate::trace::event!(debug, host = url.host(), head = %String::from_utf8_lossy(&head).trim_end(), "request");
        }
        let masks = OsMasks::new();
        let failed = masks.failure_flag();
        #[cfg(feature = "tls")]
        if url.is_secure() {
            let mut config = Arc::unwrap_or_clone(self.driver_config(blocking));
            config.tls_client = Some(match &self.tls {
                Some(tls) => tls.clone(),
                None => system_tls()?,
            });
            let driver =
                Driver::client_tls(Arc::new(config), request, url.host(), Box::new(masks), now)
                    .map_err(|e| match e {
                        sockeye_driver::Error::Tls(e) => Error::Tls(e),
                        other => Error::Io(std::io::Error::other(other)),
                    })?;
            return Ok((driver, failed));
        }
        let driver = Driver::client(self.driver_config(blocking), request, Box::new(masks), now);
        Ok((driver, failed))
    }
}

/// The client's error for a driver's: how the connection ended. A rejection takes the
/// server's response out of the driver.
pub(crate) fn driver_error(e: sockeye_driver::Error, driver: &mut Driver) -> Error {
    use sockeye_driver::Error as D;
    match e {
        D::Protocol(e) => Error::Protocol(e),
        D::Response(e) => Error::Handshake(e),
        D::Rejected { .. } => match driver.take_rejection() {
            Some(r) => {
                let mut body = r.body;
                body.truncate(MAX_REJECTED_BODY);
                Error::Rejected(Box::new(Rejected {
                    response: r.response,
                    body,
                }))
            }
            None => Error::HandshakeEof,
        },
        D::HandshakeTimeout => Error::Timeout(Timeout::Handshake),
        D::ConnectTimeout => Error::Timeout(Timeout::Connect),
        D::HandshakeEof => Error::HandshakeEof,
        #[cfg(feature = "tls")]
        D::Tls(e) => Error::Tls(e),
        // Server-side errors: a client driver does not produce them.
        other => Error::Io(std::io::Error::other(other)),
    }
}

//! The client's opening handshake, by the driver: [`connect`], [`client_with_stream`] and
//! [`ClientBuilder`].

use std::future::poll_fn;
use std::sync::Arc;
use std::task::Poll;

use sockeye_driver::{Driver, DriverConfig};
use sockeye_handshake::{ClientRequest, Response, WsUrl};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::conn::{Conn, now};
use crate::masks::{OsMasks, nonce};
use crate::{Error, WebSocketStream, defaults};

/// Connects to a `ws://` or `wss://` URL with the default options: TCP (`TCP_NODELAY`
/// on), TLS for `wss://` (feature `tls`: rustls in the driver, the system's roots, the
/// host name verified), then the opening handshake (offering permessage-deflate).
/// Returns the open connection and the server's `101` response. See [`ClientBuilder`]
/// for subprotocols, headers, limits and other roots.
///
/// Not cancel safe: dropping the future drops the connection.
///
/// # Errors
/// [`Error::Url`]; [`Error::TlsNotSupported`] for `wss://` without the `tls` feature;
/// `Error::Tls` (a refused certificate, the peer's alert) and `Error::TlsConfig` (no
/// system roots) with it; [`Error::Io`] (refused, unreachable, no such host);
/// [`Error::ConnectTimeout`]; [`Error::HandshakeTimeout`]; [`Error::Rejected`] for a
/// non-`101` answer; [`Error::Response`] for an invalid one; [`Error::HandshakeEof`].
pub async fn connect(url: &str) -> Result<(WebSocketStream<TcpStream>, Response), Error> {
    ClientBuilder::new().connect(url).await
}

/// The opening handshake to `url` over a transport the caller connected (a Unix socket, a
/// proxy tunnel, a TLS stream of the caller's own): the URL gives the `Host` header and
/// the request target; no TLS is added, even for `wss://`.
///
/// # Errors
/// As [`connect`], without the TCP ones.
pub async fn client_with_stream<S>(
    url: &str,
    stream: S,
) -> Result<(WebSocketStream<S>, Response), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    ClientBuilder::new().connect_with_stream(url, stream).await
}

/// Options of a client connection: subprotocols, headers, `Origin`, and the driver's
/// configuration (limits, timeouts, keepalive, permessage-deflate).
///
/// ```no_run
/// # async fn f() -> Result<(), sockeye_tokio::Error> {
/// let mut config = sockeye_tokio::DriverConfig::default();
/// config.connection.max_message_size = 1 << 20;
/// let (ws, response) = sockeye_tokio::ClientBuilder::new()
///     .protocol("chat")
///     .header("Authorization", "Bearer 123")
///     .config(config)
///     .connect("ws://127.0.0.1:9001/chat")
///     .await?;
/// assert_eq!(ws.protocol(), Some("chat"));
/// # let _ = response; Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientBuilder {
    protocols: Vec<String>,
    headers: Vec<(String, String)>,
    origin: Option<String>,
    config: Option<Arc<DriverConfig>>,
    #[cfg(feature = "tls")]
    tls: Option<sockeye_driver::tls::TlsClientConfig>,
}

impl ClientBuilder {
    /// No subprotocol, no extra header, the default configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// Offers a subprotocol (`Sec-WebSocket-Protocol`), in order of preference.
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

    /// Sends an `Origin` header, as a browser does.
    #[must_use]
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// The driver's configuration: the connection's limits
    /// ([`DriverConfig::connection`]), connect and handshake timeouts, output bounds,
    /// permessage-deflate ([`DriverConfig::deflate`]: `None` offers nothing). Default:
    /// [`DriverConfig::default`] offering permessage-deflate with context takeover.
    #[must_use]
    pub fn config(mut self, config: impl Into<Arc<DriverConfig>>) -> Self {
        self.config = Some(config.into());
        self
    }

    /// What `wss://` trusts (feature `tls`): e.g.
    /// [`TlsClientConfig::with_ca_file`](sockeye_driver::tls::TlsClientConfig::with_ca_file),
    /// or [`system`](sockeye_driver::tls::TlsClientConfig::system) plus CA files. Without
    /// it: the configuration's [`DriverConfig::tls_client`], else the system's roots. The
    /// host name is always verified.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn tls(mut self, tls: sockeye_driver::tls::TlsClientConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Connects to a `ws://` or `wss://` URL: TCP within
    /// [`DriverConfig::connect_timeout`], then TLS and the handshake, both within
    /// [`DriverConfig::handshake_timeout`]; see [`connect`].
    ///
    /// # Errors
    /// As [`connect`].
    pub async fn connect(
        &self,
        url: &str,
    ) -> Result<(WebSocketStream<TcpStream>, Response), Error> {
        let parsed = WsUrl::parse(url)?;
        let config = self.driver_config();
        let config = if parsed.is_secure() {
            self.tls_config(config)?
        } else {
            config
        };
        let connecting = TcpStream::connect((parsed.host(), parsed.port()));
        let stream = match tokio::time::timeout(config.connect_timeout, connecting).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Err(Error::Io(e)),
            Err(_) => return Err(Error::ConnectTimeout),
        };
        stream.set_nodelay(true)?;
        let tls = parsed.is_secure();
        self.handshake(&parsed, stream, config, tls).await
    }

    /// The handshake over a connected transport; see [`client_with_stream`].
    ///
    /// # Errors
    /// As [`client_with_stream`].
    pub async fn connect_with_stream<S>(
        &self,
        url: &str,
        stream: S,
    ) -> Result<(WebSocketStream<S>, Response), Error>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let parsed = WsUrl::parse(url)?;
        self.handshake(&parsed, stream, self.driver_config(), false)
            .await
    }

    fn driver_config(&self) -> Arc<DriverConfig> {
        self.config.clone().unwrap_or_else(defaults::client)
    }

    /// `config` with the roots `wss://` trusts.
    #[cfg(feature = "tls")]
    fn tls_config(&self, config: Arc<DriverConfig>) -> Result<Arc<DriverConfig>, Error> {
        if self.tls.is_none() && config.tls_client.is_some() {
            return Ok(config);
        }
        let tls = match &self.tls {
            Some(tls) => tls.clone(),
            None => system_roots()?,
        };
        let mut config = Arc::unwrap_or_clone(config);
        config.tls_client = Some(tls);
        Ok(Arc::new(config))
    }

    #[cfg(not(feature = "tls"))]
    #[allow(clippy::unused_self)]
    fn tls_config(&self, _: Arc<DriverConfig>) -> Result<Arc<DriverConfig>, Error> {
        Err(Error::TlsNotSupported)
    }

    /// `tls`: the driver runs TLS over `stream` (`connect` to a `wss://` URL).
    async fn handshake<S>(
        &self,
        url: &WsUrl,
        stream: S,
        config: Arc<DriverConfig>,
        tls: bool,
    ) -> Result<(WebSocketStream<S>, Response), Error>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut request = ClientRequest::new(url, nonce()?).limits(config.handshake_limits);
        if let Some(origin) = &self.origin {
            request = request.origin(origin)?;
        }
        for protocol in &self.protocols {
            request = request.protocol(protocol)?;
        }
        for (name, value) in &self.headers {
            request = request.header(name, value)?;
        }
        let (masks, failed) = OsMasks::new();
        let now = now();
        let mut driver = new_driver(config, request, url, tls, Box::new(masks), now)?;
        // The transport is up: the handshake deadline is absolute from here.
        driver.connected(now);
        let mut conn = Conn::new(stream, driver, Some(failed));
        poll_fn(|cx| {
            loop {
                if conn.driver.is_open() {
                    return Poll::Ready(Ok(()));
                }
                if conn.driver.is_finished() {
                    let error = conn.pop().and_then(Result::err);
                    return Poll::Ready(Err(error.unwrap_or(Error::HandshakeEof)));
                }
                if conn.poll_drive(cx).is_pending() {
                    return Poll::Pending;
                }
            }
        })
        .await?;
        let response = match conn.driver.accepted() {
            Some(accepted) => accepted.response().clone(),
            None => return Err(Error::HandshakeEof),
        };
        Ok((WebSocketStream::new(conn), response))
    }
}

/// The client driver: TLS in the driver when `tls` (RFC 6455 §4.1: a secure connection
/// performs the TLS handshake before the opening handshake).
fn new_driver(
    config: Arc<DriverConfig>,
    request: ClientRequest,
    url: &WsUrl,
    tls: bool,
    masks: Box<dyn sockeye_proto::MaskSource>,
    now: std::time::Instant,
) -> Result<Driver, Error> {
    #[cfg(feature = "tls")]
    if tls {
        return Driver::client_tls(config, request, url.host(), masks, now).map_err(|e| match e {
            sockeye_driver::Error::Tls(e) => Error::Tls(e),
            other => Error::Driver(other),
        });
    }
    let _ = (url, tls);
    Ok(Driver::client(config, request, masks, now))
}

/// The system's roots, loaded once per process (shared by every client in it).
#[cfg(feature = "tls")]
fn system_roots() -> Result<sockeye_driver::tls::TlsClientConfig, Error> {
    sockeye_driver::tls::TlsClientConfig::system_shared().map_err(Error::TlsConfig)
}

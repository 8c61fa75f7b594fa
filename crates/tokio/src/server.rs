//! The server's opening handshake, by the driver: `accept` and its variants, and
//! [`ServerHandshake`] for a decision that takes its time (an async lookup).

use std::future::poll_fn;
use std::sync::Arc;
use std::task::Poll;

use sockeye_driver::{Driver, DriverConfig};
use sockeye_handshake::{Accept, Reject, Request, RequestError};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::buffers::{lend_output, reclaim_output};
use crate::conn::{Conn, now};
use crate::{Error, WebSocketStream, defaults};

/// Accepts a WebSocket connection on `stream` with the default configuration:
/// reads the client's request, answers `101` (with permessage-deflate when the client
/// offers it), and returns the open connection. The handshake must complete within
/// [`DriverConfig::handshake_timeout`] (10 s, absolute: a client trickling its request
/// cannot stretch it).
///
/// Not cancel safe: dropping the future drops the connection.
///
/// # Errors
/// [`Error::Request`] for an invalid request (its HTTP error response was sent),
/// [`Error::HandshakeTimeout`], [`Error::HandshakeEof`], [`Error::Io`].
pub async fn accept<S>(stream: S) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with_config(stream, defaults::server()).await
}

/// [`accept`] with `config`'s limits and timers (share one `Arc` between connections:
/// permessage-deflate's shared compressor is made once per config).
///
/// # Errors
/// As [`accept`].
pub async fn accept_with_config<S>(
    stream: S,
    config: impl Into<Arc<DriverConfig>>,
) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_hdr_with_config(stream, config, |_: &Request| Ok(Accept::new())).await
}

/// [`accept`], with `decide` looking at the request (path, `Origin`, cookies, offered
/// subprotocols) and answering with an [`Accept`] (a subprotocol, headers) or a
/// [`Reject`] (a status, headers, a body).
///
/// # Errors
/// As [`accept`]; [`Error::Refused`] after a rejection was sent; [`Error::Accept`] when
/// the `Accept` chose a subprotocol the client did not offer (a `500` was sent).
pub async fn accept_hdr<S, F>(stream: S, decide: F) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    accept_hdr_with_config(stream, defaults::server(), decide).await
}

/// [`accept_hdr`] with `config`.
///
/// # Errors
/// As [`accept_hdr`].
pub async fn accept_hdr_with_config<S, F>(
    stream: S,
    config: impl Into<Arc<DriverConfig>>,
    decide: F,
) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&Request) -> Result<Accept, Reject>,
{
    let handshake = read_request(stream, config).await?;
    match decide(handshake.request()) {
        Ok(accept) => handshake.accept(&accept).await,
        Err(reject) => {
            let status = reject.status();
            handshake.reject(&reject).await?;
            Err(Error::Refused { status })
        }
    }
}

/// Reads the client's opening handshake request and stops there: the decision is the
/// caller's, and may await (a database, an auth service). The handshake deadline covers
/// the reading; the decision's time is the caller's to bound.
///
/// Not cancel safe: dropping the future drops the connection.
///
/// # Errors
/// As [`accept`].
pub async fn read_request<S>(
    stream: S,
    config: impl Into<Arc<DriverConfig>>,
) -> Result<ServerHandshake<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let driver = Driver::server(config.into(), now());
    let mut conn = Conn::new(stream, driver, None);
    poll_fn(|cx| {
        loop {
            if conn.request.is_some() {
                return Poll::Ready(Ok(()));
            }
            if conn.driver.is_finished() {
                // The error response (if any) is written and the transport closed.
                let error = conn.pop().and_then(Result::err);
                return Poll::Ready(Err(error.unwrap_or(Error::HandshakeEof)));
            }
            if conn.poll_drive(cx).is_pending() {
                return Poll::Pending;
            }
        }
    })
    .await?;
    match conn.request.take() {
        Some(request) => Ok(ServerHandshake { conn, request }),
        None => Err(Error::HandshakeEof),
    }
}

/// A connection whose request was read and waits for the application's answer
/// ([`read_request`]). Dropping it drops the connection without an answer.
#[derive(Debug)]
pub struct ServerHandshake<S> {
    conn: Conn<S>,
    request: Box<Request>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> ServerHandshake<S> {
    /// The client's request.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// Accepts: writes the `101` with `accept`'s choices (and permessage-deflate's answer
    /// when the client offered it and `accept` has none) and returns the open
    /// connection. Frames the client sent right after its request are kept.
    ///
    /// # Errors
    /// [`Error::Accept`] when `accept` chose a subprotocol the client did not offer (a
    /// `500` was sent); [`Error::Io`].
    pub async fn accept(mut self, accept: &Accept) -> Result<WebSocketStream<S>, Error> {
        lend_output(&mut self.conn.driver);
        let accepted = self.conn.driver.accept(accept, now());
        reclaim_output(&mut self.conn.driver);
        if let Err(e) = accepted {
            let e = Error::from_driver(e, &mut self.conn.driver);
            poll_fn(|cx| self.conn.poll_finish(cx)).await;
            return Err(e);
        }
        self.conn.protocol = accept.get_protocol().map(Into::into);
        poll_fn(|cx| self.conn.poll_flush(cx)).await?;
        Ok(WebSocketStream::new(self.conn))
    }

    /// Refuses with the application's response (`401` with a challenge, a redirect...),
    /// then closes the transport (resolving once it is closed).
    ///
    /// # Errors
    /// [`Error::Io`].
    pub async fn reject(mut self, reject: &Reject) -> Result<(), Error> {
        let refused = self.conn.driver.reject(reject, now());
        self.finish(refused).await
    }

    /// Refuses for a handshake rule the application checked (e.g.
    /// [`OriginAllowList::check`](sockeye_handshake::OriginAllowList::check): `403`),
    /// with the response that rule prescribes.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub async fn refuse(mut self, error: &RequestError) -> Result<(), Error> {
        let refused = self.conn.driver.refuse(error, now());
        self.finish(refused).await
    }

    async fn finish(&mut self, refused: Result<(), sockeye_driver::Error>) -> Result<(), Error> {
        if let Err(e) = refused {
            return Err(Error::from_driver(e, &mut self.conn.driver));
        }
        poll_fn(|cx| self.conn.poll_finish(cx)).await;
        Ok(())
    }
}

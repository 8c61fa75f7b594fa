//! The server's opening handshake, by the driver: `accept` and its variants, and
//! [`ServerHandshake`] for a decision that takes its time (an async lookup).

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

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
pub fn accept<S>(stream: S) -> Accepting<S, AcceptAll>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with_config(stream, defaults::server())
}

/// [`accept`] with `config`'s limits and timers (share one `Arc` between connections:
/// permessage-deflate's shared compressor is made once per config).
///
/// # Errors
/// As [`accept`].
pub fn accept_with_config<S>(
    stream: S,
    config: impl Into<Arc<DriverConfig>>,
) -> Accepting<S, AcceptAll>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_hdr_with_config(stream, config, |_: &Request| Ok(Accept::new()))
}

/// [`accept`], with `decide` looking at the request (path, `Origin`, cookies, offered
/// subprotocols) and answering with an [`Accept`] (a subprotocol, headers) or a
/// [`Reject`] (a status, headers, a body).
///
/// # Errors
/// As [`accept`]; [`Error::Refused`] after a rejection was sent; [`Error::Accept`] when
/// the `Accept` chose a subprotocol the client did not offer (a `500` was sent).
pub fn accept_hdr<S, F>(stream: S, decide: F) -> Accepting<S, F>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&Request) -> Result<Accept, Reject> + Unpin,
{
    accept_hdr_with_config(stream, defaults::server(), decide)
}

/// [`accept_hdr`] with `config`.
///
/// # Errors
/// As [`accept_hdr`].
pub fn accept_hdr_with_config<S, F>(
    stream: S,
    config: impl Into<Arc<DriverConfig>>,
    decide: F,
) -> Accepting<S, F>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&Request) -> Result<Accept, Reject> + Unpin,
{
    let driver = Driver::server(config.into(), now());
    Accepting {
        conn: Some(Conn::new(stream, driver, None)),
        decide: Some(decide),
        step: Step::Reading,
    }
}

/// The future of the `accept` functions: the whole handshake's state in one place (the
/// connection and the decision). A task that accepts and then serves holds no more than
/// the stream itself, where a nest of `async fn`s would keep each step's locals side by
/// side in the task for its whole life. Not cancel safe: dropping it drops the
/// connection.
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Accepting<S, F> {
    conn: Option<Conn<S>>,
    decide: Option<F>,
    step: Step,
}

#[derive(Debug)]
enum Step {
    /// Until the request is complete.
    Reading,
    /// The `101` is queued: written, then the stream is ready.
    Answering,
    /// Refused or failed: the response goes out and the transport closes, then this.
    Ending(Box<Error>),
}

/// The server accepts `decide`'s function type whatever it is; this names the default.
pub type AcceptAll = fn(&Request) -> Result<Accept, Reject>;

impl<S, F> Future for Accepting<S, F>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&Request) -> Result<Accept, Reject> + Unpin,
{
    type Output = Result<WebSocketStream<S>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Some(conn) = this.conn.as_mut() else {
            return Poll::Ready(Err(Error::HandshakeEof)); // polled after it completed
        };
        loop {
            match &mut this.step {
                Step::Ending(_) => {
                    // The client reads the response before the transport closes.
                    std::task::ready!(conn.poll_finish(cx, true));
                    this.conn = None;
                    let Step::Ending(e) = core::mem::replace(&mut this.step, Step::Reading) else {
                        return Poll::Ready(Err(Error::HandshakeEof));
                    };
                    return Poll::Ready(Err(*e));
                }
                Step::Answering => {
                    std::task::ready!(conn.poll_flush(cx))?;
                    return match this.conn.take() {
                        Some(conn) => Poll::Ready(Ok(WebSocketStream::new(conn))),
                        None => Poll::Ready(Err(Error::HandshakeEof)),
                    };
                }
                Step::Reading => {}
            }
            if let Some(request) = conn.request.take() {
                let decision = match this.decide.take() {
                    Some(decide) => decide(&request),
                    None => Ok(Accept::new()),
                };
                this.step = answer(conn, decision);
                continue;
            }
            if conn.driver.is_finished() {
                // The error response (if any) is written and the transport closed.
                let error = conn.pop().and_then(Result::err);
                this.conn = None;
                return Poll::Ready(Err(error.unwrap_or(Error::HandshakeEof)));
            }
            std::task::ready!(conn.poll_drive(cx));
        }
    }
}

/// The application's decision, given to the driver: what comes next.
fn answer<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Conn<S>,
    decision: Result<Accept, Reject>,
) -> Step {
    lend_output(&mut conn.driver);
    let step = match decision {
        Ok(accept) => match conn.driver.accept(&accept, now()) {
            Ok(()) => {
                conn.protocol = accept.get_protocol().map(Into::into);
                Step::Answering
            }
            Err(e) => Step::Ending(Box::new(Error::from_driver(e, &mut conn.driver))),
        },
        Err(reject) => match conn.driver.reject(&reject, now()) {
            Ok(()) => Step::Ending(Box::new(Error::Refused {
                status: reject.status(),
            })),
            Err(e) => Step::Ending(Box::new(Error::from_driver(e, &mut conn.driver))),
        },
    };
    reclaim_output(&mut conn.driver);
    step
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
            poll_fn(|cx| self.conn.poll_finish(cx, true)).await;
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
        poll_fn(|cx| self.conn.poll_finish(cx, true)).await;
        Ok(())
    }
}

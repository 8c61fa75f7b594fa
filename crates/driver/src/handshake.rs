//! The opening handshake in both roles (RFC 6455 §4), and the server application's
//! decision on a request.
//!
//! The head is collected in a small buffer, at most [`Limits::max_head_len`] bytes: the
//! bytes after the head are never copied, they stay in the caller's input (`consumed`
//! stops at the end of the head), so nothing of the next layer is lost.
//!
//! [`Limits::max_head_len`]: sockeye_handshake::Limits::max_head_len

use std::time::Instant;

use sockeye_handshake::{Accept, Incoming, Outcome, Reject, RequestError, Status};
use sockeye_proto::Connection;

use crate::driver::{Closing, Core, Open, Phase, Rejection};
use crate::{Driver, Error, Event, Outbox, Recv};

/// Most bytes of a rejection's body kept for [`Driver::take_rejection`].
const MAX_REJECTION_BODY: usize = 64 << 10;

impl<'a> Core<'a> {
    /// Server: the request head, until complete.
    pub(crate) fn recv_request(self, input: &'a mut [u8], now: Instant) -> Result<Recv<'a>, Error> {
        let Phase::Accepting(a) = &mut *self.phase else {
            return Err(Error::NoRequest);
        };
        if a.pending() {
            return Err(Error::DecisionPending);
        }
        let before = a.buf.len();
        let take = head_room(
            before,
            self.config.handshake_limits.get_max_head_len(),
            input,
        );
        a.buf.extend_from_slice(take);
        let taken = take.len();
        let parsed = if self.config.serve_http {
            a.parser.parse_incoming(&a.buf)
        } else {
            a.parser.parse(&a.buf).map(|s| s.map(Incoming::Upgrade))
        };
        match parsed {
            Ok(Status::Incomplete) => Ok(Recv {
                consumed: taken,
                event: None,
                outbox: Outbox::inert(),
            }),
            Ok(Status::Complete(incoming)) => {
                // The head ends in this input (it had not before it).
                let head_len = match &incoming {
                    Incoming::Upgrade(r) => r.head_len(),
                    Incoming::Http(r) => r.head_len(),
                    _ => 0,
                };
                let consumed = head_len.saturating_sub(before).min(taken);
                a.buf = Vec::new();
                match incoming {
                    Incoming::Upgrade(r) => a.request = Some(r),
                    Incoming::Http(r) => a.http = Some(r),
                    _ => return Err(Error::NoRequest),
                }
                let Phase::Accepting(a) = self.phase else {
                    return Err(Error::NoRequest);
                };
                let event = match (&a.request, &a.http) {
                    (Some(r), _) => Some(Event::Request(r)),
                    (None, Some(r)) => Some(Event::Http(r)),
                    (None, None) => None,
                };
                Ok(Recv {
                    consumed,
                    event,
                    outbox: Outbox::inert(),
                })
            }
            Err(refused) => {
                // §4.2.1: "the server MUST stop processing the client's handshake and return
                // an HTTP response with an appropriate error code".
                refused.write_response(self.out.buf());
                *self.phase = self.closing(now);
                Err(Error::Request(refused))
            }
        }
    }

    /// Client: the response head, until complete; then the connection opens.
    pub(crate) fn recv_response(
        mut self,
        input: &'a mut [u8],
        now: Instant,
    ) -> Result<Recv<'a>, Error> {
        let Phase::Connecting(c) = &mut *self.phase else {
            return Err(Error::HandshakeEof);
        };
        let before = c.buf.len();
        let take = head_room(
            before,
            self.config.handshake_limits.get_max_head_len(),
            input,
        );
        c.buf.extend_from_slice(take);
        let taken = take.len();
        let outcome = match c.handshake.parse_response(&c.buf) {
            Ok(Status::Incomplete) => {
                return Ok(Recv {
                    consumed: taken,
                    event: None,
                    outbox: Outbox::inert(),
                });
            }
            Ok(Status::Complete(outcome)) => Ok(outcome),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(Outcome::Accepted(accepted)) => {
                let Some(masks) = c.masks.take() else {
                    return Err(Error::HandshakeEof);
                };
                let consumed = accepted.head_len().saturating_sub(before).min(taken);
                let ws = Connection::client(self.config.shared_connection(), masks, now);
                // permessage-deflate: a response we did not allow fails the connection.
                #[cfg(feature = "deflate")]
                let (ws, params) = {
                    let config = self.config.deflate.as_ref();
                    match crate::deflate::client_agreed(config, accepted.extensions()) {
                        Ok(params) => (crate::deflate::install(config, ws, params), params),
                        Err(e) => {
                            self.out.clear();
                            *self.phase = self.closing(now);
                            return Err(Error::Response(e));
                        }
                    }
                };
                let open = Open::new(ws, now);
                #[cfg(feature = "deflate")]
                let open = open.with_deflate(params);
                *self.phase = Phase::Open(Box::new(open));
                let Phase::Open(open) = self.phase else {
                    return Err(Error::HandshakeEof);
                };
                let Open { ws, rare, .. } = &mut **open;
                let ends = self.ends.get_or_insert_with(Box::default);
                let protocol = ends.accepted.insert(accepted).protocol();
                Ok(Recv {
                    consumed,
                    event: Some(Event::Open { protocol }),
                    outbox: Outbox::new(crate::outbox::Parts {
                        sender: ws.sender(),
                        out: self.out,
                        rare,
                        config: self.config,
                        now,
                    }),
                })
            }
            Ok(Outcome::Rejected(response)) => {
                let status = response.status();
                let body_at = response.head_len().saturating_sub(before);
                let body = input.get(body_at..).unwrap_or_default();
                let body = body.get(..MAX_REJECTION_BODY).unwrap_or(body).to_vec();
                self.ends_mut().rejection = Some(Rejection { response, body });
                self.out.clear();
                *self.phase = self.closing(now);
                Err(Error::Rejected { status })
            }
            Err(e) => {
                self.out.clear();
                *self.phase = self.closing(now);
                Err(Error::Response(e))
            }
        }
    }
}

impl Driver {
    /// Server: accepts the request of the last [`Event::Request`] with the choices in
    /// `accept` (subprotocol, headers): the `101` is queued and the connection opens.
    ///
    /// # Errors
    /// [`Error::NoRequest`] without a pending request; [`Error::Accept`] if `accept`
    /// chooses what the client did not offer (§4.2.2): a `500` is queued instead and the
    /// connection ends — a bug on our side, not the client's.
    pub fn accept(&mut self, accept: &Accept, now: Instant) -> Result<(), Error> {
        self.advance();
        let Phase::Accepting(a) = &mut self.phase else {
            return Err(Error::NoRequest);
        };
        let Some(request) = a.request.take() else {
            return Err(Error::NoRequest);
        };
        // permessage-deflate: our answer to the client's offers goes into the 101.
        #[cfg(feature = "deflate")]
        let negotiated =
            crate::deflate::server_answer(self.config.deflate.as_ref(), &request, accept);
        #[cfg(feature = "deflate")]
        let accept = negotiated.as_ref().map_or(accept, |(a, _)| a);
        if let Err(e) = request.accept_with(accept, self.out.buf()) {
            if let Ok(reject) = Reject::new(500) {
                reject.write(self.out.buf());
            }
            self.phase = self.closing(now);
            return Err(Error::Accept(e));
        }
        let ws = Connection::server(self.config.shared_connection(), now);
        #[cfg(feature = "deflate")]
        let params = negotiated.map(|(_, params)| params);
        #[cfg(feature = "deflate")]
        let ws = crate::deflate::install(self.config.deflate.as_ref(), ws, params);
        let open = Open::new(ws, now);
        #[cfg(feature = "deflate")]
        let open = open.with_deflate(params);
        self.phase = Phase::Open(Box::new(open));
        Ok(())
    }

    /// Server: refuses the pending request with the application's own response (a `401`
    /// with a challenge, a redirect, a `404`...); the connection ends once it is written.
    ///
    /// # Errors
    /// [`Error::NoRequest`] without a pending request.
    pub fn reject(&mut self, reject: &Reject, now: Instant) -> Result<(), Error> {
        self.take_request()?;
        reject.write(self.out.buf());
        self.phase = self.closing(now);
        Ok(())
    }

    /// Server: refuses the pending request for a handshake rule the application checked
    /// (e.g. [`OriginAllowList::check`](sockeye_handshake::OriginAllowList::check): `403`),
    /// with the response that rule prescribes.
    ///
    /// # Errors
    /// [`Error::NoRequest`] without a pending request.
    pub fn refuse(&mut self, error: &RequestError, now: Instant) -> Result<(), Error> {
        self.take_request()?;
        error.write_response(self.out.buf());
        self.phase = self.closing(now);
        Ok(())
    }

    /// Server: answers the plain request of the last [`Event::Http`] with `response` (a
    /// page, an asset, a `404`...); for `HEAD`, its head only (RFC 9110 §9.3.2). The
    /// connection ends once it is written.
    ///
    /// # Errors
    /// [`Error::NoRequest`] without a pending plain request.
    pub fn respond(&mut self, response: &Reject, now: Instant) -> Result<(), Error> {
        self.advance();
        let Phase::Accepting(a) = &mut self.phase else {
            return Err(Error::NoRequest);
        };
        let Some(request) = a.http.take() else {
            return Err(Error::NoRequest);
        };
        response.write_for(request.method(), self.out.buf());
        self.phase = self.closing(now);
        Ok(())
    }

    fn take_request(&mut self) -> Result<(), Error> {
        self.advance();
        match &mut self.phase {
            Phase::Accepting(a) => a.request.take().map(drop).ok_or(Error::NoRequest),
            _ => Err(Error::NoRequest),
        }
    }

    /// The Closing phase, with the linger deadline from `now`.
    pub(crate) fn closing(&self, now: Instant) -> Phase {
        Phase::Closing(Box::new(Closing::new(now + self.config.linger_timeout)))
    }
}

/// The part of `input` that may join a head of `have` bytes: the scanner never looks past
/// `max` bytes, so nothing beyond is buffered (an over-long head fails with 431 there).
fn head_room(have: usize, max: usize, input: &[u8]) -> &[u8] {
    let room = max.saturating_sub(have);
    input.get(..room).unwrap_or(input)
}

//! Between the driver and the application: feeding received bytes to a connection's
//! driver and calling the handler for each event, the handshake decision, the end report.
//!
//! Every callback runs inside `catch_unwind`: a panicking handler closes only its own
//! connection (1011), and `on_close` panicking is contained too.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use sockeye_driver::{Closed, Error, Event};
use sockeye_handshake::Reject;
use sockeye_proto::CloseCode;

use crate::conn::Conn;
use crate::trace::event;
use crate::worker::Worker;
use crate::{Chunk, ConnId, Context, Handler, Message, Refusal, Stats};

impl<H: Handler> Worker<H> {
    /// Feeds one read's bytes to a connection and calls the handler for each event.
    pub(crate) fn feed(&mut self, slot: u32, id: ConnId, input: &mut [u8], now: Instant) {
        let Some(conn) = self.conns.get_mut(slot) else {
            return;
        };
        let handler = &*self.handler;
        let stats = &mut self.stats;
        let Conn {
            driver,
            state,
            poisoned,
            ..
        } = conn;
        let mut at = 0;
        while let Some(rest) = input.get_mut(at..) {
            // An error ends the connection; the driver has queued what the peer gets (a
            // close frame with the RFC's code, an HTTP error response).
            let r = match driver.recv(rest, now) {
                Ok(r) => r,
                Err(e) => {
                    failed(stats, id, e);
                    break;
                }
            };
            at += r.consumed;
            let Some(event) = r.event else { break };
            if let Event::Request(request) = event {
                let decision = catch_unwind(AssertUnwindSafe(|| handler.on_open(request, id)));
                decide(handler, driver, state, id, decision, now, stats);
                continue;
            }
            if let Event::Http(request) = event {
                let response = catch_unwind(AssertUnwindSafe(|| handler.on_http(request)))
                    .unwrap_or_else(|_panic| crate::assets::status(500));
                event!(debug, conn = %id, path = request.path(), status = response.status(), "http");
                stats.http_responses += 1;
                // The request is pending: answering it cannot fail.
                let _ = driver.respond(&response, now);
                continue;
            }
            if matches!(
                event,
                Event::Text(_) | Event::Binary(_) | Event::Chunk { last: true, .. }
            ) {
                stats.messages_in += 1;
            }
            let Some(state) = state.as_mut().filter(|_| !*poisoned) else {
                continue;
            };
            let mut cx = Context {
                id,
                outbox: r.outbox,
                handle: &self.handle,
                sent: &mut stats.messages_out,
            };
            let call = catch_unwind(AssertUnwindSafe(|| match event {
                Event::Text(text) => handler.on_message(&mut cx, state, Message::Text(text)),
                Event::Binary(data) => handler.on_message(&mut cx, state, Message::Binary(data)),
                Event::Ping(payload) => handler.on_ping(&mut cx, state, payload),
                Event::Pong(payload) => handler.on_pong(&mut cx, state, payload),
                // Only with `Handler::STREAMING` (else messages come whole).
                Event::Chunk {
                    kind,
                    data,
                    first,
                    last,
                } => handler.on_chunk(
                    &mut cx,
                    state,
                    Chunk {
                        kind,
                        data,
                        first,
                        last,
                    },
                ),
                // The peer's close goes to `on_close`, with how the connection ended.
                _ => {}
            }));
            if call.is_err() {
                *poisoned = true;
                // §7.4.1 1011: "a server is terminating the connection because it
                // encountered an unexpected condition that prevented it from fulfilling
                // the request".
                let _ = cx
                    .outbox
                    .close_with_error(CloseCode::INTERNAL_ERROR, "internal error");
            }
        }
    }

    /// Hands the end of an open connection to `on_close`, once.
    pub(crate) fn report_closed(&mut self, slot: u32, id: ConnId) {
        let Some(conn) = self.conns.get_mut(slot) else {
            return;
        };
        let Some(closed) = conn.driver.take_closed() else {
            return;
        };
        self.stats.closed(&closed);
        event!(
            debug,
            conn = %id,
            code = closed.code.as_u16(),
            by = closed.by.as_str(),
            clean = closed.clean,
            "closed"
        );
        if let Some(state) = conn.state.take() {
            on_close(&*self.handler, id, state, closed);
        }
    }
}

/// Counts (and traces) why `recv` ended a connection.
pub(crate) fn failed(stats: &mut Stats, id: ConnId, error: Error) {
    match error {
        Error::Protocol(e) if e.is_protocol_violation() => {
            stats.protocol_errors += 1;
            event!(info, conn = %id, error = %e, "protocol violation");
        }
        Error::Request(e) => {
            stats.refused(e.status());
            event!(info, conn = %id, status = e.status(), reason = %e, "refused");
        }
        Error::HandshakeTimeout | Error::HandshakeEof => {
            stats.handshake_failed += 1;
            event!(debug, conn = %id, error = %error, "handshake failed");
        }
        #[cfg(feature = "tls")]
        Error::Tls(e) => {
            stats.handshake_failed += 1;
            event!(info, conn = %id, error = %e, "TLS failed");
            let _ = e;
        }
        _ => {}
    }
    let _ = id;
}

/// Carries out the handler's decision on a request.
fn decide<H: Handler>(
    handler: &H,
    driver: &mut sockeye_driver::Driver,
    state: &mut Option<H::State>,
    id: ConnId,
    decision: std::thread::Result<Result<(H::State, sockeye_handshake::Accept), Refusal>>,
    now: Instant,
    stats: &mut Stats,
) {
    let status = match &decision {
        Ok(Ok(_)) => 101,
        Ok(Err(Refusal::Reject(reject))) => reject.status(),
        Ok(Err(Refusal::Request(error))) => error.status(),
        Err(_panic) => 500,
    };
    let refused = match decision {
        Ok(Ok((accepted_state, accept))) => match driver.accept(&accept, now) {
            Ok(()) => {
                *state = Some(accepted_state);
                stats.upgraded += 1;
                event!(debug, conn = %id, "open");
                return;
            }
            // The handler chose a subprotocol the client did not offer: our bug. The
            // driver answers 500; the state goes back to the handler.
            Err(_) => {
                stats.refused(500);
                event!(error, conn = %id, "the handler accepted with a subprotocol the client did not offer: 500");
                on_close(
                    handler,
                    id,
                    accepted_state,
                    closed(CloseCode::INTERNAL_ERROR),
                );
                return;
            }
        },
        Ok(Err(Refusal::Reject(reject))) => driver.reject(&reject, now),
        Ok(Err(Refusal::Request(error))) => driver.refuse(&error, now),
        Err(_panic) => match Reject::new(500) {
            Ok(reject) => driver.reject(&reject, now),
            Err(_) => Ok(()),
        },
    };
    // Refusing a request that is pending cannot fail.
    let _ = refused;
    stats.refused(status);
    event!(info, conn = %id, status, "refused by the handler");
}

fn on_close<H: Handler>(handler: &H, id: ConnId, state: H::State, closed: Closed) {
    let _ = catch_unwind(AssertUnwindSafe(|| handler.on_close(id, state, closed)));
}

fn closed(code: CloseCode) -> Closed {
    Closed {
        code,
        reason: String::new(),
        clean: false,
        by: sockeye_driver::ClosedBy::Local,
    }
}

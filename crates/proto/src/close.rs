//! The closing handshake (RFC 6455 §5.5.1, §7) and failing the connection (§7.1.7).
//!
//! States: `Open` → `Closing` (we sent a close frame, the peer's is awaited) → `Closed`;
//! or `Open` → `Closed` directly when the peer's close arrives first (our reply is queued)
//! or the connection fails. Who closes TCP (§7.1.1: "the underlying TCP connection, in
//! most normal cases, SHOULD be closed first by the server"): the server as soon as the
//! handshake is done or the connection failed; the client waits for the server to do so,
//! at most [`Config::close_timeout`](crate::Config::close_timeout).

use std::time::Instant;

use sockeye_frame::{CloseCode, ControlFrame};

use crate::timers::Timer;
use crate::{Error, Role, Sender, State, Violation};

impl Sender {
    /// Starts the closing handshake (§7.1.2): flushes the connection's pending control
    /// frames into `out`, then appends a close frame with `code` and `reason` (cut to 123
    /// bytes at a character boundary). Code 1005 ([`CloseCode::NO_STATUS_RECEIVED`]) sends
    /// a close frame without a body. Afterwards nothing but the handshake's completion is
    /// sent; incoming messages are still delivered until the peer's close arrives, or
    /// [`Config::close_timeout`](crate::Config::close_timeout) after `now`.
    ///
    /// # Errors
    /// [`Error::Closed`] if a close was already sent or received;
    /// [`Error::CloseCodeNotSendable`] for a code that may not be sent (§7.4).
    pub fn close(
        &mut self,
        code: CloseCode,
        reason: &str,
        now: Instant,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.check_open()?;
        let mask = self.mask_key();
        let frame = if code == CloseCode::NO_STATUS_RECEIVED {
            ControlFrame::close_empty(mask)
        } else {
            ControlFrame::close(code, reason, mask)
                .map_err(|_| Error::CloseCodeNotSendable(code.as_u16()))?
        };
        self.queue.drain_into(out);
        out.extend_from_slice(&frame);
        self.state = State::Closing;
        self.set_timer(Timer::Close, now + self.config.close_timeout);
        Ok(())
    }

    /// The peer's close frame arrived (its body already validated).
    pub(crate) fn on_peer_close(&mut self, code: CloseCode, now: Instant) {
        if self.state == State::Open {
            // §5.5.1: "If an endpoint receives a Close frame and did not previously send a
            // Close frame, the endpoint MUST send a Close frame in response. (When sending
            // a Close frame in response, the endpoint typically echos the status code it
            // received.)"
            let mask = self.mask_key();
            let reply = if code == CloseCode::NO_STATUS_RECEIVED {
                ControlFrame::close_empty(mask)
            } else {
                ControlFrame::close(code, "", mask).unwrap_or(ControlFrame::close_empty(mask))
            };
            self.queue.push(&reply);
        }
        self.state = State::Closed;
        match self.role {
            Role::Server => self.set_timer(Timer::None, now),
            // §7.1.1: the client waits for the server to close TCP, but not forever.
            Role::Client => self.set_timer(Timer::WaitTcpClose, now + self.config.close_timeout),
        }
    }

    /// _Fail the WebSocket Connection_ (§7.1.7): queue a close frame with `code` unless
    /// one was sent already, then stop; TCP is to be closed once it is written.
    pub(crate) fn fail(&mut self, kind: Violation, code: CloseCode) -> Error {
        if self.state == State::Open {
            // §7.1.7: "the endpoint SHOULD send a Close frame with an appropriate status
            // code before proceeding to _Close the WebSocket Connection_".
            let mask = self.mask_key();
            if let Ok(frame) = ControlFrame::close(code, "", mask) {
                self.queue.push(&frame);
            }
        }
        self.end_failed();
        Error::Protocol { kind, code }
    }

    /// Marks the connection closed after a failure: nothing more is processed or sent.
    pub(crate) fn end_failed(&mut self) {
        self.state = State::Closed;
        self.failed = true;
        self.fragmenting = None;
        self.timer = Timer::None;
        self.deadline = None;
    }

    /// The peer closed TCP.
    pub(crate) fn on_eof(&mut self) -> Result<(), Error> {
        self.tcp_close_due = true;
        self.timer = Timer::None;
        self.deadline = None;
        if self.state == State::Closed {
            return Ok(());
        }
        // §7.1.5: "If _The WebSocket Connection is Closed_ and no Close control frame was
        // received by the endpoint ... _The WebSocket Connection Close Code_ is considered
        // to be 1006."
        self.end_failed();
        self.queue.clear();
        Err(Error::AbnormalClosure)
    }

    /// Whether the driver should close the TCP connection now, after writing what
    /// [`poll_transmit`](Self::poll_transmit) produced; see
    /// [`Connection::should_close_tcp`](crate::Connection::should_close_tcp).
    pub fn should_close_tcp(&self) -> bool {
        self.state == State::Closed
            && self.queue.is_empty()
            && (self.role == Role::Server || self.failed || self.tcp_close_due)
    }
}

//! Time and the peer's EOF: every deadline of the connection's life, from `now` arguments.
//!
//! One deadline at a time, by phase: the connect and handshake deadlines (absolute, from
//! the accept or the connect: a trickling peer cannot stretch them), the connection's
//! keepalive and close-handshake timers (sockeye-proto's), and the linger bound while
//! closing.

use std::time::Instant;

use sockeye_proto::CloseCode;

use crate::driver::Phase;
use crate::{Driver, Error};

impl Driver {
    /// When [`handle_timeout`](Self::handle_timeout) is due next, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Accepting(a) => Some(a.deadline),
            Phase::Connecting(c) => Some(c.deadline),
            Phase::Open(o) => o.ws.poll_timeout(),
            Phase::Closing(c) => Some(c.deadline),
            Phase::Done => None,
        }
    }

    /// Runs what is due at `now`: the handshake deadlines, keepalive pings (then write
    /// [`poll_output`](Self::poll_output)), the close-handshake timeout, the linger bound.
    /// Early or repeated calls do nothing.
    ///
    /// # Errors
    /// [`Error::ConnectTimeout`], [`Error::HandshakeTimeout`] (the connection is finished:
    /// drop the transport), or [`Error::Protocol`] with a
    /// [`Timeout`](sockeye_proto::Error::Timeout) (keepalive or close handshake: the
    /// connection is over).
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        self.advance();
        match &mut self.phase {
            Phase::Accepting(a) if now >= a.deadline => {
                // Not accepted in time, however far the request got: drop it. No answer is
                // owed to a client that did not finish asking.
                self.end_now();
                return Err(Error::HandshakeTimeout);
            }
            Phase::Connecting(c) if now >= c.deadline => {
                let error = if c.connected {
                    Error::HandshakeTimeout
                } else {
                    Error::ConnectTimeout
                };
                self.end_now();
                return Err(error);
            }
            Phase::Open(open) => {
                open.now = now;
                if let Err(e) = open.ws.handle_timeout(now) {
                    open.fail(e.close_code().unwrap_or(CloseCode::ABNORMAL));
                    self.advance();
                    return Err(Error::Protocol(e));
                }
                self.advance();
            }
            Phase::Closing(c) if now >= c.deadline => {
                // The peer did not close its side in time: give up on it.
                self.end_now();
            }
            _ => {}
        }
        Ok(())
    }

    /// The peer closed its sending side (a read returned 0 bytes).
    ///
    /// # Errors
    /// [`Error::HandshakeEof`] during the opening handshake (finished: drop the
    /// transport); `Protocol(AbnormalClosure)` (1006) when the open connection had not
    /// completed its closing handshake (§7.1.5). Either way nothing more will be read.
    pub fn recv_eof(&mut self, now: Instant) -> Result<(), Error> {
        self.advance();
        match &mut self.phase {
            Phase::Accepting(_) | Phase::Connecting(_) => {
                self.end_now();
                Err(Error::HandshakeEof)
            }
            Phase::Open(open) => {
                open.now = now;
                open.rare_mut().peer_eof = true;
                let result = open.ws.recv_eof();
                if let Err(e) = result {
                    open.fail(e.close_code().unwrap_or(CloseCode::ABNORMAL));
                }
                self.advance();
                result.map_err(Error::Protocol)
            }
            Phase::Closing(c) => {
                c.peer_eof = true;
                if c.write_shut {
                    self.phase = Phase::Done;
                }
                Ok(())
            }
            Phase::Done => Ok(()),
        }
    }

    /// Finished at once: nothing more is written.
    fn end_now(&mut self) {
        self.phase = Phase::Done;
        self.out.clear();
    }
}

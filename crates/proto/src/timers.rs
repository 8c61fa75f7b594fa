//! The one timer of a connection: keepalive while open, the close handshake's timeout
//! while closing, the client's wait for the server's TCP close after it.
//!
//! Time is never read here: every `now` comes from the driver. Received bytes only set a
//! flag (no clock, no timer update on the receive path); the keepalive deadline looks at
//! it when it fires.

use std::time::Instant;

use sockeye_frame::ControlFrame;

use crate::{Error, Sender, State, TimeoutKind};

/// What the deadline means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// No deadline.
    None,
    /// Keepalive: send a ping at the deadline unless bytes arrived.
    Idle,
    /// Keepalive: a ping is out; fail at the deadline unless bytes arrived.
    AwaitPong,
    /// We sent close: give up on the peer's close at the deadline.
    Close,
    /// Client after the handshake: close TCP ourselves at the deadline.
    WaitTcpClose,
}

impl Sender {
    pub(crate) fn set_timer(&mut self, timer: Timer, at: Instant) {
        self.timer = timer;
        self.deadline = if timer == Timer::None { None } else { Some(at) };
    }

    /// Arms keepalive at construction.
    pub(crate) fn start_keepalive(&mut self, now: Instant) {
        if let Some(interval) = self.config.keepalive_interval {
            self.set_timer(Timer::Idle, now + interval);
        }
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        let Some(deadline) = self.deadline else {
            return Ok(());
        };
        if now < deadline {
            return Ok(());
        }
        let activity = core::mem::take(&mut self.activity);
        match self.timer {
            Timer::None => self.deadline = None,
            Timer::Idle | Timer::AwaitPong if self.state != State::Open => {
                self.set_timer(Timer::None, now);
            }
            Timer::Idle | Timer::AwaitPong if activity => {
                let interval = self.config.keepalive_interval.unwrap_or_default();
                self.set_timer(Timer::Idle, now + interval);
            }
            Timer::Idle => {
                let mask = self.mask_key();
                if let Ok(ping) = ControlFrame::ping(b"", mask) {
                    self.queue.push(&ping);
                }
                self.set_timer(Timer::AwaitPong, now + self.config.keepalive_timeout);
            }
            Timer::AwaitPong => {
                self.end_failed();
                return Err(Error::Timeout(TimeoutKind::Keepalive));
            }
            Timer::Close => {
                // §7.1.1 / §7.1.7: the peer did not complete the handshake in time.
                self.end_failed();
                return Err(Error::Timeout(TimeoutKind::Close));
            }
            Timer::WaitTcpClose => {
                // §7.1.1: the client "MAY close the connection at any time after sending
                // and receiving a Close message" — it waited long enough for the server.
                self.tcp_close_due = true;
                self.set_timer(Timer::None, now);
            }
        }
        Ok(())
    }
}

//! Control frames the connection produces on its own (auto-pongs, close replies, failure
//! closes, keepalive pings), waiting for [`Connection::poll_transmit`](crate::Connection::poll_transmit).
//!
//! The frames are kept encoded in one byte vector that is empty (no allocation) whenever
//! nothing is pending. Its size is bounded: at most `max_pending_pongs` pongs (each at
//! most 131 bytes), one keepalive ping and one close frame.

use sockeye_frame::ControlFrame;

/// The most pongs ever pending, whatever the configuration says: keeps the queue under
/// 64 KiB (positions fit a `u16`).
const MAX_PONGS: u16 = 256;

/// The queue.
#[derive(Debug, Default)]
pub(crate) struct ControlQueue {
    bytes: Vec<u8>,
    /// Pongs in `bytes`.
    pongs: u16,
    /// Where the most recent pong starts in `bytes`.
    last_pong_start: u16,
    /// Its length.
    last_pong_len: u8,
}

impl ControlQueue {
    /// Whether nothing is pending.
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Queues any control frame.
    pub(crate) fn push(&mut self, frame: &ControlFrame) {
        self.bytes.extend_from_slice(frame);
    }

    /// Queues a pong: while fewer than `max` pongs are pending it is added; otherwise it
    /// replaces the most recent pending pong (§5.5.3: "If an endpoint receives a Ping
    /// frame and has not yet sent Pong frame(s) in response to previous Ping frame(s), the
    /// endpoint MAY elect to send a Pong frame for only the most recently processed Ping
    /// frame.").
    pub(crate) fn push_pong(&mut self, frame: &ControlFrame, max: u16) {
        if self.pongs >= max.clamp(1, MAX_PONGS) {
            let start = usize::from(self.last_pong_start);
            let end = start + usize::from(self.last_pong_len);
            if end <= self.bytes.len() {
                self.bytes.drain(start..end);
            }
            self.pongs -= 1;
        }
        self.last_pong_start = self.bytes.len() as u16;
        self.last_pong_len = frame.len() as u8;
        self.bytes.extend_from_slice(frame);
        self.pongs += 1;
    }

    /// Moves everything pending to the end of `out`, releasing the queue's memory.
    pub(crate) fn drain_into(&mut self, out: &mut Vec<u8>) -> usize {
        let n = self.bytes.len();
        if n > 0 {
            if out.is_empty() && out.capacity() < n {
                // Hand over the allocation instead of copying.
                *out = core::mem::take(&mut self.bytes);
            } else {
                out.extend_from_slice(&self.bytes);
                self.bytes = Vec::new();
            }
        }
        self.pongs = 0;
        n
    }

    /// Drops everything pending (the transport is gone).
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }
}

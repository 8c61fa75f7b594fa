//! Control frames the connection produces on its own (auto-pongs, close replies, failure
//! closes, keepalive pings), waiting for [`Connection::poll_transmit`](crate::Connection::poll_transmit).
//!
//! The frames are kept encoded in one byte vector, boxed with its counters only while
//! something is pending (a null pointer otherwise). Its size is bounded: at most `max_pending_pongs` pongs (each at
//! most 131 bytes), one keepalive ping and one close frame.

use sockeye_frame::ControlFrame;

/// The most pongs ever pending, whatever the configuration says: keeps the queue under
/// 64 KiB (positions fit a `u16`).
const MAX_PONGS: u16 = 256;

/// The queue: nothing at all (one null pointer) while nothing is pending, which is
/// almost always; boxed when a frame waits, so an idle connection does not carry the
/// vector and its counters.
#[derive(Debug, Default)]
pub(crate) struct ControlQueue(Option<Box<Pending>>);

#[derive(Debug, Default)]
struct Pending {
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
        self.0.as_ref().is_none_or(|p| p.bytes.is_empty())
    }

    fn pending(&mut self) -> &mut Pending {
        self.0.get_or_insert_with(Box::default)
    }

    /// Queues any control frame.
    pub(crate) fn push(&mut self, frame: &ControlFrame) {
        self.pending().bytes.extend_from_slice(frame);
    }

    /// Queues a pong: while fewer than `max` pongs are pending it is added; otherwise it
    /// replaces the most recent pending pong (§5.5.3: "If an endpoint receives a Ping
    /// frame and has not yet sent Pong frame(s) in response to previous Ping frame(s), the
    /// endpoint MAY elect to send a Pong frame for only the most recently processed Ping
    /// frame.").
    pub(crate) fn push_pong(&mut self, frame: &ControlFrame, max: u16) {
        let p = self.pending();
        if p.pongs >= max.clamp(1, MAX_PONGS) {
            let start = usize::from(p.last_pong_start);
            let end = start + usize::from(p.last_pong_len);
            if end <= p.bytes.len() {
                p.bytes.drain(start..end);
            }
            p.pongs -= 1;
        }
        p.last_pong_start = p.bytes.len() as u16;
        p.last_pong_len = frame.len() as u8;
        p.bytes.extend_from_slice(frame);
        p.pongs += 1;
    }

    /// Moves everything pending to the end of `out`, releasing the queue's memory.
    #[inline]
    pub(crate) fn drain_into(&mut self, out: &mut Vec<u8>) -> usize {
        match self.0.take() {
            None => 0,
            Some(mut p) => Self::drain_pending(&mut p, out),
        }
    }

    /// The out-of-line part of [`drain_into`](Self::drain_into): something was pending.
    fn drain_pending(p: &mut Pending, out: &mut Vec<u8>) -> usize {
        let n = p.bytes.len();
        if n > 0 {
            if out.is_empty() && out.capacity() < n {
                // Hand over the allocation instead of copying.
                *out = core::mem::take(&mut p.bytes);
            } else {
                out.extend_from_slice(&p.bytes);
            }
        }
        n
    }

    /// Drops everything pending (the transport is gone).
    pub(crate) fn clear(&mut self) {
        self.0 = None;
    }
}

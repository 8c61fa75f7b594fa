//! The tester's writes, as the suite's `sendData` makes them (`autobahn/websocket/
//! protocol.py`, `sendData` and `_send`):
//!
//! - a plain write while the send queue is empty goes to the transport at once; Twisted
//!   buffers every write of one reactor turn, so everything written in one callback
//!   leaves as one TCP write ([`Tx::flush`] at the end of each callback);
//! - a `sync` write, a chopped write (one queue entry per piece) and any plain write made
//!   while the queue is not empty are queued; the first entry of an idle queue is written
//!   at once (with the callback's other writes), each later one in a later reactor turn —
//!   `_QUEUED_WRITE_DELAY` is 10 µs; [`Timing::chop_gap`](super::Timing::chop_gap) is the
//!   gap measured between the pieces' arrivals on loopback (about 40 µs);
//! - the second entry joins the first: its 10-µs timer is due when the reactor next runs
//!   its timed calls, which it does before it writes what the callback buffered (so 3.3's
//!   three synced frames arrive as 38 and then 6 bytes, 3.4's first two chops together,
//!   as measured against the real suite).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::transport::Transport;

/// One queued write.
#[derive(Debug)]
struct Piece {
    bytes: Vec<u8>,
    sync: bool,
}

/// The send queue and the current callback's writes.
#[derive(Debug, Default)]
pub(crate) struct Tx {
    /// Written in this callback, not yet handed to the transport.
    batch: Vec<u8>,
    queue: VecDeque<Piece>,
    /// When the next queued piece goes out (`Some` while the queue is being drained).
    next_at: Option<Instant>,
    /// This callback started draining an idle queue.
    fresh: bool,
    /// Octets written, per `sendData` (the suite's `TO` entries): length and sync flag.
    pub(crate) writes: Vec<(usize, bool)>,
    /// Transport writes made.
    pub(crate) sends: u64,
    /// Bytes handed to the transport.
    pub(crate) bytes: u64,
    /// The transport refused a write (the peer is gone).
    pub(crate) broken: Option<String>,
}

impl Tx {
    /// `sendData(data, sync, chopsize)`.
    pub(crate) fn send_data(
        &mut self,
        data: Vec<u8>,
        sync: bool,
        chop: Option<usize>,
        now: Instant,
        gap: Duration,
    ) {
        match chop {
            Some(c) if c > 0 => {
                for piece in data.chunks(c) {
                    self.queue.push_back(Piece {
                        bytes: piece.to_vec(),
                        sync: true,
                    });
                }
                self.trigger(now, gap);
            }
            _ if sync || !self.queue.is_empty() => {
                self.queue.push_back(Piece { bytes: data, sync });
                self.trigger(now, gap);
            }
            _ => {
                self.writes.push((data.len(), false));
                self.batch.extend_from_slice(&data);
            }
        }
    }

    /// `_trigger`: an idle queue writes its first piece now, with this callback's writes.
    fn trigger(&mut self, now: Instant, gap: Duration) {
        if self.next_at.is_none() {
            self.pop_into_batch(now, gap);
            self.fresh = true;
        }
    }

    fn pop_into_batch(&mut self, now: Instant, gap: Duration) {
        match self.queue.pop_front() {
            Some(p) => {
                self.writes.push((p.bytes.len(), p.sync));
                self.batch.extend_from_slice(&p.bytes);
                self.next_at = Some(now + gap);
            }
            None => self.next_at = None,
        }
    }

    /// When the next queued piece is due, if any.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.next_at
    }

    /// Writes the next queued piece if it is due (its own transport write).
    pub(crate) fn due(&mut self, t: &mut dyn Transport, now: Instant, gap: Duration) {
        if self.next_at.is_some_and(|at| at <= now) {
            self.flush(t);
            self.pop_into_batch(now, gap);
            self.flush(t);
        }
    }

    /// The end of a callback: what it wrote goes out as one write, with the next queued
    /// piece if the callback started the queue (see the module docs).
    pub(crate) fn end_callback(&mut self, t: &mut dyn Transport, now: Instant, gap: Duration) {
        if std::mem::take(&mut self.fresh) && !self.queue.is_empty() {
            self.pop_into_batch(now, gap);
        }
        self.flush(t);
    }

    /// Hands the buffered writes to the transport as one write.
    fn flush(&mut self, t: &mut dyn Transport) {
        if self.batch.is_empty() || self.broken.is_some() {
            self.batch.clear();
            return;
        }
        let bytes = std::mem::take(&mut self.batch);
        match t.send(&bytes) {
            Ok(()) => {
                self.sends += 1;
                self.bytes += bytes.len() as u64;
            }
            Err(e) => self.broken = Some(e),
        }
    }

    /// Drops what is queued (the connection is closed: `_send` skips it).
    pub(crate) fn discard_queue(&mut self) {
        self.queue.clear();
        self.next_at = None;
        self.fresh = false;
    }
}

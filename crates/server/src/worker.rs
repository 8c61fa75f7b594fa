//! One event-loop thread: a `mio::Poll`, its listener, its connections. The connections'
//! lives are `sockeye-driver` drivers; this file is the shell: readiness, reads, writes,
//! interest, one timer heap, commands from handles.
//!
//! A loop turn: wait for readiness (or the next timer, or a wake from a handle); accept;
//! for each ready connection read into the loop's one read buffer, feed the driver
//! (`dispatch.rs` calls the handler for each event), and write everything the turn
//! produced for that connection in one `write`; then carry out the commands handles sent,
//! flush what they queued, and run due timers.
//!
//! Interest follows the driver: READABLE always (edge-triggered), WRITABLE only while it
//! has output, so a socket that never becomes writable costs nothing.

use std::io::{self, Read, Write};
use std::mem;
use std::net::Shutdown;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};
use sockeye_driver::{Driver, DriverConfig, SharedFrame, Stage};
use sockeye_proto::CloseCode;

use crate::conn::Conn;
use crate::handle::{Command, ServerHandle};
use crate::slab::Slab;
use crate::timers::Timers;
use crate::trace::event;
use crate::{ConnId, Handler, ServerConfig, Stats};

pub(crate) const LISTENER: Token = Token(usize::MAX);
pub(crate) const WAKER: Token = Token(usize::MAX - 1);

/// Reads of a full read buffer from one connection in one turn before others get a go.
const MAX_READS_PER_TURN: usize = 4;

pub(crate) struct Worker<H: Handler> {
    pub(crate) ix: u16,
    pub(crate) poll: Poll,
    pub(crate) listener: Option<TcpListener>,
    pub(crate) accept_resume_at: Option<Instant>,
    pub(crate) conns: Slab<Conn<H::State>>,
    pub(crate) timers: Timers,
    pub(crate) read_buf: Vec<u8>,
    /// The loop's output buffer, lent to the connection being processed when that
    /// connection has none (so an idle connection owns no output buffer).
    pub(crate) scratch: sockeye_driver::OutputBuffer,
    pub(crate) handler: Arc<H>,
    pub(crate) config: Arc<ServerConfig>,
    pub(crate) driver_config: Arc<DriverConfig>,
    pub(crate) handle: ServerHandle,
    /// Connections to read again without waiting for an edge (fairness cut-off, or
    /// reading resumed after back-pressure).
    pub(crate) resume: Vec<(u32, u32)>,
    pub(crate) dirty: Vec<u32>,
    pub(crate) shutdown_deadline: Option<Instant>,
    /// This loop's counts since its last turn (see `stats.rs`).
    pub(crate) stats: Stats,
}

impl<H: Handler> Worker<H> {
    pub(crate) fn run(mut self) {
        #[cfg(feature = "tracing")]
        let _span =
            tracing::debug_span!(target: "sockeye_server", "event_loop", ix = self.ix).entered();
        let mut events = Events::with_capacity(1024);
        loop {
            self.publish_stats();
            let timeout = self.poll_timeout(Instant::now());
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                break;
            }
            let now = Instant::now();
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept(now),
                    WAKER => {}
                    Token(slot) => {
                        let Ok(slot) = u32::try_from(slot) else {
                            continue;
                        };
                        // Errors and hang-ups surface through the read (0 or an error). When
                        // the peer's FIN came with this edge, read until EOF: a short read
                        // would not prove the queue empty of it.
                        let drain = event.is_read_closed() || event.is_error();
                        if event.is_readable() || drain {
                            self.on_readable(slot, drain, now);
                        } else if event.is_writable() {
                            self.settle(slot);
                        }
                    }
                }
            }
            for (slot, generation) in mem::take(&mut self.resume) {
                if self.conns.generation(slot) == Some(generation) {
                    // No edge tells what happened while we were not reading: drain.
                    self.on_readable(slot, true, now);
                }
            }
            self.run_commands(now);
            for slot in mem::take(&mut self.dirty) {
                if let Some(conn) = self.conns.get_mut(slot) {
                    conn.dirty = false;
                    self.settle(slot);
                }
            }
            self.run_timers(now);
            if let Some(at) = self.accept_resume_at
                && now >= at
            {
                self.accept_resume_at = None;
                self.set_accepting(true);
            }
            if let Some(deadline) = self.shutdown_deadline
                && (self.conns.len() == 0 || now >= deadline)
            {
                break;
            }
        }
        for slot in 0..self.conns.slot_count() {
            self.remove(slot);
        }
        self.publish_stats();
    }

    /// Adds this turn's counts to the loop's shared totals.
    fn publish_stats(&mut self) {
        if self.stats.is_zero() {
            return;
        }
        if let Some(shared) = self.handle.shared.workers.get(usize::from(self.ix)) {
            let mut totals = shared.totals.lock().unwrap_or_else(|p| p.into_inner());
            totals.add(&self.stats);
        }
        self.stats = Stats::default();
    }

    fn poll_timeout(&self, now: Instant) -> Option<Duration> {
        if !self.resume.is_empty() {
            return Some(Duration::ZERO);
        }
        [
            self.timers.next(),
            self.accept_resume_at,
            self.shutdown_deadline,
        ]
        .into_iter()
        .flatten()
        .min()
        // Round up: waking a little late is fine, waking early means a wasted turn.
        .map(|at| at.saturating_duration_since(now) + Duration::from_millis(1))
    }

    fn id(&self, slot: u32, generation: u32) -> ConnId {
        ConnId {
            worker: self.ix,
            slot,
            generation,
        }
    }

    // ----- accepting -------------------------------------------------------------------

    fn set_accepting(&mut self, on: bool) {
        if let Some(listener) = &mut self.listener {
            let registry = self.poll.registry();
            let _ = if on {
                registry.register(listener, LISTENER, Interest::READABLE)
            } else {
                registry.deregister(listener)
            };
        }
    }

    fn accept(&mut self, now: Instant) {
        loop {
            let Some(listener) = &self.listener else {
                return;
            };
            let (stream, peer) = match listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if is_out_of_descriptors(&e) => {
                    // EMFILE/ENFILE: the pending connection stays in the backlog and the
                    // listener stays readable; back off instead of spinning on it.
                    self.set_accepting(false);
                    self.accept_resume_at = Some(now + self.config.accept_backoff);
                    return;
                }
                // ECONNABORTED and the like concern one connection only.
                Err(_) => continue,
            };
            let shared = &self.handle.shared;
            if shared.connections.load(Ordering::Relaxed) >= self.config.max_connections
                || shared.shutting_down.load(Ordering::Relaxed)
            {
                drop(stream); // over the limit: closed at once
                self.stats.over_limit += 1;
                event!(warn, %peer, "connection limit reached or shutting down: closed at once");
                continue;
            }
            let _ = stream.set_nodelay(true);
            let driver = Driver::server(self.driver_config.clone(), now);
            let (slot, _) = self.conns.insert_with(|_, g| Conn::new(stream, driver, g));
            shared.connections.fetch_add(1, Ordering::Relaxed);
            let registered = match self.conns.get_mut(slot) {
                Some(conn) => self
                    .poll
                    .registry()
                    .register(&mut conn.stream, Token(slot as usize), Interest::READABLE)
                    .is_ok(),
                None => false,
            };
            if registered {
                self.stats.accepted += 1;
                event!(debug, conn = %self.id(slot, self.conns.generation(slot).unwrap_or(0)), %peer, "accepted");
                let _ = peer;
                self.schedule(slot);
            } else {
                self.remove(slot);
            }
        }
    }

    // ----- reading ---------------------------------------------------------------------

    /// `drain`: read until the socket would block (or EOF) even after a short read.
    fn on_readable(&mut self, slot: u32, drain: bool, now: Instant) {
        let Some(generation) = self.conns.generation(slot) else {
            return;
        };
        let id = self.id(slot, generation);
        let mut read_buf = mem::take(&mut self.read_buf);
        for round in 0..MAX_READS_PER_TURN {
            let Some(conn) = self.conns.get_mut(slot) else {
                break;
            };
            if !conn.driver.wants_read() {
                // Bytes may be left in the socket, and this edge is spent. Even if the
                // write in `settle` below drains the output and reading resumes at once,
                // only `paused` makes the loop read again: the peer, stuck on a full
                // window, sends nothing that would raise a new edge.
                conn.paused = true;
                break;
            }
            let n = match conn.stream.read(&mut read_buf) {
                Ok(0) => {
                    if let Err(e) = conn.driver.recv_eof(now) {
                        crate::dispatch::failed(&mut self.stats, id, e);
                    }
                    break;
                }
                Ok(n) => {
                    self.stats.bytes_in += n as u64;
                    n
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    // Reset by the peer, or another hard error: nothing more can be sent.
                    conn.driver.abort();
                    break;
                }
            };
            // Replies are framed straight into the loop's output buffer.
            conn.driver.lend_buffer(&mut self.scratch);
            let input = read_buf.get_mut(..n).unwrap_or_default();
            self.feed(slot, id, input, now);
            // A short read emptied the socket's receive queue of what this edge reported;
            // with edge-triggered epoll anything arriving after `epoll_wait` returned
            // raises a new edge, so the extra read that would only say WouldBlock is
            // skipped (one syscall less per message on the echo path). Not when the edge
            // also reported the peer's FIN: then read on to see the EOF.
            if n < read_buf.len() && !drain {
                break;
            }
            if round + 1 == MAX_READS_PER_TURN {
                self.resume.push((slot, generation));
            }
        }
        self.read_buf = read_buf;
        self.settle(slot);
    }

    // ----- writing, closing, interest --------------------------------------------------

    /// Brings a connection up to date after anything happened to it: the end report, one
    /// write, the shutdown of our side, the loop's buffer back, interest, timer.
    pub(crate) fn settle(&mut self, slot: u32) {
        let Some(generation) = self.conns.generation(slot) else {
            return;
        };
        let id = self.id(slot, generation);
        let Some(conn) = self.conns.get_mut(slot) else {
            return;
        };
        // One `write` for everything this turn produced, more only if the kernel took part.
        loop {
            let pending = conn.driver.poll_output();
            if pending.is_empty() {
                break;
            }
            match conn.stream.write(pending) {
                Ok(0) => conn.driver.abort(),
                Ok(n) => {
                    self.stats.bytes_out += n as u64;
                    conn.driver.written(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => conn.driver.abort(),
            }
        }
        if conn.driver.wants_write_shutdown() {
            // §7.1.1: the server closes TCP first; our FIN after the last frame, then the
            // peer's input is drained until its FIN (so it gets our frames, not a reset).
            let _ = conn.stream.shutdown(Shutdown::Write);
            conn.driver.write_shut();
        }
        self.report_closed(slot, id);
        let Some(conn) = self.conns.get_mut(slot) else {
            return;
        };
        if conn.driver.is_finished() {
            self.remove(slot);
            return;
        }
        conn.driver.reclaim_buffer(&mut self.scratch);
        let want_write = conn.driver.wants_write();
        if want_write != conn.write_interest {
            let interest = if want_write {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            if self
                .poll
                .registry()
                .reregister(&mut conn.stream, Token(slot as usize), interest)
                .is_err()
            {
                conn.driver.abort();
                self.remove(slot);
                return;
            }
            conn.write_interest = want_write;
        }
        let wants_read = conn.driver.wants_read();
        if conn.paused && wants_read {
            self.resume.push((slot, generation));
        }
        let backpressured = conn.driver.is_paused();
        if backpressured && !conn.backpressured {
            self.stats.backpressure_pauses += 1;
            event!(debug, conn = %id, queued = conn.driver.queued(), "back-pressure: reading paused");
        }
        conn.backpressured = backpressured;
        conn.paused = !wants_read;
        self.schedule(slot);
    }

    /// Removes a connection and closes its socket; an open one is reported to `on_close`
    /// (1006 unless its closing handshake was complete).
    fn remove(&mut self, slot: u32) {
        let Some(generation) = self.conns.generation(slot) else {
            return;
        };
        let id = self.id(slot, generation);
        if let Some(conn) = self.conns.get_mut(slot) {
            conn.driver.abort();
        }
        self.report_closed(slot, id);
        let Some(mut conn) = self.conns.remove(slot) else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut conn.stream);
        self.handle
            .shared
            .connections
            .fetch_sub(1, Ordering::Relaxed);
    }

    // ----- timers ----------------------------------------------------------------------

    fn schedule(&mut self, slot: u32) {
        let Some(generation) = self.conns.generation(slot) else {
            return;
        };
        let Some(conn) = self.conns.get_mut(slot) else {
            return;
        };
        let Some(deadline) = conn.driver.poll_timeout() else {
            return;
        };
        let deadline = self.timers.tick(deadline);
        if conn.timer_at.is_none_or(|at| deadline < at) {
            conn.timer_at = Some(deadline);
            self.timers.push(deadline, slot, generation);
        }
    }

    fn run_timers(&mut self, now: Instant) {
        while let Some((at, slot, generation)) = self.timers.pop_due(now) {
            let Some(conn) = self.conns.get_mut_checked(slot, generation) else {
                continue;
            };
            if conn.timer_at != Some(at) {
                continue; // superseded by an earlier entry
            }
            conn.timer_at = None;
            // Handshake not done in time (absolute from accept), keepalive, the close
            // handshake's timeout, linger: the driver knows which.
            if let Err(e) = conn.driver.handle_timeout(now) {
                let id = self.id(slot, generation);
                crate::dispatch::failed(&mut self.stats, id, e);
            }
            self.settle(slot);
        }
    }

    // ----- commands from handles -------------------------------------------------------

    fn run_commands(&mut self, now: Instant) {
        let commands = {
            let Some(shared) = self.handle.shared.workers.get(usize::from(self.ix)) else {
                return;
            };
            let mut queue = shared.queue.lock().unwrap_or_else(|p| p.into_inner());
            if queue.is_empty() {
                return;
            }
            mem::take(&mut *queue)
        };
        for command in commands {
            match command {
                Command::Send { id, frame } => self.send_frame(id, &frame, now),
                Command::Broadcast { frame, only } => match only {
                    Some(ids) => ids.iter().for_each(|id| self.send_frame(*id, &frame, now)),
                    None => {
                        // Every occupied slot, by index: no list is built per broadcast.
                        for slot in 0..self.conns.slot_count() {
                            if let Some(generation) = self.conns.generation(slot) {
                                self.send_frame(self.id(slot, generation), &frame, now);
                            }
                        }
                    }
                },
                Command::Close { id, code, reason } => {
                    if let Some(conn) = self.conns.get_mut_checked(id.slot, id.generation) {
                        let _ = conn.driver.outbox(now).close(code, &reason);
                        self.mark_dirty(id.slot);
                    }
                }
                Command::Shutdown { deadline } => self.begin_shutdown(deadline, now),
            }
        }
    }

    /// A pre-framed message for one connection, under its limits (it waits while the
    /// connection is in the middle of a fragmented message of its own).
    fn send_frame(&mut self, id: ConnId, frame: &SharedFrame, now: Instant) {
        let Some(conn) = self.conns.get_mut_checked(id.slot, id.generation) else {
            return;
        };
        if conn.driver.stage() != Stage::Open {
            return;
        }
        conn.driver.lend_buffer(&mut self.scratch);
        if conn.driver.send_shared(frame, now).is_ok() {
            self.stats.messages_out += 1;
        }
        self.mark_dirty(id.slot);
    }

    fn mark_dirty(&mut self, slot: u32) {
        if let Some(conn) = self.conns.get_mut(slot)
            && !conn.dirty
        {
            conn.dirty = true;
            self.dirty.push(slot);
        }
    }

    fn begin_shutdown(&mut self, deadline: Instant, now: Instant) {
        if self.shutdown_deadline.is_some() {
            return;
        }
        self.shutdown_deadline = Some(deadline);
        self.set_accepting(false);
        self.listener = None;
        self.accept_resume_at = None;
        for slot in 0..self.conns.slot_count() {
            let Some(conn) = self.conns.get_mut(slot) else {
                continue;
            };
            match conn.driver.stage() {
                Stage::Open => {
                    // §7.4.1 1001: "an endpoint is going away, such as a server going down".
                    let _ = conn
                        .driver
                        .outbox(now)
                        .close(CloseCode::GOING_AWAY, "server shutting down");
                    self.mark_dirty(slot);
                }
                Stage::Closing | Stage::Finished => {}
                _ => self.remove(slot),
            }
        }
    }
}

fn is_out_of_descriptors(e: &io::Error) -> bool {
    // EMFILE (24): per-process limit; ENFILE (23): system-wide limit.
    matches!(e.raw_os_error(), Some(23 | 24))
}

//! One event-loop thread: a `mio::Poll`, its listener, its connections.
//!
//! A loop turn: wait for readiness (or the next timer, or a wake from a handle); accept;
//! for each ready connection read into the loop's one read buffer, feed the bytes to the
//! connection's `sockeye-proto` state machine, call the handler for each event, and write
//! everything the turn produced for that connection in one `write`; then carry out the
//! commands handles sent, flush what they queued, and run due timers.
//!
//! Interest follows state: READABLE always (edge-triggered), WRITABLE only while output is
//! queued, so a socket that never becomes writable costs nothing.

use std::io::{self, Read};
use std::mem;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};
use sockeye_handshake::{Reject, RequestParser, Status};
use sockeye_proto::{CloseCode, Connection, Event};

use crate::conn::{Conn, Open, Phase};
use crate::handle::{Command, ServerHandle};
use crate::slab::Slab;
use crate::timers::Timers;
use crate::{
    Chunk, Closed, ConnId, Context, Handler, Message, OverflowPolicy, Refusal, ServerConfig,
};

pub(crate) const LISTENER: Token = Token(usize::MAX);
pub(crate) const WAKER: Token = Token(usize::MAX - 1);

/// Reads of a full read buffer from one connection in one turn before others get a go.
const MAX_READS_PER_TURN: usize = 4;

/// The loop keeps its shared output buffer up to this capacity between uses.
const MAX_SCRATCH_CAPACITY: usize = 4 << 20;

pub(crate) struct Worker<H: Handler> {
    pub(crate) ix: u16,
    pub(crate) poll: Poll,
    pub(crate) listener: Option<TcpListener>,
    pub(crate) accept_resume_at: Option<Instant>,
    pub(crate) conns: Slab<Conn<H::State>>,
    pub(crate) timers: Timers,
    pub(crate) read_buf: Vec<u8>,
    /// The loop's output buffer, lent to the connection being processed when that
    /// connection has nothing queued (so an idle connection owns no output buffer).
    pub(crate) scratch: Vec<u8>,
    pub(crate) handler: Arc<H>,
    pub(crate) config: Arc<ServerConfig>,
    pub(crate) handle: ServerHandle,
    /// Connections to read again without waiting for an edge (fairness cut-off, or
    /// reading resumed after back-pressure).
    pub(crate) resume: Vec<(u32, u32)>,
    pub(crate) dirty: Vec<u32>,
    pub(crate) shutdown_deadline: Option<Instant>,
}

impl<H: Handler> Worker<H> {
    pub(crate) fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        loop {
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
                        }
                        if event.is_writable() {
                            self.settle(slot, now);
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
                    self.settle(slot, now);
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
            let (stream, _) = match listener.accept() {
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
                continue;
            }
            let _ = stream.set_nodelay(true);
            let phase = Phase::Handshake {
                parser: RequestParser::new(self.config.handshake_limits),
                buf: Vec::new(),
                deadline: now + self.config.handshake_timeout,
            };
            let (slot, _) = self.conns.insert_with(|_, _| Conn::new(stream, phase));
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
                self.schedule(slot);
            } else {
                self.remove(slot);
            }
        }
    }

    // ----- reading ---------------------------------------------------------------------

    /// `drain`: read until the socket would block (or EOF) even after a short read.
    fn on_readable(&mut self, slot: u32, drain: bool, now: Instant) {
        let Some(conn) = self.conns.get_mut(slot) else {
            return;
        };
        match conn.phase {
            Phase::Handshake { .. } => self.read_handshake(slot, drain, now),
            Phase::Open(_) => self.read_open(slot, drain, now),
            Phase::Closing { .. } => self.read_closing(slot),
        }
    }

    fn read_handshake(&mut self, slot: u32, drain: bool, now: Instant) {
        let Some(generation) = self.conns.generation(slot) else {
            return;
        };
        let id = self.id(slot, generation);
        let Some(conn) = self.conns.get_mut(slot) else {
            return;
        };
        let Phase::Handshake { parser, buf, .. } = &mut conn.phase else {
            return;
        };
        let request = loop {
            let n = match conn.stream.read(&mut self.read_buf) {
                Ok(0) => {
                    // The client left before finishing its request.
                    self.remove(slot);
                    return;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.remove(slot);
                    return;
                }
            };
            buf.extend_from_slice(self.read_buf.get(..n).unwrap_or_default());
            match parser.parse(buf) {
                Ok(Status::Complete(request)) => break request,
                Ok(Status::Incomplete) => {}
                Err(refused) => {
                    // §4.2.1: answer with the error's HTTP response, then close.
                    refused.write_response(&mut conn.out);
                    conn.phase = closing_phase(now, &self.config);
                    self.settle(slot, now);
                    return;
                }
            }
        };
        let handler = &self.handler;
        let decision = catch_unwind(AssertUnwindSafe(|| handler.on_open(&request, id)));
        let (state, accept) = match decision {
            Ok(Ok(accepted)) => accepted,
            Ok(Err(refusal)) => {
                match refusal {
                    Refusal::Reject(reject) => reject.write(&mut conn.out),
                    Refusal::Request(error) => error.write_response(&mut conn.out),
                }
                conn.phase = closing_phase(now, &self.config);
                self.settle(slot, now);
                return;
            }
            Err(_panic) => {
                if let Ok(reject) = Reject::new(500) {
                    reject.write(&mut conn.out);
                }
                conn.phase = closing_phase(now, &self.config);
                self.settle(slot, now);
                return;
            }
        };
        if request.accept_with(&accept, &mut conn.out).is_err() {
            // The handler chose a subprotocol the client did not offer: our side's bug.
            self.handler
                .on_close(id, state, closed(CloseCode::INTERNAL_ERROR, false));
            if let Ok(reject) = Reject::new(500) {
                conn.out.clear();
                reject.write(&mut conn.out);
            }
            conn.phase = closing_phase(now, &self.config);
            self.settle(slot, now);
            return;
        }
        // The bytes after the head are the client's first frames (nothing is lost).
        let mut leftover = match &mut conn.phase {
            Phase::Handshake { buf, .. } => {
                let mut head = mem::take(buf);
                head.drain(..request.head_len().min(head.len()));
                head
            }
            _ => Vec::new(),
        };
        drop(request);
        let ws = Connection::server(self.config.connection.clone(), now);
        conn.phase = Phase::Open(Box::new(Open {
            ws,
            state,
            peer_close: None,
            failure: None,
        }));
        if !leftover.is_empty() {
            self.feed(slot, id, &mut leftover, now);
        }
        // Edge-triggered: more may be waiting in the socket already.
        self.read_open(slot, drain, now);
    }

    fn read_open(&mut self, slot: u32, drain: bool, now: Instant) {
        let Some(generation) = self.conns.generation(slot) else {
            return;
        };
        let id = self.id(slot, generation);
        let mut read_buf = mem::take(&mut self.read_buf);
        for round in 0..MAX_READS_PER_TURN {
            let Some(conn) = self.conns.get_mut(slot) else {
                break;
            };
            if conn.read_paused || !matches!(conn.phase, Phase::Open(_)) {
                break;
            }
            let n = match conn.stream.read(&mut read_buf) {
                Ok(0) => {
                    conn.peer_eof = true;
                    if let Phase::Open(open) = &mut conn.phase
                        && let Err(e) = open.ws.recv_eof()
                    {
                        open.failure
                            .get_or_insert(e.close_code().unwrap_or(CloseCode::ABNORMAL));
                    }
                    break;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    // Reset by the peer, or another hard error: nothing more can be sent.
                    self.read_buf = read_buf;
                    self.remove(slot);
                    return;
                }
            };
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
        self.settle(slot, now);
    }

    /// Feeds received bytes to an open connection and calls the handler for each event.
    fn feed(&mut self, slot: u32, id: ConnId, input: &mut [u8], now: Instant) {
        let Some(conn) = self.conns.get_mut(slot) else {
            return;
        };
        if conn.out.is_empty() {
            // Lend the loop's output buffer: no allocation for the common case.
            mem::swap(&mut conn.out, &mut self.scratch);
            conn.out_pos = 0;
        }
        let Conn {
            phase,
            out,
            out_pos,
            read_paused,
            ..
        } = conn;
        let Phase::Open(open) = phase else { return };
        let Open {
            ws,
            state,
            peer_close,
            failure,
        } = &mut **open;
        let handler = &*self.handler;
        let config = &*self.config;
        let mut overflowed = false;
        let mut panicked = false;
        let mut at = 0;
        while at < input.len() {
            let Some(rest) = input.get_mut(at..) else {
                break;
            };
            let r = match ws.recv(rest, now) {
                Ok(r) => r,
                Err(e) => {
                    // The close frame with the RFC's code is queued (poll_transmit).
                    failure.get_or_insert(e.close_code().unwrap_or(CloseCode::PROTOCOL_ERROR));
                    break;
                }
            };
            at += r.consumed;
            let Some(event) = r.event else { break };
            let mut cx = Context {
                id,
                sender: r.sender,
                out,
                out_pos: *out_pos,
                config,
                now,
                handle: &self.handle,
                overflowed: &mut overflowed,
            };
            let call = catch_unwind(AssertUnwindSafe(|| match event {
                Event::Text(text) => handler.on_message(&mut cx, state, Message::Text(text)),
                Event::Binary(data) => handler.on_message(&mut cx, state, Message::Binary(data)),
                Event::Ping(payload) => handler.on_ping(&mut cx, state, payload),
                Event::Pong(payload) => handler.on_pong(&mut cx, state, payload),
                Event::Close { code, reason } => *peer_close = Some((code, reason.to_owned())),
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
            }));
            if call.is_err() {
                panicked = true;
            }
            if overflowed || panicked {
                break;
            }
        }
        if panicked {
            failure.get_or_insert(CloseCode::INTERNAL_ERROR);
            let _ = ws.close(CloseCode::INTERNAL_ERROR, "internal error", now, out);
        } else if overflowed {
            failure.get_or_insert(CloseCode::POLICY_VIOLATION);
            let _ = ws.close(
                CloseCode::POLICY_VIOLATION,
                "output buffer overflow",
                now,
                out,
            );
        }
        if out.len() - *out_pos > config.write_high_water {
            // Back-pressure: stop reading until the peer has taken our output.
            *read_paused = true;
        }
    }

    fn read_closing(&mut self, slot: u32) {
        let Some(conn) = self.conns.get_mut(slot) else {
            return;
        };
        for _ in 0..MAX_READS_PER_TURN {
            match conn.stream.read(&mut self.read_buf) {
                Ok(0) => {
                    conn.peer_eof = true;
                    break;
                }
                Ok(_) => {} // discarded: the connection is over
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    conn.peer_eof = true;
                    break;
                }
            }
        }
        if conn.peer_eof {
            self.remove(slot);
        }
    }

    // ----- writing, closing, interest --------------------------------------------------

    /// Brings a connection up to date after anything happened to it: control frames out,
    /// close decisions, one write, the scratch buffer back, interest, timer.
    fn settle(&mut self, slot: u32, now: Instant) {
        let Some(generation) = self.conns.generation(slot) else {
            return;
        };
        let id = self.id(slot, generation);
        let Some(conn) = self.conns.get_mut(slot) else {
            return;
        };

        if let Phase::Open(open) = &mut conn.phase {
            open.ws.poll_transmit(&mut conn.out);
            if open.ws.should_close_tcp() {
                // §7.1.1: the server closes TCP first, once the closing handshake is done
                // or the connection failed.
                let phase = mem::replace(&mut conn.phase, closing_phase(now, &self.config));
                if let Phase::Open(open) = phase {
                    let Open {
                        state,
                        peer_close,
                        failure,
                        ..
                    } = *open;
                    let info = close_info(peer_close, failure);
                    let handler = &self.handler;
                    let _ = catch_unwind(AssertUnwindSafe(|| handler.on_close(id, state, info)));
                }
            }
        }

        if conn.flush().is_err() {
            self.remove(slot);
            return;
        }

        if let Phase::Closing { write_shut, .. } = &mut conn.phase
            && conn.out.is_empty()
        {
            if !*write_shut {
                let _ = conn.stream.shutdown(std::net::Shutdown::Write);
                *write_shut = true;
            }
            if conn.peer_eof {
                self.remove(slot);
                return;
            }
        }

        if conn.out.is_empty() && conn.out.capacity() > 0 {
            // Idle connections own no output buffer: the larger of the two buffers goes
            // back to the loop.
            if conn.out.capacity() > self.scratch.capacity() {
                mem::swap(&mut conn.out, &mut self.scratch);
            }
            conn.out = Vec::new();
            if self.scratch.capacity() > MAX_SCRATCH_CAPACITY {
                self.scratch = Vec::new();
            }
        }

        let want_write = !conn.out.is_empty();
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
                self.remove(slot);
                return;
            }
            conn.write_interest = want_write;
        }

        if conn.read_paused && conn.queued() <= self.config.write_high_water / 2 {
            conn.read_paused = false;
            self.resume.push((slot, generation));
        }
        self.schedule(slot);
    }

    /// Removes a connection and closes its socket; an open one gets `on_close` with 1006.
    fn remove(&mut self, slot: u32) {
        let Some(generation) = self.conns.generation(slot) else {
            return;
        };
        let id = self.id(slot, generation);
        let Some(mut conn) = self.conns.remove(slot) else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut conn.stream);
        self.handle
            .shared
            .connections
            .fetch_sub(1, Ordering::Relaxed);
        if let Phase::Open(open) = conn.phase {
            let Open {
                state,
                peer_close,
                failure,
                ..
            } = *open;
            // Removed while open: TCP was lost (reset, write error) or the loop is exiting.
            // Only a peer close followed by the peer's own TCP close counts as clean.
            let mut info = close_info(peer_close, failure);
            if info.clean && !conn.peer_eof {
                info.code = CloseCode::ABNORMAL;
                info.clean = false;
            }
            let handler = &self.handler;
            let _ = catch_unwind(AssertUnwindSafe(|| handler.on_close(id, state, info)));
        }
    }

    // ----- timers ----------------------------------------------------------------------

    fn schedule(&mut self, slot: u32) {
        let Some(generation) = self.conns.generation(slot) else {
            return;
        };
        let Some(conn) = self.conns.get_mut(slot) else {
            return;
        };
        let Some(deadline) = conn.deadline() else {
            return;
        };
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
            match &mut conn.phase {
                Phase::Handshake { deadline, .. } | Phase::Closing { deadline, .. } => {
                    if now >= *deadline {
                        // Handshake not done in time (absolute from accept), or the peer
                        // did not close after our close: drop the socket.
                        self.remove(slot);
                        continue;
                    }
                }
                Phase::Open(open) => {
                    if let Err(e) = open.ws.handle_timeout(now) {
                        open.failure
                            .get_or_insert(e.close_code().unwrap_or(CloseCode::ABNORMAL));
                    }
                }
            }
            self.settle(slot, now);
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
                Command::Send { id, frame } => self.enqueue(id, &frame, now),
                Command::Broadcast { frame, only } => match only {
                    Some(ids) => ids.iter().for_each(|id| self.enqueue(*id, &frame, now)),
                    None => {
                        // Every occupied slot, by index: no list is built per broadcast.
                        for slot in 0..self.conns.slot_count() {
                            if let Some(generation) = self.conns.generation(slot) {
                                self.enqueue(self.id(slot, generation), &frame, now);
                            }
                        }
                    }
                },
                Command::Close { id, code, reason } => {
                    if let Some(conn) = self.conns.get_mut_checked(id.slot, id.generation)
                        && let Phase::Open(open) = &mut conn.phase
                    {
                        let _ = open.ws.close(code, &reason, now, &mut conn.out);
                        self.mark_dirty(id.slot);
                    }
                }
                Command::Shutdown { deadline } => self.begin_shutdown(deadline, now),
            }
        }
    }

    /// Appends an already framed message to a connection's output, under its limits.
    fn enqueue(&mut self, id: ConnId, frame: &[u8], now: Instant) {
        let Some(conn) = self.conns.get_mut_checked(id.slot, id.generation) else {
            return;
        };
        let queued = conn.queued();
        let Phase::Open(open) = &mut conn.phase else {
            return;
        };
        if !open.ws.can_send() {
            return;
        }
        if queued.saturating_add(frame.len()) > self.config.max_write_buffer {
            if self.config.overflow == OverflowPolicy::Close {
                open.failure.get_or_insert(CloseCode::POLICY_VIOLATION);
                let _ = open.ws.close(
                    CloseCode::POLICY_VIOLATION,
                    "output buffer overflow",
                    now,
                    &mut conn.out,
                );
                self.mark_dirty(id.slot);
            }
            return;
        }
        conn.out.extend_from_slice(frame);
        if conn.queued() > self.config.write_high_water {
            conn.read_paused = true;
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
            match &mut conn.phase {
                Phase::Handshake { .. } => self.remove(slot),
                Phase::Open(open) => {
                    // §7.4.1 1001: "an endpoint is going away, such as a server going down".
                    let _ = open.ws.close(
                        CloseCode::GOING_AWAY,
                        "server shutting down",
                        now,
                        &mut conn.out,
                    );
                    self.mark_dirty(slot);
                }
                Phase::Closing { .. } => {}
            }
        }
    }
}

fn closing_phase<S>(now: Instant, config: &ServerConfig) -> Phase<S> {
    Phase::Closing {
        deadline: now + config.linger_timeout,
        write_shut: false,
    }
}

fn closed(code: CloseCode, clean: bool) -> Closed {
    Closed {
        code,
        reason: String::new(),
        clean,
    }
}

fn close_info(peer_close: Option<(CloseCode, String)>, failure: Option<CloseCode>) -> Closed {
    match (failure, peer_close) {
        (Some(code), _) => closed(code, false),
        (None, Some((code, reason))) => Closed {
            code,
            reason,
            clean: true,
        },
        (None, None) => closed(CloseCode::ABNORMAL, false),
    }
}

fn is_out_of_descriptors(e: &io::Error) -> bool {
    // EMFILE (24): per-process limit; ENFILE (23): system-wide limit.
    matches!(e.raw_os_error(), Some(23 | 24))
}

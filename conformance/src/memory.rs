//! Driver 1: the peer under test is a `sockeye-proto` [`Connection`] in memory, running
//! an echo application, fed the tester's bytes under a chosen [`Chunking`].
//!
//! Time is virtual: pauses and waits advance the clock given to the connection, so the
//! whole catalog runs in memory in a moment, timers included.
//!
//! Reads model loopback TCP: what the tester writes between two of its waits arrives
//! as one read (as the kernel coalesces back-to-back writes), except that each chop of
//! a chopped write is a read of its own; the [`Chunking`] then cuts every read into
//! `recv` calls. The echo application collects the connection's own frames per
//! [`PollPolicy`].

use std::time::{Duration, Instant};

use sockeye_proto::{Config, Connection, Event, MaskSource};

use crate::rng::Rng;
use crate::transport::{Incoming, Transport};

/// How the tester's writes are cut into `recv` calls of the connection under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunking {
    /// Each write in one `recv` call.
    Whole,
    /// One byte per call.
    Bytes,
    /// Random pieces of 1–64 bytes (and now and then a larger one), from this seed.
    Random(u64),
}

impl Chunking {
    /// A name for reports.
    pub fn name(&self) -> String {
        match self {
            Self::Whole => "whole".into(),
            Self::Bytes => "bytes".into(),
            Self::Random(seed) => format!("random:{seed}"),
        }
    }

    /// Parses `whole`, `bytes`, `random` or `random:SEED`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "whole" => Some(Self::Whole),
            "bytes" => Some(Self::Bytes),
            "random" => Some(Self::Random(1)),
            _ => s.strip_prefix("random:")?.parse().ok().map(Self::Random),
        }
    }
}

/// When the echo application collects the connection's own frames (pongs, close
/// replies) with `poll_transmit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollPolicy {
    /// Before every `recv` call and after the last (the default, as `sockeye-server`'s
    /// worker does): the connection's own frames go out in the order of the frames that
    /// caused them, whatever the reads.
    PerEvent,
    /// Once per read, after the `recv` loop over it: the driver loop that
    /// `sockeye-proto`'s crate documentation shows.
    PerRead,
}

/// A masking-key source for the client under test: deterministic, for tests only.
#[derive(Debug)]
struct TestMasks(Rng);

impl MaskSource for TestMasks {
    fn mask_key(&mut self) -> [u8; 4] {
        self.0.key()
    }
}

/// Which role the connection under test plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SutRole {
    /// A server (the tester is the client).
    Server,
    /// A client (the tester is the server).
    Client,
}

/// The in-memory peer: a [`Connection`] with an echo application.
#[derive(Debug)]
pub struct MemoryPeer {
    conn: Connection,
    now: Instant,
    chunking: Chunking,
    poll: PollPolicy,
    rng: Rng,
    out: Vec<u8>,
    /// Written by the tester, not yet read by the connection.
    input: Vec<u8>,
    /// The peer closed (or dropped) TCP.
    closed: bool,
    notes: Vec<String>,
}

impl MemoryPeer {
    /// A connection in `role` with `config`.
    pub fn new(role: SutRole, config: Config, chunking: Chunking) -> Self {
        let now = Instant::now();
        let conn = match role {
            SutRole::Server => Connection::server(config, now),
            SutRole::Client => Connection::client(config, Box::new(TestMasks(Rng::new(7))), now),
        };
        let seed = match chunking {
            Chunking::Random(s) => s,
            _ => 0,
        };
        Self {
            conn,
            now,
            chunking,
            poll: PollPolicy::PerEvent,
            rng: Rng::new(seed),
            out: Vec::new(),
            input: Vec::new(),
            closed: false,
            notes: Vec::new(),
        }
    }

    /// With a poll policy.
    pub fn with_poll_policy(mut self, poll: PollPolicy) -> Self {
        self.poll = poll;
        self
    }

    fn note(&mut self, n: String) {
        if self.notes.len() < 20 && !self.notes.contains(&n) {
            self.notes.push(n);
        }
    }

    fn piece_len(&mut self, left: usize) -> usize {
        match self.chunking {
            Chunking::Whole => left,
            Chunking::Bytes => 1,
            Chunking::Random(_) => {
                let n = if self.rng.range(0, 15) == 0 {
                    self.rng.range(1, 4096)
                } else {
                    self.rng.range(1, 64)
                };
                n.min(left)
            }
        }
    }

    /// Feeds one piece; returns false once the connection is done with input.
    fn feed(&mut self, piece: &mut [u8]) -> bool {
        let mut at = 0;
        while at < piece.len() || piece.is_empty() {
            let result = self.conn.recv(&mut piece[at..], self.now);
            match result {
                Ok(r) => {
                    at += r.consumed;
                    let echoed = match r.event {
                        Some(Event::Text(t)) => r.sender.send_text(t, &mut self.out).map(|()| true),
                        Some(Event::Binary(b)) => {
                            r.sender.send_binary(b, &mut self.out).map(|()| true)
                        }
                        Some(_) => Ok(true),
                        None => Ok(false),
                    };
                    match echoed {
                        Ok(true) => {
                            if self.poll == PollPolicy::PerEvent {
                                self.conn.poll_transmit(&mut self.out);
                            }
                        }
                        Ok(false) => break,
                        Err(e) => self.note(format!("echo not sent: {e}")),
                    }
                }
                Err(e) => {
                    self.note(format!("connection error: {e}"));
                    self.conn.poll_transmit(&mut self.out);
                    self.check_close();
                    return false;
                }
            }
            if piece.is_empty() {
                break;
            }
        }
        self.conn.poll_transmit(&mut self.out);
        self.check_close();
        !self.closed
    }

    fn check_close(&mut self) {
        if self.conn.should_close_tcp() && !self.closed {
            self.closed = true;
            self.note("peer closed TCP (should_close_tcp)".into());
        }
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        if let Some(deadline) = self.conn.poll_timeout()
            && deadline <= self.now
        {
            if let Err(e) = self.conn.handle_timeout(self.now) {
                self.note(format!("timer: {e}"));
            }
            self.conn.poll_transmit(&mut self.out);
            self.check_close();
        }
    }
}

impl MemoryPeer {
    /// The connection reads what the tester wrote since the last read, cut per the
    /// chunking (each piece one `recv` batch, then `poll_transmit`).
    fn deliver(&mut self) {
        let mut data = std::mem::take(&mut self.input);
        if self.closed {
            return;
        }
        let mut at = 0;
        while at < data.len() {
            let n = self.piece_len(data.len() - at);
            if !self.feed(&mut data[at..at + n]) {
                return;
            }
            at += n;
        }
    }
}

impl Transport for MemoryPeer {
    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        if self.closed {
            return Err("connection closed by the peer".into());
        }
        self.input.extend_from_slice(bytes);
        Ok(())
    }

    fn flush(&mut self) {
        self.deliver();
    }

    fn recv(&mut self, timeout: Duration) -> Incoming {
        if !timeout.is_zero() {
            // The tester waits: what it wrote arrives (as one read, like coalesced TCP).
            self.deliver();
        }
        if !self.out.is_empty() {
            return Incoming::Data(std::mem::take(&mut self.out));
        }
        if self.closed {
            return Incoming::Eof;
        }
        self.advance(timeout);
        if !self.out.is_empty() {
            return Incoming::Data(std::mem::take(&mut self.out));
        }
        if self.closed {
            return Incoming::Eof;
        }
        Incoming::Timeout
    }

    fn close(&mut self) {
        self.deliver();
        if !self.closed {
            if let Err(e) = self.conn.recv_eof() {
                self.note(format!("on EOF: {e}"));
            }
            self.closed = true;
        }
    }

    fn pause(&mut self, d: Duration) {
        self.deliver();
        self.advance(d);
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }
}

//! Driver 1: the peer under test is a `sockeye-driver` [`Driver`] in memory, running an
//! echo application, fed the tester's bytes under a chosen [`Chunking`]. It is the
//! driver the mio server and clients run over sockets, opening handshake included (so
//! permessage-deflate is negotiated exactly as the real server and client would, from the
//! [`DriverConfig`]).
//!
//! Time is virtual: waiting advances the clock given to the driver, which fires its own
//! timers on the way, so the suite's real-time timers cost nothing here.
//!
//! Reads model loopback TCP: each write of the tester (one callback's frames, or one
//! queued piece) is one read, which the [`Chunking`] cuts into `recv` calls; what the
//! peer writes reaches the tester [`LATENCY`] later, as on loopback, where the suite's
//! queued writes (40 µs apart) go out before the answer to the first of them is back.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sockeye_driver::{Driver, DriverConfig, Event, Stage};
use sockeye_handshake::{Accept, ClientRequest, WsUrl};
use sockeye_proto::MaskSource;

use crate::transport::{Incoming, Transport};
use rand::rngs::SmallRng as Rng;
use rand::{RngExt, SeedableRng};

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

/// A masking-key source for the client under test: deterministic, for tests only.
#[derive(Debug)]
struct TestMasks(Rng);

impl MaskSource for TestMasks {
    fn mask_key(&mut self) -> [u8; 4] {
        self.0.random()
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

/// From the peer's write to the tester's read (virtual time).
pub const LATENCY: Duration = Duration::from_micros(100);

/// The URL the in-memory client connects to (only its path and host are used).
pub const MEMORY_URL: &str = "ws://memory.test/";

/// The in-memory peer: a [`Driver`] with an echo application.
#[derive(Debug)]
pub struct MemoryPeer {
    driver: Driver,
    now: Instant,
    chunking: Chunking,
    rng: Rng,
    /// Written by the peer, not yet read by the tester, with when it can be read.
    out: VecDeque<(Instant, Vec<u8>)>,
    /// The peer closed (or dropped) TCP: no more input is fed to it.
    closed: bool,
    /// When the tester sees the peer's EOF.
    eof_at: Option<Instant>,
    notes: Vec<String>,
}

impl MemoryPeer {
    /// A connection in `role` with `config`, before the opening handshake (a client has
    /// its request queued, for the tester to read).
    pub fn new(role: SutRole, config: Arc<DriverConfig>, chunking: Chunking) -> Self {
        let now = Instant::now();
        let driver = match role {
            SutRole::Server => Driver::server(config, now),
            SutRole::Client => {
                let url = WsUrl::parse(MEMORY_URL).expect("MEMORY_URL is a ws:// URL");
                let request = ClientRequest::new(&url, [7; 16]);
                let mut d = Driver::client(
                    config,
                    request,
                    Box::new(TestMasks(Rng::seed_from_u64(7))),
                    now,
                );
                d.connected(now);
                d
            }
        };
        let seed = match chunking {
            Chunking::Random(s) => s,
            _ => 0,
        };
        let mut peer = Self {
            driver,
            now,
            chunking,
            rng: Rng::seed_from_u64(seed),
            out: VecDeque::new(),
            closed: false,
            eof_at: None,
            notes: Vec::new(),
        };
        peer.collect();
        peer
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
                let n = if self.rng.random_range(0..=15) == 0 {
                    self.rng.random_range(1..=4096)
                } else {
                    self.rng.random_range(1..=64)
                };
                n.min(left)
            }
        }
    }

    /// Feeds one piece, answering the opening handshake and echoing every message.
    fn feed(&mut self, piece: &mut [u8]) {
        let mut at = 0;
        loop {
            let rest = piece.get_mut(at..).unwrap_or_default();
            let r = match self.driver.recv(rest, self.now) {
                Ok(r) => r,
                Err(e) => {
                    self.note(format!("connection error: {e}"));
                    break;
                }
            };
            at += r.consumed;
            let mut outbox = r.outbox;
            let echoed = match r.event {
                Some(Event::Text(t)) => outbox.send_text(t),
                Some(Event::Binary(b)) => outbox.send_binary(b),
                Some(Event::Request(_)) => {
                    // The echo application accepts every request; the driver answers
                    // the client's permessage-deflate offers by its configuration.
                    if let Err(e) = self.driver.accept(&Accept::new(), self.now) {
                        self.note(format!("accept: {e}"));
                    }
                    continue;
                }
                Some(_) => continue,
                None => break,
            };
            if let Err(e) = echoed {
                self.note(format!("echo not sent: {e}"));
            }
        }
        self.collect();
    }

    /// Takes what the driver wrote; a shut-down sending side is the peer closing TCP.
    fn collect(&mut self) {
        let at = self.now + LATENCY;
        let out = self.driver.poll_output();
        if !out.is_empty() {
            self.out.push_back((at, out.to_vec()));
        }
        let n = out.len();
        self.driver.written(n);
        if self.driver.wants_write_shutdown() {
            self.driver.write_shut();
        }
        if !self.closed && matches!(self.driver.stage(), Stage::Closing | Stage::Finished) {
            self.closed = true;
            self.eof_at = Some(at);
        }
    }

    /// Everything the tester can read by now, as one read.
    fn available(&mut self) -> Option<Vec<u8>> {
        let mut data = Vec::new();
        while let Some((at, _)) = self.out.front()
            && *at <= self.now
        {
            if let Some((_, bytes)) = self.out.pop_front() {
                data.extend_from_slice(&bytes);
            }
        }
        (!data.is_empty()).then_some(data)
    }
}

impl Transport for MemoryPeer {
    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        if self.closed {
            // As over TCP: the peer's socket still takes bytes after it shut its side.
            return Ok(());
        }
        let mut data = bytes.to_vec();
        let mut at = 0;
        while at < data.len() && !self.closed {
            let n = self.piece_len(data.len() - at);
            self.feed(&mut data[at..at + n]);
            at += n;
        }
        Ok(())
    }

    fn recv(&mut self, timeout: Duration) -> Incoming {
        let target = self.now + timeout;
        loop {
            if let Some(data) = self.available() {
                return Incoming::Data(data);
            }
            if self.out.is_empty() && self.eof_at.is_some_and(|at| at <= self.now) {
                return Incoming::Eof;
            }
            // The next thing to happen: output becoming readable, the EOF, a driver timer.
            let arrival = self.out.front().map(|(at, _)| *at).or(self.eof_at);
            let timer = self.driver.poll_timeout().filter(|_| !self.closed);
            let next = [arrival, timer].into_iter().flatten().min();
            match next {
                Some(at) if at <= target => {
                    self.now = self.now.max(at);
                    if timer.is_some_and(|t| t <= self.now) {
                        if let Err(e) = self.driver.handle_timeout(self.now) {
                            self.note(format!("timer: {e}"));
                        }
                        self.collect();
                        if self.driver.poll_timeout().is_some_and(|t| t <= self.now)
                            && self.out.is_empty()
                            && !self.closed
                        {
                            // A deadline that does not move would spin; let time pass.
                            self.now = target;
                            return Incoming::Timeout;
                        }
                    }
                }
                _ => {
                    self.now = target;
                    return Incoming::Timeout;
                }
            }
        }
    }

    fn now(&self) -> Instant {
        self.now
    }

    fn close(&mut self) {
        if !self.closed {
            if let Err(e) = self.driver.recv_eof(self.now) {
                self.note(format!("on EOF: {e}"));
            }
            self.collect();
            self.closed = true;
            self.eof_at.get_or_insert(self.now + LATENCY);
        }
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }
}

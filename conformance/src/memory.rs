//! Driver 1: the peer under test is a `sockeye-driver` [`Driver`] in memory, in the open
//! phase, running an echo application, fed the tester's bytes under a chosen [`Chunking`].
//! It is the same driver the mio server and clients run over sockets, so the in-memory
//! verdicts are theirs.
//!
//! Time is virtual: pauses and waits advance the clock given to the driver, so the whole
//! catalog runs in memory in a moment, timers included.
//!
//! Reads model loopback TCP: what the tester writes between two of its waits arrives
//! as one read (as the kernel coalesces back-to-back writes), except that each chop of
//! a chopped write is a read of its own; the [`Chunking`] then cuts every read into
//! `recv` calls.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sockeye_driver::{Driver, DriverConfig, Event};
use sockeye_proto::{Config, Connection, MaskSource};

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

/// The in-memory peer: a [`Driver`] with an echo application.
#[derive(Debug)]
pub struct MemoryPeer {
    driver: Driver,
    now: Instant,
    chunking: Chunking,
    rng: Rng,
    /// Written by the peer, not yet read by the tester.
    out: Vec<u8>,
    /// Written by the tester, not yet read by the peer.
    input: Vec<u8>,
    /// The peer closed (or dropped) TCP.
    closed: bool,
    notes: Vec<String>,
}

impl MemoryPeer {
    /// A connection in `role` with `config`.
    pub fn new(role: SutRole, config: Config, chunking: Chunking) -> Self {
        let now = Instant::now();
        let ws = match role {
            SutRole::Server => Connection::server(config.clone(), now),
            SutRole::Client => {
                Connection::client(config.clone(), Box::new(TestMasks(Rng::new(7))), now)
            }
        };
        let mut driver_config = DriverConfig::default();
        driver_config.connection = config;
        let seed = match chunking {
            Chunking::Random(s) => s,
            _ => 0,
        };
        Self {
            driver: Driver::from_connection(Arc::new(driver_config), ws, now),
            now,
            chunking,
            rng: Rng::new(seed),
            out: Vec::new(),
            input: Vec::new(),
            closed: false,
            notes: Vec::new(),
        }
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

    /// Feeds one piece, echoing every message; returns false once the peer is done with
    /// input.
    fn feed(&mut self, piece: &mut [u8]) -> bool {
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
                Some(_) => continue,
                None => break,
            };
            if let Err(e) = echoed {
                self.note(format!("echo not sent: {e}"));
            }
        }
        self.collect();
        !self.closed
    }

    /// Takes what the driver wrote; a shut-down sending side is the peer closing TCP.
    fn collect(&mut self) {
        let out = self.driver.poll_output();
        self.out.extend_from_slice(out);
        let n = out.len();
        self.driver.written(n);
        if self.driver.wants_write_shutdown() {
            self.driver.write_shut();
        }
        if !self.closed
            && matches!(
                self.driver.stage(),
                sockeye_driver::Stage::Closing | sockeye_driver::Stage::Finished
            )
        {
            self.closed = true;
            self.note("peer closed TCP".into());
        }
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        if let Some(deadline) = self.driver.poll_timeout()
            && deadline <= self.now
        {
            if let Err(e) = self.driver.handle_timeout(self.now) {
                self.note(format!("timer: {e}"));
            }
            self.collect();
        }
    }

    /// The connection reads what the tester wrote since the last read, cut per the
    /// chunking (each piece one read, then what it wrote is collected).
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
            if let Err(e) = self.driver.recv_eof(self.now) {
                self.note(format!("on EOF: {e}"));
            }
            self.collect();
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

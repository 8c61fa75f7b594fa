//! An in-memory client/server pair and helpers for tests that read like transcripts
//! (feature `test-support`).
//!
//! ```
//! use sockeye_proto::test_support::{Owned, Pair};
//! let mut pair = Pair::new();
//! let wire = pair.client_sends(|c, out| c.send_text("hi", out));
//! let seen = pair.server_receives(&wire);
//! assert_eq!(seen.events, [Owned::Text("hi".into())]);
//! assert!(seen.output.is_empty());
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use sockeye_frame::{OpCode, ParseConfig, Rsv, Status, apply_mask, parse_header};

use crate::{CloseCode, Config, Connection, Error, Event, MaskSource, MessageKind};

/// An owned copy of an [`Event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owned {
    /// [`Event::Text`].
    Text(String),
    /// [`Event::Binary`].
    Binary(Vec<u8>),
    /// [`Event::Ping`].
    Ping(Vec<u8>),
    /// [`Event::Pong`].
    Pong(Vec<u8>),
    /// [`Event::Close`].
    Close(CloseCode, String),
    /// [`Event::Chunk`].
    Chunk {
        /// Kind.
        kind: MessageKind,
        /// Bytes.
        data: Vec<u8>,
        /// First chunk.
        first: bool,
        /// Last chunk.
        last: bool,
    },
}

impl From<Event<'_>> for Owned {
    fn from(e: Event<'_>) -> Self {
        match e {
            Event::Text(t) => Self::Text(t.to_owned()),
            Event::Binary(b) => Self::Binary(b.to_vec()),
            Event::Ping(b) => Self::Ping(b.to_vec()),
            Event::Pong(b) => Self::Pong(b.to_vec()),
            Event::Close { code, reason } => Self::Close(code, reason.to_owned()),
            Event::Chunk {
                kind,
                data,
                first,
                last,
            } => Self::Chunk {
                kind,
                data: data.to_vec(),
                first,
                last,
            },
        }
    }
}

/// What one side did with bytes it received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// The events, in order.
    pub events: Vec<Owned>,
    /// The error that ended processing, if any.
    pub error: Option<Error>,
    /// What `poll_transmit` produced afterwards.
    pub output: Vec<u8>,
}

impl Seen {
    /// The frames of `output`, parsed.
    pub fn frames(&self) -> Vec<Frame> {
        parse_frames(&self.output).expect("well-formed output")
    }

    /// The close code of the close frame in `output`, if there is one with a code.
    pub fn close_code(&self) -> Option<u16> {
        self.frames()
            .iter()
            .find(|f| f.opcode == OpCode::Close)
            .and_then(|f| f.payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]])))
    }
}

/// Feeds `bytes` to `conn` cut into pieces of the sizes in `cuts` (repeated; 0 counts as
/// 1), as a driver with a small read buffer would, then collects `poll_transmit`.
///
/// Each piece is passed to [`Connection::recv`] until it returns no event (the last call
/// of a piece may have an empty input: it drains what the extension still holds).
pub fn feed(conn: &mut Connection, bytes: &[u8], cuts: &[usize], now: Instant) -> Seen {
    let mut seen = Seen::default();
    let mut data = bytes.to_vec();
    let mut at = 0;
    let mut cut = cuts.iter().copied().cycle();
    'outer: while at < data.len() {
        let size = cut.next().unwrap_or(usize::MAX).max(1);
        let end = at.saturating_add(size).min(data.len());
        let mut piece_at = at;
        loop {
            match conn.recv(&mut data[piece_at..end], now) {
                Ok(r) => {
                    assert!(r.consumed <= end - piece_at);
                    piece_at += r.consumed;
                    match r.event {
                        Some(e) => seen.events.push(e.into()),
                        None => {
                            assert_eq!(piece_at, end, "no event yet bytes left");
                            break;
                        }
                    }
                }
                Err(e) => {
                    seen.error = Some(e);
                    break 'outer;
                }
            }
        }
        at = end;
    }
    conn.poll_transmit(&mut seen.output);
    seen
}

/// A received frame, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// FIN.
    pub fin: bool,
    /// RSV bits.
    pub rsv: Rsv,
    /// Opcode.
    pub opcode: OpCode,
    /// Whether it was masked.
    pub masked: bool,
    /// The unmasked payload.
    pub payload: Vec<u8>,
}

/// Parses a byte stream of whole frames (any role, no limits). `None` if it is not exactly
/// a sequence of valid frames.
pub fn parse_frames(mut bytes: &[u8]) -> Option<Vec<Frame>> {
    let config = ParseConfig::new()
        .allowed_rsv(Rsv::ALL)
        .max_payload_len(u64::MAX >> 1);
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let Ok(Status::Complete(h)) = parse_header(bytes, &config) else {
            return None;
        };
        let len = usize::try_from(h.payload_len()).ok()?;
        let end = h.len().checked_add(len)?;
        let mut payload = bytes.get(h.len()..end)?.to_vec();
        if let Some(key) = h.mask() {
            apply_mask(&mut payload, key, 0);
        }
        frames.push(Frame {
            fin: h.fin(),
            rsv: h.rsv(),
            opcode: h.opcode(),
            masked: h.is_masked(),
            payload,
        });
        bytes = &bytes[end..];
    }
    Some(frames)
}

/// Builds a raw frame, any bits allowed: `b0` is the whole first byte (FIN, RSV, opcode),
/// the length is encoded minimally, the payload masked with `mask` if given.
pub fn raw_frame(b0: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![b0];
    let m = if mask.is_some() { 0x80 } else { 0 };
    let len = payload.len();
    if len < 126 {
        out.push(m | len as u8);
    } else if len <= 0xFFFF {
        out.push(m | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    let at = out.len() + mask.map_or(0, |_| 4);
    if let Some(key) = mask {
        out.extend_from_slice(&key);
    }
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut out[at..], key, 0);
    }
    out
}

/// A masked raw frame as a client sends it (key `[1, 2, 3, 4]`).
pub fn client_frame(b0: u8, payload: &[u8]) -> Vec<u8> {
    raw_frame(b0, Some([1, 2, 3, 4]), payload)
}

/// Deterministic masking keys for tests: a counter. Never use outside tests (§10.3).
#[derive(Debug, Default)]
pub struct CounterMasks(u32);

impl MaskSource for CounterMasks {
    fn mask_key(&mut self) -> [u8; 4] {
        self.0 = self.0.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
        self.0.to_be_bytes()
    }
}

/// A client and a server connection and a fixed clock.
#[derive(Debug)]
pub struct Pair {
    /// The client.
    pub client: Connection,
    /// The server.
    pub server: Connection,
    /// The time passed to both.
    pub now: Instant,
}

impl Default for Pair {
    fn default() -> Self {
        Self::new()
    }
}

impl Pair {
    /// Both with the default configuration.
    pub fn new() -> Self {
        Self::with_configs(Config::default(), Config::default())
    }

    /// With the given configurations.
    pub fn with_configs(client: Config, server: Config) -> Self {
        let now = Instant::now();
        Self {
            client: Connection::client(client, Box::new(CounterMasks::default()), now),
            server: Connection::server(server, now),
            now,
        }
    }

    /// What the client writes when `f` sends into its output buffer.
    pub fn client_sends(
        &mut self,
        f: impl FnOnce(&mut Connection, &mut Vec<u8>) -> Result<(), Error>,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        f(&mut self.client, &mut out).expect("client send");
        out
    }

    /// What the server writes when `f` sends into its output buffer.
    pub fn server_sends(
        &mut self,
        f: impl FnOnce(&mut Connection, &mut Vec<u8>) -> Result<(), Error>,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        f(&mut self.server, &mut out).expect("server send");
        out
    }

    /// The server receives `bytes` in one piece.
    pub fn server_receives(&mut self, bytes: &[u8]) -> Seen {
        feed(&mut self.server, bytes, &[usize::MAX], self.now)
    }

    /// The client receives `bytes` in one piece.
    pub fn client_receives(&mut self, bytes: &[u8]) -> Seen {
        feed(&mut self.client, bytes, &[usize::MAX], self.now)
    }
}

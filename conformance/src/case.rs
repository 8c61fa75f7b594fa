//! The case language: what the tester sends ([`Step`]) and what it expects ([`Expect`]).
//!
//! A [`Case`] is plain data. It does not know which role the tester plays: frames are
//! described by a [`FrameSpec`] and encoded when the case runs, masked when the tester is
//! the client (RFC 6455 §5.1, §5.3) and unmasked when it is the server, so one catalog
//! tests both server and client implementations.

use std::sync::Arc;

/// A payload, described rather than stored when it is large.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// These bytes.
    Bytes(Arc<[u8]>),
    /// `len` bytes of a fixed pattern: printable ASCII (so also valid UTF-8 text) for a
    /// `seed` below 128, any byte values from 128 on. Materialised only when needed.
    Pattern {
        /// Length in bytes.
        len: usize,
        /// Varies the content.
        seed: u8,
    },
}

impl Payload {
    /// The empty payload.
    pub fn empty() -> Self {
        Self::Bytes(Arc::from(&[][..]))
    }

    /// These bytes.
    pub fn bytes(b: impl AsRef<[u8]>) -> Self {
        Self::Bytes(Arc::from(b.as_ref()))
    }

    /// `len` bytes of printable ASCII.
    pub fn pattern(len: usize) -> Self {
        Self::Pattern { len, seed: 0 }
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        match self {
            Self::Bytes(b) => b.len(),
            Self::Pattern { len, .. } => *len,
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Self::Bytes(b) => b.to_vec(),
            Self::Pattern { len, seed } => pattern_bytes(*len, *seed),
        }
    }

    /// Whether `bytes` are this payload.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        match self {
            Self::Bytes(b) => **b == *bytes,
            Self::Pattern { len, seed } => {
                bytes.len() == *len
                    && bytes
                        .iter()
                        .enumerate()
                        .all(|(i, b)| *b == pattern_byte(i, *seed))
            }
        }
    }
}

fn pattern_byte(i: usize, seed: u8) -> u8 {
    if seed >= 128 {
        // Every byte value (binary payloads).
        (i.wrapping_mul(31).wrapping_add(usize::from(seed)) % 251) as u8
    } else {
        // 0x20..=0x7e: 95 printable characters.
        0x20 + ((i + usize::from(seed) * 7) % 95) as u8
    }
}

fn pattern_bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| pattern_byte(i, seed)).collect()
}

/// Frame opcodes by number (reserved ones included: the tester may send anything).
pub mod op {
    /// Continuation.
    pub const CONT: u8 = 0x0;
    /// Text.
    pub const TEXT: u8 = 0x1;
    /// Binary.
    pub const BINARY: u8 = 0x2;
    /// Close.
    pub const CLOSE: u8 = 0x8;
    /// Ping.
    pub const PING: u8 = 0x9;
    /// Pong.
    pub const PONG: u8 = 0xA;
}

/// How a frame the tester sends is masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskMode {
    /// As the tester's role requires: masked by a client, unmasked by a server.
    Role,
    /// The opposite of what the role requires (a §5.1 violation).
    Wrong,
}

/// One frame the tester sends; any bits, any opcode, minimal length encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameSpec {
    /// FIN.
    pub fin: bool,
    /// RSV1–3 as the three bits `0b100` (RSV1) … `0b001` (RSV3).
    pub rsv: u8,
    /// The opcode nibble.
    pub opcode: u8,
    /// The payload.
    pub payload: Payload,
    /// Masking.
    pub mask: MaskMode,
}

impl FrameSpec {
    /// A frame with FIN set, no RSV bits, masked as the role requires.
    pub fn new(opcode: u8, payload: Payload) -> Self {
        Self {
            fin: true,
            rsv: 0,
            opcode,
            payload,
            mask: MaskMode::Role,
        }
    }

    /// With FIN as given.
    pub fn fin(mut self, fin: bool) -> Self {
        self.fin = fin;
        self
    }

    /// With these RSV bits.
    pub fn rsv(mut self, rsv: u8) -> Self {
        self.rsv = rsv;
        self
    }

    /// Masked against the role's rule.
    pub fn wrong_mask(mut self) -> Self {
        self.mask = MaskMode::Wrong;
        self
    }
}

/// What the tester does, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send one frame; `chop`: in pieces of this many bytes (each its own write).
    Frame {
        /// The frame.
        frame: FrameSpec,
        /// Write it in pieces of this size, if set.
        chop: Option<usize>,
    },
    /// Send one part of a frame: the payload bytes `from..to`, with the header when
    /// `from == 0`. Consecutive parts of the same [`FrameSpec`] share one encoding (one
    /// masking key), so [`Step::Pause`] and [`Step::Checkpoint`] can go between the parts
    /// of a frame (fail-fast inside a frame, §8.1).
    FramePart {
        /// The frame.
        frame: FrameSpec,
        /// Payload range `from..to` of this part (the header goes with `from == 0`).
        from: usize,
        /// End of the part's payload range.
        to: usize,
    },
    /// A whole message in fragments of `frag` bytes (0: one frame), chopped for writing.
    Message {
        /// Text (`true`) or binary.
        text: bool,
        /// The message.
        payload: Payload,
        /// Fragment size; 0 for a single frame.
        frag: usize,
        /// Write in pieces of this size, if set.
        chop: Option<usize>,
    },
    /// Send a message `count` times, each time waiting for its echo (round trips).
    RoundTrips {
        /// Text (`true`) or binary.
        text: bool,
        /// The message.
        payload: Payload,
        /// How many.
        count: u32,
    },
    /// Raw bytes, exactly (for what a [`FrameSpec`] cannot say, e.g. a non-minimal length).
    Raw(Vec<u8>),
    /// The tester starts the closing handshake with this close frame payload (a code and
    /// reason, or anything: invalid codes, 1-byte bodies).
    Close(Payload),
    /// Wait this long (ms). In memory, virtual time.
    Pause(u64),
    /// Wait until the peer has sent back this many items (messages and pongs), at most
    /// the configured wait.
    Sync(usize),
    /// The peer must have failed the connection by now ([`Expect::fail_fast`]).
    Checkpoint,
}

/// Something the peer sends back that the case checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A data message, however fragmented.
    Message {
        /// Text (`true`) or binary.
        text: bool,
        /// Its payload.
        payload: Payload,
    },
    /// A pong with this payload.
    Pong(Payload),
}

impl Item {
    /// A text message.
    pub fn text(payload: Payload) -> Self {
        Self::Message {
            text: true,
            payload,
        }
    }

    /// A binary message.
    pub fn binary(payload: Payload) -> Self {
        Self::Message {
            text: false,
            payload,
        }
    }
}

/// How the received items are compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// Exactly these, in this order.
    Exact(Vec<Item>),
    /// Items are pongs; an in-order subsequence of these that includes the last one
    /// (RFC 6455 §5.5.3: an endpoint "MAY elect to send a Pong frame for only the most
    /// recently processed Ping frame").
    PongSubsequence(Vec<Item>),
    /// Anything.
    Any,
}

/// Who is expected to start closing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closer {
    /// The tester closes (after [`Step::Close`] or, if none, with 1000 at the end); the
    /// peer must answer with one of the codes.
    Tester,
    /// The peer must fail the connection (§7.1.7) with one of the codes.
    Peer,
}

/// What the case expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    /// Items for OK.
    pub ok: Match,
    /// Items that still pass, as NON-STRICT (e.g. the peer failed before echoing a
    /// message that preceded the violation).
    pub non_strict: Option<Match>,
    /// Who closes.
    pub closer: Closer,
    /// Close codes accepted in the peer's close frame; 1005 stands for a close frame
    /// without a body.
    pub codes: Vec<u16>,
    /// The peer must have failed by the [`Step::Checkpoint`]; later is NON-STRICT.
    pub fail_fast: bool,
    /// The result is for information only (the RFC leaves the behaviour open).
    pub informational: bool,
}

impl Expect {
    /// The peer echoes exactly `items`, then answers the tester's close with 1000.
    pub fn echo(items: Vec<Item>) -> Self {
        Self {
            ok: Match::Exact(items),
            non_strict: None,
            closer: Closer::Tester,
            codes: vec![1000],
            fail_fast: false,
            informational: false,
        }
    }

    /// The peer sends exactly `items`, then fails the connection with `code`.
    pub fn fail(items: Vec<Item>, code: u16) -> Self {
        Self {
            ok: Match::Exact(items),
            non_strict: None,
            closer: Closer::Peer,
            codes: vec![code],
            fail_fast: false,
            informational: false,
        }
    }

    /// NON-STRICT alternative items.
    pub fn or_non_strict(mut self, items: Vec<Item>) -> Self {
        self.non_strict = Some(Match::Exact(items));
        self
    }

    /// Accepted close codes.
    pub fn codes(mut self, codes: &[u16]) -> Self {
        self.codes = codes.to_vec();
        self
    }

    /// Requires failing by the checkpoint.
    pub fn fail_fast(mut self) -> Self {
        self.fail_fast = true;
        self
    }

    /// Informational.
    pub fn informational(mut self) -> Self {
        self.informational = true;
        self
    }
}

/// One case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// Autobahn-style id, e.g. `6.4.1`.
    pub id: String,
    /// What the case does.
    pub description: String,
    /// What the tester sends.
    pub steps: Vec<Step>,
    /// What it expects.
    pub expect: Expect,
}

impl Case {
    /// The section (the id's first number).
    pub fn section(&self) -> u32 {
        self.id
            .split('.')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    /// The id as numbers, for ordering (`1.1.10` after `1.1.9`).
    pub fn sort_key(&self) -> Vec<u32> {
        id_key(&self.id)
    }

    /// Total bytes of payload the tester sends (a size hint for time limits).
    pub fn payload_bytes(&self) -> usize {
        self.steps
            .iter()
            .map(|s| match s {
                Step::Frame { frame, .. } | Step::FramePart { frame, .. } => frame.payload.len(),
                Step::Message { payload, .. } => payload.len(),
                Step::RoundTrips { payload, count, .. } => payload.len() * *count as usize,
                Step::Raw(r) => r.len(),
                _ => 0,
            })
            .sum()
    }
}

/// An id as numbers, for ordering.
pub fn id_key(id: &str) -> Vec<u32> {
    id.split('.')
        .map(|p| p.parse().unwrap_or(u32::MAX))
        .collect()
}

/// A close frame payload: code and reason.
pub fn close_payload(code: u16, reason: &[u8]) -> Payload {
    let mut v = code.to_be_bytes().to_vec();
    v.extend_from_slice(reason);
    Payload::bytes(v)
}

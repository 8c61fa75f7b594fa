//! The case language: what the tester sends and when ([`Step`]), as Autobahn|Testsuite's
//! case code does it, and what it expects ([`Expect`](crate::expect::Expect)).
//!
//! A [`Case`] is plain data and does not know which role the tester plays: frames are
//! described by a [`FrameSpec`] and encoded when the case runs, masked when the tester is
//! the client (RFC 6455 §5.1, §5.3) and unmasked when it is the server, so one catalog
//! tests servers and clients.
//!
//! Steps mirror the suite's calls one for one. The steps up to the first
//! [`Step::Later`] are the case's `onOpen`; each `Later` is a `continueLater`, after which
//! the following steps run as one callback (if the connection is not closed by then).
//! Everything written in one callback leaves in one TCP write, except what is written
//! [`Write::Sync`] or [`Write::Chop`]: those go through the suite's send queue, one write
//! per queued piece, a small gap apart (see [`runner`](crate::runner)).

pub use crate::expect::{CloseExpect, Expect, Item, Rule};
pub use crate::payload::Payload;

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

/// How bytes are handed to the transport (the suite's `sendData(data, sync, chopsize)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Written with everything else of the same callback: one TCP write.
    Plain,
    /// Queued: its own write, in a later reactor turn than what precedes it.
    Sync,
    /// Queued in pieces of this many bytes (header included), each its own write.
    Chop(usize),
}

/// What the tester does, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `sendFrame`: one raw frame, whatever it says; the tester's state does not change
    /// (a close frame sent this way is not the tester starting to close).
    Frame {
        /// The frame.
        frame: FrameSpec,
        /// How it is written.
        write: Write,
    },
    /// `sendMessage`: a data message, compressed if permessage-deflate was negotiated, in
    /// fragments of `frag` bytes (or the auto-fragment size) when it is longer. The suite's
    /// loop sets FIN only once a fragment would pass the end, so a length that divides
    /// evenly ends with an empty FIN continuation frame.
    Message {
        /// Text (`true`) or binary.
        text: bool,
        /// The message.
        payload: Payload,
        /// Fragment size, `None` for the auto-fragment size (0: one frame).
        frag: Option<usize>,
    },
    /// `beginMessage` + `beginMessageFrame(len)`: the header of a frame whose payload
    /// (`frame.payload`) follows in [`Step::FrameData`] steps, masked with one key.
    FrameHeader {
        /// The frame (its payload says the length and the bytes).
        frame: FrameSpec,
    },
    /// `sendMessageFrameData`: the payload bytes `from..to` of the last
    /// [`Step::FrameHeader`].
    FrameData {
        /// Start of the part.
        from: usize,
        /// End of the part.
        to: usize,
    },
    /// `sendCloseFrame(code, reason)` / `sendClose(code)`: the tester starts the closing
    /// handshake (only while open; the close timer starts). `None`: a close frame without
    /// a body. The reason is sent as given (the suite does not check it).
    Close {
        /// The code, if any.
        code: Option<u16>,
        /// The reason bytes (only with a code).
        reason: Vec<u8>,
    },
    /// `autoFragmentSize = n` for later [`Step::Message`]s.
    AutoFragment(usize),
    /// `continueLater(ms)`: the steps after this one run after `ms` milliseconds, unless
    /// the connection is closed by then.
    Later(u64),
    /// The rest of this callback runs only if the connection is still open (the 6.4.x
    /// parts check `state == STATE_OPEN`).
    IfOpen,
    /// Append `("timeout", tag)` to what was received (6.4.x).
    Mark(&'static str),
    /// `killAfter(ms)`: then, if still open, fail the connection (close 1001 "Going
    /// Away"); if closing, drop TCP.
    KillAfter(u64),
    /// `closeAfter(ms)`: then, if still open, close with an empty close frame.
    CloseAfter(u64),
}

/// One case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The suite's id, e.g. `6.4.1`.
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
        id_key(&self.id).first().copied().unwrap_or(0)
    }

    /// The id as numbers, for ordering (`1.1.10` after `1.1.9`), as the suite sorts.
    pub fn sort_key(&self) -> Vec<u32> {
        id_key(&self.id)
    }

    /// The longest the case can take by its own timers (every `Later`, the latest
    /// kill or close timer, the round-trip wait), before the closing handshake.
    pub fn timer_budget_ms(&self) -> u64 {
        let mut at = 0u64;
        let mut latest = 0u64;
        for s in &self.steps {
            match s {
                Step::Later(ms) => at += ms,
                Step::KillAfter(ms) | Step::CloseAfter(ms) => latest = latest.max(at + ms),
                _ => {}
            }
        }
        latest.max(at).max(self.expect.rule.wait_ms())
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

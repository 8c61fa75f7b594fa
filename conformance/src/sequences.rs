//! Generated frame sequences as cases, for property tests: messages cut into fragments
//! (empty ones included) with pings and pongs in between, optionally followed by one
//! fault. The description is plain data ([`Sequence`]), so a property test generates it
//! with any strategy and runs the resulting [`Case`] through any driver: in memory, or
//! over TCP against a real server with [`run_case`](crate::run_case).

use crate::case::{Case, Expect, FrameSpec, Item, Payload, Step, Write, op};

/// One message and how it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeqMessage {
    /// Text (must then be UTF-8) or binary.
    pub text: bool,
    /// The message.
    pub payload: Vec<u8>,
    /// Cut points into `payload` (sorted, may repeat: empty fragments). No cuts: one frame.
    pub cuts: Vec<usize>,
    /// After fragment `i` (0-based), a control frame: `Some((is_ping, payload))`.
    pub controls: Vec<Option<(bool, Vec<u8>)>>,
}

/// A fault that ends the connection with a prescribed close code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// A frame with a reserved opcode (3–7, 11–15): 1002.
    ReservedOpcode(u8),
    /// A text frame with RSV bits (1–7) and no extension: 1002.
    ReservedBits(u8),
    /// A frame masked against the role rule (§5.1): 1002.
    WrongMask,
    /// A ping of 126–200 bytes: 1002.
    LongPing(usize),
    /// A ping with FIN clear: 1002.
    FragmentedPing,
    /// A continuation without a message: 1002.
    StrayContinuation,
    /// A text frame inside a fragmented message: 1002.
    NestedMessage,
    /// Text whose bytes are `valid ++ bad ++ valid`, in `frags` fragments: 1007.
    InvalidUtf8 {
        /// Valid prefix.
        prefix: Vec<u8>,
        /// An invalid sequence.
        bad: Vec<u8>,
        /// Fragment size (0: one frame).
        frag: usize,
    },
    /// A close frame with a 1-byte body: 1002.
    CloseOneByte,
    /// A close frame with a code that may not be sent: 1002.
    CloseBadCode(u16),
    /// A close frame whose reason is not UTF-8: 1007.
    CloseBadReason,
}

impl Fault {
    /// Whether the fault is in the tester's own close frame (the tester closes first).
    pub fn in_close(&self) -> bool {
        matches!(
            self,
            Self::CloseOneByte | Self::CloseBadCode(_) | Self::CloseBadReason
        )
    }

    /// The close code RFC 6455 prescribes.
    pub fn code(&self) -> u16 {
        match self {
            Self::InvalidUtf8 { .. } | Self::CloseBadReason => 1007,
            _ => 1002,
        }
    }

    fn steps(&self) -> Vec<Step> {
        let frame = |f: FrameSpec| Step::Frame {
            frame: f,
            write: Write::Plain,
        };
        let text = |b: &[u8]| FrameSpec::new(op::TEXT, Payload::bytes(b));
        match self {
            Self::ReservedOpcode(o) => vec![frame(FrameSpec::new(*o, Payload::bytes(b"x")))],
            Self::ReservedBits(r) => vec![frame(text(b"rsv").rsv(*r))],
            Self::WrongMask => vec![frame(text(b"mask").wrong_mask())],
            Self::LongPing(n) => vec![frame(FrameSpec::new(
                op::PING,
                Payload::bytes(vec![b'p'; *n]),
            ))],
            Self::FragmentedPing => vec![
                frame(FrameSpec::new(op::PING, Payload::bytes(b"a")).fin(false)),
                frame(FrameSpec::new(op::CONT, Payload::bytes(b"b"))),
            ],
            Self::StrayContinuation => vec![frame(FrameSpec::new(op::CONT, Payload::bytes(b"c")))],
            Self::NestedMessage => vec![frame(text(b"one").fin(false)), frame(text(b"two"))],
            Self::InvalidUtf8 { prefix, bad, frag } => {
                let mut all = prefix.clone();
                all.extend_from_slice(bad);
                all.extend_from_slice(b"tail");
                vec![Step::Message {
                    text: true,
                    payload: Payload::bytes(all),
                    frag: (*frag > 0).then_some(*frag),
                }]
            }
            Self::CloseOneByte => vec![Step::Close {
                code: None,
                reason: vec![3],
            }],
            Self::CloseBadCode(c) => vec![Step::Close {
                code: Some(*c),
                reason: Vec::new(),
            }],
            Self::CloseBadReason => vec![Step::Close {
                code: Some(1000),
                reason: b"\xff\xfe".to_vec(),
            }],
        }
    }
}

/// Messages, then optionally one fault and more messages (which must not be echoed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    /// Sent first; all echoed.
    pub messages: Vec<SeqMessage>,
    /// Then this.
    pub fault: Option<Fault>,
    /// Sent after the fault; never echoed.
    pub after: Vec<SeqMessage>,
}

fn message_steps(m: &SeqMessage, items: Option<&mut Vec<Item>>) -> Vec<Step> {
    let mut bounds = vec![0];
    bounds.extend(m.cuts.iter().map(|c| (*c).min(m.payload.len())));
    bounds.push(m.payload.len());
    bounds.sort_unstable();
    let n = bounds.len() - 1;
    let mut steps = Vec::new();
    let mut expected = Vec::new();
    for i in 0..n {
        let opcode = match (i, m.text) {
            (0, true) => op::TEXT,
            (0, false) => op::BINARY,
            _ => op::CONT,
        };
        let part = &m.payload[bounds[i]..bounds[i + 1]];
        steps.push(Step::Frame {
            frame: FrameSpec::new(opcode, Payload::bytes(part)).fin(i + 1 == n),
            write: Write::Plain,
        });
        if i + 1 == n {
            expected.push(Item::Message {
                binary: !m.text,
                payload: Payload::bytes(&m.payload),
            });
        }
        if let Some(Some((is_ping, p))) = m.controls.get(i) {
            let opc = if *is_ping { op::PING } else { op::PONG };
            steps.push(Step::Frame {
                frame: FrameSpec::new(opc, Payload::bytes(p)),
                write: Write::Plain,
            });
            if *is_ping {
                expected.push(Item::Pong(Payload::bytes(p)));
            }
        }
    }
    if let Some(items) = items {
        items.append(&mut expected);
    }
    steps
}

impl Sequence {
    /// The case, with the suite's rules: every message before the fault echoed exactly
    /// (pongs where pings were); without a fault the tester closes once everything came
    /// back (or after 1 s) and the peer answers cleanly; with a fault the peer fails the
    /// connection with the fault's code (or drops TCP), within 1 s — or, for a fault in
    /// the tester's own close frame, answers it with that code.
    pub fn to_case(&self, id: &str) -> Case {
        let mut steps = Vec::new();
        let mut items = Vec::new();
        for m in &self.messages {
            steps.extend(message_steps(m, Some(&mut items)));
        }
        let expect = match &self.fault {
            None => {
                steps.push(Step::CloseAfter(1000));
                Expect::echo(items)
            }
            Some(f) => {
                steps.extend(f.steps());
                for m in &self.after {
                    steps.extend(message_steps(m, None));
                }
                steps.push(Step::KillAfter(1000));
                if f.in_close() {
                    Expect::echo(items)
                        .close(true, &[f.code()], false)
                        .suppress_close()
                } else {
                    Expect::fail(items, f.code())
                }
            }
        };
        Case {
            id: id.to_owned(),
            description: format!(
                "generated sequence: {} messages, fault {:?}",
                self.messages.len(),
                self.fault
            ),
            steps,
            expect,
        }
    }
}

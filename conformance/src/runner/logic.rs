//! The case classes that decide `behavior` themselves as messages arrive (they replace
//! `Case.onMessage`, so these messages are not recorded): sections 9.1–9.6 (the first
//! echo), 9.7 and 9.8 (round trips), 12 and 13 (compressed round trips).

use crate::deflate_case::{DeflateCase, Messages};
use crate::expect::Rule;
use crate::payload::Payload;
use crate::verdict::Verdict;

/// What the runner must do after the logic saw something.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Action {
    /// Nothing.
    None,
    /// Send this message (text?, bytes) with `sendMessage`.
    Send(bool, Vec<u8>),
    /// Send this message with `sendFrame` (one frame, never compressed).
    SendFrame(bool, Payload),
    /// `sendClose(1000)`.
    Close,
}

/// The state of a round-trip rule.
#[derive(Debug)]
pub(crate) enum Logic {
    /// The generic rule: nothing to do here.
    None,
    First {
        text: bool,
        len: usize,
    },
    Trips {
        text: bool,
        payload: Payload,
        count: u32,
        sent: u32,
    },
    Deflate {
        case: Box<DeflateCase>,
        messages: Messages,
        /// The last message sent, to compare its echo with (the suite compares SHA-1s).
        expected: Vec<u8>,
        sent: u32,
    },
}

impl Logic {
    pub(crate) fn new(rule: &Rule) -> Self {
        match rule {
            Rule::Lists { .. } => Self::None,
            Rule::FirstMessage { text, len, .. } => Self::First {
                text: *text,
                len: *len,
            },
            Rule::RoundTrips {
                text,
                payload,
                count,
                ..
            } => Self::Trips {
                text: *text,
                payload: payload.clone(),
                count: *count,
                sent: 0,
            },
            Rule::Deflate(d) => Self::Deflate {
                messages: Messages::new(d),
                case: d.clone(),
                expected: Vec::new(),
                sent: 0,
            },
        }
    }

    /// The verdict before anything arrived (the case's `onOpen`), if the rule sets one.
    pub(crate) fn initial(&self, negotiated: bool) -> Option<(Verdict, String)> {
        match self {
            Self::None => None,
            Self::First { .. } => Some((
                Verdict::Failed,
                "Did not receive message within the case's timeout.".into(),
            )),
            Self::Trips { .. } => Some((
                Verdict::Failed,
                "Case did not finish within the case's timeout.".into(),
            )),
            Self::Deflate { .. } if !negotiated => Some((
                Verdict::Unimplemented,
                "permessage-deflate was not negotiated.".into(),
            )),
            Self::Deflate { .. } => Some((
                Verdict::Failed,
                "Case did not finish within the case's timeout.".into(),
            )),
        }
    }

    /// Whether the rule sends a message when the connection opens (and the case's
    /// timeout timer, for sections 12 and 13, whose `closeAfter` is armed only then).
    pub(crate) fn start(&mut self, negotiated: bool) -> (Action, Option<u64>) {
        match self {
            Self::None | Self::First { .. } => (Action::None, None),
            Self::Trips { .. } => (self.next(), None),
            Self::Deflate { .. } if !negotiated => (Action::Close, None),
            Self::Deflate { case, .. } => {
                let wait = case.wait_ms;
                (self.next(), Some(wait))
            }
        }
    }

    fn next(&mut self) -> Action {
        match self {
            Self::Trips {
                text,
                payload,
                sent,
                ..
            } => {
                *sent += 1;
                Action::SendFrame(*text, payload.clone())
            }
            Self::Deflate {
                case,
                messages,
                expected,
                sent,
            } => {
                *sent += 1;
                *expected = messages.next_message();
                Action::Send(case.data.is_text(), expected.clone())
            }
            _ => Action::None,
        }
    }

    /// A data message arrived (the tester had not failed the connection). Returns the
    /// verdict to set, if any, and what to do.
    pub(crate) fn on_message(
        &mut self,
        binary: bool,
        payload: &[u8],
    ) -> (Option<(Verdict, String)>, Action) {
        let kind = |b: bool| if b { "binary" } else { "text" };
        match self {
            Self::None => (None, Action::None),
            Self::First { text, len } => {
                let v = if binary == *text {
                    (
                        Verdict::Failed,
                        format!(
                            "Expected {} message, but got {}.",
                            kind(!*text),
                            kind(binary)
                        ),
                    )
                } else if payload.len() != *len {
                    (
                        Verdict::Failed,
                        format!(
                            "Expected message with payload of length {len}, but got {}.",
                            payload.len()
                        ),
                    )
                } else {
                    (
                        Verdict::Ok,
                        format!("Received message of length {}.", payload.len()),
                    )
                };
                (Some(v), Action::Close)
            }
            Self::Trips {
                text,
                payload: p,
                count,
                sent,
            } => {
                if binary == *text || payload.len() != p.len() {
                    let v = (
                        Verdict::Failed,
                        format!(
                            "Echo'ed message type or length differs from what I sent (got binary = {binary}, payload length = {}).",
                            payload.len()
                        ),
                    );
                    (Some(v), Action::Close)
                } else if *sent < *count {
                    (None, self.next())
                } else {
                    let v = (
                        Verdict::Ok,
                        "Ok, received all echo'ed messages in time.".to_owned(),
                    );
                    (Some(v), Action::Close)
                }
            }
            Self::Deflate {
                case,
                messages,
                expected,
                sent,
            } => {
                let text = case.data.is_text();
                let fail = if binary == text {
                    Some(format!(
                        "Echo'ed message type differs from what I sent (got binary {binary}, expected binary {}).",
                        !text
                    ))
                } else if messages.length_of(payload) != case.len {
                    Some(format!(
                        "Echo'ed message length differs from what I sent (got length {}, expected length {}).",
                        messages.length_of(payload),
                        case.len
                    ))
                } else if payload != expected.as_slice() {
                    Some("Echo'ed message contents differs from what I sent.".to_owned())
                } else {
                    None
                };
                match fail {
                    Some(why) => (Some((Verdict::Failed, why)), Action::Close),
                    None if *sent < case.count => (None, self.next()),
                    None => (
                        Some((
                            Verdict::Ok,
                            "Ok, received all echo'ed messages in time.".to_owned(),
                        )),
                        Action::Close,
                    ),
                }
            }
        }
    }
}

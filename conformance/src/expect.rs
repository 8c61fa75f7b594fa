//! What a case expects, in the suite's terms (`autobahntestsuite/case/case.py`): lists of
//! events keyed by verdict (`expected`), and how the connection must end
//! (`expectedClose = {closedByMe, closeCode, requireClean}`), plus the few per-case
//! overrides the suite's case classes apply. [`verdict`](crate::verdict) judges with it.

use crate::deflate_case::DeflateCase;
use crate::payload::Payload;

/// An event the tester records (the suite's `received` entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// `("message", payload, isBinary)`: a data message, however fragmented.
    Message {
        /// Binary (`true`) or text.
        binary: bool,
        /// Its payload.
        payload: Payload,
    },
    /// `("pong", payload)`.
    Pong(Payload),
    /// `("timeout", tag)`: the tester's own marker (6.4.x), appended while still open.
    Timeout(&'static str),
}

impl Item {
    /// A text message.
    pub fn text(payload: Payload) -> Self {
        Self::Message {
            binary: false,
            payload,
        }
    }

    /// A binary message.
    pub fn binary(payload: Payload) -> Self {
        Self::Message {
            binary: true,
            payload,
        }
    }
}

/// How `behavior` is decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// The suite's generic rule: OK if the received events equal `ok` exactly (same
    /// events, same order, byte-identical payloads), NON-STRICT if they equal
    /// `non_strict`, else FAILED. On a full match of every list the tester closes with
    /// the first accepted code (`finishWhenDone`), unless the case suppresses it.
    Lists {
        /// Events for OK.
        ok: Vec<Item>,
        /// Events for NON-STRICT, if the case has such a list.
        non_strict: Option<Vec<Item>>,
    },
    /// Sections 9.1–9.6: FAILED until a message arrives; the first one is OK if its type
    /// and length are right (the content is not compared), FAILED otherwise; every message
    /// makes the tester close with 1000. `wait_ms` is the case's `closeAfter`.
    FirstMessage {
        /// Text expected.
        text: bool,
        /// Length expected.
        len: usize,
        /// The case's timeout.
        wait_ms: u64,
    },
    /// Sections 9.7, 9.8: `count` round trips (the next message is sent when the previous
    /// echo arrives); OK when the last echo has the right type and length, FAILED at the
    /// first wrong one; then the tester closes with 1000.
    RoundTrips {
        /// Text or binary.
        text: bool,
        /// What is sent each time.
        payload: Payload,
        /// How many.
        count: u32,
        /// The case's timeout (`closeAfter`).
        wait_ms: u64,
    },
    /// Sections 12, 13: UNIMPLEMENTED when permessage-deflate was not negotiated; else
    /// compressed round trips checked by type, length and SHA-1.
    Deflate(Box<DeflateCase>),
}

impl Rule {
    /// The case's own timeout for the round-trip rules (0 for the others).
    pub fn wait_ms(&self) -> u64 {
        match self {
            Self::Lists { .. } => 0,
            Self::FirstMessage { wait_ms, .. } | Self::RoundTrips { wait_ms, .. } => *wait_ms,
            Self::Deflate(d) => d.wait_ms,
        }
    }
}

/// `expectedClose`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseExpect {
    /// `closedByMe`: the tester sends the first close frame (not as a reply).
    pub closed_by_me: bool,
    /// `closeCode`: codes accepted in the peer's close frame. A close frame without a
    /// code is always accepted ("... or empty"). The first is the code the tester closes
    /// with on a full match.
    pub codes: Vec<u16>,
    /// `requireClean`: the peer's close frame must have arrived (and the tester must not
    /// have had to give up on the peer).
    pub require_clean: bool,
    /// `closedByWrongEndpointIsFatal` (the UTF-8 cases): the wrong closer makes
    /// `behavior` FAILED as well.
    pub wrong_endpoint_fatal: bool,
}

/// What the case expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    /// How `behavior` is decided.
    pub rule: Rule,
    /// How the connection must end.
    pub close: CloseExpect,
    /// Section 7's override: `behaviorClose` WRONG CODE makes `behavior` FAILED.
    pub wrong_code_fails: bool,
    /// 7.1.6 and 7.13.x: both verdicts are INFORMATIONAL whatever happened.
    pub informational: bool,
    /// `suppressClose`: no close on a full match (the case sends its own close).
    pub suppress_close: bool,
}

impl Expect {
    /// The peer echoes exactly `items`; the tester then closes with 1000, which the peer
    /// answers cleanly.
    pub fn echo(items: Vec<Item>) -> Self {
        Self::with_rule(Rule::Lists {
            ok: items,
            non_strict: None,
        })
    }

    /// The peer sends exactly `items`, then fails the connection (close `code` or none,
    /// or just dropping TCP).
    pub fn fail(items: Vec<Item>, code: u16) -> Self {
        Self::echo(items).close(false, &[code], false)
    }

    /// A rule with the echo case's close: the tester closes, 1000, clean.
    pub fn with_rule(rule: Rule) -> Self {
        Self {
            rule,
            close: CloseExpect {
                closed_by_me: true,
                codes: vec![1000],
                require_clean: true,
                wrong_endpoint_fatal: false,
            },
            wrong_code_fails: false,
            informational: false,
            suppress_close: false,
        }
    }

    /// The NON-STRICT list.
    pub fn or_non_strict(mut self, items: Vec<Item>) -> Self {
        if let Rule::Lists { non_strict, .. } = &mut self.rule {
            *non_strict = Some(items);
        }
        self
    }

    /// `expectedClose`.
    pub fn close(mut self, closed_by_me: bool, codes: &[u16], require_clean: bool) -> Self {
        self.close.closed_by_me = closed_by_me;
        self.close.codes = codes.to_vec();
        self.close.require_clean = require_clean;
        self
    }

    /// `closedByWrongEndpointIsFatal`.
    pub fn wrong_endpoint_fatal(mut self) -> Self {
        self.close.wrong_endpoint_fatal = true;
        self
    }

    /// WRONG CODE makes `behavior` FAILED (section 7).
    pub fn wrong_code_fails(mut self) -> Self {
        self.wrong_code_fails = true;
        self
    }

    /// Always INFORMATIONAL.
    pub fn informational(mut self) -> Self {
        self.informational = true;
        self
    }

    /// `suppressClose`.
    pub fn suppress_close(mut self) -> Self {
        self.suppress_close = true;
        self
    }

    /// The lists of the generic rule, if it is that rule.
    pub fn lists(&self) -> Option<(&[Item], Option<&[Item]>)> {
        match &self.rule {
            Rule::Lists { ok, non_strict } => Some((ok, non_strict.as_deref())),
            _ => None,
        }
    }
}

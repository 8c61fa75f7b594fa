//! Verdicts, computed as Autobahn|Testsuite computes them (`case.py`,
//! `Case.onConnectionLost`, and the overrides of the case classes), from an
//! [`Observation`]. What the harness notices beyond the suite's rules is a note beside
//! the verdict ([`CaseResult::notes`]), never a different verdict.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::case::Case;
use crate::expect::{Item, Rule};
use crate::observation::Observation;
use crate::runner::same;

/// A case's verdict (the suite's `behavior`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Verdict {
    /// As expected, strictly.
    #[serde(rename = "OK")]
    Ok,
    /// The case's NON-STRICT list matched (e.g. failed before echoing the message that
    /// preceded the violation; UTF-8 not fail-fast).
    #[serde(rename = "NON-STRICT")]
    NonStrict,
    /// The RFC leaves the behaviour open; recorded for information.
    #[serde(rename = "INFORMATIONAL")]
    Informational,
    /// The case needs a feature the peer did not negotiate (permessage-deflate).
    #[serde(rename = "UNIMPLEMENTED")]
    Unimplemented,
    /// Anything else.
    #[serde(rename = "FAILED")]
    Failed,
}

impl Verdict {
    /// The suite's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::NonStrict => "NON-STRICT",
            Self::Informational => "INFORMATIONAL",
            Self::Unimplemented => "UNIMPLEMENTED",
            Self::Failed => "FAILED",
        }
    }

    /// All, in report order.
    pub const ALL: [Self; 5] = [
        Self::Ok,
        Self::NonStrict,
        Self::Informational,
        Self::Unimplemented,
        Self::Failed,
    ];

    /// How bad, for "worse than" comparisons: OK and INFORMATIONAL 0, NON-STRICT 1,
    /// UNIMPLEMENTED 2, FAILED 3.
    pub fn badness(self) -> u8 {
        match self {
            Self::Ok | Self::Informational => 0,
            Self::NonStrict => 1,
            Self::Unimplemented => 2,
            Self::Failed => 3,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The close part of the verdict (the suite's `behaviorClose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CloseVerdict {
    /// "Connection was properly closed".
    #[serde(rename = "OK")]
    Ok,
    /// The peer's close frame had a code the case does not accept.
    #[serde(rename = "WRONG CODE")]
    WrongCode,
    /// The case requires a clean close and there was none.
    #[serde(rename = "UNCLEAN")]
    Unclean,
    /// Only when the tester is the client: it had to close TCP itself (the server
    /// should, §7.1.1).
    #[serde(rename = "FAILED BY CLIENT")]
    FailedByClient,
    /// Closed by the wrong endpoint, or the opening handshake never completed.
    #[serde(rename = "FAILED")]
    Failed,
    /// Recorded for information.
    #[serde(rename = "INFORMATIONAL")]
    Informational,
}

impl CloseVerdict {
    /// The suite's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::WrongCode => "WRONG CODE",
            Self::Unclean => "UNCLEAN",
            Self::FailedByClient => "FAILED BY CLIENT",
            Self::Failed => "FAILED",
            Self::Informational => "INFORMATIONAL",
        }
    }

    /// Whether it is one the strict CI check accepts (OK or INFORMATIONAL).
    pub fn is_strict(self) -> bool {
        matches!(self, Self::Ok | Self::Informational)
    }
}

impl fmt::Display for CloseVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A judged case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Case id.
    pub id: String,
    /// Case description.
    pub description: String,
    /// `behavior`.
    pub behavior: Verdict,
    /// `behaviorClose`.
    pub behavior_close: CloseVerdict,
    /// The suite's `result` text.
    pub result: String,
    /// The suite's `resultClose` text.
    pub result_close: String,
    /// What the harness noticed beyond the suite's rules (never changes a verdict).
    pub notes: Vec<String>,
    /// What the case expected, in words.
    pub expectation: String,
    /// What happened.
    pub observed: Observation,
}

impl CaseResult {
    /// Why, on one line: the texts of the parts that are not OK, then the notes.
    pub fn reason(&self) -> String {
        let mut parts = Vec::new();
        if self.behavior != Verdict::Ok {
            parts.push(self.result.clone());
        }
        if self.behavior_close != CloseVerdict::Ok && self.result_close != self.result {
            parts.push(self.result_close.clone());
        }
        if let Some(e) = &self.observed.handshake_error {
            parts.push(e.clone());
        }
        if !self.observed.violations.is_empty() && self.behavior != Verdict::Ok {
            parts.push(format!(
                "tester failed the connection: {}",
                self.observed.violations.join("; ")
            ));
        }
        parts.extend(self.notes.iter().map(|n| format!("note: {n}")));
        parts.join("; ")
    }
}

fn describe_items(items: &[Item]) -> String {
    if items.is_empty() {
        return "nothing".into();
    }
    let parts: Vec<String> = items
        .iter()
        .map(|i| match i {
            Item::Message { binary, payload } => format!(
                "{} message {}",
                if *binary { "binary" } else { "text" },
                payload.describe()
            ),
            Item::Pong(p) => format!("pong {}", p.describe()),
            Item::Timeout(t) => format!("timeout {t}"),
        })
        .collect();
    if parts.len() > 4 {
        return format!("{}, … ({} in all)", parts[..3].join(", "), parts.len());
    }
    parts.join(", ")
}

/// The expectation in words.
pub fn describe_expect(case: &Case) -> String {
    let e = &case.expect;
    let mut s = match &e.rule {
        Rule::Lists { ok, non_strict } => {
            let mut s = format!("OK: {}", describe_items(ok));
            if let Some(ns) = non_strict {
                s.push_str(&format!("; NON-STRICT: {}", describe_items(ns)));
            }
            s
        }
        Rule::FirstMessage { text, len, .. } => format!(
            "a {} message of {len} bytes back",
            if *text { "text" } else { "binary" }
        ),
        Rule::RoundTrips { count, payload, .. } => {
            format!("{count} echoes of {}", payload.describe())
        }
        Rule::Deflate(d) => format!(
            "{} compressed echoes of {}-{} slices of {}, or UNIMPLEMENTED without permessage-deflate",
            d.count,
            d.len,
            if d.data.is_text() {
                "character"
            } else {
                "byte"
            },
            d.data.description()
        ),
    };
    let c = &e.close;
    let codes: Vec<String> = c.codes.iter().map(u16::to_string).collect();
    s.push_str(&format!(
        "; close: {}, code {} or none{}",
        if c.closed_by_me {
            "the tester closes"
        } else {
            "the peer fails the connection"
        },
        codes.join("/"),
        if c.require_clean { ", clean" } else { "" }
    ));
    if e.informational {
        s.push_str(" [informational]");
    }
    s
}

/// Judges what happened against what the case expects, with the suite's rules.
pub fn judge(case: &Case, obs: Observation) -> CaseResult {
    let e = &case.expect;
    let (mut behavior, mut result) = match (&e.rule, &obs.logic) {
        (Rule::Lists { ok, non_strict }, _) => {
            if same(ok, &obs.received) {
                (
                    Verdict::Ok,
                    "Actual events match at least one expected.".to_owned(),
                )
            } else if non_strict
                .as_ref()
                .is_some_and(|ns| same(ns, &obs.received))
            {
                (
                    Verdict::NonStrict,
                    "Actual events match at least one expected.".to_owned(),
                )
            } else {
                (
                    Verdict::Failed,
                    "Actual events differ from any expected.".to_owned(),
                )
            }
        }
        (_, Some((v, text))) => (*v, text.clone()),
        (_, None) => (Verdict::Failed, "The case did not start.".to_owned()),
    };
    let c = &e.close;
    let (mut close, result_close) = if !obs.connection_was_open {
        (
            CloseVerdict::Failed,
            "The WebSocket opening handshake was never completed!".to_owned(),
        )
    } else if c.closed_by_me != obs.closed_by_me {
        (
            CloseVerdict::Failed,
            "The connection was failed by the wrong endpoint".to_owned(),
        )
    } else if c.require_clean && !obs.was_clean {
        (
            CloseVerdict::Unclean,
            "The spec requires the connection to be failed cleanly here".to_owned(),
        )
    } else if let Some(code) = obs.remote_close_code
        && !c.codes.contains(&code)
    {
        let codes: Vec<String> = c.codes.iter().map(u16::to_string).collect();
        (
            CloseVerdict::WrongCode,
            format!(
                "The close code should have been {} or empty",
                codes.join(",")
            ),
        )
    } else if !obs.tester_is_server && obs.dropped_by_me {
        (
            CloseVerdict::FailedByClient,
            "It is preferred that the server close the TCP connection".to_owned(),
        )
    } else {
        (
            CloseVerdict::Ok,
            "Connection was properly closed".to_owned(),
        )
    };
    if obs.connection_was_open && c.wrong_endpoint_fatal && c.closed_by_me != obs.closed_by_me {
        behavior = Verdict::Failed;
    }
    if e.wrong_code_fails && close == CloseVerdict::WrongCode {
        behavior = Verdict::Failed;
        result.clone_from(&result_close);
    }
    if e.informational {
        result = match behavior {
            Verdict::Ok if case.id == "7.1.6" => "Text message was processed before close.".into(),
            Verdict::NonStrict => {
                "Close was processed before text message could be returned.".into()
            }
            _ if case.id == "7.1.6" => result,
            _ => "Actual events are undefined by the spec.".into(),
        };
        behavior = Verdict::Informational;
        close = CloseVerdict::Informational;
    }
    let notes = notes(case, &obs);
    CaseResult {
        id: case.id.clone(),
        description: case.description.clone(),
        behavior,
        behavior_close: close,
        result,
        result_close,
        notes,
        expectation: describe_expect(case),
        observed: obs,
    }
}

/// What the harness saw that the suite's rules do not judge.
fn notes(case: &Case, obs: &Observation) -> Vec<String> {
    let mut n = obs.notes.clone();
    if obs.connection_was_open
        && !case.expect.close.closed_by_me
        && obs.peer_closed_tcp
        && !obs.peer_sent_close
    {
        n.push("the peer failed the connection by dropping TCP without a close frame (RFC 6455 §7.1.7: it SHOULD send one); the suite accepts this".into());
    }
    if let Some(code @ 1012..=1014) = obs.remote_close_code {
        n.push(format!("the peer's close code {code} is registered with IANA since RFC 6455 but not on the suite's list of valid codes"));
    }
    n.extend(obs.transport_notes.iter().cloned());
    n
}

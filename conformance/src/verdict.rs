//! Verdicts, as Autobahn|Testsuite defines them, from an [`Observation`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::case::{Case, Closer, Item, Match};
use crate::runner::{Observation, Received};

/// A case's verdict (Autobahn's `behavior`). Ordered from best to worst, except
/// INFORMATIONAL and UNIMPLEMENTED which are not judgements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Verdict {
    /// As the RFC requires, strictly.
    #[serde(rename = "OK")]
    Ok,
    /// Acceptable, but a SHOULD was missed (or a MAY taken that Autobahn frowns upon).
    #[serde(rename = "NON-STRICT")]
    NonStrict,
    /// The RFC leaves the behaviour open; recorded for information.
    #[serde(rename = "INFORMATIONAL")]
    Informational,
    /// The case needs a feature the peer does not implement.
    #[serde(rename = "UNIMPLEMENTED")]
    Unimplemented,
    /// A MUST was broken.
    #[serde(rename = "FAILED")]
    Failed,
}

impl Verdict {
    /// Autobahn's spelling.
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

/// The close part of the verdict (Autobahn's `behaviorClose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CloseVerdict {
    /// The closing behaviour is as expected.
    #[serde(rename = "OK")]
    Ok,
    /// The peer closed with a code the case does not accept.
    #[serde(rename = "WRONG CODE")]
    WrongCode,
    /// TCP was closed without the closing handshake.
    #[serde(rename = "UNCLEAN")]
    Unclean,
    /// Failed when it had to, but only after more data (not fail-fast), or the server
    /// left closing TCP to the client.
    #[serde(rename = "NON-STRICT")]
    NonStrict,
    /// Not closed, or closed by the wrong side.
    #[serde(rename = "FAILED")]
    Failed,
    /// Recorded for information.
    #[serde(rename = "INFORMATIONAL")]
    Informational,
}

impl CloseVerdict {
    /// Autobahn's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::WrongCode => "WRONG CODE",
            Self::Unclean => "UNCLEAN",
            Self::NonStrict => "NON-STRICT",
            Self::Failed => "FAILED",
            Self::Informational => "INFORMATIONAL",
        }
    }
}

/// A judged case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Case id.
    pub id: String,
    /// Case description.
    pub description: String,
    /// The verdict.
    pub behavior: Verdict,
    /// The close verdict.
    pub behavior_close: CloseVerdict,
    /// Why it is not OK (empty when OK).
    pub reasons: Vec<String>,
    /// What the case expected, in words.
    pub expectation: String,
    /// What happened.
    pub observed: Observation,
}

impl CaseResult {
    /// The reasons on one line.
    pub fn reason(&self) -> String {
        self.reasons.join("; ")
    }
}

fn describe_item(i: &Item) -> String {
    match i {
        Item::Message { text, payload } => format!(
            "{} message ({} bytes)",
            if *text { "text" } else { "binary" },
            payload.len()
        ),
        Item::Pong(p) => format!("pong {}", crate::wire::preview(&p.to_vec())),
    }
}

fn describe_received(r: &Received) -> String {
    match r {
        Received::Message { text, payload } => format!(
            "{} message ({} bytes)",
            if *text { "text" } else { "binary" },
            payload.len()
        ),
        Received::Pong(p) => format!("pong {}", crate::wire::preview(p)),
    }
}

fn same(e: &Item, r: &Received) -> bool {
    match (e, r) {
        (
            Item::Message { text, payload },
            Received::Message {
                text: t,
                payload: p,
            },
        ) => text == t && payload.matches(p),
        (Item::Pong(a), Received::Pong(b)) => a.matches(b),
        _ => false,
    }
}

fn matches(m: &Match, got: &[Received]) -> bool {
    match m {
        Match::Any => true,
        Match::Exact(items) => {
            items.len() == got.len() && items.iter().zip(got).all(|(e, r)| same(e, r))
        }
        Match::PongSubsequence(items) => {
            let (Some(last_e), Some(last_r)) = (items.last(), got.last()) else {
                return false;
            };
            if !same(last_e, last_r) {
                return false;
            }
            let mut it = items.iter();
            got.iter().all(|r| it.any(|e| same(e, r)))
        }
    }
}

/// Words for a [`Match`].
pub fn describe_match(m: &Match) -> String {
    match m {
        Match::Any => "anything".into(),
        Match::Exact(items) if items.is_empty() => "nothing back".into(),
        Match::Exact(items) => summarize(items.iter().map(describe_item)),
        Match::PongSubsequence(items) => format!(
            "pongs for some of the pings, in order, including the last ({})",
            summarize(items.iter().map(describe_item))
        ),
    }
}

fn summarize(parts: impl Iterator<Item = String>) -> String {
    let parts: Vec<String> = parts.collect();
    if parts.len() > 4 && parts.iter().all(|p| *p == parts[0]) {
        return format!("{} × {}", parts.len(), parts[0]);
    }
    if parts.len() > 6 {
        return format!("{}, … ({} in all)", parts[..3].join(", "), parts.len());
    }
    parts.join(", ")
}

fn codes_text(codes: &[u16]) -> String {
    codes
        .iter()
        .map(|c| {
            if *c == 1005 {
                "none (empty close)".to_owned()
            } else {
                c.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The expectation in words.
pub fn describe_expect(case: &Case) -> String {
    let e = &case.expect;
    let mut s = format!("Receive: {}", describe_match(&e.ok));
    if let Some(ns) = &e.non_strict {
        s.push_str(&format!(" (NON-STRICT: {})", describe_match(ns)));
    }
    match e.closer {
        Closer::Tester => s.push_str(&format!(
            "; the peer answers the tester's close with {}",
            codes_text(&e.codes)
        )),
        Closer::Peer => s.push_str(&format!(
            "; the peer fails the connection with {}{}",
            codes_text(&e.codes),
            if e.fail_fast { ", fail-fast" } else { "" }
        )),
    }
    if e.informational {
        s.push_str(" [informational]");
    }
    s
}

/// Judges what happened against what the case expects.
pub fn judge(case: &Case, obs: Observation) -> CaseResult {
    let e = &case.expect;
    let mut reasons = Vec::new();
    let mut behavior = Verdict::Ok;
    let worsen = |v: Verdict, why: String, behavior: &mut Verdict, reasons: &mut Vec<String>| {
        if v.badness() > behavior.badness() {
            *behavior = v;
        }
        reasons.push(why);
    };

    for v in &obs.violations {
        worsen(
            Verdict::Failed,
            format!("peer: {v}"),
            &mut behavior,
            &mut reasons,
        );
    }

    // Items.
    if !matches(&e.ok, &obs.items) {
        let got = if obs.items.is_empty() {
            "nothing".to_owned()
        } else {
            summarize(obs.items.iter().map(describe_received))
        };
        match &e.non_strict {
            Some(ns) if matches(ns, &obs.items) => worsen(
                Verdict::NonStrict,
                format!(
                    "received {got}; strictly expected {}",
                    describe_match(&e.ok)
                ),
                &mut behavior,
                &mut reasons,
            ),
            _ => worsen(
                Verdict::Failed,
                format!("received {got}; expected {}", describe_match(&e.ok)),
                &mut behavior,
                &mut reasons,
            ),
        }
    }

    // Close.
    let mut close = CloseVerdict::Ok;
    let code_ok = |c: u16| e.codes.contains(&c);
    match (e.closer, &obs.peer_close) {
        (Closer::Tester, Some((code, reason))) => {
            if obs.peer_closed_first {
                close = CloseVerdict::Failed;
                worsen(
                    Verdict::Failed,
                    format!(
                        "the peer failed the connection with {code} {reason:?} where it should not have"
                    ),
                    &mut behavior,
                    &mut reasons,
                );
            } else if !code_ok(*code) {
                close = CloseVerdict::WrongCode;
                worsen(
                    Verdict::Failed,
                    format!(
                        "the peer answered the close with {code}; expected {}",
                        codes_text(&e.codes)
                    ),
                    &mut behavior,
                    &mut reasons,
                );
            }
        }
        (Closer::Peer, Some((code, _))) => {
            if !code_ok(*code) {
                close = CloseVerdict::WrongCode;
                worsen(
                    Verdict::Failed,
                    format!(
                        "the peer closed with {code}; expected {}",
                        codes_text(&e.codes)
                    ),
                    &mut behavior,
                    &mut reasons,
                );
            }
        }
        (Closer::Tester, None) => {
            close = if obs.peer_eof {
                CloseVerdict::Unclean
            } else {
                CloseVerdict::Failed
            };
            let what = if obs.peer_eof {
                "the peer closed TCP without a close frame"
            } else {
                "the peer never answered the close"
            };
            worsen(Verdict::Failed, what.into(), &mut behavior, &mut reasons);
        }
        (Closer::Peer, None) if obs.peer_eof || obs.send_error.is_some() => {
            // §7.1.7: "SHOULD send a Close frame with an appropriate status code".
            close = CloseVerdict::Unclean;
            worsen(
                Verdict::NonStrict,
                "the peer dropped TCP without a close frame (§7.1.7 SHOULD send one)".into(),
                &mut behavior,
                &mut reasons,
            );
        }
        (Closer::Peer, None) => {
            close = CloseVerdict::Failed;
            worsen(
                Verdict::Failed,
                "the peer did not fail the connection".into(),
                &mut behavior,
                &mut reasons,
            );
        }
    }
    if e.fail_fast
        && obs.failed_by_checkpoint == Some(false)
        && (obs.peer_close.is_some() || obs.peer_eof)
    {
        if close == CloseVerdict::Ok {
            close = CloseVerdict::NonStrict;
        }
        worsen(
            Verdict::NonStrict,
            "the peer failed only after more data arrived, not at the first invalid octet (not fail-fast)".into(),
            &mut behavior,
            &mut reasons,
        );
    }
    // §7.1.1: the server SHOULD close TCP first, right after the closing handshake.
    if obs.handshake_complete() && obs.tester_dropped && !obs.peer_eof && obs.tester_is_client {
        if close == CloseVerdict::Ok {
            close = CloseVerdict::NonStrict;
        }
        worsen(
            Verdict::NonStrict,
            "the server did not close TCP after the closing handshake (§7.1.1 SHOULD)".into(),
            &mut behavior,
            &mut reasons,
        );
    }
    if e.informational {
        behavior = Verdict::Informational;
        close = CloseVerdict::Informational;
        let got = if obs.items.is_empty() {
            "nothing".to_owned()
        } else {
            summarize(obs.items.iter().map(describe_received))
        };
        let closed = match &obs.peer_close {
            Some((code, _)) if obs.peer_closed_first => {
                format!("the peer closed first with {code}")
            }
            Some((code, _)) => format!("the peer answered the close with {code}"),
            None if obs.peer_eof => "the peer closed TCP without a close frame".to_owned(),
            None => "the peer did not close".to_owned(),
        };
        let mut observed = vec![format!("observed: received {got}; {closed}")];
        observed.append(&mut reasons);
        reasons = observed;
    }
    CaseResult {
        id: case.id.clone(),
        description: case.description.clone(),
        behavior,
        behavior_close: close,
        reasons,
        expectation: describe_expect(case),
        observed: obs,
    }
}

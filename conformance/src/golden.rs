//! Golden expected results: every case that is not OK for Sockeye (in `behavior` or in
//! `behaviorClose`), with the reason, in `conformance/expected/*.json` (as rustls keeps
//! its BoGo configuration). A run that is worse than golden on any case is a regression.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::report::Report;
use crate::verdict::{CloseVerdict, Verdict};

/// The golden file of one role.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Golden {
    /// What the file is about.
    #[serde(default)]
    pub description: String,
    /// Every non-OK case: its accepted verdict and why.
    pub cases: BTreeMap<String, GoldenCase>,
}

/// One non-OK case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GoldenCase {
    /// The verdict accepted for now.
    pub behavior: Verdict,
    /// The close verdict accepted for now.
    #[serde(rename = "behaviorClose", default = "close_ok")]
    pub behavior_close: CloseVerdict,
    /// Why.
    pub reason: String,
}

fn close_ok() -> CloseVerdict {
    CloseVerdict::Ok
}

/// 0 for OK and INFORMATIONAL, 1 for anything else.
fn close_badness(c: CloseVerdict) -> u8 {
    u8::from(!c.is_strict())
}

/// Sockeye as a server (built in).
pub const SOCKEYE_SERVER: &str = include_str!("../expected/sockeye-server.json");
/// Sockeye as a client (built in).
pub const SOCKEYE_CLIENT: &str = include_str!("../expected/sockeye-client.json");

impl Golden {
    /// Parses a golden file.
    ///
    /// # Errors
    /// If it is not valid JSON of this shape.
    pub fn parse(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The accepted verdicts of a case (OK, OK unless listed).
    pub fn expected(&self, id: &str) -> (Verdict, CloseVerdict) {
        self.cases
            .get(id)
            .map_or((Verdict::Ok, CloseVerdict::Ok), |c| {
                (c.behavior, c.behavior_close)
            })
    }

    /// Compares a report: (regressions, improvements), each a line per case.
    pub fn compare(&self, report: &Report) -> (Vec<String>, Vec<String>) {
        let mut worse = Vec::new();
        let mut better = Vec::new();
        for r in &report.results {
            let (want, want_close) = self.expected(&r.id);
            let (got, got_close) = (r.behavior, r.behavior_close);
            let worse_now = got.badness() > want.badness()
                || close_badness(got_close) > close_badness(want_close);
            let better_now = got.badness() < want.badness()
                || close_badness(got_close) < close_badness(want_close);
            if worse_now {
                worse.push(format!(
                    "{}: {got} / {got_close} (golden {want} / {want_close}): {}",
                    r.id,
                    r.reason()
                ));
            } else if better_now {
                better.push(format!(
                    "{}: now {got} / {got_close} (golden {want} / {want_close}); update the golden file",
                    r.id
                ));
            }
        }
        (worse, better)
    }

    /// A golden file listing every non-OK case of `report`, keeping known reasons.
    pub fn from_report(report: &Report, previous: &Self, description: &str) -> Self {
        let mut cases = BTreeMap::new();
        for r in report
            .results
            .iter()
            .filter(|r| r.behavior != Verdict::Ok || r.behavior_close != CloseVerdict::Ok)
        {
            // A known reason is kept while the verdicts stay the same.
            let reason = previous
                .cases
                .get(&r.id)
                .filter(|c| (c.behavior, c.behavior_close) == (r.behavior, r.behavior_close))
                .map_or_else(|| format!("observed: {}", r.reason()), |c| c.reason.clone());
            cases.insert(
                r.id.clone(),
                GoldenCase {
                    behavior: r.behavior,
                    behavior_close: r.behavior_close,
                    reason,
                },
            );
        }
        Self {
            description: description.to_owned(),
            cases,
        }
    }
}

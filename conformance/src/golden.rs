//! Golden expected results: every case that is not OK for Sockeye, with the reason, in
//! `conformance/expected/*.json` (as rustls keeps its BoGo configuration). A run that is
//! worse than golden on any case is a regression.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::report::Report;
use crate::verdict::Verdict;

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
    /// Why.
    pub reason: String,
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

    /// The accepted verdict of a case (OK unless listed).
    pub fn expected(&self, id: &str) -> Verdict {
        self.cases.get(id).map_or(Verdict::Ok, |c| c.behavior)
    }

    /// Compares a report: (regressions, improvements), each a line per case.
    pub fn compare(&self, report: &Report) -> (Vec<String>, Vec<String>) {
        let mut worse = Vec::new();
        let mut better = Vec::new();
        for r in &report.results {
            let want = self.expected(&r.id);
            let got = r.behavior;
            if got.badness() > want.badness() {
                worse.push(format!(
                    "{}: {} (golden {}): {}",
                    r.id,
                    got,
                    want,
                    r.reason()
                ));
            } else if got.badness() < want.badness() {
                better.push(format!(
                    "{}: now {} (golden {}); update the golden file",
                    r.id, got, want
                ));
            }
        }
        (worse, better)
    }

    /// A golden file listing every non-OK case of `report`, keeping known reasons.
    pub fn from_report(report: &Report, previous: &Self, description: &str) -> Self {
        let mut cases = BTreeMap::new();
        for r in report.results.iter().filter(|r| r.behavior != Verdict::Ok) {
            let reason = previous
                .cases
                .get(&r.id)
                .map_or_else(|| format!("observed: {}", r.reason()), |c| c.reason.clone());
            cases.insert(
                r.id.clone(),
                GoldenCase {
                    behavior: r.behavior,
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

//! Verdict files and agreement: the real suite's verdicts for a peer (golden data in
//! `conformance/expected/suite/<peer>-<role>.json`, written by
//! `conformance/autobahn/suite.py --json`), the harness's verdicts in the same shape
//! (`conformance/expected/harness/`, written by `--verdicts`), and how far the harness
//! agrees with the suite on a peer.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::case::id_key;
use crate::report::Report;
use crate::verdict::{CloseVerdict, Verdict};

/// One case's two verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseVerdicts {
    /// `behavior`.
    pub behavior: Verdict,
    /// `behaviorClose`.
    #[serde(rename = "behaviorClose")]
    pub behavior_close: CloseVerdict,
}

/// The verdicts of one run against one peer in one role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verdicts {
    /// The peer.
    pub agent: String,
    /// The peer's role: `server` or `client`.
    pub role: String,
    /// The peer's version, as it reported it.
    #[serde(default)]
    pub peer_version: Option<String>,
    /// What judged: `autobahntestsuite 25.10.1`, or the harness.
    #[serde(default)]
    pub suite: String,
    /// The runs that made the file: case patterns and how long each took.
    #[serde(default)]
    pub runs: Vec<Run>,
    /// Per case id.
    pub cases: BTreeMap<String, CaseVerdicts>,
}

impl Verdicts {
    /// Parses a verdict file.
    ///
    /// # Errors
    /// Not JSON of this shape.
    pub fn parse(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// Reads a verdict file.
    ///
    /// # Errors
    /// I/O or parse errors, as text.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The harness's verdicts of `report`.
    pub fn from_report(report: &Report, peer_version: Option<String>) -> Self {
        Self {
            agent: report.agent.clone(),
            role: report.peer_role.to_owned(),
            peer_version,
            suite: format!("sockeye-conformance {}", env!("CARGO_PKG_VERSION")),
            runs: Vec::new(),
            cases: report
                .results
                .iter()
                .map(|r| {
                    (
                        r.id.clone(),
                        CaseVerdicts {
                            behavior: r.behavior,
                            behavior_close: r.behavior_close,
                        },
                    )
                })
                .collect(),
        }
    }

    /// As JSON, cases in the suite's order.
    pub fn to_json(&self) -> String {
        let mut ids: Vec<&String> = self.cases.keys().collect();
        ids.sort_by_key(|id| id_key(id));
        let cases: serde_json::Map<String, serde_json::Value> = ids
            .into_iter()
            .map(|id| (id.clone(), serde_json::json!(self.cases[id])))
            .collect();
        let doc = serde_json::json!({
            "agent": self.agent,
            "role": self.role,
            "peer_version": self.peer_version,
            "suite": self.suite,
            "runs": self.runs,
            "cases": cases,
        });
        let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Cases per `behavior`.
    pub fn counts(&self) -> BTreeMap<Verdict, usize> {
        let mut m = BTreeMap::new();
        for v in self.cases.values() {
            *m.entry(v.behavior).or_insert(0) += 1;
        }
        m
    }
}

/// One run of a verdict file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// The case patterns run.
    pub cases: String,
    /// How long it took.
    pub seconds: f64,
}

/// One case where the harness and the suite differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// Case id.
    pub id: String,
    /// The suite's verdicts.
    pub suite: CaseVerdicts,
    /// The harness's.
    pub harness: CaseVerdicts,
}

/// How the harness's verdicts compare with the suite's on one peer.
#[derive(Debug, Clone, Default)]
pub struct Agreement {
    /// Cases both judged.
    pub cases: usize,
    /// Cases with the same `behavior` and the same `behaviorClose`.
    pub agree: usize,
    /// The others.
    pub disagreements: Vec<Disagreement>,
    /// Cases the suite FAILED that the harness called OK.
    pub missed_failures: Vec<String>,
    /// Cases only one of them has.
    pub unmatched: Vec<String>,
}

impl Agreement {
    /// Agreement in percent (100 when nothing was compared).
    pub fn percent(&self) -> f64 {
        if self.cases == 0 {
            100.0
        } else {
            100.0 * self.agree as f64 / self.cases as f64
        }
    }
}

/// Compares `harness` with `suite`, case by case.
pub fn compare(suite: &Verdicts, harness: &Verdicts) -> Agreement {
    let mut a = Agreement::default();
    for (id, s) in &suite.cases {
        let Some(h) = harness.cases.get(id) else {
            a.unmatched.push(id.clone());
            continue;
        };
        a.cases += 1;
        if s == h {
            a.agree += 1;
        } else {
            a.disagreements.push(Disagreement {
                id: id.clone(),
                suite: *s,
                harness: *h,
            });
        }
        if s.behavior == Verdict::Failed && h.behavior == Verdict::Ok {
            a.missed_failures.push(id.clone());
        }
    }
    a.unmatched.extend(
        harness
            .cases
            .keys()
            .filter(|id| !suite.cases.contains_key(*id))
            .cloned(),
    );
    let key = |id: &String| id_key(id);
    a.disagreements.sort_by_key(|d| id_key(&d.id));
    a.missed_failures.sort_by_key(key);
    a.unmatched.sort_by_key(key);
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(cases: &[(&str, Verdict, CloseVerdict)]) -> Verdicts {
        Verdicts {
            agent: "x".into(),
            role: "server".into(),
            peer_version: None,
            suite: String::new(),
            runs: Vec::new(),
            cases: cases
                .iter()
                .map(|(id, b, c)| {
                    (
                        (*id).to_owned(),
                        CaseVerdicts {
                            behavior: *b,
                            behavior_close: *c,
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn counts_agreement_and_missed_failures() {
        use CloseVerdict as C;
        use Verdict as V;
        let suite = v(&[
            ("1.1.1", V::Ok, C::Ok),
            ("2.1", V::Failed, C::Ok),
            ("3.1", V::Ok, C::Ok),
        ]);
        let harness = v(&[
            ("1.1.1", V::Ok, C::Ok),
            ("2.1", V::Ok, C::Ok),
            ("3.1", V::Ok, C::Unclean),
        ]);
        let a = compare(&suite, &harness);
        assert_eq!((a.cases, a.agree), (3, 1));
        assert_eq!(a.missed_failures, ["2.1"]);
        assert_eq!(a.disagreements.len(), 2);
        let round = Verdicts::parse(&suite.to_json()).unwrap();
        assert_eq!(round.cases, suite.cases);
    }
}

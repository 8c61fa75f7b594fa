//! Reports: a terminal table, Autobahn-shaped JSON (`index.json` and one file per case).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use crate::case::id_key;
use crate::catalog::{Profile, section_title};
use crate::observation::Received;
use crate::verdict::{CaseResult, Verdict};
use crate::wire::preview;

/// The results of one run of (part of) the catalog against one peer.
#[derive(Debug, Clone)]
pub struct Report {
    /// The peer's name (Autobahn's agent).
    pub agent: String,
    /// The peer's role: `server` or `client`.
    pub peer_role: &'static str,
    /// How the cases ran, e.g. `memory (chunking whole)` or `tcp ws://127.0.0.1:9001/`.
    pub driver: String,
    /// Section 9 sizes.
    pub profile: Profile,
    /// One per case, in catalog order.
    pub results: Vec<CaseResult>,
}

impl Report {
    /// An empty report.
    pub fn new(
        agent: impl Into<String>,
        peer_role: &'static str,
        driver: impl Into<String>,
        profile: Profile,
    ) -> Self {
        Self {
            agent: agent.into(),
            peer_role,
            driver: driver.into(),
            profile,
            results: Vec::new(),
        }
    }

    /// The result for a case id.
    pub fn get(&self, id: &str) -> Option<&CaseResult> {
        self.results.iter().find(|r| r.id == id)
    }

    /// Cases per verdict.
    pub fn counts(&self) -> BTreeMap<Verdict, usize> {
        let mut m = BTreeMap::new();
        for r in &self.results {
            *m.entry(r.behavior).or_insert(0) += 1;
        }
        m
    }

    /// Cases per section and verdict.
    pub fn by_section(&self) -> BTreeMap<u32, BTreeMap<Verdict, usize>> {
        let mut m: BTreeMap<u32, BTreeMap<Verdict, usize>> = BTreeMap::new();
        for r in &self.results {
            let section = id_key(&r.id).first().copied().unwrap_or(0);
            *m.entry(section).or_default().entry(r.behavior).or_insert(0) += 1;
        }
        m
    }

    /// One line: `agent (server): 301 cases: 299 OK, 2 NON-STRICT, ...`.
    pub fn summary_line(&self) -> String {
        let counts = self.counts();
        let parts: Vec<String> = Verdict::ALL
            .iter()
            .filter_map(|v| counts.get(v).map(|n| format!("{n} {v}")))
            .collect();
        let close_bad = self
            .results
            .iter()
            .filter(|r| !r.behavior_close.is_strict())
            .count();
        format!(
            "{} ({}, {}, catalog {}): {} cases: {}; behaviorClose not OK: {close_bad}",
            self.agent,
            self.peer_role,
            self.driver,
            self.profile.name(),
            self.results.len(),
            parts.join(", ")
        )
    }

    /// The per-section table and the summary line, for a terminal.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<4} {:<20} {:>5} {:>5} {:>10} {:>13} {:>13} {:>6}",
            "", "section", "cases", "OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"
        );
        for (section, counts) in self.by_section() {
            let total: usize = counts.values().sum();
            let n = |v| counts.get(&v).copied().unwrap_or(0);
            let _ = writeln!(
                s,
                "{:<4} {:<20} {:>5} {:>5} {:>10} {:>13} {:>13} {:>6}",
                section,
                section_title(section),
                total,
                n(Verdict::Ok),
                n(Verdict::NonStrict),
                n(Verdict::Informational),
                n(Verdict::Unimplemented),
                n(Verdict::Failed)
            );
        }
        for r in self
            .results
            .iter()
            .filter(|r| r.behavior != Verdict::Ok || !r.behavior_close.is_strict())
        {
            let _ = writeln!(
                s,
                "  {:<8} {:<13} {:<16} {}",
                r.id,
                r.behavior.as_str(),
                r.behavior_close.as_str(),
                r.reason()
            );
        }
        let _ = writeln!(s, "{}", self.summary_line());
        s
    }

    /// The report file name of a case, as Autobahn names them.
    pub fn report_file(&self, id: &str) -> String {
        let agent: String = self
            .agent
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        format!("{agent}_case_{}.json", id.replace('.', "_"))
    }

    /// The per-case JSON: the suite's main fields plus the harness's notes and the
    /// exchange.
    pub fn case_json(&self, index: usize, r: &CaseResult) -> Value {
        let o = &r.observed;
        let received: Vec<Value> = o
            .received
            .iter()
            .take(50)
            .map(|i| match i {
                Received::Message { binary, payload } => json!({
                    "type": if *binary { "binary" } else { "text" },
                    "len": payload.len(),
                    "payload": preview(payload),
                }),
                Received::Pong(p) => json!({"type": "pong", "len": p.len(), "payload": preview(p)}),
                Received::Timeout(t) => json!({"type": "timeout", "tag": t}),
            })
            .collect();
        json!({
            "agent": self.agent,
            "id": r.id,
            "case": index + 1,
            "description": r.description,
            "expectation": r.expectation,
            "behavior": r.behavior.as_str(),
            "behaviorClose": r.behavior_close.as_str(),
            "result": r.result,
            "resultClose": r.result_close,
            "notes": r.notes,
            "duration": o.duration.as_millis() as u64,
            "isServer": o.tester_is_server,
            "driver": self.driver,
            "profile": self.profile.name(),
            "connectionWasOpen": o.connection_was_open,
            "handshakeError": o.handshake_error,
            "extension": o.extension,
            "closedByMe": o.closed_by_me,
            "failedByMe": o.failed_by_me,
            "droppedByMe": o.dropped_by_me,
            "wasClean": o.was_clean,
            "wasCloseHandshakeTimeout": o.close_handshake_timeout,
            "wasServerConnectionDropTimeout": o.server_drop_timeout,
            "harnessGaveUp": o.harness_gave_up,
            "remoteCloseCode": o.remote_close_code,
            "remoteCloseReason": o.remote_close_reason,
            "violations": o.violations,
            "received": received,
            "receivedCount": o.received.len(),
            "trafficStats": {
                "outgoingOctetsWireLevel": o.tx_bytes,
                "incomingOctetsWireLevel": o.rx_bytes,
                "outgoingWrites": o.tx_writes,
            },
            "txFrames": o.tx_frames,
            "wirelog": o.log,
            "wirelogDropped": o.log_dropped,
        })
    }

    /// Writes `DIR/index.json` (merged with the agents already there) and one JSON file
    /// per case.
    ///
    /// # Errors
    /// I/O errors.
    pub fn write_dir(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let index_path = dir.join("index.json");
        let mut index: serde_json::Map<String, Value> = std::fs::read(&index_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let mut cases = serde_json::Map::new();
        for (i, r) in self.results.iter().enumerate() {
            let file = self.report_file(&r.id);
            let body =
                serde_json::to_vec_pretty(&self.case_json(i, r)).map_err(std::io::Error::other)?;
            std::fs::write(dir.join(&file), body)?;
            cases.insert(
                r.id.clone(),
                json!({
                    "behavior": r.behavior.as_str(),
                    "behaviorClose": r.behavior_close.as_str(),
                    "duration": r.observed.duration.as_millis() as u64,
                    "remoteCloseCode": r.observed.remote_close_code,
                    "reportfile": file,
                }),
            );
        }
        index.insert(self.agent.clone(), Value::Object(cases));
        let body =
            serde_json::to_vec_pretty(&Value::Object(index)).map_err(std::io::Error::other)?;
        std::fs::write(index_path, body)
    }
}

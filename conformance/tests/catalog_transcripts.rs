//! The catalog sends what the real suite sends, frame for frame and write for write:
//! `conformance/expected/wire/sockeye-server.json` is what wstest's fuzzing client sent to
//! `sockeye echo` in sections 1–7 and 10, `sockeye-client.json` what its fuzzing server
//! sent to the `autobahn-client` example (its `TF`, `TO` and timer wire-log entries,
//! extracted by `conformance/autobahn/transcripts.py`); the harness, running the same
//! cases against the same code in memory, must send exactly that: every frame's
//! opcode, FIN, RSV, length, payload (as the suite previews it: its first 64 bytes) and
//! chop size, every write's length and whether it was queued, every timer and its delay.
//! Writes made after the peer's first answer depend on how fast it answered (a chopped
//! frame still trickling out when the peer's close arrives); where the sequences differ,
//! they must agree up to the first answer of either run, and differ only after it.

#![allow(clippy::print_stderr)]

use std::collections::BTreeMap;

use serde::Deserialize;
use sockeye_conformance::{CaseFilter, Chunking, Options, Profile, SutRole, run_in_memory};
use sockeye_driver::DriverConfig;

type Frame = (u8, bool, u8, usize, String, Option<usize>, bool);

#[derive(Deserialize)]
struct Transcript {
    frames: Vec<Frame>,
    writes: Vec<(usize, bool)>,
    timers: Vec<(String, u64)>,
    answer: usize,
}

#[test]
fn as_client_the_harness_sends_what_the_suite_sends() {
    compare(
        SutRole::Server,
        include_str!("../expected/wire/sockeye-server.json"),
    );
}

#[test]
fn as_server_the_harness_sends_what_the_suite_sends() {
    compare(
        SutRole::Client,
        include_str!("../expected/wire/sockeye-client.json"),
    );
}

fn compare(role: SutRole, text: &str) {
    let suite: BTreeMap<String, Transcript> = serde_json::from_str(text).unwrap();
    assert_eq!(suite.len(), 247, "sections 1-7 and 10 of the suite");
    let opts = Options {
        profile: Profile::Full,
        ..Options::default()
    };
    let filter = CaseFilter::parse("1.*,2.*,3.*,4.*,5.*,6.*,7.*,10.*");
    let report = run_in_memory(
        role,
        &DriverConfig::default(),
        Chunking::Whole,
        &filter,
        &opts,
    );
    assert_eq!(report.results.len(), suite.len());
    let mut problems = Vec::new();
    let mut timing_dependent = Vec::new();
    for r in &report.results {
        let Some(want) = suite.get(&r.id) else {
            problems.push(format!("{}: not in the suite's transcripts", r.id));
            continue;
        };
        let o = &r.observed;
        let frames: Vec<Frame> = o
            .tx_frames
            .iter()
            .map(|f| {
                (
                    f.opcode,
                    f.fin,
                    f.rsv,
                    f.len,
                    f.preview.clone(),
                    f.chop,
                    f.sync,
                )
            })
            .collect();
        if frames != want.frames {
            problems.push(format!(
                "{}: frames\n  harness {frames:?}\n  suite   {:?}",
                r.id, want.frames
            ));
        }
        if o.tx_octets != want.writes {
            let answered = o.writes_before_answer.unwrap_or(o.tx_octets.len());
            let n = answered.min(want.answer);
            let same_prefix = o.tx_octets.len() >= n
                && want.writes.len() >= n
                && o.tx_octets[..n] == want.writes[..n];
            let diverge = o
                .tx_octets
                .iter()
                .zip(&want.writes)
                .position(|(a, b)| a != b)
                .unwrap_or(o.tx_octets.len().min(want.writes.len()));
            if !same_prefix || diverge < n {
                problems.push(format!(
                    "{}: writes\n  harness {:?} (answer after {answered})\n  suite   {:?} (answer after {})",
                    r.id, o.tx_octets, want.writes, want.answer
                ));
            } else {
                timing_dependent.push(r.id.clone());
            }
        }
        let timers: Vec<(String, u64)> = o
            .timers
            .iter()
            .map(|(k, ms)| ((*k).to_owned(), *ms))
            .collect();
        if timers != want.timers {
            problems.push(format!(
                "{}: timers {timers:?}, suite {:?}",
                r.id, want.timers
            ));
        }
    }
    eprintln!(
        "{role:?}: {} cases; writes after the peer's first answer differ (timing) in {timing_dependent:?}",
        report.results.len()
    );
    assert!(
        timing_dependent.len() <= 5,
        "too many: {timing_dependent:?}"
    );
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

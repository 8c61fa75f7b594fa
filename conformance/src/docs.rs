//! `docs/conformance.md`, generated: Sockeye's results on the real suite (the committed
//! verdict files of `conformance/expected/suite/`), the harness's agreement with the
//! suite per peer (those files beside `conformance/expected/harness/`), and Sockeye's
//! in-memory results with the golden files' reasons.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sockeye_driver::DriverConfig;

use crate::case::id_key;
use crate::catalog::section_title;
use crate::golden::{self, Golden};
use crate::memory::{Chunking, SutRole};
use crate::report::Report;
use crate::suite::{self, Verdicts};
use crate::verdict::{CloseVerdict, Verdict};
use crate::{CaseFilter, Options, run_in_memory};

/// Notes on third-party peers (hand-written; included verbatim).
pub const THIRD_PARTY: &str = include_str!("../third_party.md");

/// `conformance/expected/`.
pub fn expected_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("expected")
}

/// Everything the document is made of.
#[derive(Debug)]
pub struct Inputs {
    /// Sockeye's server role in memory.
    pub memory_server: Report,
    /// Sockeye's client role in memory.
    pub memory_client: Report,
    /// The golden files.
    pub golden_server: Golden,
    /// The golden files.
    pub golden_client: Golden,
    /// The real suite's verdicts, by file stem (`sockeye-server`, `ws-server`, …).
    pub suite: BTreeMap<String, Verdicts>,
    /// The harness's verdicts on the same peers, by file stem.
    pub harness: BTreeMap<String, Verdicts>,
}

fn load_dir(dir: &Path) -> Result<BTreeMap<String, Verdicts>, String> {
    let mut m = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(m);
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "json")
            && let Some(stem) = p.file_stem().and_then(|s| s.to_str())
        {
            m.insert(stem.to_owned(), Verdicts::load(&p)?);
        }
    }
    Ok(m)
}

impl Inputs {
    /// Runs Sockeye in memory (both roles) and reads the committed files.
    ///
    /// # Errors
    /// A file that does not parse.
    pub fn load(opts: &Options) -> Result<Self, String> {
        let config = DriverConfig::default();
        let all = CaseFilter::all();
        let parse = |t: &str| Golden::parse(t).map_err(|e| e.to_string());
        Ok(Self {
            memory_server: run_in_memory(SutRole::Server, &config, Chunking::Whole, &all, opts),
            memory_client: run_in_memory(SutRole::Client, &config, Chunking::Whole, &all, opts),
            golden_server: parse(golden::SOCKEYE_SERVER)?,
            golden_client: parse(golden::SOCKEYE_CLIENT)?,
            suite: load_dir(&expected_dir().join("suite"))?,
            harness: load_dir(&expected_dir().join("harness"))?,
        })
    }
}

type Rows = BTreeMap<u32, BTreeMap<Verdict, usize>>;

fn section_table(s: &mut String, by_section: &Rows) {
    let _ = writeln!(
        s,
        "| Section | Cases | OK | NON-STRICT | INFORMATIONAL | UNIMPLEMENTED | FAILED |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
    for (section, counts) in by_section {
        let n = |v| counts.get(&v).copied().unwrap_or(0);
        let total: usize = counts.values().sum();
        let _ = writeln!(
            s,
            "| {section} {} | {total} | {} | {} | {} | {} | {} |",
            section_title(*section),
            n(Verdict::Ok),
            n(Verdict::NonStrict),
            n(Verdict::Informational),
            n(Verdict::Unimplemented),
            n(Verdict::Failed)
        );
    }
    let _ = writeln!(s);
}

fn sections_of(v: &Verdicts) -> Rows {
    let mut m: Rows = BTreeMap::new();
    for (id, c) in &v.cases {
        let sec = id_key(id).first().copied().unwrap_or(0);
        *m.entry(sec).or_default().entry(c.behavior).or_insert(0) += 1;
    }
    m
}

fn counts_line(v: &Verdicts) -> String {
    let counts = v.counts();
    let parts: Vec<String> = Verdict::ALL
        .iter()
        .filter_map(|x| counts.get(x).map(|n| format!("{n} {x}")))
        .collect();
    let close_bad = v
        .cases
        .values()
        .filter(|c| !c.behavior_close.is_strict())
        .count();
    format!(
        "{} cases: {}; behaviorClose other than OK/INFORMATIONAL: {close_bad}",
        v.cases.len(),
        parts.join(", ")
    )
}

fn non_ok_rows(s: &mut String, rows: Vec<(String, Verdict, CloseVerdict)>, golden: &Golden) {
    if rows.is_empty() {
        let _ = writeln!(s, "Every case is OK in both verdicts.\n");
        return;
    }
    // Long runs of the same verdict and reason (e.g. sections 12 and 13 without
    // permessage-deflate) are one row.
    let mut grouped: Vec<(Vec<String>, Verdict, CloseVerdict, String)> = Vec::new();
    for (id, b, c) in rows {
        let why = golden.cases.get(&id).map_or_else(
            || "(not in the golden file)".to_owned(),
            |g| g.reason.clone(),
        );
        match grouped.last_mut() {
            Some(last) if last.1 == b && last.2 == c && last.3 == why => last.0.push(id),
            _ => grouped.push((vec![id], b, c, why)),
        }
    }
    let _ = writeln!(s, "| Case | behavior | behaviorClose | Why |");
    let _ = writeln!(s, "|---|---|---|---|");
    for (ids, b, c, why) in grouped {
        let label = match ids.as_slice() {
            [one] => one.clone(),
            [first, .., last] => format!("{first} – {last} ({} cases)", ids.len()),
            [] => String::new(),
        };
        let _ = writeln!(s, "| {label} | {b} | {c} | {} |", why.replace('|', "\\|"));
    }
    let _ = writeln!(s);
}

fn report_rows(r: &Report) -> Vec<(String, Verdict, CloseVerdict)> {
    r.results
        .iter()
        .filter(|x| x.behavior != Verdict::Ok || x.behavior_close != CloseVerdict::Ok)
        .map(|x| (x.id.clone(), x.behavior, x.behavior_close))
        .collect()
}

fn verdict_rows(v: &Verdicts) -> Vec<(String, Verdict, CloseVerdict)> {
    let mut ids: Vec<&String> = v.cases.keys().collect();
    ids.sort_by_key(|id| id_key(id));
    ids.into_iter()
        .filter_map(|id| {
            let c = v.cases[id];
            (c.behavior != Verdict::Ok || c.behavior_close != CloseVerdict::Ok)
                .then(|| (id.clone(), c.behavior, c.behavior_close))
        })
        .collect()
}

fn agreement(s: &mut String, input: &Inputs) {
    let _ = writeln!(
        s,
        "| Peer | Role | Version | Cases | Same verdicts | Agreement | Suite FAILED, harness OK | Disagreements (suite → harness) |"
    );
    let _ = writeln!(s, "|---|---|---|---:|---:|---:|---:|---|");
    for (stem, sv) in &input.suite {
        if stem.starts_with("sockeye-") {
            continue;
        }
        let Some(hv) = input.harness.get(stem) else {
            let _ = writeln!(
                s,
                "| {} | {} | {} | — | — | not run | — | — |",
                sv.agent,
                sv.role,
                sv.peer_version.as_deref().unwrap_or("?")
            );
            continue;
        };
        let a = suite::compare(sv, hv);
        let diffs: Vec<String> = a
            .disagreements
            .iter()
            .map(|d| {
                format!(
                    "{}: {}/{} → {}/{}",
                    d.id,
                    d.suite.behavior,
                    d.suite.behavior_close,
                    d.harness.behavior,
                    d.harness.behavior_close
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {:.1}% | {} | {} |",
            sv.agent,
            sv.role,
            sv.peer_version.as_deref().unwrap_or("?"),
            a.cases,
            a.agree,
            a.percent(),
            a.missed_failures.len(),
            if diffs.is_empty() {
                "none".to_owned()
            } else {
                diffs.join("; ")
            }
        );
    }
    let _ = writeln!(s);
}

/// The whole document.
pub fn markdown(input: &Inputs) -> String {
    let mut s = String::new();
    s.push_str(include_str!("../docs_intro.md"));
    let _ = writeln!(s, "\n## Sockeye on the real Autobahn|Testsuite\n");
    for (stem, title, golden) in [
        (
            "sockeye-server",
            "As a server (`sockeye echo --threads 1`, wstest's fuzzingclient)",
            &input.golden_server,
        ),
        (
            "sockeye-client",
            "As a client (the `autobahn-client` example, wstest's fuzzingserver)",
            &input.golden_client,
        ),
    ] {
        let _ = writeln!(s, "### {title}\n");
        match input.suite.get(stem) {
            Some(v) => {
                let runs: Vec<String> = v
                    .runs
                    .iter()
                    .map(|r| format!("`{}` in {:.0} s", r.cases, r.seconds))
                    .collect();
                let time = if runs.is_empty() {
                    String::new()
                } else {
                    format!("; ran {}", runs.join(", "))
                };
                let _ = writeln!(
                    s,
                    "{} ({}{time}): {}.\n",
                    v.suite,
                    v.peer_version.as_deref().unwrap_or(stem),
                    counts_line(v)
                );
                section_table(&mut s, &sections_of(v));
                let _ = writeln!(
                    s,
                    "Cases that are not OK (reasons from `conformance/expected/`):\n"
                );
                non_ok_rows(&mut s, verdict_rows(v), golden);
            }
            None => {
                let _ = writeln!(
                    s,
                    "No recorded run (`conformance/expected/suite/{stem}.json`).\n"
                );
            }
        }
    }
    let _ = writeln!(s, "## The harness against the suite, peer by peer\n");
    let _ = writeln!(
        s,
        "The real suite's verdicts (`conformance/expected/suite/`) beside the harness's on the same \
         peers (`conformance/expected/harness/`), case by case: the same `behavior` *and* the same \
         `behaviorClose` count as agreement. `cargo test` re-runs the harness against every installed \
         peer and fails below 99% or on any case the suite FAILED that the harness calls OK \
         (`conformance/tests/suite_agreement.rs`, `benches/tests/suite_agreement.rs`).\n"
    );
    agreement(&mut s, input);
    for (title, report, golden) in [
        (
            "Sockeye as a server in memory (the harness, tester as client)",
            &input.memory_server,
            &input.golden_server,
        ),
        (
            "Sockeye as a client in memory (the harness, tester as server)",
            &input.memory_client,
            &input.golden_client,
        ),
    ] {
        let _ = writeln!(s, "## {title}\n");
        section_table(&mut s, &report.by_section());
        let _ = writeln!(s, "{}\n", report.summary_line());
        non_ok_rows(&mut s, report_rows(report), golden);
    }
    s.push_str(THIRD_PARTY);
    s
}

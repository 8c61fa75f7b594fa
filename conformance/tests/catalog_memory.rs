//! The whole catalog in memory against sockeye-driver (opening handshake and
//! permessage-deflate included), both roles, three chunkings: verdicts must not be worse
//! than the golden files and must agree across chunkings. Debug builds run the reduced
//! catalog (section 9, 12 and 13 sizes; see `Profile::Reduced`), release builds the
//! suite's.

#![allow(clippy::print_stderr)]

use sockeye_conformance::{
    CaseFilter, Chunking, Golden, Options, Report, SutRole, Verdict, golden, run_in_memory,
};
use sockeye_driver::DriverConfig;

fn check_role(role: SutRole, golden_text: &str) {
    let opts = Options::default();
    let config = DriverConfig::default();
    let golden = Golden::parse(golden_text).expect("golden file parses");
    let chunkings = [
        (Chunking::Whole, CaseFilter::all()),
        (Chunking::Bytes, CaseFilter::all()),
        (Chunking::Random(0xC0FFEE), CaseFilter::all()),
    ];
    let reports: Vec<Report> = chunkings
        .iter()
        .map(|(c, f)| run_in_memory(role, &config, *c, f, &opts))
        .collect();
    let mut problems = Vec::new();
    for r in &reports {
        let (worse, better) = golden.compare(r);
        for w in worse {
            problems.push(format!("[{}] regression {w}", r.driver));
        }
        for b in better {
            eprintln!("[{}] improvement {b}", r.driver);
        }
    }
    // Every chunking gives the same verdict for every case.
    let base = &reports[0];
    assert_eq!(base.results.len(), 517);
    for other in &reports[1..] {
        for b in &other.results {
            let Some(a) = base.get(&b.id) else {
                problems.push(format!("{}: missing from the whole-read run", b.id));
                continue;
            };
            if (a.behavior, a.behavior_close) != (b.behavior, b.behavior_close) {
                problems.push(format!(
                    "{}: {} / {} with {} but {} / {} with {} ({})",
                    a.id,
                    a.behavior,
                    a.behavior_close.as_str(),
                    base.driver,
                    b.behavior,
                    b.behavior_close.as_str(),
                    other.driver,
                    b.reason()
                ));
            }
        }
    }
    // Golden entries name real cases and carry reasons.
    for (id, g) in &golden.cases {
        if base.get(id).is_none() {
            problems.push(format!("golden lists unknown case {id}"));
        }
        let not_ok =
            g.behavior != Verdict::Ok || g.behavior_close != sockeye_conformance::CloseVerdict::Ok;
        if g.reason.trim().is_empty() || !not_ok {
            problems.push(format!(
                "golden entry {id} needs a non-OK verdict and a reason"
            ));
        }
    }
    eprintln!("{}", base.summary_line());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn sockeye_server_role_meets_golden_under_every_chunking() {
    check_role(SutRole::Server, golden::SOCKEYE_SERVER);
}

#[test]
fn sockeye_client_role_meets_golden_under_every_chunking() {
    check_role(SutRole::Client, golden::SOCKEYE_CLIENT);
}

#[test]
fn the_reduced_catalog_keeps_the_suites_fragment_sizes() {
    let cases = sockeye_conformance::catalog(sockeye_conformance::Profile::Reduced);
    assert_eq!(cases.len(), 517);
    // 9.3.1: the suite's 64-byte fragments at a sixteenth of its 4 MiB.
    let c = cases.iter().find(|c| c.id == "9.3.1").unwrap();
    match &c.steps[0] {
        sockeye_conformance::Step::Message { payload, frag, .. } => {
            assert_eq!((payload.len(), *frag), (256 << 10, Some(64)));
        }
        s => panic!("unexpected step {s:?}"),
    }
}

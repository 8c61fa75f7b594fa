//! The whole catalog in memory against sockeye-proto, both roles, three chunkings:
//! verdicts must not be worse than the golden files and must agree across chunkings.

#![allow(clippy::print_stderr)]

use sockeye_conformance::{
    CaseFilter, Chunking, Golden, Options, Report, SutRole, Verdict, golden, run_in_memory,
};
use sockeye_proto::Config;

fn check_role(role: SutRole, golden_text: &str) {
    let opts = Options::default();
    let config = Config::default();
    let golden = Golden::parse(golden_text).expect("golden file parses");
    let chunkings = [Chunking::Whole, Chunking::Bytes, Chunking::Random(0xC0FFEE)];
    let reports: Vec<Report> = chunkings
        .iter()
        .map(|c| run_in_memory(role, &config, *c, &CaseFilter::all(), &opts))
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
    for other in &reports[1..] {
        assert_eq!(base.results.len(), other.results.len());
        for (a, b) in base.results.iter().zip(&other.results) {
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
        if g.reason.trim().is_empty() || g.behavior == Verdict::Ok {
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
fn catalog_covers_the_sections_and_ids_of_autobahn() {
    let cases = sockeye_conformance::catalog(sockeye_conformance::Profile::Reduced);
    for id in [
        "1.1.1", "1.1.8", "1.2.8", "2.1", "2.11", "3.7", "4.1.5", "4.2.5", "5.1", "5.20", "6.1.1",
        "6.4.1", "6.4.4", "6.23.7", "6.22.34", "7.1.6", "7.13.2", "9.1.6", "9.4.9", "9.8.6",
        "10.1.1",
    ] {
        assert!(cases.iter().any(|c| c.id == id), "missing {id}");
    }
    // The suite's 64-byte fragments even at reduced sizes.
    let c = cases.iter().find(|c| c.id == "9.3.1").unwrap();
    match &c.steps[0] {
        sockeye_conformance::Step::Message { payload, frag, .. } => {
            assert_eq!((payload.len(), *frag), (256 << 10, 64));
        }
        s => panic!("unexpected step {s:?}"),
    }
}

//! Drivers 2 and 3 over loopback, against test peers built on sockeye-proto
//! (`support`): the harness against an echo server, and the fuzzing server against an
//! Autobahn-style client driver.

#![allow(clippy::print_stderr)]

mod support;

use sockeye_conformance::{
    CaseFilter, FuzzingServer, Golden, Options, Verdict, cases, golden, run_against_server,
};
use sockeye_proto::Config;

fn opts() -> Options {
    Options {
        agent: Some("sockeye-proto test peer".into()),
        ..Options::default()
    }
}

#[test]
fn server_driver_against_a_loopback_echo_server() {
    let server = support::EchoServer::start(Config::default());
    // Sections 1-7 and 10: the test peer has no permessage-deflate, and the sizes of
    // section 9 are covered in memory and against the real server.
    let filter = CaseFilter::parse("1.*,2.*,3.*,4.*,5.*,6.*,7.*,10.*");
    let report = run_against_server(&server.url(), &filter, &opts()).expect("runs");
    eprintln!("{}", report.table());
    let golden = Golden::parse(golden::SOCKEYE_SERVER).unwrap();
    let (worse, _) = golden.compare(&report);
    assert!(worse.is_empty(), "{}", worse.join("\n"));
    assert_eq!(report.results.len(), 247);
}

#[test]
fn fuzzing_server_against_an_autobahn_style_client_driver() {
    let dir = std::env::temp_dir().join(format!("sockeye-conformance-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let filter = CaseFilter::parse("1.*,2.*,3.*,4.*,5.*,6.4.*,6.12.*,7.*,9.1.1,9.3.1,10.*");
    // The test peer has no permessage-deflate: 12 and 13 would be UNIMPLEMENTED.
    let selected = cases(&filter, &opts());
    let server = FuzzingServer::bind("127.0.0.1:0", selected.clone(), opts(), Some(dir.clone()))
        .unwrap()
        .spawn()
        .unwrap();
    let base = format!("ws://{}", server.addr());
    let count = support::autobahn_client_driver(&base, "sockeye%20client", &Config::default());
    assert_eq!(count, selected.len());
    let reports = server.stop();
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    eprintln!("{}", report.table());
    assert_eq!(report.agent, "sockeye client");
    assert_eq!(report.results.len(), selected.len());
    let golden = Golden::parse(golden::SOCKEYE_CLIENT).unwrap();
    let (worse, _) = golden.compare(report);
    assert!(worse.is_empty(), "{}", worse.join("\n"));
    // Autobahn-shaped index.json, and one file per case.
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let entry = &index["sockeye client"]["6.4.1"];
    assert!(entry["behavior"].is_string(), "{index}");
    let file = entry["reportfile"].as_str().unwrap();
    let case: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(file)).unwrap()).unwrap();
    assert_eq!(case["id"], "6.4.1");
    assert!(case["wirelog"].as_array().is_some_and(|l| !l.is_empty()));
    assert!(report.results.iter().all(|r| r.behavior != Verdict::Failed));
    let _ = std::fs::remove_dir_all(&dir);
}

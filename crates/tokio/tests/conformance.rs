//! The in-tree conformance harness (`sockeye-conformance`, the Autobahn catalog) against
//! the tokio shell over loopback, port 0, as `conformance/tests/sockeye_stack.rs` runs it
//! against the mio server and client: the harness as client against an echo server on
//! `accept` (what `tokio-echo` runs: streaming, replies fed), and a fuzzing server driven
//! by the tokio client the way an Autobahn client driver does. No case may be worse than
//! the golden files of the mio stack. Debug builds use the harness's reduced sizes.

#![allow(clippy::print_stderr)]

mod support;

use std::time::Duration;

use sockeye_conformance::{
    CaseFilter, FuzzingServer, Golden, Options, Verdict, cases, golden, run_against_server,
};
use sockeye_tokio::{ClientBuilder, DriverConfig, Message};

fn opts(agent: &str) -> Options {
    Options {
        agent: Some(agent.into()),
        ..Options::default()
    }
}

#[test]
fn catalog_against_the_tokio_server() {
    let mut config = DriverConfig::default();
    config.connection.streaming = true;
    let url = support::echo_server(config);
    let report = run_against_server(&url, &CaseFilter::all(), &opts("sockeye-tokio")).unwrap();
    eprintln!("{}", report.table());
    eprintln!("{}", report.summary_line());
    let golden = Golden::parse(golden::SOCKEYE_SERVER).unwrap();
    let (worse, _) = golden.compare(&report);
    assert!(worse.is_empty(), "{}", worse.join("\n"));
    assert!(report.results.iter().all(|r| r.behavior != Verdict::Failed));
    assert_eq!(report.results.len(), 517);
}

/// `/getCaseCount`, every `/runCase` echoing each text and binary message, then
/// `/updateReports`, with the tokio client.
async fn drive_with_the_tokio_client(base: &str, agent: &str) -> usize {
    let builder = ClientBuilder::new();
    let (mut ws, _) = builder
        .connect(&format!("{base}/getCaseCount"))
        .await
        .unwrap();
    let count = match ws.recv().await.unwrap().unwrap() {
        Message::Text(n) => n.parse().unwrap(),
        other => panic!("expected the case count, got {other:?}"),
    };
    let _ = ws.close(None).await;
    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent={agent}");
        let Ok((mut ws, _)) = builder.connect(&url).await else {
            continue;
        };
        loop {
            let next = tokio::time::timeout(Duration::from_secs(30), ws.recv()).await;
            match next.unwrap_or_else(|_| panic!("case {case} stalled")) {
                Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                    let _ = ws.feed(message).await;
                }
                Some(_) => {}
                None => break,
            }
        }
    }
    let (mut ws, _) = builder
        .connect(&format!("{base}/updateReports?agent={agent}"))
        .await
        .unwrap();
    while ws.recv().await.is_some() {}
    count
}

#[tokio::test]
async fn catalog_against_the_tokio_client() {
    let opts = opts("sockeye-tokio-client");
    let selected = cases(&CaseFilter::all(), &opts);
    let server = FuzzingServer::bind("127.0.0.1:0", selected.clone(), opts, None)
        .unwrap()
        .spawn()
        .unwrap();
    let base = format!("ws://{}", server.addr());
    let count = drive_with_the_tokio_client(&base, "sockeye-tokio-client").await;
    assert_eq!(count, selected.len());
    let reports = server.stop();
    let report = reports
        .iter()
        .find(|r| r.agent == "sockeye-tokio-client")
        .expect("a report");
    eprintln!("{}", report.table());
    eprintln!("{}", report.summary_line());
    assert_eq!(report.results.len(), selected.len());
    let golden = Golden::parse(golden::SOCKEYE_CLIENT).unwrap();
    let (worse, _) = golden.compare(report);
    assert!(worse.is_empty(), "{}", worse.join("\n"));
}

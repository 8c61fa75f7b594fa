//! The catalog against the real Sockeye stack over loopback (port 0): the `sockeye-server`
//! echo server (what `sockeye echo` runs) with the harness as client, and the
//! `sockeye-client` blocking client driven through the fuzzing server the way an Autobahn
//! client driver does. Results must be no worse than the golden files. Debug builds use the
//! reduced sizes of section 9; `cargo run --release -p sockeye-conformance -- server URL`
//! runs the full sizes against a running `sockeye echo`.

#![allow(clippy::print_stderr)]

use std::sync::OnceLock;
use std::time::Duration;

use sockeye_client::{ClientBuilder, Error, Message};
use sockeye_conformance::{
    CaseFilter, FuzzingServer, Golden, Options, Verdict, cases, golden, run_against_server,
};
use sockeye_server::{Echo, Server, ServerConfig};

fn opts(agent: &str) -> Options {
    Options {
        agent: Some(agent.into()),
        ..Options::default()
    }
}

/// One echo server for the whole test binary, as `sockeye echo` runs it (2 threads).
fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let mut config = ServerConfig::default();
        config.threads = 2;
        let server = Server::bind("127.0.0.1:0".parse().unwrap(), config, Echo).unwrap();
        let url = format!("ws://{}/", server.local_addr());
        // Lives as long as the test process; its threads end with it.
        std::mem::forget(server);
        url
    })
}

#[test]
fn catalog_against_the_sockeye_server() {
    let report =
        run_against_server(server_url(), &CaseFilter::all(), &opts("sockeye-server")).unwrap();
    eprintln!("{}", report.table());
    eprintln!("{}", report.summary_line());
    let golden = Golden::parse(golden::SOCKEYE_SERVER).unwrap();
    let (worse, _) = golden.compare(&report);
    assert!(worse.is_empty(), "{}", worse.join("\n"));
    assert!(report.results.iter().all(|r| r.behavior != Verdict::Failed));
    assert_eq!(report.results.len(), 517);
}

/// What an Autobahn client driver does, with the real blocking client: `/getCaseCount`,
/// every `/runCase` echoing each text and binary message, `/updateReports`.
fn drive_with_sockeye_client(base: &str, agent: &str) -> usize {
    let builder = ClientBuilder::new()
        .max_message_size(16 << 20)
        .read_timeout(Some(Duration::from_secs(20)));
    let mut ws = builder.connect(&format!("{base}/getCaseCount")).unwrap();
    let count = match ws.recv().unwrap() {
        Message::Text(n) => n.parse().unwrap(),
        other => panic!("expected the case count, got {other:?}"),
    };
    let _ = ws.close(sockeye_proto::CloseCode::NORMAL, "");
    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent={agent}");
        let Ok(mut ws) = builder.connect(&url) else {
            continue;
        };
        loop {
            match ws.recv() {
                Ok(Message::Text(text)) => {
                    let _ = ws.send_text(&text);
                }
                Ok(Message::Binary(data)) => {
                    let _ = ws.send_binary(&data);
                }
                Ok(_) => {}
                Err(Error::ConnectionClosed | Error::Protocol(_) | Error::Io(_)) => break,
                Err(e) => panic!("case {case}: {e}"),
            }
        }
    }
    let mut ws = builder
        .connect(&format!("{base}/updateReports?agent={agent}"))
        .unwrap();
    let _ = ws.close(sockeye_proto::CloseCode::NORMAL, "");
    count
}

#[test]
fn catalog_against_the_sockeye_client() {
    let opts = opts("sockeye-client");
    let selected = cases(&CaseFilter::all(), &opts);
    let server = FuzzingServer::bind("127.0.0.1:0", selected.clone(), opts, None)
        .unwrap()
        .spawn()
        .unwrap();
    let count = drive_with_sockeye_client(&format!("ws://{}", server.addr()), "sockeye-client");
    assert_eq!(count, selected.len());
    let reports = server.stop();
    let report = reports
        .iter()
        .find(|r| r.agent == "sockeye-client")
        .expect("a report");
    eprintln!("{}", report.table());
    eprintln!("{}", report.summary_line());
    assert_eq!(report.results.len(), selected.len());
    let golden = Golden::parse(golden::SOCKEYE_CLIENT).unwrap();
    let (worse, _) = golden.compare(report);
    assert!(worse.is_empty(), "{}", worse.join("\n"));
}

//! The harness agrees with the real Autobahn|Testsuite on the bench's echo servers,
//! tokio-tungstenite 0.30 (`echo-tungstenite`) and fastwebsockets 0.10 (`echo-fastws`):
//! the suite's verdicts are golden data (`conformance/expected/suite/<peer>-server.json`,
//! from `conformance/autobahn/peers.sh`, taken with release builds); the harness runs the
//! same cases (sections 1–10 and a sample of 12 and 13) against the binaries this test
//! builds and must agree on at least 99% of them and call no case OK that the suite
//! FAILED. Port 0, loopback; each server is stopped by its PID.
//! `SOCKEYE_WRITE_HARNESS_VERDICTS=1` also writes the harness's verdicts to
//! `conformance/expected/harness/`.

#![allow(clippy::print_stderr)]

use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use sockeye_conformance::agreement;
use sockeye_conformance::peer::Spawned;

/// One server at a time (timing-sensitive cases should see an otherwise idle machine).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn server(stem: &str, bin: &str, version: &str) {
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut cmd = Command::new(bin);
    cmd.args(["--listen", "127.0.0.1:0"]);
    let mut peer = Spawned::start(cmd).unwrap_or_else(|e| panic!("{stem}: {e}"));
    let url = peer
        .url(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{stem}: {e}"));
    let result = agreement::against_server(
        stem,
        &url,
        Some(version.to_owned()),
        &agreement::default_filter(),
    );
    peer.stop();
    let (a, harness) = result.unwrap_or_else(|e| panic!("{stem}: {e}"));
    agreement::maybe_write(stem, &harness).unwrap();
    match agreement::verdict(stem, &a) {
        Ok(s) => eprintln!("{s}"),
        Err(s) => panic!("{s}"),
    }
}

#[test]
fn tungstenite_server() {
    server(
        "tungstenite-server",
        env!("CARGO_BIN_EXE_echo-tungstenite"),
        "tokio-tungstenite 0.30.0",
    );
}

#[test]
fn fastws_server() {
    server(
        "fastws-server",
        env!("CARGO_BIN_EXE_echo-fastws"),
        "fastwebsockets 0.10.0",
    );
}

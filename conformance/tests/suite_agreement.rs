//! The harness agrees with the real Autobahn|Testsuite on peers no one here wrote: Python
//! `websockets` and `wsproto` and Node `ws` as servers and as clients, and a
//! tokio-tungstenite client. The suite's verdicts for each are golden data
//! (`conformance/expected/suite/<peer>-<role>.json`, from
//! `conformance/autobahn/peers.sh`); the harness runs the same cases against the same peer
//! (sections 1–10 and a sample of 12 and 13, see `agreement::default_filter`) and must agree
//! on at least 99% of them (same `behavior` and `behaviorClose`) and call no case OK that
//! the suite FAILED. (tokio-tungstenite's and fastwebsockets' servers are bench binaries:
//! `benches/tests/suite_agreement.rs`.)
//!
//! Peers are installed by `.ci/interop-setup.sh` under `target/interop`; a missing peer is
//! a notice and a pass, except under `CI=true`. Port 0, loopback only; every process
//! started is stopped by its PID. `SOCKEYE_WRITE_HARNESS_VERDICTS=1` also writes the
//! harness's verdicts to `conformance/expected/harness/` (for `docs/conformance.md`).

#![allow(clippy::print_stderr)]

#[path = "../peers/tungstenite_client.rs"]
mod tungstenite_client;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use sockeye_conformance::agreement::{self, interop_dir, peer_script};
use sockeye_conformance::peer::Spawned;

/// One comparison at a time: the suite's verdicts were taken on an otherwise idle
/// machine, and timing-sensitive cases (chopped writes racing the peer's answer) should
/// see the same here.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A missing peer: a failure under `CI=true`, a notice (and `None`) otherwise.
fn missing<T>(peer: &str, why: &str) -> Option<T> {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: the {peer} agreement test cannot be skipped: {why} \
         (install the peers with `bash .ci/interop-setup.sh`)"
    );
    eprintln!(
        "NOTICE: skipping the {peer} agreement test: {why}. \
         Install the peers with `bash .ci/interop-setup.sh` (CI=true makes this a failure)."
    );
    None
}

fn python(module: &str) -> Option<PathBuf> {
    let py = interop_dir().join("venv/bin/python");
    let ok = Command::new(&py)
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Some(py)
    } else {
        missing(
            &format!("Python {module}"),
            &format!("`import {module}` fails with {}", py.display()),
        )
    }
}

fn node() -> Option<Command> {
    let modules = interop_dir().join("node/node_modules");
    let ok = Command::new("node")
        .arg("--version")
        .status()
        .is_ok_and(|s| s.success());
    if !ok || !modules.join("ws/package.json").exists() {
        return missing(
            "Node ws",
            &format!("no node, or no ws in {}", modules.display()),
        );
    }
    let mut c = Command::new("node");
    c.env("NODE_PATH", modules);
    Some(c)
}

fn check(
    stem: &str,
    result: Result<
        (
            sockeye_conformance::suite::Agreement,
            sockeye_conformance::suite::Verdicts,
        ),
        String,
    >,
) {
    let (a, harness) = result.unwrap_or_else(|e| panic!("{stem}: {e}"));
    agreement::maybe_write(stem, &harness).unwrap();
    match agreement::verdict(stem, &a) {
        Ok(s) => eprintln!("{s}"),
        Err(s) => panic!("{s}"),
    }
}

fn server(stem: &str, cmd: Option<Command>) {
    let Some(mut cmd) = cmd else { return };
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    cmd.arg("--stdin-watch");
    let mut peer = Spawned::start(cmd).unwrap_or_else(|e| panic!("{stem}: {e}"));
    let url = peer
        .url(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{stem}: {e}"));
    let version = peer.seen.first().cloned();
    let result = agreement::against_server(stem, &url, version, &agreement::default_filter());
    peer.stop();
    check(stem, result);
}

fn client(stem: &str, agent: &str, cmd: Option<Command>, script_args: Vec<String>) {
    let Some(cmd) = cmd else { return };
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let result = agreement::against_client(
        stem,
        agent,
        &agreement::default_filter(),
        Duration::from_secs(600),
        move |url| {
            let mut cmd = cmd;
            cmd.args(&script_args).arg(url).arg(agent);
            Spawned::start(cmd)
        },
    );
    check(stem, result);
}

fn py_cmd(module: &str, script: &str) -> Option<(Command, Vec<String>)> {
    let py = python(module)?;
    let c = Command::new(py);
    Some((c, vec![peer_script(script).display().to_string()]))
}

#[test]
fn websockets_server() {
    server(
        "websockets-server",
        py_cmd("websockets", "websockets_server.py").map(|(mut c, a)| {
            c.args(a);
            c
        }),
    );
}

#[test]
fn wsproto_server() {
    server(
        "wsproto-server",
        py_cmd("wsproto", "wsproto_server.py").map(|(mut c, a)| {
            c.args(a);
            c
        }),
    );
}

#[test]
fn ws_server() {
    server(
        "ws-server",
        node().map(|mut c| {
            c.arg(peer_script("ws_server.js"));
            c
        }),
    );
}

#[test]
fn websockets_client() {
    if let Some((c, a)) = py_cmd("websockets", "websockets_client.py") {
        client("websockets-client", "websockets", Some(c), a);
    }
}

#[test]
fn wsproto_client() {
    if let Some((c, a)) = py_cmd("wsproto", "wsproto_client.py") {
        client("wsproto-client", "wsproto", Some(c), a);
    }
}

#[test]
fn ws_client() {
    if let Some(c) = node() {
        client(
            "ws-client",
            "ws",
            Some(c),
            vec![peer_script("ws_client.js").display().to_string()],
        );
    }
}

/// The tokio-tungstenite client runs in this process (the same code as the
/// `tungstenite-client` example the suite's golden data was taken with).
#[test]
fn tungstenite_client() {
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let stem = "tungstenite-client";
    let filter = agreement::default_filter();
    let suite = sockeye_conformance::suite::Verdicts::load(&agreement::suite_file(stem)).unwrap();
    let ids: Vec<String> = suite
        .cases
        .keys()
        .filter(|id| filter.matches(id))
        .cloned()
        .collect();
    let only = sockeye_conformance::CaseFilter::parse(&ids.join(","));
    let opts = agreement::suite_options("tungstenite");
    let selected = sockeye_conformance::cases(&only, &opts);
    let server = sockeye_conformance::FuzzingServer::bind("127.0.0.1:0", selected, opts, None)
        .unwrap()
        .spawn()
        .unwrap();
    let base = format!("ws://{}", server.addr());
    let driver = std::thread::spawn(move || tungstenite_client::drive(&base, "tungstenite"));
    let count = driver.join().unwrap().unwrap();
    assert_eq!(count, ids.len());
    let report = server
        .stop()
        .into_iter()
        .find(|r| r.agent == "tungstenite")
        .unwrap();
    let mut restricted = suite;
    restricted.cases.retain(|id, _| filter.matches(id));
    let harness = sockeye_conformance::suite::Verdicts::from_report(
        &report,
        Some("tokio-tungstenite 0.30".into()),
    );
    check(
        stem,
        Ok((
            sockeye_conformance::suite::compare(&restricted, &harness),
            harness,
        )),
    );
}

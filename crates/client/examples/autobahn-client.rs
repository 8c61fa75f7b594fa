//! Drives the Autobahn|Testsuite fuzzing server (`wstest -m fuzzingserver`, or any server
//! speaking its URL protocol) with the Sockeye client:
//!
//! 1. `GET /getCaseCount`: one text message with the number of cases;
//! 2. for each case `N` in `1..=count`: `/runCase?case=N&agent=AGENT`, echoing every text
//!    and binary message back until the server closes;
//! 3. `/updateReports?agent=AGENT`: the server writes its reports.
//!
//! ```text
//! cargo run --release -p sockeye-client --example autobahn-client -- ws://127.0.0.1:9001 sockeye
//! ```
//!
//! Over TLS (feature `tls`), a `wss://` URL; the server's certificate is checked against
//! the system's roots plus a CA file given as the third argument or in `$SOCKEYE_CA`:
//!
//! ```text
//! cargo run --release -p sockeye-client --features tls --example autobahn-client -- \
//!     wss://127.0.0.1:9001 sockeye-tls ca.pem
//! ```
//!
//! The default limits accept the suite's big cases (16 MiB messages; 4 MiB in 65,537
//! frames); a case that stalls is abandoned after a minute.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sockeye_client::{ClientBuilder, Error, Message};
use sockeye_proto::{CloseCode, Config};

/// The options every connection uses, made once (with TLS, the CA file is read once).
static BUILDER: OnceLock<ClientBuilder> = OnceLock::new();

fn builder() -> &'static ClientBuilder {
    BUILDER.get().expect("the builder is set first")
}

/// The client's options; with `ca` (feature `tls`), `wss://` trusts that CA file as well
/// as the system's roots.
fn make_builder(ca: Option<&str>) -> Result<ClientBuilder, String> {
    let builder = ClientBuilder::new()
        .config(Config::default())
        .read_timeout(Some(Duration::from_secs(60)))
        .handshake_timeout(Duration::from_secs(30));
    match ca {
        None => Ok(builder),
        #[cfg(feature = "tls")]
        Some(ca) => {
            let tls = sockeye_driver::tls::TlsClientConfig::system(&[std::path::Path::new(ca)])
                .map_err(|e| format!("CA file {ca}: {e}"))?;
            Ok(builder.tls(tls))
        }
        #[cfg(not(feature = "tls"))]
        Some(ca) => Err(format!(
            "CA file {ca} given, but this build has no TLS (build with --features tls)"
        )),
    }
}

/// `getCaseCount`: the first text message is the count.
fn case_count(base: &str) -> Result<u32, Error> {
    let mut ws = builder().connect(&format!("{base}/getCaseCount"))?;
    let mut count = None;
    loop {
        match ws.recv() {
            Ok(Message::Text(text)) => count = text.trim().parse().ok(),
            Ok(Message::Close { .. }) | Err(Error::ConnectionClosed) => break,
            Ok(_) => {}
            Err(e) => return Err(e),
        }
        if count.is_some() {
            // The server closes right after; finish politely.
            let _ = ws.close(CloseCode::NORMAL, "");
            break;
        }
    }
    count.ok_or(Error::ConnectionClosed)
}

/// Runs one case: echo until the connection ends. Returns how it ended, for the log.
fn run_case(base: &str, case: u32, agent: &str) -> String {
    let url = format!("{base}/runCase?case={case}&agent={agent}");
    let mut ws = match builder().connect(&url) {
        Ok(ws) => ws,
        Err(e) => return format!("connect failed: {e}"),
    };
    let mut echoed = 0u64;
    loop {
        let sent = match ws.recv() {
            Ok(Message::Text(text)) => ws.send_text(&text),
            Ok(Message::Binary(data)) => ws.send_binary(&data),
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            Ok(Message::Close { code, .. }) => {
                // Our reply is sent; wait for the server to close TCP.
                let _ = ws.close(CloseCode::NORMAL, "");
                return format!("{echoed} echoed, server closed {code}");
            }
            Err(Error::ConnectionClosed) => return format!("{echoed} echoed, closed"),
            Err(e) => return format!("{echoed} echoed, ended: {e}"),
        };
        match sent {
            Ok(()) => echoed += 1,
            // The server may close while we echo; the next recv reports how it ended.
            Err(Error::ConnectionClosed) => {}
            Err(e) => return format!("{echoed} echoed, send failed: {e}"),
        }
    }
}

fn update_reports(base: &str, agent: &str) -> Result<(), Error> {
    let mut ws = builder().connect(&format!("{base}/updateReports?agent={agent}"))?;
    loop {
        match ws.recv() {
            Ok(Message::Close { .. }) => {
                let _ = ws.close(CloseCode::NORMAL, "");
                return Ok(());
            }
            Ok(_) => {}
            Err(Error::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "ws://127.0.0.1:9001".to_owned());
    let base = base.trim_end_matches('/').to_owned();
    let agent = args.next().unwrap_or_else(|| "sockeye".to_owned());
    let ca = args.next().or_else(|| std::env::var("SOCKEYE_CA").ok());
    match make_builder(ca.as_deref()) {
        Ok(b) => {
            let _ = BUILDER.set(b);
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    }
    if !agent
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        eprintln!("AGENT must be letters, digits, '-', '_' or '.'");
        return ExitCode::from(2);
    }

    let count = match case_count(&base) {
        Ok(count) => count,
        Err(e) => {
            eprintln!("getCaseCount at {base} failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{count} cases, agent {agent}");
    let started = Instant::now();
    for case in 1..=count {
        let case_started = Instant::now();
        let outcome = run_case(&base, case, &agent);
        println!(
            "case {case}/{count}: {outcome} ({} ms)",
            case_started.elapsed().as_millis()
        );
    }
    println!(
        "all {count} cases run in {:.1} s; updating reports",
        started.elapsed().as_secs_f64()
    );
    match update_reports(&base, &agent) {
        Ok(()) => {
            println!("reports updated for agent {agent}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("updateReports failed: {e}");
            ExitCode::FAILURE
        }
    }
}

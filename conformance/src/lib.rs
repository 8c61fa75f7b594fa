//! # sockeye-conformance
//!
//! An Autobahn|Testsuite-style conformance harness for RFC 6455, written from the RFC:
//! a [catalog](catalog::catalog) of cases as data (sections 1–7, 9 and 10, with Autobahn's
//! case ids), one runner, and three drivers that put the same catalog through:
//!
//! 1. **In memory** against `sockeye-proto` ([`run_in_memory`], [`run_case_in_memory`]),
//!    as a server (the tester plays the client and masks) and as a client (the tester
//!    plays the server), under several input [`Chunking`]s.
//! 2. **Any WebSocket echo server** over TCP ([`run_against_server`]): the harness does
//!    the opening handshake with `sockeye-handshake` and speaks raw frames.
//! 3. **A fuzzing server** testing any WebSocket client ([`FuzzingServer`]), speaking
//!    Autobahn's URL protocol (`/getCaseCount`, `/runCase?case=N&agent=A`,
//!    `/updateReports?agent=A`), so Autobahn client drivers work unchanged.
//!
//! Verdicts are Autobahn's (OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED, FAILED) with the
//! close behaviour; reports are a terminal table and Autobahn-shaped JSON
//! ([`Report::write_dir`]).
//!
//! ```
//! use sockeye_conformance::{CaseFilter, Chunking, Options, SutRole, run_in_memory};
//!
//! let opts = Options::default();
//! let config = sockeye_proto::Config::default();
//! let report = run_in_memory(SutRole::Server, &config, Chunking::Whole, &CaseFilter::parse("5.*"), &opts);
//! assert!(report.results.iter().all(|r| r.behavior == sockeye_conformance::Verdict::Ok));
//! ```
//!
//! Against a server (`ws://` only):
//!
//! ```no_run
//! use sockeye_conformance::{CaseFilter, Options, run_against_server};
//! let report = run_against_server("ws://127.0.0.1:9001/", &CaseFilter::parse("6.4.*"), &Options::default())?;
//! println!("{}", report.table());
//! # Ok::<(), String>(())
//! ```
#![forbid(unsafe_code)]

pub mod case;
pub mod catalog;
pub mod docs;
pub mod filter;
pub mod fuzzing_server;
pub mod golden;
pub mod memory;
pub mod report;
pub mod rng;
pub mod runner;
pub mod sequences;
pub mod tcp;
pub mod transport;
pub mod verdict;
pub mod wire;

use std::time::Duration;

pub use case::{Case, Expect, Item, Payload, Step};
pub use catalog::{Profile, catalog};
pub use filter::CaseFilter;
pub use fuzzing_server::{FuzzingServer, FuzzingServerHandle};
pub use golden::Golden;
pub use memory::{Chunking, MemoryPeer, SutRole};
pub use report::Report;
pub use runner::{TesterRole, Timing, run_case};
pub use transport::{Incoming, Transport};
pub use verdict::{CaseResult, CloseVerdict, Verdict};

use sockeye_handshake::WsUrl;

/// How to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Section 9 sizes.
    pub profile: Profile,
    /// Waits.
    pub timing: Timing,
    /// The peer's name in reports; by default the `Server` header, or `server`/`client`.
    pub agent: Option<String>,
    /// Seeds the tester's masking keys.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            profile: Profile::for_build(),
            timing: Timing::default(),
            agent: None,
            seed: 0x5eed,
        }
    }
}

/// The catalog for `opts.profile`, filtered.
pub fn cases(filter: &CaseFilter, opts: &Options) -> Vec<Case> {
    catalog(opts.profile)
        .into_iter()
        .filter(|c| filter.matches(&c.id))
        .collect()
}

/// One case against a `sockeye-driver` connection in memory running an echo application.
pub fn run_case_in_memory(
    case: &Case,
    role: SutRole,
    config: &sockeye_proto::Config,
    chunking: Chunking,
    opts: &Options,
) -> CaseResult {
    let mut peer = MemoryPeer::new(role, config.clone(), chunking);
    let tester = match role {
        SutRole::Server => TesterRole::Client,
        SutRole::Client => TesterRole::Server,
    };
    run_case(case, tester, &mut peer, &opts.timing, opts.seed)
}

/// The (filtered) catalog against `sockeye-driver` in memory.
pub fn run_in_memory(
    role: SutRole,
    config: &sockeye_proto::Config,
    chunking: Chunking,
    filter: &CaseFilter,
    opts: &Options,
) -> Report {
    let (agent, peer_role) = match role {
        SutRole::Server => ("sockeye-proto server", "server"),
        SutRole::Client => ("sockeye-proto client", "client"),
    };
    let mut report = Report::new(
        opts.agent.clone().unwrap_or_else(|| agent.into()),
        peer_role,
        format!("memory (chunking {})", chunking.name()),
        opts.profile,
    );
    for case in cases(filter, opts) {
        report
            .results
            .push(run_case_in_memory(&case, role, config, chunking, opts));
    }
    report
}

/// A result for a case that could not run (e.g. the handshake failed).
pub fn not_run(case: &Case, why: String) -> CaseResult {
    CaseResult {
        id: case.id.clone(),
        description: case.description.clone(),
        behavior: Verdict::Failed,
        behavior_close: CloseVerdict::Failed,
        reasons: vec![why],
        expectation: verdict::describe_expect(case),
        observed: runner::Observation::default(),
    }
}

/// The (filtered) catalog against the echo server at `url` (`ws://HOST:PORT/PATH`), one
/// TCP connection per case, the tester playing the client.
///
/// # Errors
/// If the URL is not a `ws://` URL. A case whose connection or handshake fails is FAILED.
pub fn run_against_server(
    url: &str,
    filter: &CaseFilter,
    opts: &Options,
) -> Result<Report, String> {
    run_against_server_with(url, filter, opts, |_| {})
}

/// [`run_against_server`], calling `progress` after each case.
///
/// # Errors
/// If the URL is not a `ws://` URL.
pub fn run_against_server_with(
    url: &str,
    filter: &CaseFilter,
    opts: &Options,
    mut progress: impl FnMut(&CaseResult),
) -> Result<Report, String> {
    let parsed = WsUrl::parse(url).map_err(|e| format!("{url}: {e}"))?;
    if parsed.is_secure() {
        return Err("wss:// is not supported; use ws://".into());
    }
    let mut rng = rng::Rng::new(opts.seed);
    let mut report = Report::new(String::new(), "server", format!("tcp {url}"), opts.profile);
    let mut agent = opts.agent.clone();
    let connect_timeout = opts.timing.wait.max(Duration::from_secs(2));
    for case in cases(filter, opts) {
        let result = match tcp::connect(&parsed, connect_timeout, &mut rng) {
            Ok((mut transport, info)) => {
                if agent.is_none() {
                    agent = info.server.clone();
                }
                let seed = rng.next_u64();
                run_case(
                    &case,
                    TesterRole::Client,
                    &mut transport,
                    &opts.timing,
                    seed,
                )
            }
            Err(e) => not_run(&case, format!("could not open the connection: {e}")),
        };
        progress(&result);
        report.results.push(result);
    }
    report.agent = agent.unwrap_or_else(|| "server".into());
    Ok(report)
}

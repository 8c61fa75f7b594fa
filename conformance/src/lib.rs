#![doc = include_str!("../README.md")]
//!
//! ```
//! use sockeye_conformance::{CaseFilter, Chunking, Options, SutRole, run_in_memory};
//! use sockeye_driver::DriverConfig;
//!
//! let report = run_in_memory(SutRole::Server, &DriverConfig::default(), Chunking::Whole,
//!     &CaseFilter::parse("5.*"), &Options::default());
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

pub mod agreement;
pub mod case;
pub mod catalog;
pub mod cli;
pub mod deflate_case;
pub mod docs;
pub mod expect;
pub mod filter;
pub mod fuzzing_server;
pub mod golden;
pub mod handshake;
pub mod memory;
pub mod observation;
pub mod payload;
pub mod peer;
pub mod report;
pub mod runner;
pub mod sequences;
pub mod suite;
pub mod tcp;
pub mod transport;
pub mod verdict;
pub mod wire;

use std::sync::Arc;

use sockeye_driver::DriverConfig;

pub use case::{Case, Expect, Item, Payload, Step};
pub use catalog::{Profile, catalog};
pub use filter::CaseFilter;
pub use fuzzing_server::{FuzzingServer, FuzzingServerHandle};
pub use golden::Golden;
pub use memory::{Chunking, MemoryPeer, SutRole};
pub use report::Report;
pub use runner::{Opening, TesterRole, Timing, run_case};
pub use transport::{Incoming, Transport};
pub use verdict::{CaseResult, CloseVerdict, Verdict};

use sockeye_handshake::WsUrl;

/// How to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Which catalog: the suite's (full) or the reduced one.
    pub profile: Profile,
    /// The suite's timers and the harness's bounds.
    pub timing: Timing,
    /// The peer's name in reports; by default the `Server` header, or `server`/`client`.
    pub agent: Option<String>,
    /// Seeds the tester's masking keys and nonces.
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

/// One case against a `sockeye-driver` connection in memory running an echo application,
/// opening handshake included.
pub fn run_case_in_memory(
    case: &Case,
    role: SutRole,
    config: &DriverConfig,
    chunking: Chunking,
    opts: &Options,
) -> CaseResult {
    let mut peer = MemoryPeer::new(role, Arc::new(config.clone()), chunking);
    match role {
        SutRole::Server => {
            let url = WsUrl::parse(memory::MEMORY_URL).expect("MEMORY_URL is a ws:// URL");
            run_case(
                case,
                Opening::Client(&url),
                &mut peer,
                &opts.timing,
                opts.seed,
            )
        }
        SutRole::Client => {
            let (request, leftover) =
                match handshake::read_request(&mut peer, opts.timing.open_handshake) {
                    Ok(r) => r,
                    Err(e) => return runner::not_opened(case, TesterRole::Server, e),
                };
            run_case(
                case,
                Opening::Server(&request, &leftover),
                &mut peer,
                &opts.timing,
                opts.seed,
            )
        }
    }
}

/// The (filtered) catalog against `sockeye-driver` in memory.
pub fn run_in_memory(
    role: SutRole,
    config: &DriverConfig,
    chunking: Chunking,
    filter: &CaseFilter,
    opts: &Options,
) -> Report {
    let (agent, peer_role) = match role {
        SutRole::Server => ("sockeye-driver server", "server"),
        SutRole::Client => ("sockeye-driver client", "client"),
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

/// The (filtered) catalog against the echo server at `url` (`ws://HOST:PORT/PATH`), one
/// TCP connection per case, the tester playing the client, as the suite's fuzzing
/// client does.
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
    let addr = tcp::resolve(&parsed)?;
    let mut report = Report::new(String::new(), "server", format!("tcp {url}"), opts.profile);
    let mut agent = opts.agent.clone();
    for (i, case) in cases(filter, opts).iter().enumerate() {
        let seed = opts.seed.wrapping_add(i as u64);
        let result = match tcp::connect(addr, opts.timing.open_handshake) {
            Ok(mut t) => run_case(case, Opening::Client(&parsed), &mut t, &opts.timing, seed),
            Err(e) => runner::not_opened(case, TesterRole::Client, e),
        };
        if agent.is_none() {
            agent.clone_from(&result.observed.server_header);
        }
        progress(&result);
        report.results.push(result);
    }
    report.agent = agent.unwrap_or_else(|| "server".into());
    Ok(report)
}

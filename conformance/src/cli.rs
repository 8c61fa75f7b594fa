//! The harness's command line (clap, derive): `sockeye-conformance` and
//! `sockeye conformance` parse the same [`Command`] and run it with [`run`].
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand, ValueEnum};
use sockeye_driver::DriverConfig;

use crate::suite::Verdicts;
use crate::{
    CaseFilter, Chunking, FuzzingServer, Golden, Options, Profile, Report, SutRole, Verdict, cases,
    docs, golden, run_against_server_with, run_in_memory,
};

/// What to run.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Test a WebSocket echo server: every case of the catalog against URL, with the
    /// suite's verdicts; the cases that are not OK are printed as they finish.
    Server {
        /// The server, `ws://HOST:PORT[/PATH]`.
        url: String,
        /// The options every command takes.
        #[command(flatten)]
        common: Common,
    },
    /// Test a WebSocket client: a fuzzing server that plays the cases to the clients that
    /// connect (the suite's URLs: /getCaseCount, /runCase?case=N&agent=A, /updateReports).
    Client {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9001", value_name = "ADDR")]
        listen: String,
        /// Exit once N agents' reports were updated [default: serve until killed].
        #[arg(long, value_name = "N")]
        exit_after: Option<usize>,
        /// The options every command takes.
        #[command(flatten)]
        common: Common,
    },
    /// Run the catalog against sockeye-driver in memory (no socket).
    Memory {
        /// The role of the side under test.
        role: Role,
        /// How the bytes are cut: whole, bytes, or random[:SEED].
        #[arg(long, default_value = "whole", value_parser = parse_chunking)]
        chunking: Chunking,
        /// The options every command takes.
        #[command(flatten)]
        common: Common,
    },
    /// Markdown for docs/conformance.md on stdout.
    Docs {
        /// The options every command takes.
        #[command(flatten)]
        common: Common,
    },
    /// A golden file for the current in-memory results on stdout.
    Golden {
        /// The role.
        role: Role,
        /// The options every command takes.
        #[command(flatten)]
        common: Common,
    },
    /// List the cases the patterns select.
    List {
        /// The options every command takes.
        #[command(flatten)]
        common: Common,
    },
}

/// The side under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// A server.
    Server,
    /// A client.
    Client,
}

impl From<Role> for SutRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Server => SutRole::Server,
            Role::Client => SutRole::Client,
        }
    }
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Comma-separated globs over case ids, e.g. `6.4.*,1.1.1,-9.*` [default: all].
    #[arg(long, value_name = "PATTERNS")]
    pub cases: Option<String>,
    /// Write the suite-shaped reports (index.json, one JSON per case, index.html) here.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// The peer's name in reports [default: its Server header, or server/client].
    #[arg(long, value_name = "NAME")]
    pub agent: Option<String>,
    /// Also write the verdicts as JSON (conformance/expected/harness/ shape).
    #[arg(long, value_name = "FILE")]
    pub verdicts: Option<PathBuf>,
    /// Recorded in --verdicts.
    #[arg(long, value_name = "TEXT")]
    pub peer_version: Option<String>,
    /// Exit 1 unless every case is OK or INFORMATIONAL in both verdicts.
    #[arg(long)]
    pub strict: bool,
    /// The suite's catalog [default in release builds].
    #[arg(long, conflicts_with = "reduced")]
    pub full: bool,
    /// The reduced catalog (smaller sizes in sections 9, 12, 13) [default in debug builds].
    #[arg(long)]
    pub reduced: bool,
    /// Gap between queued writes, in microseconds (the suite's reactor turn).
    #[arg(long, default_value_t = 40, value_name = "N")]
    pub chop_gap_us: u64,
    /// When the suite would wait for ever, stop after N seconds.
    #[arg(long, default_value_t = 10, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub give_up_s: u64,
}

impl Common {
    fn options(&self) -> Options {
        let mut opts = Options::default();
        if self.full {
            opts.profile = Profile::Full;
        }
        if self.reduced {
            opts.profile = Profile::Reduced;
        }
        opts.agent = self.agent.clone();
        opts.timing.chop_gap = Duration::from_micros(self.chop_gap_us);
        opts.timing.give_up = Duration::from_secs(self.give_up_s);
        opts
    }

    fn filter(&self) -> CaseFilter {
        self.cases
            .as_deref()
            .map_or_else(CaseFilter::all, CaseFilter::parse)
    }
}

fn parse_chunking(s: &str) -> Result<Chunking, String> {
    Chunking::parse(s).ok_or_else(|| format!("`{s}`: whole, bytes or random[:SEED]"))
}

impl Command {
    fn common(&self) -> &Common {
        match self {
            Self::Server { common, .. }
            | Self::Client { common, .. }
            | Self::Memory { common, .. }
            | Self::Docs { common }
            | Self::Golden { common, .. }
            | Self::List { common } => common,
        }
    }
}

/// Runs a command: 0 when it went as asked, 1 when a case FAILED (or, with `--strict`,
/// was not strict), 2 when it could not run (the cause is printed).
pub fn run(command: &Command) -> ExitCode {
    match run_command(command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

/// Prints the report, writes what was asked for, and says how the run went.
fn finish(report: &Report, a: &Common, started: Instant) -> ExitCode {
    println!("{}", report.table());
    println!("run time: {:.1} s", started.elapsed().as_secs_f64());
    if let Some(dir) = &a.report {
        match report.write_dir(dir) {
            Ok(()) => println!("reports written to {}", dir.display()),
            Err(e) => {
                eprintln!("writing reports to {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(path) = &a.verdicts {
        let v = Verdicts::from_report(report, a.peer_version.clone());
        if let Err(e) = std::fs::write(path, v.to_json()) {
            eprintln!("writing {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("verdicts written to {}", path.display());
    }
    let not_strict = report
        .results
        .iter()
        .filter(|r| {
            !matches!(r.behavior, Verdict::Ok | Verdict::Informational)
                || !r.behavior_close.is_strict()
        })
        .count();
    if a.strict && not_strict > 0 {
        println!("FAIL: {not_strict} cases are not strict");
        ExitCode::from(1)
    } else if report.results.iter().any(|r| r.behavior == Verdict::Failed) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn run_command(command: &Command) -> Result<ExitCode, String> {
    let started = Instant::now();
    let a = command.common();
    let opts = a.options();
    let filter = a.filter();
    match command {
        Command::Server { url, .. } => {
            let report = run_against_server_with(url, &filter, &opts, |r| {
                if r.behavior != Verdict::Ok || !r.behavior_close.is_strict() {
                    eprintln!(
                        "{:<8} {:<13} {:<16} {}",
                        r.id,
                        r.behavior.as_str(),
                        r.behavior_close.as_str(),
                        r.reason()
                    );
                }
            })?;
            Ok(finish(&report, a, started))
        }
        Command::Client {
            listen, exit_after, ..
        } => {
            let selected = cases(&filter, &opts);
            let n = selected.len();
            let server = FuzzingServer::bind(listen, selected, opts.clone(), a.report.clone())
                .map_err(|e| format!("bind {listen}: {e}"))?
                .verbose(true)
                .exit_after(*exit_after);
            let addr = server.local_addr().map_err(|e| e.to_string())?;
            println!("fuzzing server on ws://{addr} ({n} cases); Ctrl-C to stop");
            let stop = std::sync::atomic::AtomicBool::new(false);
            let reports = server.serve(&stop);
            for report in &reports {
                let code = finish(report, a, started);
                if code != ExitCode::SUCCESS {
                    return Ok(code);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Memory { role, chunking, .. } => {
            let report = run_in_memory(
                (*role).into(),
                &DriverConfig::default(),
                *chunking,
                &filter,
                &opts,
            );
            Ok(finish(&report, a, started))
        }
        Command::Docs { .. } => {
            let input = docs::Inputs::load(&opts)?;
            print!("{}", docs::markdown(&input));
            Ok(ExitCode::SUCCESS)
        }
        Command::Golden { role, .. } => {
            let role = SutRole::from(*role);
            let report = run_in_memory(
                role,
                &DriverConfig::default(),
                Chunking::Whole,
                &CaseFilter::all(),
                &opts,
            );
            let (text, what) = match role {
                SutRole::Server => (golden::SOCKEYE_SERVER, "server"),
                SutRole::Client => (golden::SOCKEYE_CLIENT, "client"),
            };
            let previous = Golden::parse(text).unwrap_or_default();
            let description = format!(
                "Sockeye ({what} role, sockeye-driver in memory, the suite's catalog): every case that is not OK in both verdicts, with the reason. \
                 `cargo test -p sockeye-conformance` fails when a case gets worse than listed here. \
                 Regenerate: cargo run --release -p sockeye-conformance -- golden {what} > conformance/expected/sockeye-{what}.json"
            );
            let g = Golden::from_report(&report, &previous, &description);
            println!(
                "{}",
                serde_json::to_string_pretty(&g).map_err(|e| e.to_string())?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::List { .. } => {
            for (i, c) in cases(&filter, &opts).iter().enumerate() {
                println!("{:>3} {:<8} {}", i + 1, c.id, c.description);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

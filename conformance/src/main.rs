//! `sockeye-conformance`: the command line.
#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use sockeye_conformance::suite::Verdicts;
use sockeye_conformance::{
    CaseFilter, Chunking, FuzzingServer, Golden, Options, Profile, Report, SutRole, Verdict, cases,
    docs, golden, run_against_server_with, run_in_memory,
};
use sockeye_driver::DriverConfig;

const USAGE: &str = "\
usage:
  sockeye-conformance server ws://HOST:PORT[/PATH] [--cases PATTERNS] [--report DIR] [--agent NAME]
  sockeye-conformance client --listen ADDR [--cases PATTERNS] [--report DIR] [--exit-after N]
  sockeye-conformance memory server|client [--chunking whole|bytes|random[:SEED]]
                             [--cases PATTERNS] [--report DIR]
  sockeye-conformance docs          (markdown for docs/conformance.md on stdout)
  sockeye-conformance golden server|client   (a golden file for the current results on stdout)
  sockeye-conformance list [--cases PATTERNS]
common options:
  --full | --reduced     the suite's catalog (default in release builds) or the reduced one
  --verdicts FILE        also write the verdicts as JSON (conformance/expected/harness/ shape)
  --peer-version TEXT    recorded in --verdicts
  --strict               exit 1 unless every case is OK or INFORMATIONAL in both verdicts
  --chop-gap-us N        gap between queued writes (default 40, the suite's reactor turn)
  --give-up-s N          when the suite would wait for ever, stop after N s (default 10)
PATTERNS: comma-separated globs over case ids, e.g. 6.4.*,1.1.1,-9.*
`client --exit-after N`: exit once N agents' reports were updated (default: serve until killed)";

struct Args {
    positional: Vec<String>,
    cases: CaseFilter,
    report: Option<PathBuf>,
    verdicts: Option<PathBuf>,
    peer_version: Option<String>,
    listen: Option<String>,
    chunking: Chunking,
    strict: bool,
    exit_after: Option<usize>,
    opts: Options,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        positional: Vec::new(),
        cases: CaseFilter::all(),
        report: None,
        verdicts: None,
        peer_version: None,
        listen: None,
        chunking: Chunking::Whole,
        strict: false,
        exit_after: None,
        opts: Options::default(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--cases" => a.cases = CaseFilter::parse(&value("--cases")?),
            "--report" => a.report = Some(PathBuf::from(value("--report")?)),
            "--verdicts" => a.verdicts = Some(PathBuf::from(value("--verdicts")?)),
            "--peer-version" => a.peer_version = Some(value("--peer-version")?),
            "--agent" => a.opts.agent = Some(value("--agent")?),
            "--listen" => a.listen = Some(value("--listen")?),
            "--strict" => a.strict = true,
            "--chunking" => {
                let v = value("--chunking")?;
                a.chunking = Chunking::parse(&v).ok_or_else(|| format!("bad chunking {v}"))?;
            }
            "--chop-gap-us" => {
                let v = value("--chop-gap-us")?;
                let us: u64 = v.parse().map_err(|_| format!("bad --chop-gap-us {v}"))?;
                a.opts.timing.chop_gap = Duration::from_micros(us);
            }
            "--give-up-s" => {
                let v = value("--give-up-s")?;
                let s: u64 = v.parse().map_err(|_| format!("bad --give-up-s {v}"))?;
                a.opts.timing.give_up = Duration::from_secs(s.max(1));
            }
            "--exit-after" => {
                let v = value("--exit-after")?;
                a.exit_after = Some(v.parse().map_err(|_| format!("bad --exit-after {v}"))?);
            }
            "--full" => a.opts.profile = Profile::Full,
            "--reduced" => a.opts.profile = Profile::Reduced,
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => a.positional.push(arg),
        }
    }
    Ok(a)
}

/// Prints the report, writes what was asked for, and says how the run went.
fn finish(report: &Report, a: &Args, started: Instant) -> ExitCode {
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

fn role(s: Option<&String>) -> Result<SutRole, String> {
    match s.map(String::as_str) {
        Some("server") => Ok(SutRole::Server),
        Some("client") => Ok(SutRole::Client),
        _ => Err("expected `server` or `client`".into()),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("{e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

fn run(a: &Args) -> Result<ExitCode, String> {
    let started = Instant::now();
    let command = a.positional.first().map(String::as_str).unwrap_or("");
    match command {
        "server" => {
            let url = a.positional.get(1).ok_or("server needs a ws:// URL")?;
            let report = run_against_server_with(url, &a.cases, &a.opts, |r| {
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
        "client" => {
            let listen = a.listen.as_deref().unwrap_or("127.0.0.1:9001");
            let selected = cases(&a.cases, &a.opts);
            let n = selected.len();
            let server = FuzzingServer::bind(listen, selected, a.opts.clone(), a.report.clone())
                .map_err(|e| format!("bind {listen}: {e}"))?
                .verbose(true)
                .exit_after(a.exit_after);
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
        "memory" => {
            let role = role(a.positional.get(1))?;
            let report = run_in_memory(
                role,
                &DriverConfig::default(),
                a.chunking,
                &a.cases,
                &a.opts,
            );
            Ok(finish(&report, a, started))
        }
        "docs" => {
            let input = docs::Inputs::load(&a.opts)?;
            print!("{}", docs::markdown(&input));
            Ok(ExitCode::SUCCESS)
        }
        "golden" => {
            let role = role(a.positional.get(1))?;
            let report = run_in_memory(
                role,
                &DriverConfig::default(),
                Chunking::Whole,
                &CaseFilter::all(),
                &a.opts,
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
        "list" => {
            for (i, c) in cases(&a.cases, &a.opts).iter().enumerate() {
                println!("{:>3} {:<8} {}", i + 1, c.id, c.description);
            }
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(USAGE.into()),
    }
}

//! `sockeye-conformance`: the command line.
#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use sockeye_conformance::{
    CaseFilter, Chunking, FuzzingServer, Golden, Options, Profile, Report, SutRole, Verdict, cases,
    docs, golden, run_against_server_with, run_in_memory,
};

const USAGE: &str = "\
usage:
  sockeye-conformance server ws://HOST:PORT[/PATH] [--cases PATTERNS] [--report DIR] [--agent NAME]
  sockeye-conformance client --listen ADDR [--cases PATTERNS] [--report DIR]
  sockeye-conformance memory server|client [--chunking whole|bytes|random[:SEED]]
                             [--cases PATTERNS] [--report DIR]
  sockeye-conformance docs          (markdown for docs/conformance.md on stdout)
  sockeye-conformance golden server|client   (a golden file for the current results on stdout)
  sockeye-conformance list [--cases PATTERNS]
common options: --full | --reduced (section 9 sizes; default: full in release builds),
  --wait-ms N (how long to wait for echoes and closes over TCP, default 2000)
PATTERNS: comma-separated globs over case ids, e.g. 6.4.*,1.1.1,-9.*";

struct Args {
    positional: Vec<String>,
    cases: CaseFilter,
    report: Option<PathBuf>,
    agent: Option<String>,
    listen: Option<String>,
    chunking: Chunking,
    opts: Options,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        positional: Vec::new(),
        cases: CaseFilter::all(),
        report: None,
        agent: None,
        listen: None,
        chunking: Chunking::Whole,
        opts: Options::default(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--cases" => a.cases = CaseFilter::parse(&value("--cases")?),
            "--report" => a.report = Some(PathBuf::from(value("--report")?)),
            "--agent" => a.agent = Some(value("--agent")?),
            "--listen" => a.listen = Some(value("--listen")?),
            "--chunking" => {
                let v = value("--chunking")?;
                a.chunking = Chunking::parse(&v).ok_or_else(|| format!("bad chunking {v}"))?;
            }
            "--wait-ms" => {
                let v = value("--wait-ms")?;
                let ms: u64 = v.parse().map_err(|_| format!("bad --wait-ms {v}"))?;
                a.opts.timing.wait = Duration::from_millis(ms);
            }
            "--full" => a.opts.profile = Profile::Full,
            "--reduced" => a.opts.profile = Profile::Reduced,
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => a.positional.push(arg),
        }
    }
    a.opts.agent.clone_from(&a.agent);
    Ok(a)
}

fn finish(report: &Report, dir: Option<&PathBuf>) -> ExitCode {
    println!("{}", report.table());
    if let Some(dir) = dir {
        match report.write_dir(dir) {
            Ok(()) => println!("reports written to {}", dir.display()),
            Err(e) => {
                eprintln!("writing reports to {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
    }
    if report.results.iter().any(|r| r.behavior == Verdict::Failed) {
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
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

fn run(a: Args) -> Result<ExitCode, String> {
    let command = a.positional.first().map(String::as_str).unwrap_or("");
    match command {
        "server" => {
            let url = a.positional.get(1).ok_or("server needs a ws:// URL")?;
            let report = run_against_server_with(url, &a.cases, &a.opts, |r| {
                if r.behavior != Verdict::Ok {
                    eprintln!("{:<8} {:<13} {}", r.id, r.behavior.as_str(), r.reason());
                }
            })?;
            Ok(finish(&report, a.report.as_ref()))
        }
        "client" => {
            let listen = a.listen.as_deref().unwrap_or("127.0.0.1:9001");
            let server = FuzzingServer::bind(
                listen,
                cases(&a.cases, &a.opts),
                a.opts.clone(),
                a.report.clone(),
            )
            .map_err(|e| format!("bind {listen}: {e}"))?
            .verbose(true);
            let addr = server.local_addr().map_err(|e| e.to_string())?;
            eprintln!(
                "fuzzing server on ws://{addr} ({} cases); Ctrl-C to stop",
                cases(&a.cases, &a.opts).len()
            );
            let stop = std::sync::atomic::AtomicBool::new(false);
            server.serve(&stop);
            Ok(ExitCode::SUCCESS)
        }
        "memory" => {
            let role = role(a.positional.get(1))?;
            let config = sockeye_proto::Config::default();
            let report = run_in_memory(role, &config, a.chunking, &a.cases, &a.opts);
            Ok(finish(&report, a.report.as_ref()))
        }
        "docs" => {
            let config = sockeye_proto::Config::default();
            let all = CaseFilter::all();
            let server = run_in_memory(SutRole::Server, &config, Chunking::Whole, &all, &a.opts);
            let client = run_in_memory(SutRole::Client, &config, Chunking::Whole, &all, &a.opts);
            let gs = Golden::parse(golden::SOCKEYE_SERVER).map_err(|e| e.to_string())?;
            let gc = Golden::parse(golden::SOCKEYE_CLIENT).map_err(|e| e.to_string())?;
            print!("{}", docs::markdown(&server, &client, &gs, &gc));
            Ok(ExitCode::SUCCESS)
        }
        "golden" => {
            let role = role(a.positional.get(1))?;
            let config = sockeye_proto::Config::default();
            let report = run_in_memory(role, &config, Chunking::Whole, &CaseFilter::all(), &a.opts);
            let (text, what) = match role {
                SutRole::Server => (golden::SOCKEYE_SERVER, "server"),
                SutRole::Client => (golden::SOCKEYE_CLIENT, "client"),
            };
            let previous = Golden::parse(text).unwrap_or_default();
            let description = format!(
                "Sockeye ({what} role, sockeye-proto in memory): every case that is not OK, with the reason. \
                 `cargo test -p sockeye-conformance` fails when a case gets worse than listed here."
            );
            let g = Golden::from_report(&report, &previous, &description);
            println!(
                "{}",
                serde_json::to_string_pretty(&g).map_err(|e| e.to_string())?
            );
            Ok(ExitCode::SUCCESS)
        }
        "list" => {
            for c in cases(&a.cases, &a.opts) {
                println!("{:<8} {}", c.id, c.description);
            }
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(USAGE.into()),
    }
}

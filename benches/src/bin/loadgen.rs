//! `loadgen`: the end-to-end benchmark's load generator (see `sockeye_benches::load`).
//!
//! ```text
//! loadgen load --addr ADDR [--protocol ws|raw] [--conns C] [--size BYTES]
//!              [--kind binary|ascii|utf8|chat|ticker] [--depth D] [--warmup SECS]
//!              [--duration SECS] [--server-pid PID] [--deflate] [--tls-ca FILE]
//! loadgen hold --addr ADDR --server-pid PID [--protocol ws|raw] [--conns N] [--settle SECS]
//!              [--tls-ca FILE]
//! ```
//!
//! `--tls-ca FILE`: every connection over TLS (rustls, ring), trusting the CA in FILE and
//! checking the server's certificate against the address's IP.
//!
//! Prints one line, `result key=value ...`, and exits 0; or prints the error on stderr
//! and exits 1. Run it pinned to its own core (`taskset -c 1 loadgen ...`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use sockeye_benches::args::Args;
use sockeye_benches::load::{self, HoldSpec, Kind, LoadSpec, Protocol, TlsClient};

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.0))
}

fn run() -> Result<String, String> {
    let mut argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.is_empty() {
        return Err("usage: loadgen load|hold --addr ADDR ... (see the source's docs)".into());
    }
    let mode = argv.remove(0);
    let mut args = Args::new(argv);
    let addr: SocketAddr = args.value("--addr")?.ok_or("--addr is needed")?;
    let protocol: Protocol = args.value_or("--protocol", Protocol::WebSocket)?;
    let server_pid: Option<u32> = args.value("--server-pid")?;
    let tls = match args.value::<std::path::PathBuf>("--tls-ca")? {
        Some(ca) => Some(TlsClient::from_ca_file(&ca)?),
        None => None,
    };
    match mode.as_str() {
        "load" => {
            let spec = LoadSpec {
                addr,
                path: "/".into(),
                protocol,
                conns: args.value_or("--conns", 100)?,
                size: args.value_or("--size", 20)?,
                kind: args.value_or("--kind", Kind::Binary)?,
                depth: args.value_or("--depth", 1)?,
                warmup: secs(args.value_or("--warmup", 1.0)?),
                duration: secs(args.value_or("--duration", 5.0)?),
                server_pid,
                deflate: args.flag("--deflate"),
                tls,
            };
            args.finish()?;
            Ok(load::run_load(&spec)?.to_line())
        }
        "hold" => {
            let spec = HoldSpec {
                addr,
                protocol,
                conns: args.value_or("--conns", 10_000)?,
                settle: secs(args.value_or("--settle", 1.0)?),
                server_pid: server_pid.ok_or("hold needs --server-pid")?,
                tls,
            };
            args.finish()?;
            Ok(load::run_hold(&spec)?.to_line())
        }
        other => Err(format!("unknown mode `{other}`: load or hold")),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(line) => {
            println!("result {line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

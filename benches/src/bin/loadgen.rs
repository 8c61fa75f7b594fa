//! `loadgen`: the end-to-end benchmark's load generator (the `sockeye-load` crate; `sockeye
//! bench` is the same generator for users).
//!
//! ```text
//! loadgen load --addr ADDR [--protocol ws|raw] [--conns C] [--size BYTES]
//!              [--kind binary|ascii|utf8|chat|ticker] [--depth D] [--warmup SECS]
//!              [--duration SECS] [--server-pid PID] [--deflate] [--tls-ca FILE]
//! loadgen hold --addr ADDR --server-pid PID [--protocol ws|raw] [--conns N] [--settle SECS]
//!              [--tls-ca FILE] [--sources IP,IP,...]
//! ```
//!
//! `hold` reports the server's RSS growth per idle connection and the accept rate (set-ups
//! per second of wall time and of server CPU time, handshakes included); `--sources` binds
//! the connections to those source addresses in turn (several `127.0.0.x` for more
//! connections than one address has ephemeral ports).
//!
//! `--tls-ca FILE`: every connection over TLS (rustls, ring), trusting the CA in FILE and
//! checking the server's certificate against the address's IP.
//!
//! Prints one line, `result key=value ...`, and exits 0; or prints the error on stderr
//! and exits 1. Run it pinned to its own core (`taskset -c 1 loadgen ...`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use sockeye_benches::load::{self, HoldSpec, Kind, LoadSpec, Protocol, TlsClient};

/// The end-to-end benchmark's load generator.
#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Connections each keeping messages in flight; every echo checked.
    Load {
        #[command(flatten)]
        common: Common,
        /// Connections.
        #[arg(long, default_value_t = 100)]
        conns: usize,
        /// Payload bytes per message.
        #[arg(long, default_value_t = 20)]
        size: usize,
        /// binary, ascii, utf8, chat or ticker.
        #[arg(long, default_value = "binary")]
        kind: Kind,
        /// Messages in flight per connection.
        #[arg(long, default_value_t = 1)]
        depth: usize,
        /// Seconds of load before measuring.
        #[arg(long, default_value_t = 1.0)]
        warmup: f64,
        /// Seconds measured.
        #[arg(long, default_value_t = 5.0)]
        duration: f64,
        /// Offer permessage-deflate.
        #[arg(long)]
        deflate: bool,
    },
    /// Idle connections; the server's RSS growth per connection.
    Hold {
        #[command(flatten)]
        common: Common,
        /// Connections.
        #[arg(long, default_value_t = 10_000)]
        conns: usize,
        /// Seconds to wait before reading the RSS again.
        #[arg(long, default_value_t = 1.0)]
        settle: f64,
        /// Source addresses, used in turn (default: the OS picks).
        #[arg(long, value_delimiter = ',', value_name = "IP,IP")]
        sources: Vec<IpAddr>,
    },
}

#[derive(Debug, Args)]
struct Common {
    /// The server.
    #[arg(long)]
    addr: SocketAddr,
    /// ws (WebSocket) or raw (bytes, no framing).
    #[arg(long, default_value = "ws")]
    protocol: Protocol,
    /// The server's process id (CPU time; RSS in hold mode).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Over TLS, trusting the CA certificates of this PEM file.
    #[arg(long, value_name = "FILE")]
    tls_ca: Option<PathBuf>,
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.0))
}

fn tls(common: &Common) -> Result<Option<TlsClient>, String> {
    common
        .tls_ca
        .as_deref()
        .map(TlsClient::from_ca_file)
        .transpose()
}

fn run(cli: Cli) -> Result<String, String> {
    match cli.mode {
        Mode::Load {
            common,
            conns,
            size,
            kind,
            depth,
            warmup,
            duration,
            deflate,
        } => {
            let spec = LoadSpec {
                addr: common.addr,
                path: "/".into(),
                protocol: common.protocol,
                conns,
                size,
                kind,
                depth,
                warmup: secs(warmup),
                duration: secs(duration),
                server_pid: common.server_pid,
                deflate,
                tls: tls(&common)?,
            };
            Ok(load::run_load(&spec)?.to_line())
        }
        Mode::Hold {
            common,
            conns,
            settle,
            sources,
        } => {
            let spec = HoldSpec {
                addr: common.addr,
                protocol: common.protocol,
                conns,
                settle: secs(settle),
                server_pid: common.server_pid.ok_or("hold needs --server-pid")?,
                tls: tls(&common)?,
                sources,
            };
            Ok(load::run_hold(&spec)?.to_line())
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
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

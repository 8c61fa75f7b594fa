//! `sockeye-conformance`: the harness's command line (the same as `sockeye conformance`).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

/// Autobahn-style RFC 6455 conformance harness: tests any WebSocket server or client with
/// the Autobahn|Testsuite's cases and verdicts.
#[derive(Debug, Parser)]
#[command(name = "sockeye-conformance", version)]
struct Cli {
    #[command(subcommand)]
    command: sockeye_conformance::cli::Command,
}

fn main() -> ExitCode {
    sockeye_conformance::cli::run(&Cli::parse().command)
}

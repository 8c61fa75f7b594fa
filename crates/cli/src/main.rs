//! `sockeye`: a WebSocket echo server and a command-line client.
//!
//! ```text
//! sockeye echo [--listen ADDR] [--threads N] [--max-message BYTES] [--no-compression]
//!              [--compression-level 0-9] [--tls-cert FILE --tls-key FILE]
//! sockeye connect ws[s]://HOST:PORT/PATH [--binary] [--subprotocol NAME] [--ca FILE]
//!              [--no-compression]
//! ```
//!
//! Exit status: 0 on success, 1 when the command failed (the cause is printed in one line),
//! 2 for a usage error.
#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod connect;
mod echo;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Echo(a) => echo::run(a),
        args::Command::Connect(a) => connect::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("sockeye: {message}");
            ExitCode::FAILURE
        }
    }
}

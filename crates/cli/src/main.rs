//! `sockeye`: a WebSocket echo server, a command-line client, the conformance harness and
//! a load generator. `sockeye --help` and `sockeye SUBCOMMAND --help` describe everything.
//!
//! ```text
//! sockeye echo [--listen ADDR] [--threads N] [--max-message BYTES] [--no-compression]
//!              [--compression-level 0-9] [--tls-cert FILE --tls-key FILE] [--log LEVEL]
//!              [--stats-every DURATION]
//! sockeye connect ws[s]://HOST:PORT/PATH [-H 'Name: value']... [--origin O]
//!              [--subprotocol NAME]... [--ping-interval DURATION] [--binary]
//!              [--max-message BYTES] [-v] [--ca FILE] [--no-compression]
//! sockeye conformance server URL | client --listen ADDR | memory | docs | golden | list
//! sockeye bench ws[s]://HOST:PORT/PATH [-c CONNS] [-s BYTES] [-d IN_FLIGHT] [-t DURATION]
//! sockeye completions bash|zsh|fish|elvish|powershell
//! ```
//!
//! Exit status: 0 success; 1 the command failed (the cause on one line); 2 usage error;
//! 3 `connect`: the server closed with a code other than 1000; 4 `connect`: the connection
//! ended abnormally.
#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod bench;
mod connect;
mod echo;
mod exit;
mod log;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Echo(a) => echo::run(a),
        args::Command::Connect(a) => connect::run(a),
        args::Command::Conformance(command) => Ok(sockeye_conformance::cli::run(&command)),
        args::Command::Bench(a) => bench::run(a),
        args::Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut args::Cli::command(),
                "sockeye",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("sockeye: {message}");
            ExitCode::from(exit::FAILURE)
        }
    }
}

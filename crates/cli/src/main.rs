//! `sockeye`: a WebSocket echo server and a command-line client.
//!
//! ```text
//! sockeye echo [--listen ADDR] [--threads N] [--max-message BYTES]
//! sockeye connect ws://HOST:PORT/PATH [--binary] [--subprotocol NAME]
//! ```
#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod connect;
mod echo;

use std::process::ExitCode;

const USAGE: &str = "\
sockeye: a WebSocket (RFC 6455) echo server and client

USAGE:
    sockeye echo [--listen ADDR] [--threads N] [--max-message BYTES]
    sockeye connect URL [--binary] [--subprotocol NAME]

COMMANDS:
    echo       Echo every message back, on any request path. Prints the address it
               listens on; stops cleanly on Ctrl-C (closing connections with 1001).
               --listen ADDR        address to listen on (default 127.0.0.1:9001;
                                    port 0 picks a free port)
               --threads N          event-loop threads (default: number of CPUs)
               --max-message BYTES  largest message accepted (default 16777216)
    connect    Each line read from stdin becomes a text message (binary with --binary);
               every message received is printed on stdout, one per line. End of input
               closes the connection (1000).
               --binary             send lines as binary messages
               --subprotocol NAME   offer this subprotocol (repeatable)
";

fn main() -> ExitCode {
    let mut argv = std::env::args().skip(1);
    let command = argv.next();
    let rest: Vec<String> = argv.collect();
    let result = match command.as_deref() {
        Some("echo") => args::EchoArgs::parse(&rest).and_then(echo::run),
        Some("connect") => args::ConnectArgs::parse(&rest).and_then(connect::run),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some("-V" | "--version") => {
            println!("sockeye {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
        None => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("sockeye: {message}");
            ExitCode::FAILURE
        }
    }
}

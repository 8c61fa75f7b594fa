//! The one option of the peer echo servers, on clap like every command line here.

use std::net::SocketAddr;
use std::process::ExitCode;

/// The `main` of an echo server whose one option is `--listen ADDR` (default `default`):
/// parses it (clap: `--help`, errors naming the argument, exit 2), calls `run`, and prints
/// a failure on stderr after `name`.
#[allow(clippy::print_stderr)]
pub fn listen_main(
    name: &'static str,
    default: &'static str,
    run: impl FnOnce(SocketAddr) -> std::io::Result<()>,
) -> ExitCode {
    let matches = clap::Command::new(name)
        .about("A peer echo server for the end-to-end benchmark")
        .arg(
            clap::Arg::new("listen")
                .long("listen")
                .value_name("ADDR")
                .help("Address to listen on (port 0 picks a free port)")
                .value_parser(clap::value_parser!(SocketAddr))
                .default_value(default),
        )
        .get_matches();
    let Some(listen) = matches.get_one::<SocketAddr>("listen").copied() else {
        eprintln!("{name}: no --listen address");
        return ExitCode::FAILURE;
    };
    match run(listen) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}

//! The command line, declared with clap (derive): `--help` on every subcommand,
//! `--version`, errors that name the bad argument, exit status 2 for a usage error.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A WebSocket (RFC 6455, RFC 7692 permessage-deflate) echo server, command-line client,
/// conformance harness and load generator.
///
/// Exit status: 0 success; 1 the command failed (the cause on one line); 2 usage error;
/// 3 (connect) the server closed with a code other than 1000; 4 (connect) the connection
/// ended abnormally (no closing handshake, a protocol violation, a timeout).
#[derive(Debug, Parser)]
#[command(name = "sockeye", version, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Echo every message back, on any request path. Prints the URL it listens on; stops
    /// cleanly on Ctrl-C or SIGTERM (closing every connection with 1001, then exit 0).
    Echo(EchoArgs),
    /// Each line read from stdin becomes a message; every message received is printed on
    /// stdout, one per line. End of input closes the connection (1000).
    Connect(ConnectArgs),
    /// The conformance harness: the Autobahn|Testsuite's cases and verdicts against any
    /// server or client, with its reports.
    #[command(subcommand)]
    Conformance(sockeye_conformance::cli::Command),
    /// Load an echo server: connections each keeping messages in flight, every echo
    /// checked; prints messages per second and round-trip percentiles.
    Bench(BenchArgs),
    /// Print a shell completion script on stdout (e.g. `sockeye completions bash >
    /// /etc/bash_completion.d/sockeye`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// `sockeye echo` options.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub(crate) struct EchoArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:9001", value_name = "ADDR")]
    pub(crate) listen: SocketAddr,
    /// Event-loop threads [default: the number of CPUs].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) threads: Option<u16>,
    /// Largest message accepted, in bytes.
    #[arg(long, default_value_t = 16 << 20, value_name = "BYTES")]
    pub(crate) max_message: u64,
    /// Do not accept permessage-deflate (RFC 7692).
    #[arg(long)]
    pub(crate) no_compression: bool,
    /// zlib level of compressed messages, 0 (stored) to 9 (smallest) [default: 1, the
    /// fastest].
    #[arg(long, value_name = "0-9", value_parser = clap::value_parser!(u32).range(0..=9),
          conflicts_with = "no_compression")]
    pub(crate) compression_level: Option<u32>,
    /// Serve wss:// (TLS) with this certificate chain (PEM, the server's certificate
    /// first); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Log level on stderr: accepted and closed connections (debug), refusals and
    /// protocol violations (info), the connection limit (warn). `RUST_LOG` overrides it.
    #[arg(long, value_name = "LEVEL", default_value = "warn")]
    pub(crate) log: Level,
    /// Print the server's counters (ServerHandle::stats) on stderr at this interval, and
    /// once at shutdown.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) stats_every: Option<Duration>,
}

/// A log level for `--log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Level {
    /// Nothing.
    Off,
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warn,
    /// Refusals, protocol violations, TLS failures.
    Info,
    /// Every connection accepted, opened and closed.
    Debug,
    /// Everything.
    Trace,
}

impl Level {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
            Self::Trace => "trace",
        }
    }
}

/// `sockeye connect` options.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub(crate) struct ConnectArgs {
    /// The server, `ws://HOST:PORT/PATH` or `wss://HOST:PORT/PATH`.
    pub(crate) url: String,
    /// An extra request header, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
    pub(crate) headers: Vec<(String, String)>,
    /// The Origin header to send (what a browser sends; servers may check it).
    #[arg(long, value_name = "ORIGIN")]
    pub(crate) origin: Option<String>,
    /// Offer this subprotocol (repeatable, in order of preference).
    #[arg(long = "subprotocol", value_name = "NAME")]
    pub(crate) subprotocols: Vec<String>,
    /// Ping the server when nothing was received for this long (e.g. `30s`), and give
    /// the connection up if no pong follows within the same time.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub(crate) ping_interval: Option<Duration>,
    /// Send lines as binary messages.
    #[arg(long)]
    pub(crate) binary: bool,
    /// Largest message accepted from the server, in bytes (a larger one closes with 1009).
    #[arg(long, default_value_t = 16 << 20, value_name = "BYTES")]
    pub(crate) max_message: u64,
    /// Show the handshake (request and response heads) and each message and control
    /// frame on stderr.
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// wss://: trust the CA certificates of this PEM file as well as the system's.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca: Option<PathBuf>,
    /// Do not offer permessage-deflate (RFC 7692).
    #[arg(long)]
    pub(crate) no_compression: bool,
}

/// `-H 'Name: value'`.
fn parse_header(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| format!("`{s}`: expected `Name: value`"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("`{s}`: the header has no name"));
    }
    Ok((name.to_owned(), value.trim().to_owned()))
}

/// `sockeye bench` options.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub(crate) struct BenchArgs {
    /// The echo server, `ws://HOST:PORT/PATH` or `wss://HOST:PORT/PATH` (with --ca).
    pub(crate) url: String,
    /// Connections, opened before the measuring starts.
    #[arg(short, long, default_value_t = 100, value_name = "N")]
    pub(crate) connections: usize,
    /// Payload bytes per message.
    #[arg(short, long, default_value_t = 20, value_name = "BYTES")]
    pub(crate) size: usize,
    /// Messages in flight per connection (1: each waits for its echo).
    #[arg(short = 'd', long, default_value_t = 1, value_name = "N")]
    pub(crate) in_flight: usize,
    /// The measuring window (e.g. `10s`).
    #[arg(short = 't', long, default_value = "5s", value_name = "DURATION",
          value_parser = humantime::parse_duration)]
    pub(crate) duration: Duration,
    /// Load before measuring.
    #[arg(long, default_value = "1s", value_name = "DURATION",
          value_parser = humantime::parse_duration)]
    pub(crate) warmup: Duration,
    /// Payload contents: binary, ascii, utf8, chat or ticker (JSON; text messages).
    #[arg(long, default_value = "binary", value_name = "KIND")]
    pub(crate) kind: sockeye_load::Kind,
    /// Offer permessage-deflate; messages go compressed where the server accepts.
    #[arg(long)]
    pub(crate) deflate: bool,
    /// wss://: trust the CA certificates of this PEM file (needed for wss://).
    #[arg(long, value_name = "FILE")]
    pub(crate) ca: Option<PathBuf>,
    /// The server's process id: also report messages per server-CPU-second (from /proc).
    #[arg(long, value_name = "PID")]
    pub(crate) server_pid: Option<u32>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("sockeye").chain(args.iter().copied()))
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn echo_flags() {
        let Command::Echo(a) = parse(&[
            "echo",
            "--listen",
            "0.0.0.0:80",
            "--threads=2",
            "--max-message",
            "5",
            "--no-compression",
            "--log",
            "debug",
            "--stats-every",
            "2s",
        ])
        .unwrap()
        .command
        else {
            panic!("not echo")
        };
        assert_eq!(a.listen, "0.0.0.0:80".parse().unwrap());
        assert_eq!(
            (a.threads, a.max_message, a.no_compression, a.log),
            (Some(2), 5, true, Level::Debug)
        );
        assert_eq!(a.stats_every, Some(Duration::from_secs(2)));
        let Command::Echo(a) = parse(&["echo", "--compression-level", "6"])
            .unwrap()
            .command
        else {
            panic!("not echo")
        };
        assert_eq!(a.compression_level, Some(6));
        assert!(parse(&["echo", "--compression-level", "10"]).is_err());
        assert!(parse(&["echo", "--compression-level", "6", "--no-compression"]).is_err());
        let Command::Echo(a) = parse(&["echo", "--tls-cert", "c.pem", "--tls-key", "k.pem"])
            .unwrap()
            .command
        else {
            panic!("not echo")
        };
        assert_eq!(a.tls_cert.as_deref(), Some(std::path::Path::new("c.pem")));
        assert_eq!(a.tls_key.as_deref(), Some(std::path::Path::new("k.pem")));
        assert!(
            parse(&["echo", "--tls-cert", "c.pem"]).is_err(),
            "a key is needed"
        );
        assert!(
            parse(&["echo", "--tls-key", "k.pem"]).is_err(),
            "a certificate too"
        );
        assert!(parse(&["echo", "--threads", "0"]).is_err());
        assert!(parse(&["echo", "--listen"]).is_err());
        assert!(parse(&["echo", "--nope"]).is_err());
        assert!(parse(&["echo", "--log", "loud"]).is_err());
        let Command::Echo(a) = parse(&["echo"]).unwrap().command else {
            panic!("not echo")
        };
        assert_eq!(
            (a.max_message, a.no_compression, a.compression_level, a.log),
            (16 << 20, false, None, Level::Warn)
        );
    }

    #[test]
    fn connect_flags() {
        let Command::Connect(a) = parse(&[
            "connect",
            "ws://h/p",
            "--binary",
            "--subprotocol",
            "chat",
            "-H",
            "Authorization: Bearer x:y",
            "--header=X-A:1",
            "--origin",
            "https://example.com",
            "--ping-interval",
            "1500ms",
            "--max-message",
            "1024",
            "-v",
        ])
        .unwrap()
        .command
        else {
            panic!("not connect")
        };
        assert_eq!(a.url, "ws://h/p");
        assert!(a.binary && !a.no_compression && a.verbose);
        assert_eq!(a.subprotocols, ["chat"]);
        assert_eq!(
            a.headers,
            [
                ("Authorization".to_owned(), "Bearer x:y".to_owned()),
                ("X-A".to_owned(), "1".to_owned())
            ]
        );
        assert_eq!(a.origin.as_deref(), Some("https://example.com"));
        assert_eq!(a.ping_interval, Some(Duration::from_millis(1500)));
        assert_eq!(a.max_message, 1024);
        assert!(parse(&["connect"]).is_err());
        assert!(parse(&["connect", "a", "b"]).is_err());
        assert!(parse(&["connect", "ws://h/", "-H", "no colon"]).is_err());
        assert!(parse(&["connect", "ws://h/", "-H", ": empty name"]).is_err());
        assert!(parse(&["connect", "ws://h/", "--ping-interval", "soon"]).is_err());
    }

    #[test]
    fn bench_and_conformance_and_completions() {
        let Command::Bench(b) = parse(&["bench", "ws://127.0.0.1:1/", "-c", "3", "-d", "4"])
            .unwrap()
            .command
        else {
            panic!("not bench")
        };
        assert_eq!((b.connections, b.in_flight, b.size), (3, 4, 20));
        assert_eq!(b.duration, Duration::from_secs(5));
        assert!(matches!(
            parse(&["conformance", "server", "ws://h/", "--cases", "1.*"])
                .unwrap()
                .command,
            Command::Conformance(sockeye_conformance::cli::Command::Server { .. })
        ));
        assert!(parse(&["conformance", "nope"]).is_err());
        assert!(matches!(
            parse(&["completions", "bash"]).unwrap().command,
            Command::Completions { .. }
        ));
        assert!(parse(&["completions", "cmd.exe"]).is_err());
    }
}

//! The command line, declared with clap (derive): `--help` on every subcommand,
//! `--version`, errors that name the bad argument, exit status 2 for a usage error.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand};

/// A WebSocket (RFC 6455, RFC 7692 permessage-deflate) echo server and command-line client.
#[derive(Debug, Parser)]
#[command(name = "sockeye", version, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Echo every message back, on any request path. Prints the URL it listens on; stops
    /// cleanly on Ctrl-C or SIGTERM (closing every connection with 1001).
    Echo(EchoArgs),
    /// Each line read from stdin becomes a message; every message received is printed on
    /// stdout, one per line. End of input closes the connection (1000).
    Connect(ConnectArgs),
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
    pub(crate) tls_cert: Option<std::path::PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<std::path::PathBuf>,
}

/// `sockeye connect` options.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub(crate) struct ConnectArgs {
    /// The server, `ws://HOST:PORT/PATH` or `wss://HOST:PORT/PATH`.
    pub(crate) url: String,
    /// wss://: trust the CA certificates of this PEM file as well as the system's.
    #[arg(long, value_name = "FILE")]
    pub(crate) ca: Option<std::path::PathBuf>,
    /// Send lines as binary messages.
    #[arg(long)]
    pub(crate) binary: bool,
    /// Offer this subprotocol (repeatable, in order of preference).
    #[arg(long = "subprotocol", value_name = "NAME")]
    pub(crate) subprotocols: Vec<String>,
    /// Do not offer permessage-deflate (RFC 7692).
    #[arg(long)]
    pub(crate) no_compression: bool,
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
        ])
        .unwrap()
        .command
        else {
            panic!("not echo")
        };
        assert_eq!(a.listen, "0.0.0.0:80".parse().unwrap());
        assert_eq!(
            (a.threads, a.max_message, a.no_compression),
            (Some(2), 5, true)
        );
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
        let Command::Echo(a) = parse(&["echo"]).unwrap().command else {
            panic!("not echo")
        };
        assert_eq!(
            (a.max_message, a.no_compression, a.compression_level),
            (16 << 20, false, None)
        );
    }

    #[test]
    fn connect_flags() {
        let Command::Connect(a) =
            parse(&["connect", "ws://h/p", "--binary", "--subprotocol", "chat"])
                .unwrap()
                .command
        else {
            panic!("not connect")
        };
        assert_eq!(a.url, "ws://h/p");
        assert!(a.binary && !a.no_compression);
        assert_eq!(a.subprotocols, ["chat"]);
        assert!(parse(&["connect"]).is_err());
        assert!(parse(&["connect", "a", "b"]).is_err());
    }
}

//! The servers under test: the built-in table, external peers, and how each is started
//! (pinned to CPU 0, with a raised open-file limit) and stopped (SIGKILL, by PID).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use sockeye_benches::load::Protocol;

/// One server under test.
pub(crate) struct Server {
    pub(crate) id: String,
    pub(crate) label: String,
    /// A program in the binaries' directory, or a path.
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<String>,
    pub(crate) protocol: Protocol,
    /// Passed `--whole SIZE` (the scenario's message size).
    pub(crate) whole: bool,
    /// Run unless `--servers` says otherwise.
    pub(crate) default: bool,
    /// Negotiates permessage-deflate, so it runs the compressed scenarios.
    pub(crate) deflate: bool,
    /// Which scenarios it runs: plain, TLS (given `--tls-cert FILE --tls-key FILE`), or both.
    pub(crate) tls: Tls,
    /// The CPUs it is pinned to: `0` for every single-threaded server; `0,1` for the
    /// two-thread Sockeye, which then shares CPU 1 with the load generator.
    pub(crate) cpus: &'static str,
}

/// A server's TLS support.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tls {
    /// Plain scenarios only.
    No,
    /// Both: TLS scenarios with `--tls-cert FILE --tls-key FILE`.
    Yes,
    /// TLS scenarios only.
    Only,
}

/// The built-in servers that serve TLS when given a certificate, and those that serve
/// nothing else.
const TLS: &[&str] = &["sockeye", "tungstenite", "tokio"];
const TLS_ONLY: &[&str] = &["rustls"];

/// The built-in servers that negotiate permessage-deflate (the others decline the offer,
/// so a compressed scenario would measure them uncompressed under a compressed label).
const DEFLATE: &[&str] = &["sockeye"];

/// The servers this crate builds (and the `sockeye` binary), as (id, label, program,
/// args, protocol, whole, default).
type Builtin = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    Protocol,
    bool,
    bool,
);

const BUILTIN: &[Builtin] = &[
    (
        "sockeye",
        "Sockeye",
        "sockeye",
        &["echo", "--threads", "1"],
        Protocol::WebSocket,
        false,
        true,
    ),
    (
        "raw",
        "raw TCP echo",
        "echo-raw",
        &[],
        Protocol::Raw,
        false,
        true,
    ),
    (
        "fastws",
        "fastwebsockets",
        "echo-fastws",
        &[],
        Protocol::WebSocket,
        false,
        true,
    ),
    (
        "tungstenite",
        "tokio-tungstenite",
        "echo-tungstenite",
        &[],
        Protocol::WebSocket,
        false,
        true,
    ),
    (
        "rustls",
        "bare rustls TLS echo",
        "echo-rustls",
        &[],
        Protocol::Raw,
        false,
        true,
    ),
    (
        "tungstenite-4k",
        "tokio-tungstenite, 4 KiB read buffer",
        "echo-tungstenite",
        &["--read-buffer", "4096"],
        Protocol::WebSocket,
        false,
        true,
    ),
    (
        "tokio-websockets",
        "tokio-websockets",
        "echo-tokio-websockets",
        &[],
        Protocol::WebSocket,
        false,
        true,
    ),
    // sockeye-tokio's examples (not built by `--bins`: `cargo build --release -p
    // sockeye-tokio --examples`), so not run unless named in `--servers`.
    (
        "tokio",
        "Sockeye on tokio",
        "examples/tokio-echo",
        &[],
        Protocol::WebSocket,
        false,
        false,
    ),
    (
        "tokio-raw",
        "bare tokio TCP echo",
        "examples/tokio-tcp-echo",
        &[],
        Protocol::Raw,
        false,
        false,
    ),
    // Two event loops over both cores (the load generator keeps CPU 1 too: this machine
    // has two), against the one-thread server; not run unless named in `--servers`.
    (
        "sockeye-t2",
        "Sockeye, 2 threads on 2 cores",
        "sockeye",
        &["echo", "--threads", "2"],
        Protocol::WebSocket,
        false,
        false,
    ),
    (
        "raw-whole",
        "raw TCP echo, whole messages",
        "echo-raw",
        &[],
        Protocol::Raw,
        true,
        false,
    ),
];

/// An external echo server (`--peer`, `--plain-peer`).
pub(crate) struct Peer {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
    pub(crate) args: Vec<String>,
    /// `--peer`: taken to compress, so one that declines permessage-deflate fails the
    /// compressed scenarios, by name, instead of being measured uncompressed.
    /// `--plain-peer`: left out of them.
    pub(crate) deflate: bool,
}

/// The built-in servers, then every peer (an external WebSocket echo server that takes
/// `--listen 127.0.0.1:0` after its arguments and prints its `ws://` address on its first
/// line).
pub(crate) fn servers(peers: Vec<Peer>) -> Vec<Server> {
    let builtin =
        BUILTIN.iter().map(
            |&(id, label, program, args, protocol, whole, default)| Server {
                id: id.into(),
                label: label.into(),
                program: program.into(),
                args: args.iter().map(|a| (*a).to_owned()).collect(),
                protocol,
                whole,
                default,
                deflate: DEFLATE.contains(&id),
                tls: if TLS_ONLY.contains(&id) {
                    Tls::Only
                } else if TLS.contains(&id) {
                    Tls::Yes
                } else {
                    Tls::No
                },
                cpus: if id == "sockeye-t2" { "0,1" } else { "0" },
            },
        );
    let external = peers.into_iter().map(|peer| Server {
        label: format!("{} (external)", peer.name),
        id: peer.name,
        program: peer.path,
        args: peer.args,
        protocol: Protocol::WebSocket,
        whole: false,
        default: true,
        deflate: peer.deflate,
        tls: Tls::No,
        cpus: "0",
    });
    builtin.chain(external).collect()
}

/// How child processes are started: pinned to a CPU, with a raised open-file limit.
pub(crate) struct Launcher {
    pub(crate) taskset: bool,
    /// `prlimit --nofile=N:N`, when `prlimit` exists.
    pub(crate) nofile: Option<u64>,
}

impl Launcher {
    /// `program` pinned to `cpus` (a `taskset -c` list: `0`, `0,1`).
    pub(crate) fn command(&self, cpus: &str, program: &Path) -> Command {
        let mut argv: Vec<String> = Vec::new();
        if let Some(n) = self.nofile {
            argv.push("prlimit".into());
            argv.push(format!("--nofile={n}:{n}"));
        }
        if self.taskset {
            argv.push("taskset".into());
            argv.push("-c".into());
            argv.push(cpus.to_owned());
        }
        // prlimit and taskset exec the program: the child's PID is the program's.
        let mut command = match argv.first() {
            Some(first) => {
                let mut c = Command::new(first);
                c.args(&argv[1..]).arg(program);
                c
            }
            None => Command::new(program),
        };
        command.stdin(Stdio::null());
        command
    }
}

/// A running server; killed (SIGKILL, by PID) and reaped on drop.
pub(crate) struct ServerProcess {
    child: Child,
    pub(crate) addr: SocketAddr,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address in a server's first line: what follows `://`, up to a space or `/`.
fn address_in(line: &str) -> Option<SocketAddr> {
    let rest = &line[line.find("://")? + 3..];
    let end = rest.find([' ', '/']).unwrap_or(rest.len());
    rest[..end].parse().ok()
}

impl ServerProcess {
    pub(crate) fn start(
        launcher: &Launcher,
        bin_dir: &Path,
        server: &Server,
        extra: &[String],
    ) -> Result<Self, String> {
        let mut command = launcher.command(server.cpus, &bin_dir.join(&server.program));
        command
            .args(&server.args)
            .args(extra)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command
            .spawn()
            .map_err(|e| format!("start {}: {e}", server.program.display()))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("no stdout".into());
        };
        let (tx, rx) = mpsc::channel();
        // Reads the first line, then drains the rest so the server never blocks on a
        // full pipe; ends at EOF, when the server is gone.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let mut process = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let line = match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Some(Ok(line))) => line,
            _ => return Err(format!("{} printed no address", server.id)),
        };
        process.addr =
            address_in(&line).ok_or_else(|| format!("{}: no address in `{line}`", server.id))?;
        Ok(process)
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

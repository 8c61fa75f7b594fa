//! What every interop test shares: finding the peers (installed by
//! `.ci/interop-setup.sh` under `target/interop`), the skip-or-fail policy, child
//! processes that are always stopped (by PID, in `Drop`, even on panic) and never waited
//! on without a deadline, and an in-process server whose handler records what it saw.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;
use std::time::{Duration, Instant};

use sockeye_server::{
    Accept, CloseCode, Closed, ConnId, Context, Handler, Message, Refusal, Request, Server,
    ServerConfig,
};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where `.ci/interop-setup.sh` installs the peers: `target/interop` (the venv shared
/// with `crates/client/tests/interop_python.rs`, `node/node_modules/ws`), or
/// `$SOCKEYE_INTEROP_DIR`.
pub fn interop_dir() -> PathBuf {
    std::env::var_os("SOCKEYE_INTEROP_DIR")
        .map_or_else(|| root().join("target/interop"), PathBuf::from)
}

/// A script or page in `crates/server/tests/interop/`.
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(name)
}

/// A missing peer: a failure under `CI=true`, a notice (and `None`) otherwise.
pub fn missing<T>(peer: &str, why: &str) -> Option<T> {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: the {peer} interop test cannot be skipped: {why} \
         (install the peers with `bash .ci/interop-setup.sh`)"
    );
    eprintln!(
        "NOTICE: skipping the {peer} interop test: {why}. \
         Install the peers with `bash .ci/interop-setup.sh` (CI=true makes this a failure)."
    );
    None
}

fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The venv's Python, if it can import `module`.
pub fn python_with(module: &str) -> Option<PathBuf> {
    let python = interop_dir().join("venv/bin/python");
    if !python.exists() {
        return missing(
            &format!("Python {module}"),
            &format!("no venv at {}", python.display()),
        );
    }
    if !succeeds(Command::new(&python).args(["-c", &format!("import {module}")])) {
        return missing(
            &format!("Python {module}"),
            &format!("`import {module}` fails in {}", python.display()),
        );
    }
    Some(python)
}

/// `node`, and the `node_modules` holding `ws` (for `NODE_PATH`).
pub fn node_with_ws() -> Option<(PathBuf, PathBuf)> {
    let modules = interop_dir().join("node/node_modules");
    if !succeeds(Command::new("node").arg("--version")) {
        return missing("Node ws", "no `node` on PATH");
    }
    if !modules.join("ws/package.json").exists() {
        return missing(
            "Node ws",
            &format!("no ws package in {}", modules.display()),
        );
    }
    Some((PathBuf::from("node"), modules))
}

/// The Chromium binary: `$CHROMIUM`, else `chromium` or `chromium-browser` on PATH.
pub fn chromium() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match std::env::var_os("CHROMIUM") {
        Some(c) => vec![c.into()],
        None => vec!["chromium".into(), "chromium-browser".into()],
    };
    for c in &candidates {
        if succeeds(Command::new(c).arg("--version")) {
            return Some(c.clone());
        }
    }
    missing(
        "headless Chromium",
        &format!("none of {candidates:?} runs (set $CHROMIUM to override)"),
    )
}

/// A child process that is killed (by its PID, through `Child`) and reaped however the
/// test ends. With `group` (a browser and its helper processes), the child leads its own
/// process group: it gets SIGTERM first, and if it has not exited within 5 s the whole
/// group gets SIGKILL.
pub struct Proc {
    child: Child,
    group: bool,
}

impl Proc {
    /// Starts `cmd` with piped stdout and stderr.
    pub fn spawn(mut cmd: Command, group: bool) -> Self {
        if group {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        Self { child, group }
    }

    /// Its stdout as lines on a channel (read by a thread, so the pipe never fills).
    pub fn stdout_lines(&mut self) -> Receiver<String> {
        let stdout = self.child.stdout.take().expect("stdout already taken");
        let (tx, rx) = channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        rx
    }

    /// Its stderr, collected by a thread until the pipe closes.
    pub fn stderr_text(&mut self) -> StderrText {
        let mut stderr = self.child.stderr.take().expect("stderr already taken");
        let (tx, rx) = channel();
        thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            let _ = tx.send(s);
        });
        StderrText(rx)
    }

    /// Waits for the exit, at most `timeout`.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= until {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal_group(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A child's stderr being collected.
pub struct StderrText(Receiver<String>);

impl StderrText {
    /// All of it, once the pipe has closed (at most 5 s after the call: a helper process
    /// that inherited the pipe cannot make a failing test hang).
    pub fn get(self) -> String {
        self.0
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_else(|_| "(stderr still open after 5 s)".to_owned())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.group && matches!(self.child.try_wait(), Ok(None)) {
            // SIGTERM to the leader alone: a browser then stops its helpers and reaps them.
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            if self.wait_timeout(Duration::from_secs(5)).is_some() {
                return;
            }
            // Still running: SIGKILL the whole group, while the unreaped leader keeps its
            // process-group id from being reused.
            self.signal_group("-KILL");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a client script to completion (at most `timeout`) and returns its last stdout
/// line parsed as JSON. Panics with the script's output if it times out, fails, or prints
/// no JSON.
pub fn run_json_script(cmd: Command, timeout: Duration) -> serde_json::Value {
    let what = format!("{cmd:?}");
    let mut proc = Proc::spawn(cmd, false);
    let lines = proc.stdout_lines();
    let stderr = proc.stderr_text();
    let status = proc.wait_timeout(timeout);
    drop(proc); // kills it if it is still running, which closes its pipes
    // Until the pipe closes, at most 5 s (a grandchild could hold it open).
    let until = Instant::now() + Duration::from_secs(5);
    let mut out = Vec::new();
    while let Ok(line) = lines.recv_timeout(until.saturating_duration_since(Instant::now())) {
        out.push(line);
    }
    let err = stderr.get();
    let status =
        status.unwrap_or_else(|| panic!("{what} timed out after {timeout:?}\n{out:?}\n{err}"));
    assert!(
        status.success(),
        "{what} failed: {status}\nstdout: {out:?}\nstderr: {err}"
    );
    let last = out.last().map(String::as_str).unwrap_or("");
    serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("{what}: no JSON result ({e})\nstdout: {out:?}\nstderr: {err}"))
}

/// What the recording handler saw, in order.
#[derive(Debug, Clone)]
pub enum Seen {
    /// An accepted handshake.
    Open {
        id: ConnId,
        path: String,
        protocols: Vec<String>,
        origin: Option<String>,
    },
    /// A ping from the client.
    Ping { id: ConnId, payload: Vec<u8> },
    /// The connection ended.
    Closed { id: ConnId, closed: Closed },
}

/// The close code and reason the server sends when asked with `ctl:close-me` (through a
/// [`ServerHandle`](sockeye_server::ServerHandle), from another thread).
pub const HANDLE_CLOSE: (u16, &str) = (4001, "closed through the handle ✓");
/// The close code and reason the server sends for `cmd:close` (from the callback).
pub const CALLBACK_CLOSE: (u16, &str) = (4002, "closed by the handler");
/// The payload of the ping the server sends for `cmd:ping`.
pub const SERVER_PING: &[u8] = b"sockeye-ping";

/// An echo handler that records what it sees and obeys a few commands:
///
/// - it accepts the subprotocol `chat` when offered;
/// - `cmd:ping`: sends a ping ([`SERVER_PING`]); each pong is answered with the text
///   `pong:<payload>`;
/// - `cmd:close`: closes from the callback ([`CALLBACK_CLOSE`]);
/// - `ctl:close-me`: a new thread closes this connection through the
///   [`ServerHandle`](sockeye_server::ServerHandle) ([`HANDLE_CLOSE`]);
/// - `ctl:shutdown`: a new thread shuts the server down (close 1001 to everyone);
/// - anything else is echoed.
pub struct Recorder {
    seen: Sender<Seen>,
}

impl Recorder {
    fn record(&self, seen: Seen) {
        let _ = self.seen.send(seen);
    }
}

impl Handler for Recorder {
    type State = ();

    fn on_open(&self, request: &Request, id: ConnId) -> Result<((), Accept), Refusal> {
        let protocols = request.protocols().to_vec();
        let mut accept = Accept::new();
        if protocols.iter().any(|p| p == "chat") {
            accept = accept.protocol("chat").expect("a valid token");
        }
        self.record(Seen::Open {
            id,
            path: request.path().to_owned(),
            protocols,
            origin: request.origin().map(str::to_owned),
        });
        Ok(((), accept))
    }

    fn on_message(&self, cx: &mut Context<'_>, _: &mut (), message: Message<'_>) {
        let status = match message {
            Message::Text("cmd:ping") => cx.ping(SERVER_PING),
            Message::Text("cmd:close") => {
                let (code, reason) = CALLBACK_CLOSE;
                assert!(cx.close(CloseCode::new(code), reason));
                return;
            }
            Message::Text("ctl:close-me") => {
                let (handle, id) = (cx.handle().clone(), cx.id());
                thread::spawn(move || {
                    let (code, reason) = HANDLE_CLOSE;
                    handle.close(id, CloseCode::new(code), reason).unwrap();
                });
                return;
            }
            Message::Text("ctl:shutdown") => {
                let handle = cx.handle().clone();
                thread::spawn(move || handle.shutdown(Duration::from_secs(2)));
                return;
            }
            Message::Text(t) => cx.send_text(t),
            Message::Binary(b) => cx.send_binary(b),
        };
        assert!(
            matches!(
                status,
                sockeye_server::SendStatus::Queued
                    | sockeye_server::SendStatus::QueuedAboveHighWater
            ),
            "send refused: {status:?}"
        );
    }

    fn on_ping(&self, cx: &mut Context<'_>, _: &mut (), payload: &[u8]) {
        self.record(Seen::Ping {
            id: cx.id(),
            payload: payload.to_vec(),
        });
    }

    fn on_pong(&self, cx: &mut Context<'_>, _: &mut (), payload: &[u8]) {
        let text = format!("pong:{}", String::from_utf8_lossy(payload));
        let _ = cx.send_text(&text);
    }

    fn on_close(&self, id: ConnId, _: (), closed: Closed) {
        self.record(Seen::Closed { id, closed });
    }
}

/// Our server (two event-loop threads, loopback, port 0) running a [`Recorder`]; shut
/// down when dropped.
pub struct TestServer {
    server: Option<Server>,
    seen: Receiver<Seen>,
    scheme: &'static str,
}

impl TestServer {
    pub fn start() -> Self {
        Self::start_on(None)
    }

    /// As [`start`](Self::start), serving `wss://` with `tls` when given.
    pub fn start_on(tls: Option<sockeye_server::tls::TlsServerConfig>) -> Self {
        let mut config = ServerConfig::default();
        config.threads = 2;
        let scheme = if tls.is_some() { "wss" } else { "ws" };
        config.tls = tls;
        let (tx, rx) = channel();
        let server = Server::bind(
            "127.0.0.1:0".parse().unwrap(),
            config,
            Recorder { seen: tx },
        )
        .unwrap();
        Self {
            server: Some(server),
            seen: rx,
            scheme,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.as_ref().unwrap().local_addr()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{}", self.scheme, self.addr(), path)
    }

    /// Everything seen so far, waiting until `closes` connections have ended (at most
    /// 5 s: a connection the server still holds open is a failure).
    pub fn seen(&self, closes: usize) -> Vec<Seen> {
        let until = Instant::now() + Duration::from_secs(5);
        let mut all = Vec::new();
        let mut closed = 0;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.seen.recv_timeout(if closed >= closes {
                Duration::ZERO
            } else {
                left
            }) {
                Ok(s) => {
                    closed += usize::from(matches!(s, Seen::Closed { .. }));
                    all.push(s);
                }
                // Disconnected: the server shut down and dropped its handler.
                Err(_) if closed >= closes => return all,
                Err(e) => panic!("{closed} of {closes} connections ended ({e:?}); seen {all:?}"),
            }
        }
    }

    /// The connection that opened with `path` (exactly one).
    pub fn conn(seen: &[Seen], path: &str) -> ConnId {
        let ids: Vec<ConnId> = seen
            .iter()
            .filter_map(|s| match s {
                Seen::Open { id, path: p, .. } if p == path => Some(*id),
                _ => None,
            })
            .collect();
        assert_eq!(ids.len(), 1, "connections on {path}: {seen:?}");
        ids[0]
    }

    /// How the connection `id` ended.
    pub fn closed(seen: &[Seen], id: ConnId) -> Closed {
        seen.iter()
            .find_map(|s| match s {
                Seen::Closed { id: i, closed } if *i == id => Some(closed.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no on_close for {id:?}: {seen:?}"))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown(Duration::from_secs(1));
        }
    }
}

/// The test payloads: `len` bytes, the same pattern the scripts generate.
pub fn binary_of(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// The message sizes every peer sends: each length encoding (7-bit, 16-bit, 64-bit) at
/// its edges, and 1 MiB.
pub const SIZES: [usize; 8] = [0, 1, 125, 126, 127, 65535, 65536, 1 << 20];

//! What the interop tests share: finding the peers (installed by `.ci/interop-setup.sh`
//! under `target/interop`; a missing peer skips the test with a notice, or fails it under
//! `CI=true`), child processes stopped by PID however the test ends, and the tokio server
//! the peers talk to.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::thread;
use std::time::{Duration, Instant};

use sockeye_tokio::{Accept, Bytes, CloseCode, CloseFrame, Message, Request};

/// Message sizes every peer sends, as text and as binary: around the frame length
/// encodings (125/126, 65535/65536) and a large one.
pub const SIZES: &[usize] = &[0, 1, 125, 126, 127, 65_535, 65_536, 1_000_000];
/// What the server sends for `cmd:close`.
pub const SERVER_CLOSE: (u16, &str) = (4001, "bye from tokio ✓");
/// The payload of the ping the server sends for `cmd:ping`.
pub const SERVER_PING: &[u8] = b"tokio-ping";

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn interop_dir() -> PathBuf {
    std::env::var_os("SOCKEYE_INTEROP_DIR")
        .map_or_else(|| root().join("target/interop"), PathBuf::from)
}

/// A script or page next to this file.
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(name)
}

/// A missing peer: a failure under `CI=true`, a notice (and `None`) otherwise.
pub fn missing<T>(peer: &str, why: &str) -> Option<T> {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: the {peer} interop test cannot be skipped: {why} (install the peers with `bash .ci/interop-setup.sh`)"
    );
    eprintln!(
        "NOTICE: skipping the {peer} interop test: {why}. Install the peers with `bash .ci/interop-setup.sh`."
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
    if !succeeds(Command::new("node").arg("--version")) || !modules.join("ws/package.json").exists()
    {
        return missing(
            "Node ws",
            &format!("no `node`, or no ws in {}", modules.display()),
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
    candidates
        .into_iter()
        .find(|c| succeeds(Command::new(c).arg("--version")))
        .or_else(|| missing("headless Chromium", "no chromium on PATH (set $CHROMIUM)"))
}

/// A child process killed (by its PID, through `Child`) and reaped however the test
/// ends; with `group` (a browser and its helpers) it leads its own process group, gets
/// SIGTERM first and, if still there after 5 s, the group gets SIGKILL.
pub struct Proc {
    child: Child,
    group: bool,
}

impl Proc {
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

    /// Stdout as lines on a channel, stderr as one string once the pipe closes.
    pub fn output(&mut self) -> (Receiver<String>, Receiver<String>) {
        let stdout = self.child.stdout.take().expect("stdout");
        let mut stderr = self.child.stderr.take().expect("stderr");
        let (lines, line_rx) = channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let (text, text_rx) = channel();
        thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            let _ = text.send(s);
        });
        (line_rx, text_rx)
    }

    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
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
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.group && matches!(self.child.try_wait(), Ok(None)) {
            let pid = self.child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            if self.wait_timeout(Duration::from_secs(5)).is_some() {
                return;
            }
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a client script to completion (at most `timeout`): its last stdout line as JSON.
pub fn run_json_script(cmd: Command, timeout: Duration) -> serde_json::Value {
    let what = format!("{cmd:?}");
    let mut proc = Proc::spawn(cmd, false);
    let (lines, stderr) = proc.output();
    let status = proc.wait_timeout(timeout);
    drop(proc);
    let out: Vec<String> = lines.iter().collect();
    let err = stderr
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_default();
    let status = status.unwrap_or_else(|| panic!("{what} timed out\n{out:?}\n{err}"));
    assert!(status.success(), "{what} failed: {status}\n{out:?}\n{err}");
    let last = out.last().map_or("", String::as_str);
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{what}: no JSON ({e})\n{out:?}\n{err}"))
}

/// Asserts every echo a peer reported: same kind, same length, same content.
pub fn assert_echoes(echoes: &serde_json::Value, expected: usize) {
    let echoes = echoes.as_array().expect("an echoes array");
    assert_eq!(echoes.len(), expected, "{echoes:?}");
    for e in echoes {
        assert_eq!(
            (&e["got_kind"], &e["got_len"], &e["equal"]),
            (&e["kind"], &e["len"], &true.into()),
            "{e}"
        );
    }
}

/// The tokio server the peers talk to, for the whole test process: it accepts the
/// subprotocol `chat` when offered, echoes text and binary, and obeys `cmd:ping` (sends
/// [`SERVER_PING`]; each pong is answered with the text `pong:<payload>`) and `cmd:close`
/// (closes with [`SERVER_CLOSE`]). Its `ws://` URL.
pub fn server() -> String {
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        let (tx, rx) = channel();
        thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                loop {
                    let (stream, _) = listener.accept().await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    tokio::spawn(serve(stream));
                }
            });
        });
        format!("ws://{}", rx.recv().unwrap())
    })
    .clone()
}

async fn serve(stream: tokio::net::TcpStream) {
    let choose = |request: &Request| {
        let chat = request.protocols().iter().any(|p| p == "chat");
        Ok(if chat {
            Accept::new().protocol("chat").unwrap()
        } else {
            Accept::new()
        })
    };
    let Ok(mut ws) = sockeye_tokio::accept_hdr(stream, choose).await else {
        return;
    };
    while let Some(item) = ws.recv().await {
        let reply = match item {
            Ok(Message::Text(t)) if t == "cmd:ping" => {
                Message::Ping(Bytes::from_static(SERVER_PING))
            }
            Ok(Message::Text(t)) if t == "cmd:close" => {
                let (code, reason) = SERVER_CLOSE;
                let frame = CloseFrame {
                    code: CloseCode::new(code),
                    reason: reason.into(),
                };
                let _ = ws.close(Some(frame)).await;
                continue;
            }
            Ok(Message::Pong(p)) => Message::text(format!("pong:{}", String::from_utf8_lossy(&p))),
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => message,
            _ => continue,
        };
        let _ = ws.feed(reply).await;
    }
}

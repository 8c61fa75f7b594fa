//! Interop: our client against the Python `websockets` library's echo server (a peer no
//! one here wrote).
//!
//! The library lives in the virtual environment `bash .ci/interop-setup.sh` creates
//! (`target/interop/venv`, or under `$SOCKEYE_INTEROP_DIR`); tests never install anything.
//! When it is missing the test is skipped with a notice, unless the environment variable
//! `CI` is `true`: then it fails.
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stderr)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::thread;
use std::time::Duration;

use sockeye_client::{ClientBuilder, Message};
use sockeye_proto::CloseCode;

const SERVER: &str = r#"
import sys
from websockets.sync.server import serve

def echo(ws):
    for message in ws:
        ws.send(message)

with serve(echo, "127.0.0.1", 0, subprotocols=["chat"], max_size=None) as server:
    print(server.socket.getsockname()[1], flush=True)
    server.serve_forever()
"#;

/// Kills the server process (by its PID, through `Child`) however the test ends.
struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn quiet(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The venv's python with `websockets` importable.
fn python() -> Result<PathBuf, String> {
    let dir = std::env::var_os("SOCKEYE_INTEROP_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/interop"),
        PathBuf::from,
    );
    let python = dir.join("venv/bin/python");
    if python.exists() && quiet(Command::new(&python).args(["-c", "import websockets"])) {
        Ok(python)
    } else {
        Err(format!(
            "no Python websockets at {}: run `bash .ci/interop-setup.sh`",
            python.display()
        ))
    }
}

fn start_server() -> Option<(ServerProcess, u16)> {
    let python = match python() {
        Ok(p) => p,
        Err(why) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true: the Python websockets interop test cannot be skipped: {why}"
            );
            eprintln!("NOTICE: skipping the Python websockets interop test: {why}");
            return None;
        }
    };
    let mut child = Command::new(python)
        .args(["-c", SERVER])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let guard = ServerProcess(child);
    let (tx, rx) = channel();
    thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the Python server did not print its port");
    let port = line.trim().parse().expect("a port number");
    Some((guard, port))
}

#[test]
fn echo_against_python_websockets_server() {
    let Some((_server, port)) = start_server() else {
        return;
    };
    let url = format!("ws://127.0.0.1:{port}/echo");
    let mut ws = ClientBuilder::new()
        .protocol("chat")
        .read_timeout(Some(Duration::from_secs(10)))
        .connect(&url)
        .unwrap();
    assert_eq!(ws.protocol(), Some("chat"));

    for len in [0, 1, 125, 126, 65535, 65536, 1 << 20] {
        let text: String = (0..len)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        ws.send_text(&text).unwrap();
        assert_eq!(ws.recv().unwrap(), Message::Text(text));
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        ws.send_binary(&data).unwrap();
        assert_eq!(ws.recv().unwrap(), Message::Binary(data));
    }
    ws.send_text("ünïcødé 🦀").unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Text("ünïcødé 🦀".into()));
    ws.ping(b"are you there").unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Pong(b"are you there".to_vec()));

    ws.close(CloseCode::NORMAL, "bye").unwrap();
    assert_eq!(ws.peer_close().map(|(c, _)| c), Some(CloseCode::NORMAL));
    assert!(ws.is_closed());
}

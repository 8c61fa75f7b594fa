//! The `sockeye` binary as a user runs it: processes started here are stopped by PID.

mod common;

use std::io::{BufRead, BufReader, Write};

use common::{Guard, first_url, sockeye, wait_exit};
use std::process::{Command, Stdio};
use std::time::Duration;

use sockeye_client::{Message, connect};
use sockeye_server::{CloseCode, Echo, Server, ServerConfig};

/// Serves, then stops on `signal`: every connection gets 1001 (going away), exit 0.
fn echo_serves_then_stops_cleanly_on(signal: &str) {
    let child = sockeye()
        .args(["echo", "--listen", "127.0.0.1:0", "--threads", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = Guard(child);
    let (url, _stdout) = first_url(&mut guard, "ws://");

    let mut ws = connect(&format!("{url}/any")).unwrap();
    ws.send_text("hello").unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Text("hello".into()));
    let big = vec![7u8; 1 << 20];
    ws.send_binary(&big).unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Binary(big));

    let status = Command::new("kill")
        .args([signal, &guard.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    match ws.recv().unwrap() {
        Message::Close { code, .. } => assert_eq!(code, CloseCode::GOING_AWAY),
        other => panic!("expected close, got {other:?}"),
    }
    let status =
        wait_exit(&mut guard.0, Duration::from_secs(10)).unwrap_or_else(|| panic!("{signal}"));
    assert!(status.success(), "{status:?}");
}

#[test]
fn echo_serves_then_stops_cleanly_on_ctrl_c() {
    echo_serves_then_stops_cleanly_on("-INT");
}

/// What systemd, Docker and Kubernetes send: the same drain as Ctrl-C.
#[test]
fn echo_serves_then_stops_cleanly_on_sigterm() {
    echo_serves_then_stops_cleanly_on("-TERM");
}

#[test]
fn echo_reports_an_address_in_use_and_exits_non_zero() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = sockeye()
        .args(["echo", "--listen", &addr])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot listen on") && stderr.contains(&addr),
        "{stderr}"
    );
}

#[test]
fn bad_arguments_exit_non_zero_with_usage() {
    let output = sockeye()
        .args(["echo", "--threads", "zero"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let output = sockeye().output().unwrap();
    assert!(!output.status.success());
    assert_eq!(output.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&output.stderr).contains("Usage"));
    let output = sockeye().arg("--help").output().unwrap();
    assert!(output.status.success());
}

/// An in-process echo server and `sockeye connect` to it, with stdin and stdout piped.
fn echo_server_and_connect() -> (Server, Guard) {
    let mut config = ServerConfig::default();
    config.threads = 1;
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), config, Echo).unwrap();
    let url = format!("ws://{}/", server.local_addr());
    let child = sockeye()
        .args(["connect", &url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (server, Guard(child))
}

#[test]
fn connect_turns_stdin_lines_into_messages_and_prints_replies() {
    let (server, mut guard) = echo_server_and_connect();
    let mut stdin = guard.0.stdin.take().unwrap();
    stdin.write_all("hello\nwörld\n".as_bytes()).unwrap();
    let mut stdout = BufReader::new(guard.0.stdout.take().unwrap());
    let mut first = String::new();
    let mut second = String::new();
    stdout.read_line(&mut first).unwrap();
    stdout.read_line(&mut second).unwrap();
    assert_eq!((first.as_str(), second.as_str()), ("hello\n", "wörld\n"));
    drop(stdin); // end of input: closes with 1000
    let status = wait_exit(&mut guard.0, Duration::from_secs(10)).expect("exits at end of input");
    assert!(status.success(), "{status:?}");
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn connect_prints_replies_that_arrive_after_the_end_of_input() {
    // `printf 'a\nb\n' | sockeye connect URL`: input ends before any echo is back; the
    // echoes must still be printed before the closing handshake ends the program.
    let (server, mut guard) = echo_server_and_connect();
    let mut stdin = guard.0.stdin.take().unwrap();
    stdin.write_all(b"first\nsecond\nthird\n").unwrap();
    drop(stdin);
    let status = wait_exit(&mut guard.0, Duration::from_secs(10)).expect("exits");
    assert!(status.success(), "{status:?}");
    let mut out = String::new();
    std::io::Read::read_to_string(&mut guard.0.stdout.take().unwrap(), &mut out).unwrap();
    assert_eq!(out, "first\nsecond\nthird\n");
    server.shutdown(Duration::from_secs(1));
}

/// `sockeye echo --tls-cert --tls-key` serves wss:// and says so; `sockeye connect
/// wss://... --ca` trusts the given CA; without it the failure is one line naming the
/// cause, and a non-zero exit.
#[test]
fn echo_over_tls_and_connect_with_a_ca_file() {
    use sockeye_server::tls::dev::DevPki;
    let dir = std::env::temp_dir().join(format!("sockeye-cli-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pki = DevPki::new().unwrap();
    let [ca, cert, key] = pki.write_files(&dir, &["localhost"]).unwrap();
    let child = sockeye()
        .args([
            "echo",
            "--listen",
            "127.0.0.1:0",
            "--threads",
            "1",
            "--tls-cert",
        ])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Guard(child);
    let (url, _stdout) = first_url(&mut server, "wss://");
    let url = url.replace("127.0.0.1", "localhost");

    let output = sockeye()
        .args(["connect", &url, "--ca"])
        .arg(&ca)
        .stdin_bytes(b"over tls\n")
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "over tls\n");

    let output = sockeye()
        .args(["connect", &url])
        .stdin_bytes(b"x\n")
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("issuer is not trusted"), "{stderr}");

    // a certificate that is not there: the server refuses to start, naming the file
    let output = sockeye()
        .args(["echo", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(dir.join("nope.pem"))
        .arg("--tls-key")
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nope.pem"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs a command with `input` on stdin; its whole output.
trait StdinBytes {
    fn stdin_bytes(&mut self, input: &[u8]) -> std::io::Result<std::process::Output>;
}

impl StdinBytes for Command {
    fn stdin_bytes(&mut self, input: &[u8]) -> std::io::Result<std::process::Output> {
        let mut child = self
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        child.stdin.take().unwrap().write_all(input)?;
        let mut guard = Guard(child);
        wait_exit(&mut guard.0, Duration::from_secs(10)).expect("exits");
        let mut output = std::process::Output {
            status: guard.0.wait()?,
            stdout: Vec::new(),
            stderr: Vec::new(),
        };
        std::io::Read::read_to_end(&mut guard.0.stdout.take().unwrap(), &mut output.stdout)?;
        std::io::Read::read_to_end(&mut guard.0.stderr.take().unwrap(), &mut output.stderr)?;
        Ok(output)
    }
}

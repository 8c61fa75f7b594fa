//! Every subcommand of the real binary: `--help`, `connect` with headers and `-v`, the exit
//! statuses of `connect`, `conformance server` against the echo server with its report,
//! `bench` with its figures. Processes started here are stopped by PID.

mod common;

use std::io::{BufRead, BufReader, Write};

use common::{Guard, first_url, sockeye};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use sockeye_server::{
    Accept, CloseCode, ConnId, Context, Handler, Message, Refusal, Request, Server, ServerConfig,
};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `sockeye echo` on a free port: the guard and its ws:// URL (the server is killed, never
/// asked to print more, so its stdout can go).
fn echo_process() -> (Guard, String) {
    let child = sockeye()
        .args(["echo", "--listen", "127.0.0.1:0", "--threads", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut guard = Guard(child);
    let (url, _) = first_url(&mut guard, "ws://");
    (guard, url)
}

/// `sockeye connect URL ARGS...` with every stream piped.
fn spawn_connect(url: &str, args: &[&str]) -> Child {
    sockeye()
        .arg("connect")
        .arg(url)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// `sockeye connect URL ARGS...` with `input` on stdin, to the end (at most 20 s).
fn connect(url: &str, args: &[&str], input: &[u8]) -> Output {
    let mut child = spawn_connect(url, args);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    wait_output(child, Duration::from_secs(20))
}

/// Collects the output of a child that must exit within `limit` (killed by PID if not;
/// its output is small enough for the pipes' buffers).
fn wait_output(mut child: Child, limit: Duration) -> Output {
    let until = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn every_subcommand_has_help_and_the_binary_a_version() {
    for args in [
        &["--help"][..],
        &["echo", "--help"],
        &["connect", "--help"],
        &["bench", "--help"],
        &["completions", "--help"],
        &["conformance", "--help"],
        &["conformance", "server", "--help"],
        &["conformance", "client", "--help"],
        &["conformance", "memory", "--help"],
        &["conformance", "docs", "--help"],
        &["conformance", "golden", "--help"],
        &["conformance", "list", "--help"],
    ] {
        let out = sockeye().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        assert!(text(&out.stdout).contains("Usage: sockeye"), "{args:?}");
    }
    let out = sockeye().arg("--version").output().unwrap();
    assert_eq!(
        text(&out.stdout).trim(),
        format!("sockeye {}", env!("CARGO_PKG_VERSION"))
    );
    let out = sockeye().args(["completions", "bash"]).output().unwrap();
    assert!(out.status.success() && text(&out.stdout).contains("_sockeye()"));
    let out = sockeye().args(["connect", "--nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error");
}

/// Answers each message with what the request carried: `X-Test|Origin|message`; a
/// message `close` is answered with close code 4000 instead.
struct Mirror;

impl Handler for Mirror {
    type State = String;

    fn on_open(&self, request: &Request, _: ConnId) -> Result<(String, Accept), Refusal> {
        let seen = format!(
            "{}|{}",
            request.headers().get_str("x-test").unwrap_or("-"),
            request.origin().unwrap_or("-")
        );
        Ok((seen, Accept::new()))
    }

    fn on_message(&self, cx: &mut Context<'_>, seen: &mut String, message: Message<'_>) {
        if let Message::Text(text) = message {
            if text == "close" {
                cx.close(CloseCode::new(4000), "asked to");
            } else {
                let _ = cx.send_text(&format!("{seen}|{text}"));
            }
        }
    }

    fn on_close(&self, _: ConnId, _: String, _: sockeye_server::Closed) {}
}

fn mirror() -> (Server, String) {
    let mut config = ServerConfig::default();
    config.threads = 1;
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), config, Mirror).unwrap();
    let url = format!("ws://{}/m", server.local_addr());
    (server, url)
}

#[test]
fn connect_sends_headers_and_origin_and_shows_the_handshake_and_frames_with_v() {
    let (server, url) = mirror();
    let out = connect(
        &url,
        &["-H", "X-Test: yes", "--origin", "http://example.test", "-v"],
        b"hello\n",
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(text(&out.stdout), "yes|http://example.test|hello\n");
    let err = text(&out.stderr);
    for needle in [
        "GET /m HTTP/1.1",
        "X-Test: yes",
        "Origin: http://example.test",
        "HTTP/1.1 101 Switching Protocols",
        "Sec-WebSocket-Accept:",
        "> text 5 B",
        "< text 29 B",
        "> close 1000",
        "server closed: 1000",
    ] {
        assert!(err.contains(needle), "{needle:?} not in\n{err}");
    }
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn connect_exits_3_when_the_server_closes_with_another_code_and_4_when_it_vanishes() {
    let (server, url) = mirror();
    let out = connect(&url, &[], b"close\n");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(text(&out.stderr).contains("server closed: 4000 asked to"));
    server.shutdown(Duration::from_secs(1));

    // The server process is killed (SIGKILL): no close frame, TCP just ends: 1006.
    let (mut echo, url) = echo_process();
    let mut child = spawn_connect(&url, &[]);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"ping\n").unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "ping\n");
    echo.0.kill().unwrap();
    let _ = echo.0.wait();
    let out = wait_output(child, Duration::from_secs(20));
    drop(stdin);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert!(
        text(&out.stderr).contains("ended abnormally"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn conformance_server_against_the_echo_server_writes_its_report() {
    let (_echo, url) = echo_process();
    let dir = std::env::temp_dir().join(format!("sockeye-cli-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = sockeye()
        .args(["conformance", "server", &url, "--cases", "1.1.*,2.*,5.1"])
        .arg("--report")
        .arg(&dir)
        .arg("--strict")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("20 cases: 20 OK"), "{stdout}");
    let index = std::fs::read_to_string(dir.join("index.json")).unwrap();
    assert!(
        index.contains("\"1.1.8\"") && index.contains("\"2.11\""),
        "{index}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_loads_the_echo_server_and_prints_its_figures() {
    let (echo, url) = echo_process();
    let pid = echo.0.id().to_string();
    let out = sockeye()
        .args(["bench", &url, "-c", "4", "-d", "2", "-s", "64"])
        .args(["-t", "1s", "--warmup", "200ms", "--server-pid", &pid])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = text(&out.stdout);
    let figure = |name: &str| -> f64 {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in\n{stdout}"));
        line[name.len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(figure("messages ") > 100.0, "{stdout}");
    assert!(figure("messages/s") > 100.0);
    let (p50, p99, p999) = (
        figure("round trip p50"),
        figure("round trip p99 "),
        figure("round trip p99.9"),
    );
    assert!(0.0 < p50 && p50 <= p99 && p99 <= p999, "{stdout}");
    assert!(figure("messages/CPU-s") > 0.0, "{stdout}");
    // 64 B payload + 6 B masked header out, + 2 B header back.
    assert_eq!(figure("bytes out/msg"), 70.0);
    assert_eq!(figure("bytes in/msg"), 66.0);
}

//! Every case and every run ends within a bounded time, whatever the peer does: here
//! peers that accept, answer the opening handshake, and then never send a close frame or
//! close TCP (silent), or answer every close frame but never close TCP (sloppy). Over
//! loopback (port 0), through the library and through the command-line binary, which must
//! exit by itself once it has written its reports.

#![allow(clippy::print_stderr)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sockeye_conformance::wire::{encode_frame, take_frames};
use sockeye_conformance::{
    CaseFilter, CloseVerdict, Options, Profile, Verdict, cases, run_against_server,
};
use sockeye_frame::OpCode;
use sockeye_handshake::{RequestParser, Status};

/// A peer that answers the opening handshake, then reads for ever; `sloppy` peers also
/// answer close frames (and nothing else).
fn never_closing_peer(sloppy: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // The accept loop and its connections live as long as the test process.
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream, sloppy));
        }
    });
    addr
}

fn serve(mut s: TcpStream, sloppy: bool) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    let mut opened = false;
    loop {
        let n = match s.read(&mut chunk) {
            Ok(0) | Err(_) => return, // the tester closed: nothing more to do
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        if !opened {
            let mut parser = RequestParser::default();
            if let Ok(Status::Complete(r)) = parser.parse(&buf) {
                let mut out = Vec::new();
                r.accept(&mut out);
                let _ = s.write_all(&out);
                buf.drain(..r.head_len());
                opened = true;
            }
            continue;
        }
        let (frames, _) = take_frames(&mut buf);
        for f in frames {
            if sloppy && f.opcode == OpCode::Close {
                let _ = s.write_all(&encode_frame(true, 0, 8, None, &f.payload));
            }
        }
        if buf.len() > 1 << 20 {
            buf.clear();
        }
    }
}

fn opts() -> Options {
    Options {
        profile: Profile::Full,
        ..Options::default()
    }
}

#[test]
fn a_peer_that_never_closes_cannot_stall_a_case() {
    let addr = never_closing_peer(false);
    let filter = CaseFilter::parse("1.1.1,6.4.1,7.3.3");
    let selected = cases(&filter, &opts());
    let started = Instant::now();
    let report = run_against_server(&format!("ws://{addr}/"), &filter, &opts()).unwrap();
    let took = started.elapsed();
    eprintln!("{}", report.table());
    for (case, r) in selected.iter().zip(&report.results) {
        // The case's own timers, then the 1-s close timer, with some slack for loopback.
        let bound = Duration::from_millis(case.timer_budget_ms() + 1000 + 500);
        assert!(
            r.observed.duration <= bound,
            "{}: {:?} > {bound:?}",
            r.id,
            r.observed.duration
        );
        assert!(
            r.behavior_close != CloseVerdict::Ok,
            "{}: a silent peer cannot close properly",
            r.id
        );
        assert!(
            r.observed.dropped_by_me,
            "{}: the tester closes TCP itself",
            r.id
        );
    }
    // 6.4.1: the suite kills at t = 3 s (1001) and drops 1 s later.
    assert_eq!(report.get("6.4.1").unwrap().behavior, Verdict::Failed);
    assert!(took < Duration::from_secs(12), "the run took {took:?}");
}

#[test]
fn a_server_that_answers_closes_but_keeps_tcp_open_is_failed_by_client_in_bounded_time() {
    let addr = never_closing_peer(true);
    let filter = CaseFilter::parse("7.3.3,7.9.1");
    let started = Instant::now();
    let report = run_against_server(&format!("ws://{addr}/"), &filter, &opts()).unwrap();
    eprintln!("{}", report.table());
    // It echoes 1000: answered, but the tester must drop TCP when its kill timer fires.
    let r = report.get("7.3.3").unwrap();
    assert_eq!(
        (r.behavior, r.behavior_close),
        (Verdict::Ok, CloseVerdict::FailedByClient)
    );
    // It echoes code 0, which the suite does not accept (WRONG CODE, FAILED in section 7).
    let r = report.get("7.9.1").unwrap();
    assert_eq!(
        (r.behavior, r.behavior_close),
        (Verdict::Failed, CloseVerdict::WrongCode)
    );
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn the_command_line_exits_after_writing_its_reports() {
    let addr = never_closing_peer(false);
    let dir = std::env::temp_dir().join(format!("sockeye-every-run-ends-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_sockeye-conformance"))
        .args([
            "server",
            &format!("ws://{addr}/"),
            "--full",
            "--cases",
            "1.1.1,2.1",
        ])
        .arg("--report")
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(30) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let Some(status) = status else {
        // Stop it by its PID before failing.
        let _ = child.kill();
        let _ = child.wait();
        panic!("sockeye-conformance still running after 30 s");
    };
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.contains("reports written"), "{out}");
    // Both cases FAILED (the peer never answers): exit code 1, after about 4 s.
    assert_eq!(status.code(), Some(1), "{out}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

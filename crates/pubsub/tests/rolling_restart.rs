//! A rolling restart behind HAProxy: a `redis-server`, three `chat --redis` nodes and an
//! `haproxy` in front of them (health checks on `/healthz`), all on loopback ports and
//! stopped by their PIDs. Members connect through HAProxy; a publisher posts numbered
//! lines, each confirmed by its echo; mid-stream node 2 gets SIGTERM (it fails its health
//! check, closes its members with 1001, exits). Its members reconnect through HAProxy to
//! another node and merge the history from Redis. At the end every member has every line
//! exactly once, and the test prints what it counted.
#![allow(clippy::print_stderr, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::collections::{BTreeSet, HashSet};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Redis, eventually};
use serde_json::{Value, json};
use sockeye_client::{Message, Timeout, WebSocket};

const LINES: usize = 300;
const MEMBERS: usize = 6;

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn haproxy() -> Option<PathBuf> {
    for p in ["haproxy", "/usr/sbin/haproxy"] {
        if Command::new(p)
            .arg("-v")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            return Some(p.into());
        }
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: haproxy is needed (.ci/cluster-setup.sh)"
    );
    eprintln!("NOTICE: skipping: no haproxy");
    None
}

/// A chat node on port 0, and its port.
fn node(chat: &Path, redis: &Redis) -> (Proc, u16) {
    let url = redis.url();
    let (child, addr) = common::spawn_demo(
        chat,
        &["--redis", &url, "--drain-ms", "600", "--threads", "1"],
    );
    let port = addr.rsplit(':').next().unwrap().parse().unwrap();
    (Proc(child), port)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// HAProxy in front of the nodes: round robin, health checked every 100 ms on
/// `/healthz` (one failure takes a node out), WebSocket tunnels kept for an hour.
fn start_haproxy(bin: &Path, dir: &Path, ports: &[u16]) -> (Proc, u16) {
    let front = free_port();
    let servers: String = ports
        .iter()
        .enumerate()
        .map(|(i, p)| format!("  server n{} 127.0.0.1:{p} check\n", i + 1))
        .collect();
    let cfg = format!(
        "global\n  maxconn 2000\n\
         defaults\n  mode http\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n  timeout tunnel 1h\n\
         frontend fe\n  bind 127.0.0.1:{front}\n  default_backend chat\n\
         backend chat\n  balance roundrobin\n  option httpchk\n  \
         http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host localhost\n  \
         http-check expect status 200\n  default-server inter 100ms fall 1 rise 2\n{servers}"
    );
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, cfg).unwrap();
    let child = Command::new(bin)
        .args(["-db", "-f"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let proc = Proc(child);
    assert!(eventually(|| std::net::TcpStream::connect((
        "127.0.0.1",
        front
    ))
    .is_ok()));
    (proc, front)
}

/// What one member saw.
#[derive(Default, Debug)]
struct Seen {
    /// Line texts, from live delivery or history.
    texts: BTreeSet<String>,
    ids: HashSet<String>,
    /// A line id delivered live twice.
    live_duplicates: usize,
    /// Lines recovered from the history after a reconnect.
    recovered: usize,
    reconnects: usize,
    closes_1001: usize,
}

fn join(url: &str, name: &str) -> Option<WebSocket> {
    let mut ws = sockeye_client::connect(url).ok()?;
    ws.set_read_timeout(Some(Duration::from_millis(200)));
    ws.send_text(&json!({"type": "join", "name": name}).to_string())
        .ok()?;
    Some(ws)
}

/// A member: reads until `stop`, reconnecting through HAProxy whenever its node goes.
fn member(url: &str, name: &str, stop: &AtomicBool, seen: &Mutex<Seen>) {
    let mut ws = None;
    while !stop.load(Ordering::Relaxed) {
        let Some(w) = ws.as_mut() else {
            ws = join(url, name);
            if ws.is_none() {
                std::thread::sleep(Duration::from_millis(50));
            }
            continue;
        };
        match w.recv() {
            Ok(Message::Text(t)) => {
                let m: Value = serde_json::from_str(&t).unwrap();
                let mut s = seen.lock().unwrap();
                let add = |l: &Value, live: bool, s: &mut Seen| {
                    let (Some(id), Some(text)) = (l["id"].as_str(), l["text"].as_str()) else {
                        return;
                    };
                    if !s.ids.insert(id.to_owned()) {
                        if live {
                            s.live_duplicates += 1;
                        }
                        return;
                    }
                    if !live {
                        s.recovered += 1;
                    }
                    s.texts.insert(text.to_owned());
                };
                match m["type"].as_str() {
                    Some("line") => add(&m, true, &mut s),
                    Some("history" | "welcome") => {
                        let key = if m["type"] == "history" {
                            "lines"
                        } else {
                            "history"
                        };
                        for l in m[key].as_array().into_iter().flatten() {
                            add(l, false, &mut s);
                        }
                    }
                    _ => {}
                }
            }
            Ok(Message::Close { code, .. }) => {
                let mut s = seen.lock().unwrap();
                s.closes_1001 += usize::from(code.as_u16() == 1001);
                s.reconnects += 1;
                ws = None;
            }
            Ok(_) => {}
            // Nothing within the read timeout: the connection is fine.
            Err(sockeye_client::Error::Timeout(Timeout::Read)) => {}
            Err(_) => {
                seen.lock().unwrap().reconnects += 1;
                ws = None;
            }
        }
    }
}

#[test]
fn a_rolling_restart_behind_haproxy_loses_and_doubles_nothing() {
    let (Some(chat), Some(haproxy_bin)) = (common::example("chat"), haproxy()) else {
        return;
    };
    let Some(redis) = Redis::start() else { return };
    let dir = std::env::temp_dir().join(format!("sockeye-rolling-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut nodes: Vec<(Proc, u16)> = (0..3).map(|_| node(&chat, &redis)).collect();
    let ports: Vec<u16> = nodes.iter().map(|n| n.1).collect();
    let (_haproxy, front) = start_haproxy(&haproxy_bin, &dir, &ports);
    let url = format!("ws://127.0.0.1:{front}/chat");
    // HAProxy marks the nodes up after two good checks.
    std::thread::sleep(Duration::from_millis(500));

    let stop = Arc::new(AtomicBool::new(false));
    let seen: Vec<Arc<Mutex<Seen>>> = (0..MEMBERS).map(|_| Arc::default()).collect();
    let threads: Vec<_> = seen
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (url, stop, s) = (url.clone(), stop.clone(), s.clone());
            std::thread::spawn(move || member(&url, &format!("m{i}"), &stop, &s))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));

    // The publisher: each line confirmed by its echo before the next; a line whose echo
    // did not come is checked against the history after reconnecting, so it is never
    // posted twice.
    let started = Instant::now();
    let mut publisher = join(&url, "publisher").unwrap();
    let mut killed_at = None;
    let mut i = 0;
    while i < LINES {
        if i == LINES / 3 && killed_at.is_none() {
            let pid = nodes[1].0.0.id();
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
            killed_at = Some(started.elapsed());
        }
        let text = format!("line {i}");
        let _ = publisher.send_text(&json!({"type": "say", "text": text}).to_string());
        let until = Instant::now() + Duration::from_secs(2);
        let mut confirmed = false;
        while Instant::now() < until && !confirmed {
            match publisher.recv() {
                Ok(Message::Text(t)) => {
                    let m: Value = serde_json::from_str(&t).unwrap();
                    let in_history = |k: &str| {
                        m[k].as_array()
                            .is_some_and(|ls| ls.iter().any(|l| l["text"] == text.as_str()))
                    };
                    confirmed =
                        (m["type"] == "line" && m["text"] == text.as_str()) || in_history("lines");
                }
                Ok(Message::Close { .. }) | Err(sockeye_client::Error::ConnectionClosed) => break,
                Ok(_) | Err(sockeye_client::Error::Timeout(Timeout::Read)) => {}
                Err(_) => break,
            }
        }
        if confirmed {
            i += 1;
            // A steady stream (about 100 lines/s) that outlasts the node's drain.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        // Reconnect; the history says whether the line made it.
        publisher = loop {
            if let Some(p) = join(&url, "publisher") {
                break p;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < until {
            if let Ok(Message::Text(t)) = publisher.recv() {
                let m: Value = serde_json::from_str(&t).unwrap();
                if m["type"] == "history" {
                    if m["lines"]
                        .as_array()
                        .is_some_and(|ls| ls.iter().any(|l| l["text"] == text.as_str()))
                    {
                        i += 1;
                    }
                    break;
                }
            }
        }
    }
    let posting = started.elapsed();
    // Node 2 exited 0 after its drain.
    let status = nodes[1].0.0.wait().unwrap();
    assert!(status.success(), "{status}");
    // Let the last lines arrive.
    assert!(
        eventually(|| seen.iter().all(|s| s.lock().unwrap().texts.len() >= LINES)),
        "some member is missing lines"
    );
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let mut report = Vec::new();
    for (n, s) in seen.iter().enumerate() {
        let s = s.lock().unwrap();
        let missing: Vec<usize> = (0..LINES)
            .filter(|i| !s.texts.contains(&format!("line {i}")))
            .collect();
        assert!(missing.is_empty(), "member {n} misses {missing:?}");
        assert_eq!(s.live_duplicates, 0, "member {n} got a line twice");
        // A line posted twice (a retry that did not see its first post) has two ids.
        assert_eq!(s.ids.len(), LINES, "member {n}: a line was posted twice");
        assert_eq!(
            s.texts.len(),
            LINES,
            "member {n}: lines other than those posted"
        );
        report.push(format!(
            "m{n}: {} lines, {} recovered from history, {} reconnects, {} closes with 1001",
            s.texts.len(),
            s.recovered,
            s.reconnects,
            s.closes_1001
        ));
    }
    let moved: usize = seen.iter().map(|s| s.lock().unwrap().closes_1001).sum();
    assert!(
        moved >= 1,
        "no member was on the restarted node: {report:?}"
    );
    eprintln!(
        "rolling restart: {LINES} lines posted in {posting:?}, node 2 stopped at {killed_at:?}; {}",
        report.join("; ")
    );
    drop(nodes);
    let _ = std::fs::remove_dir_all(&dir);
}

//! The chat example as a cluster: a `redis-server` and two `chat --redis` nodes (the
//! example binary `cargo test --workspace` builds, `target/<profile>/examples/chat`),
//! each started on port 0 and stopped by its PID. A line posted on node A reaches a
//! member on node B, in order, each once; a member who reconnects to the other node gets
//! what it missed from the history in Redis; SIGTERM makes a node fail `/healthz`, close
//! its members with 1001 and exit 0. The presence list spans both nodes, and a node
//! killed without a word loses its members on the other once its Redis key expires.
#![allow(clippy::print_stderr, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::Redis;
use serde_json::{Value, json};
use sockeye_client::{Error as ClientError, Message, WebSocket};

/// A chat node: the example binary with `--redis`, killed by its PID on drop.
struct Node {
    child: Child,
    addr: String,
}

impl Node {
    fn start(binary: &Path, redis: &Redis) -> Self {
        let url = redis.url();
        let args = ["--redis", &url, "--drain-ms", "300", "--threads", "1"];
        let (child, addr) = common::spawn_demo(binary, &args);
        Self { child, addr }
    }

    fn member(&self, name: &str) -> WebSocket {
        self.join(name).0
    }

    /// A member and its welcome.
    fn join(&self, name: &str) -> (WebSocket, Value) {
        self.join_session(name, None)
    }

    /// A member of a page's session (`sid`, as a page sends it) and its welcome.
    fn join_session(&self, name: &str, sid: Option<&str>) -> (WebSocket, Value) {
        let mut ws = sockeye_client::connect(&format!("ws://{}/chat", self.addr)).unwrap();
        ws.set_read_timeout(Some(Duration::from_secs(10)));
        let mut join = json!({"type": "join", "name": name});
        if let Some(sid) = sid {
            join["sid"] = json!(sid);
        }
        ws.send_text(&join.to_string()).unwrap();
        let welcome = next(&mut ws);
        assert_eq!(welcome["type"], "welcome");
        (ws, welcome)
    }

    fn health(&self) -> String {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out.lines().next().unwrap_or_default().to_owned()
    }

    fn terminate(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The next JSON message.
fn next(ws: &mut WebSocket) -> Value {
    loop {
        match ws.recv().unwrap() {
            Message::Text(t) => return serde_json::from_str(&t).unwrap(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("{other:?}"),
        }
    }
}

/// The next `line` message's text (skipping presence notices and history).
fn next_line(ws: &mut WebSocket) -> String {
    loop {
        let m = next(ws);
        if m["type"] == "line" {
            return m["text"].as_str().unwrap().to_owned();
        }
    }
}

fn say(ws: &mut WebSocket, text: &str) {
    ws.send_text(&json!({"type": "say", "text": text}).to_string())
        .unwrap();
}

#[test]
fn lines_cross_nodes_history_follows_a_reconnect_and_sigterm_drains() {
    let Some(binary) = common::example("chat") else {
        return;
    };
    let Some(redis) = Redis::start() else { return };
    let a = Node::start(&binary, &redis);
    let mut b = Node::start(&binary, &redis);
    let mut alice = a.member("alice");
    let mut bob = b.member("bob");
    // Both bridges subscribe in the background: wait until a line gets across.
    let until = Instant::now() + Duration::from_secs(10);
    bob.set_read_timeout(Some(Duration::from_millis(200)));
    loop {
        say(&mut alice, "ping");
        if matches!(bob.recv(), Ok(Message::Text(t)) if t.contains("\"ping\"")) {
            break;
        }
        assert!(
            Instant::now() < until,
            "no line ever crossed from node A to node B"
        );
    }
    bob.set_read_timeout(Some(Duration::from_secs(10)));
    // Drain pings still in flight to bob.
    while let Ok(Message::Text(_)) = {
        bob.set_read_timeout(Some(Duration::from_millis(300)));
        bob.recv()
    } {}
    bob.set_read_timeout(Some(Duration::from_secs(10)));

    const N: usize = 500;
    for i in 0..N {
        say(&mut alice, &format!("line {i}"));
    }
    for i in 0..N {
        assert_eq!(
            next_line(&mut bob),
            format!("line {i}"),
            "in order, none lost or doubled"
        );
    }

    // Redis goes away for 2 s: node A's room goes on; bob on node B gets the lines again
    // once both bridges are back. What he misses meanwhile is bounded by the outage.
    let port = redis.stop();
    let mut carol_on_a = a.member("carol");
    for i in 0..20 {
        say(&mut alice, &format!("outage {i}"));
    }
    for i in 0..20 {
        assert_eq!(
            next_line(&mut carol_on_a),
            format!("outage {i}"),
            "node A's room stopped"
        );
    }
    std::thread::sleep(Duration::from_secs(2));
    let redis_again = Redis::start_on(port).unwrap();
    let until = Instant::now() + Duration::from_secs(15);
    let mut outage_lines_seen = Vec::new();
    bob.set_read_timeout(Some(Duration::from_millis(200)));
    'back: loop {
        say(&mut alice, "after the outage");
        while let Ok(Message::Text(t)) = bob.recv() {
            let m: Value = serde_json::from_str(&t).unwrap();
            let text = m["text"].as_str().unwrap_or_default();
            if let Some(i) = text.strip_prefix("outage ") {
                outage_lines_seen.push(i.parse::<usize>().unwrap());
            }
            if text == "after the outage" {
                break 'back;
            }
        }
        assert!(
            Instant::now() < until,
            "node B never heard from node A again"
        );
    }
    // The bound: what crossed came in order and once each (a publish retried on a new
    // connection is skipped by its sequence number); what did not was published while
    // node B's subscription was down, and every line after both were back crossed.
    assert!(
        outage_lines_seen.windows(2).all(|w| w[0] < w[1]),
        "out of order or twice: {outage_lines_seen:?}"
    );
    eprintln!(
        "Redis outage of 2 s: bob on node B got {} of the 20 lines posted on node A meanwhile",
        outage_lines_seen.len()
    );
    bob.set_read_timeout(Some(Duration::from_secs(10)));
    drop(carol_on_a);

    // Bob goes away; what alice says meanwhile is in Redis for him on node B.
    drop(bob);
    say(&mut alice, "while bob was away");
    // Its way into Redis is asynchronous (the history thread): give it a moment.
    std::thread::sleep(Duration::from_millis(300));
    let mut bob = b.member("bob");
    let history = loop {
        let m = next(&mut bob);
        if m["type"] == "history" {
            break m;
        }
    };
    let texts: Vec<&str> = history["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["text"].as_str())
        .collect();
    assert!(texts.contains(&"while bob was away"), "{texts:?}");
    assert_eq!(texts.last(), Some(&"while bob was away"));

    // SIGTERM: node B fails its health check, then closes bob with 1001 and exits 0.
    assert!(b.health().starts_with("HTTP/1.1 200"));
    b.terminate();
    let until = Instant::now() + Duration::from_secs(5);
    while !b.health().starts_with("HTTP/1.1 503") {
        assert!(Instant::now() < until, "/healthz never said 503");
        std::thread::sleep(Duration::from_millis(20));
    }
    let code = loop {
        match bob.recv() {
            Ok(Message::Close { code, .. }) => break code.as_u16(),
            Ok(_) => {}
            Err(ClientError::ConnectionClosed) => panic!("closed without a close frame"),
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(code, 1001);
    let until = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = b.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < until, "node B did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    // Node A and its room go on (alice's own echoes wait unread in her socket: a new
    // member listens).
    let mut carol = a.member("carol");
    say(&mut alice, "still here");
    assert_eq!(next_line(&mut carol), "still here");

    // Node B took its presence list out of Redis as it stopped (else it would stay, and
    // list bob to nodes that never heard his leave, until it expired 10 s later): node A's
    // is the only one left.
    let mut con = redis::Client::open(redis_again.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let nodes: Vec<String> = redis::cmd("SMEMBERS")
        .arg("sockeye:chat:nodes")
        .query(&mut con)
        .unwrap();
    let lists: Vec<String> = redis::cmd("KEYS")
        .arg("sockeye:chat:presence:*")
        .query(&mut con)
        .unwrap();
    assert_eq!((nodes.len(), lists.len()), (1, 1), "{nodes:?} {lists:?}");
}

/// Waits up to `within` for a `presence` message saying `what` (`joined` or `left`) of
/// `name`, skipping everything else; returns it.
fn presence(ws: &mut WebSocket, what: &str, name: &str, within: Duration) -> Value {
    let until = Instant::now() + within;
    ws.set_read_timeout(Some(Duration::from_millis(200)));
    let found = loop {
        assert!(
            Instant::now() < until,
            "no presence {what} {name} within {within:?}"
        );
        match ws.recv() {
            Ok(Message::Text(t)) => {
                let m: Value = serde_json::from_str(&t).unwrap();
                if m["type"] == "presence" && m[what] == name {
                    break m;
                }
            }
            Ok(_) => {}
            Err(ClientError::Timeout(sockeye_client::Timeout::Read)) => {}
            Err(e) => panic!("{e}"),
        }
    };
    ws.set_read_timeout(Some(Duration::from_secs(10)));
    found
}

fn members(welcome: &Value) -> Vec<&str> {
    welcome["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

#[test]
fn presence_spans_the_cluster_and_outlives_a_killed_node() {
    let Some(binary) = common::example("chat") else {
        return;
    };
    let Some(redis) = Redis::start() else { return };
    let mut a = Node::start(&binary, &redis);
    let b = Node::start(&binary, &redis);
    let alice = a.member("alice");
    let (mut bob, welcome) = b.join("bob");
    // Alice joined before node B may have heard anything: node A's list in Redis tells it
    // within a period or two, if the welcome did not already.
    if !members(&welcome).contains(&"alice") {
        presence(&mut bob, "joined", "alice", Duration::from_secs(10));
    }

    // A join on node A is heard on node B, with the cluster's count.
    let t = Instant::now();
    let _carol = a.member("carol");
    let joined = presence(&mut bob, "joined", "carol", Duration::from_secs(5));
    eprintln!(
        "a join on node A was heard on node B after {} ms",
        t.elapsed().as_millis()
    );
    assert_eq!(joined["count"], 3, "{joined}");

    // A newcomer on node B sees every member of both nodes, and a name taken on node A
    // is taken on node B too.
    let (_dave, welcome) = b.join("carol");
    assert_eq!(welcome["you"], "carol-2");
    assert_eq!(
        members(&welcome),
        ["alice", "bob", "carol", "carol-2"],
        "{welcome}"
    );

    // A leave on node A is heard on node B.
    drop(alice);
    let left = presence(&mut bob, "left", "alice", Duration::from_secs(5));
    assert_eq!(left["count"], 3, "{left}");

    // A page's session on node A.
    let _erin = a.join_session("erin", Some("tab-1"));
    presence(&mut bob, "joined", "erin", Duration::from_secs(5));

    // Node A dies without a word. Erin's page reconnects to node B at once and keeps
    // her name (her session holds it on node A's list, which has not expired yet).
    let killed = Instant::now();
    a.child.kill().unwrap();
    let _ = a.child.wait();
    let (_erin, welcome) = b.join_session("erin", Some("tab-1"));
    assert_eq!(welcome["you"], "erin", "{welcome}");
    // Node A's key in Redis expires and node B drops its members: carol leaves; erin
    // stays listed, held by her new connection.
    let left = presence(&mut bob, "left", "carol", Duration::from_secs(25));
    eprintln!(
        "node A killed: its member left node B's list after {} ms",
        killed.elapsed().as_millis()
    );
    assert_eq!(left["count"], 3, "{left}");
    let (_frank, welcome) = b.join("frank");
    assert_eq!(
        members(&welcome),
        ["bob", "carol-2", "erin", "frank"],
        "{welcome}"
    );
}

//! The ticker example as a cluster: node A publishes (`--rate 200`), node B does not
//! (`--publish no`); both `--redis`. A subscriber on node B gets A's prices through
//! Redis, conflated by B like its own; once A stops, B's feed stops.
#![allow(clippy::print_stderr, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::process::Child;
use std::time::{Duration, Instant};

use common::Redis;
use serde_json::{Value, json};
use sockeye_client::{Message, Timeout, WebSocket};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn subscriber(addr: &str, symbols: &[&str]) -> WebSocket {
    let mut ws = sockeye_client::connect(&format!("ws://{addr}/ticker")).unwrap();
    ws.set_read_timeout(Some(Duration::from_millis(300)));
    for s in symbols {
        ws.send_text(&json!({"type": "sub", "symbol": s}).to_string())
            .unwrap();
    }
    ws
}

/// Price updates received (and acknowledged) for `within`; `(symbol, ts)` of each.
fn updates(ws: &mut WebSocket, within: Duration) -> Vec<(String, f64)> {
    let until = Instant::now() + within;
    let mut out = Vec::new();
    while Instant::now() < until {
        match ws.recv() {
            Ok(Message::Text(t)) => {
                let m: Value = serde_json::from_str(&t).unwrap();
                if m["type"] == "prices" {
                    for u in m["u"].as_array().unwrap() {
                        out.push((u[0].as_str().unwrap().to_owned(), u[2].as_f64().unwrap()));
                    }
                    ws.send_text(&json!({"type": "ack", "seq": m["seq"]}).to_string())
                        .unwrap();
                }
            }
            Ok(_) | Err(sockeye_client::Error::Timeout(Timeout::Read)) => {}
            Err(e) => panic!("{e}"),
        }
    }
    out
}

#[test]
fn a_non_publishing_node_serves_the_publishers_prices() {
    let Some(binary) = common::example("ticker") else {
        return;
    };
    let Some(redis) = Redis::start() else { return };
    let url = redis.url();
    let (a, a_addr) = common::spawn_demo(
        &binary,
        &["--redis", &url, "--rate", "200", "--threads", "1"],
    );
    let mut a = Killed(a);
    let (b, b_addr) = common::spawn_demo(
        &binary,
        &["--redis", &url, "--publish", "no", "--threads", "1"],
    );
    let _b = Killed(b);
    let mut on_a = subscriber(&a_addr, &["SKYE", "COHO"]);
    let mut on_b = subscriber(&b_addr, &["SKYE", "COHO"]);
    // B's bridge subscribes in the background: give it a moment, then count.
    let _ = updates(&mut on_b, Duration::from_millis(500));
    let got_b = updates(&mut on_b, Duration::from_secs(2));
    let got_a = updates(&mut on_a, Duration::from_millis(300));
    assert!(
        !got_a.is_empty(),
        "the publishing node's own subscriber got nothing"
    );
    // 200 updates/s over 8 symbols: 25/s per symbol, 2 symbols, 2 s: about 100.
    assert!(
        got_b.len() >= 60,
        "node B got {} updates in 2 s",
        got_b.len()
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1000.0;
    let newest = got_b.iter().map(|u| u.1).fold(0.0, f64::max);
    assert!(
        now - newest < 1000.0,
        "node B's prices are stale: {} ms",
        now - newest
    );
    eprintln!(
        "ticker cluster: node B served {} updates from node A in 2 s",
        got_b.len()
    );
    // A stops: B has no publisher of its own, so its feed stops.
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &a.0.id().to_string()])
        .status();
    let _ = a.0.wait();
    let _ = updates(&mut on_b, Duration::from_millis(500));
    assert!(
        updates(&mut on_b, Duration::from_secs(1)).is_empty(),
        "node B made prices of its own"
    );
}

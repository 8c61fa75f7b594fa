//! Bridges on in-process servers ("nodes") through a real `redis-server`, started on a
//! loopback port by this test and stopped by its PID. Without `redis-server` the tests
//! print a notice and pass, unless `CI=true` (then they fail): `.ci/run` installs it.

#![allow(clippy::print_stderr, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use common::{Redis, eventually};
use sockeye_client::{Message as ClientMessage, WebSocket};
use sockeye_pubsub::{Bridge, BridgeConfig, Published};
use sockeye_server::{
    Accept, Closed, ConnId, Context, Handler, Message, Refusal, Request, Server, ServerConfig,
};

/// A node: joins every connection to the channel named by its path, publishes what it
/// receives there.
struct Node {
    bridge: Arc<OnceLock<Bridge>>,
}

impl Handler for Node {
    type State = String;

    fn on_open(&self, request: &Request, id: ConnId) -> Result<(String, Accept), Refusal> {
        let channel = request.path().trim_start_matches('/').to_owned();
        if let Some(b) = self.bridge.get() {
            b.join(&channel, id);
        }
        Ok((channel, Accept::new()))
    }

    fn on_message(&self, _: &mut Context<'_>, channel: &mut String, message: Message<'_>) {
        if let (Message::Text(t), Some(b)) = (message, self.bridge.get()) {
            let _ = b.publish_text(channel, t);
        }
    }

    fn on_close(&self, id: ConnId, _: String, _: Closed) {
        if let Some(b) = self.bridge.get() {
            b.leave_all(id);
        }
    }
}

struct Running {
    server: Server,
    bridge: Arc<OnceLock<Bridge>>,
}

impl Running {
    fn start(url: &str, node_id: u64) -> Self {
        let bridge = Arc::new(OnceLock::new());
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let mut config = ServerConfig::default();
        config.threads = 1;
        let server = Server::bind(
            addr,
            config,
            Node {
                bridge: bridge.clone(),
            },
        )
        .unwrap();
        let mut bc = BridgeConfig::new(url, node_id);
        bc.reconnect_max = Duration::from_millis(200);
        let _ = bridge.set(Bridge::start(bc, server.handle()).unwrap());
        let running = Self { server, bridge };
        assert!(
            eventually(|| running.bridge().is_subscribed()),
            "never subscribed"
        );
        running
    }

    fn bridge(&self) -> &Bridge {
        self.bridge.get().unwrap()
    }

    fn client(&self, channel: &str) -> WebSocket {
        let mut ws =
            sockeye_client::connect(&format!("ws://{}/{channel}", self.server.local_addr()))
                .unwrap();
        ws.set_read_timeout(Some(Duration::from_secs(10)));
        // Joined once the handshake is done (on_open runs before the 101).
        ws
    }
}

fn text(ws: &mut WebSocket) -> String {
    loop {
        match ws.recv().unwrap() {
            ClientMessage::Text(t) => return t,
            ClientMessage::Ping(_) | ClientMessage::Pong(_) => {}
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_message_published_on_one_node_reaches_every_node_in_order_once() {
    let Some(redis) = Redis::start() else { return };
    let (a, b, c) = (
        Running::start(&redis.url(), 1),
        Running::start(&redis.url(), 2),
        Running::start(&redis.url(), 3),
    );
    let mut on_a = a.client("room");
    let mut on_b = b.client("room");
    let mut other_room = c.client("elsewhere");
    let mut on_c = c.client("room");
    let mut publisher = b.client("room");
    const N: usize = 2000;
    for i in 0..N {
        publisher.send_text(&format!("m{i}")).unwrap();
    }
    for ws in [&mut on_a, &mut on_b, &mut on_c, &mut publisher] {
        for i in 0..N {
            assert_eq!(text(ws), format!("m{i}"), "in order, none lost or doubled");
        }
    }
    // The other channel got nothing.
    other_room.set_read_timeout(Some(Duration::from_millis(300)));
    assert!(
        other_room.recv().is_err(),
        "a message leaked into another channel"
    );
    let (sa, sb) = (a.bridge().stats(), b.bridge().stats());
    assert_eq!(sb.published, N as u64);
    assert_eq!(
        (sa.received, sa.delivered, sa.duplicates, sa.gaps),
        (N as u64, N as u64, 0, 0)
    );
    // Node B delivered its own messages locally, not again from the broker.
    assert_eq!(sb.received, 0);
    drop(redis);
}

#[test]
fn local_rooms_keep_working_while_redis_is_down_and_nodes_recover() {
    let Some(redis) = Redis::start() else { return };
    let url = redis.url();
    let (a, b) = (Running::start(&url, 10), Running::start(&url, 20));
    let mut on_a = a.client("r");
    let mut on_b = b.client("r");
    let mut pub_a = a.client("r");
    pub_a.send_text("before").unwrap();
    assert_eq!(text(&mut on_b), "before");
    assert_eq!(text(&mut on_a), "before");

    let port = redis.stop();
    assert!(eventually(|| !a.bridge().is_subscribed()));
    // Node A's own room still works, at once.
    pub_a.send_text("during").unwrap();
    assert_eq!(text(&mut on_a), "during");

    let redis = Redis::start_on(port).unwrap();
    assert!(
        eventually(|| a.bridge().is_subscribed() && b.bridge().is_subscribed()),
        "no recovery"
    );
    // Cross-node delivery resumes; what B missed is counted as a gap or arrives late.
    pub_a.send_text("after").unwrap();
    let mut got = Vec::new();
    while got.last().map(String::as_str) != Some("after") {
        got.push(text(&mut on_b));
    }
    let sb = b.bridge().stats();
    assert_eq!(
        sb.gaps + got.len() as u64,
        2,
        "\"during\" arrived or was counted lost: {got:?} {sb:?}"
    );
    assert!(a.bridge().stats().reconnects >= 1);
    drop(redis);
}

#[test]
fn a_full_queue_drops_to_local_only_and_counts() {
    let Some(redis) = Redis::start() else { return };
    let port = redis.stop();
    // No broker at all: the queue of 4 fills, then publishes are local only.
    let mut config = ServerConfig::default();
    config.threads = 1;
    let server =
        Server::bind("127.0.0.1:0".parse().unwrap(), config, sockeye_server::Echo).unwrap();
    let mut bc = BridgeConfig::new(format!("redis://127.0.0.1:{port}/"), 7);
    bc.queue = 4;
    let bridge = Bridge::start(bc, server.handle()).unwrap();
    let outcomes: Vec<Published> = (0..10)
        .map(|i| bridge.publish_text("x", &i.to_string()))
        .collect();
    let local = outcomes
        .iter()
        .filter(|o| **o == Published::LocalOnly)
        .count();
    assert!((5..=6).contains(&local), "{outcomes:?}");
    assert_eq!(bridge.stats().dropped, local as u64);
    assert!(Bridge::start(BridgeConfig::new("not a url", 1), server.handle()).is_err());
    bridge.shutdown();
}

#[test]
fn a_broker_that_stops_answering_holds_neither_publishes_nor_shutdown() {
    let Some(redis) = Redis::start() else { return };
    let mut config = ServerConfig::default();
    config.threads = 1;
    let server =
        Server::bind("127.0.0.1:0".parse().unwrap(), config, sockeye_server::Echo).unwrap();
    let mut bc = BridgeConfig::new(redis.url(), 30);
    bc.command_timeout = Duration::from_millis(500);
    let bridge = Bridge::start(bc, server.handle()).unwrap();
    assert!(eventually(|| bridge.is_subscribed()), "never subscribed");
    let _ = bridge.publish_text("r", "before");
    assert!(eventually(|| bridge.stats().published == 1));

    // Redis freezes with every connection open: the next PUBLISH gets no reply.
    redis.pause(true);
    assert_eq!(bridge.publish_text("r", "frozen"), Published::Queued);
    // Let the publisher get inside the PUBLISH that is never answered.
    std::thread::sleep(Duration::from_millis(200));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        bridge.shutdown();
        let _ = done_tx.send(());
    });
    let stopped = done_rx.recv_timeout(Duration::from_secs(5));
    redis.pause(false);
    assert!(
        stopped.is_ok(),
        "a stopping bridge waited more than 5 s for a broker that never answered"
    );
    server.shutdown(Duration::from_secs(1));
    drop(redis);
}

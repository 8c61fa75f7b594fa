//! The bridge: local delivery at once, a publisher thread and a subscriber thread each
//! with its own Redis connection, both reconnecting with backoff.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sockeye_server::{ConnId, ServerHandle};

use crate::envelope::{self, Kind};
use crate::rooms::Rooms;
use crate::{BridgeConfig, Error};

/// A channel name and its envelope, on the way to the broker.
type Outgoing = (String, Vec<u8>);

/// How long a blocked thread waits before it looks at the stop flag.
const POLL: Duration = Duration::from_millis(100);

/// What [`Bridge::publish_text`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub enum Published {
    /// Delivered to the local subscribers and queued for the other nodes.
    Queued,
    /// Delivered to the local subscribers only: the broker queue was full
    /// ([`BridgeConfig::queue`]); the other nodes see a gap in this node's sequence.
    LocalOnly,
}

/// Counters since the bridge started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BridgeStats {
    /// Messages this node published to the broker.
    pub published: u64,
    /// Messages not published: the queue to the broker was full.
    pub dropped: u64,
    /// Messages from other nodes received from the broker.
    pub received: u64,
    /// Of those, messages that had local subscribers (each framed once for all of them).
    pub delivered: u64,
    /// Messages from other nodes received twice (a publish retried after a broken
    /// connection), skipped.
    pub duplicates: u64,
    /// Messages of other nodes missing from their sequence: lost while this node was
    /// disconnected from the broker, or dropped at their publisher.
    pub gaps: u64,
    /// Connections to the broker made after the first (both threads).
    pub reconnects: u64,
}

#[derive(Default)]
struct Counters {
    published: AtomicU64,
    dropped: AtomicU64,
    received: AtomicU64,
    delivered: AtomicU64,
    duplicates: AtomicU64,
    gaps: AtomicU64,
    reconnects: AtomicU64,
}

/// A message from another node, as handed to a [`Listener`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Remote<'a> {
    /// The channel, without the prefix.
    pub channel: &'a str,
    /// The payload (valid UTF-8 when `text`).
    pub payload: &'a [u8],
    /// Published as text (`publish_text`) or binary.
    pub text: bool,
    /// The publishing node's id.
    pub node: u64,
}

/// Called on the bridge's subscriber thread for every message of another node (after
/// duplicates are skipped), before its delivery to the channel's local members: for an
/// application that keeps state of its own (the ticker's latest prices). It must not
/// block: the next message waits for it.
pub type Listener = Box<dyn Fn(Remote<'_>) + Send + Sync>;

struct Shared {
    config: BridgeConfig,
    listener: Option<Listener>,
    client: redis::Client,
    handle: ServerHandle,
    rooms: Rooms,
    counters: Counters,
    subscribed: AtomicBool,
    stop: AtomicBool,
}

/// A server's broadcasts shared with the other nodes of a cluster through Redis pub/sub.
///
/// A connection joins a channel ([`Bridge::join`]); [`Bridge::publish_text`] delivers a
/// message to the local members of the channel at once (framed once, through the
/// server's [`ServerHandle`]) and queues it for the broker; every other node's bridge
/// receives it and delivers it to its own members, framed once per node.
///
/// **Ordering**: the messages of one publishing node reach each other node in the order
/// they were published (one queue, one Redis connection, Redis keeps the order of a
/// connection's publishes); nothing orders two nodes' messages against each other.
///
/// **When the broker is slow or down**: local delivery does not wait for it, so the
/// node's own rooms keep working. Publishes wait in a bounded queue
/// ([`BridgeConfig::queue`]) and go out once the broker is back; past the bound they
/// are delivered locally only and counted ([`BridgeStats::dropped`]). Redis pub/sub
/// keeps nothing for a subscriber that is away: what other nodes published while this
/// node's subscription was down is lost to it, and counted from the sequence numbers
/// ([`BridgeStats::gaps`]). An application that must not lose messages keeps a history
/// (the chat example keeps one in Redis) and lets clients catch up from it.
pub struct Bridge {
    shared: Arc<Shared>,
    /// The last sequence number given, and the queue to the publisher thread.
    publish: Mutex<(u64, SyncSender<Outgoing>)>,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("url", &self.shared.config.url)
            .field("node_id", &self.shared.config.node_id)
            .field("subscribed", &self.is_subscribed())
            .finish_non_exhaustive()
    }
}

impl Bridge {
    /// Starts the bridge for the server behind `handle`. The broker need not be up: the
    /// threads connect (and reconnect) in the background.
    ///
    /// # Errors
    /// [`Error::Url`] if `config.url` is not a Redis URL.
    pub fn start(config: BridgeConfig, handle: ServerHandle) -> Result<Self, Error> {
        Self::start_inner(config, handle, None)
    }

    /// [`start`](Self::start), with `listener` called for every message of another node.
    ///
    /// # Errors
    /// [`Error::Url`] if `config.url` is not a Redis URL.
    pub fn start_listening(
        config: BridgeConfig,
        handle: ServerHandle,
        listener: Listener,
    ) -> Result<Self, Error> {
        Self::start_inner(config, handle, Some(listener))
    }

    fn start_inner(
        config: BridgeConfig,
        handle: ServerHandle,
        listener: Option<Listener>,
    ) -> Result<Self, Error> {
        let client =
            redis::Client::open(config.url.as_str()).map_err(|e| Error::Url(e.to_string()))?;
        let (tx, rx) = sync_channel(config.queue.max(1));
        let shared = Arc::new(Shared {
            config,
            listener,
            client,
            handle,
            rooms: Rooms::default(),
            counters: Counters::default(),
            subscribed: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        });
        let threads = vec![
            spawn("sockeye-pubsub-publish", shared.clone(), move |s| {
                publisher(&s, &rx)
            }),
            spawn("sockeye-pubsub-subscribe", shared.clone(), |s| {
                subscriber(&s)
            }),
        ];
        Ok(Self {
            shared,
            publish: Mutex::new((0, tx)),
            threads,
        })
    }

    /// Adds a local connection to `channel`.
    pub fn join(&self, channel: &str, id: ConnId) {
        self.shared.rooms.join(channel, id);
    }

    /// Removes a local connection from `channel`.
    pub fn leave(&self, channel: &str, id: ConnId) {
        self.shared.rooms.leave(channel, id);
    }

    /// Removes a local connection from every channel (call it from `on_close`).
    pub fn leave_all(&self, id: ConnId) {
        self.shared.rooms.leave_all(id);
    }

    /// The local members of `channel`.
    pub fn members(&self, channel: &str) -> Vec<ConnId> {
        self.shared.rooms.members(channel)
    }

    /// Sends `text` to every member of `channel` on every node (see the ordering and
    /// loss rules on [`Bridge`]).
    pub fn publish_text(&self, channel: &str, text: &str) -> Published {
        self.publish(channel, Kind::Text, text.as_bytes())
    }

    /// Sends `data` as a binary message to every member of `channel` on every node.
    pub fn publish_binary(&self, channel: &str, data: &[u8]) -> Published {
        self.publish(channel, Kind::Binary, data)
    }

    fn publish(&self, channel: &str, kind: Kind, payload: &[u8]) -> Published {
        deliver(&self.shared, channel, kind, payload);
        // The sequence number and the queue slot are taken together, so the queue (and
        // the broker) see this node's messages in sequence order.
        let mut guard = self.publish.lock().unwrap_or_else(|p| p.into_inner());
        let (seq, tx) = &mut *guard;
        *seq += 1;
        let node = self.shared.config.node_id;
        let item = (
            channel.to_owned(),
            envelope::encode(node, *seq, kind, payload),
        );
        match tx.try_send(item) {
            Ok(()) => Published::Queued,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.shared.counters.dropped.fetch_add(1, Ordering::Relaxed);
                Published::LocalOnly
            }
        }
    }

    /// Whether the subscription to the broker is up (messages of other nodes arrive).
    pub fn is_subscribed(&self) -> bool {
        self.shared.subscribed.load(Ordering::Relaxed)
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> BridgeStats {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        BridgeStats {
            published: get(&c.published),
            dropped: get(&c.dropped),
            received: get(&c.received),
            delivered: get(&c.delivered),
            duplicates: get(&c.duplicates),
            gaps: get(&c.gaps),
            reconnects: get(&c.reconnects),
        }
    }

    /// Stops both threads (what is still queued for the broker is given up to 1 s).
    pub fn shutdown(mut self) {
        self.stop_threads();
    }

    fn stop_threads(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.stop_threads();
    }
}

fn spawn(
    name: &str,
    shared: Arc<Shared>,
    f: impl FnOnce(Arc<Shared>) + Send + 'static,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || f(shared))
        .unwrap_or_else(|_| std::thread::spawn(|| {}))
}

/// One message to the local members of `channel`, framed once for all of them.
fn deliver(shared: &Shared, channel: &str, kind: Kind, payload: &[u8]) -> bool {
    let members = shared.rooms.members(channel);
    if members.is_empty() {
        return false;
    }
    let _ = match kind {
        Kind::Text => match std::str::from_utf8(payload) {
            Ok(text) => shared.handle.broadcast_text_to(&members, text),
            Err(_) => return false,
        },
        Kind::Binary => shared.handle.broadcast_binary_to(&members, payload),
    };
    true
}

/// Exponential backoff between `min` and `max`, reset on success.
struct Backoff {
    next: Duration,
    min: Duration,
    max: Duration,
}

impl Backoff {
    fn new(config: &BridgeConfig) -> Self {
        Self {
            next: config.reconnect_min,
            min: config.reconnect_min,
            max: config.reconnect_max,
        }
    }

    /// Sleeps the current step (waking early on stop) and doubles it.
    fn wait(&mut self, stop: &AtomicBool) {
        let until = Instant::now() + self.next;
        while !stop.load(Ordering::Relaxed) {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(POLL));
        }
        self.next = (self.next * 2).min(self.max);
    }

    fn reset(&mut self) {
        self.next = self.min;
    }
}

fn connect(shared: &Shared, first: &mut bool) -> Option<redis::Connection> {
    let con = shared
        .client
        .get_connection_with_timeout(shared.config.connect_timeout)
        .ok()?;
    // The crate sets no timeout on an open connection: without these a broker that
    // stops answering would hold the publisher (and a stopping bridge) forever.
    let timeout = Some(shared.config.command_timeout);
    con.set_read_timeout(timeout).ok()?;
    con.set_write_timeout(timeout).ok()?;
    if !std::mem::take(first) {
        shared.counters.reconnects.fetch_add(1, Ordering::Relaxed);
    }
    Some(con)
}

/// The queue to the broker, in order; a publish that fails is retried on the next
/// connection (which can deliver it twice: receivers skip duplicates by sequence).
fn publisher(shared: &Shared, rx: &Receiver<Outgoing>) {
    let mut backoff = Backoff::new(&shared.config);
    let mut con: Option<redis::Connection> = None;
    let mut first = true;
    let mut pending: Option<Outgoing> = None;
    let mut stopping_since: Option<Instant> = None;
    loop {
        if shared.stop.load(Ordering::Relaxed) {
            let since = *stopping_since.get_or_insert_with(Instant::now);
            if since.elapsed() > Duration::from_secs(1) {
                return;
            }
        }
        let item = match pending.take() {
            Some(item) => item,
            None => match rx.recv_timeout(POLL) {
                Ok(item) => item,
                Err(RecvTimeoutError::Timeout) if stopping_since.is_some() => return,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            },
        };
        if con.is_none() {
            con = connect(shared, &mut first);
            if con.is_none() {
                pending = Some(item);
                backoff.wait(&shared.stop);
                continue;
            }
            backoff.reset();
        }
        let Some(c) = con.as_mut() else { continue };
        let channel = format!("{}{}", shared.config.prefix, item.0);
        let sent: redis::RedisResult<i64> =
            redis::cmd("PUBLISH").arg(&channel).arg(&item.1).query(c);
        match sent {
            Ok(_) => {
                shared.counters.published.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                con = None;
                pending = Some(item);
            }
        }
    }
}

/// The subscription to every channel of the prefix; messages of other nodes go to the
/// local members, once each.
fn subscriber(shared: &Shared) {
    let mut backoff = Backoff::new(&shared.config);
    let mut first = true;
    // The last sequence number seen per publishing node.
    let mut last: HashMap<u64, u64> = HashMap::new();
    while !shared.stop.load(Ordering::Relaxed) {
        let Some(mut con) = connect(shared, &mut first) else {
            backoff.wait(&shared.stop);
            continue;
        };
        let mut pubsub = con.as_pubsub();
        let pattern = format!("{}*", shared.config.prefix);
        if pubsub.psubscribe(&pattern).is_err() || pubsub.set_read_timeout(Some(POLL)).is_err() {
            backoff.wait(&shared.stop);
            continue;
        }
        backoff.reset();
        shared.subscribed.store(true, Ordering::Relaxed);
        while !shared.stop.load(Ordering::Relaxed) {
            match pubsub.get_message() {
                Ok(msg) => on_message(
                    shared,
                    &mut last,
                    msg.get_channel_name(),
                    msg.get_payload_bytes(),
                ),
                Err(e) if e.is_timeout() => {}
                Err(_) => break,
            }
        }
        shared.subscribed.store(false, Ordering::Relaxed);
    }
}

fn on_message(shared: &Shared, last: &mut HashMap<u64, u64>, channel: &str, bytes: &[u8]) {
    let Some(channel) = channel.strip_prefix(shared.config.prefix.as_str()) else {
        return;
    };
    let Some(env) = envelope::decode(bytes) else {
        return;
    };
    // Our own message, delivered locally when it was published.
    if env.node == shared.config.node_id {
        return;
    }
    let c = &shared.counters;
    match last.get(&env.node).copied() {
        Some(seen) if env.seq <= seen => {
            c.duplicates.fetch_add(1, Ordering::Relaxed);
            return;
        }
        Some(seen) => {
            c.gaps.fetch_add(env.seq - seen - 1, Ordering::Relaxed);
        }
        None => {}
    }
    last.insert(env.node, env.seq);
    c.received.fetch_add(1, Ordering::Relaxed);
    if let Some(listener) = &shared.listener {
        listener(Remote {
            channel,
            payload: env.payload,
            text: env.kind == Kind::Text,
            node: env.node,
        });
    }
    if deliver(shared, channel, env.kind, env.payload) {
        c.delivered.fetch_add(1, Ordering::Relaxed);
    }
}

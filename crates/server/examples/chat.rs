//! A chat room in the browser: the page at `/`, the WebSocket at `/chat`, on one port.
//!
//! ```text
//! cargo run --release -p sockeye-server --example chat -- 127.0.0.1:9002
//! # then open http://127.0.0.1:9002/ in two browser windows
//! ```
//!
//! Nicknames, join and leave notices, a presence list, and the last 50 lines for a
//! newcomer. Each line is framed once and the same bytes go to every member
//! ([`ServerHandle::broadcast_text_to`]). A member who stops reading is the server's
//! business, not the room's: once a member's unsent output passes
//! [`ServerConfig::max_write_buffer`] (1 MiB here) the server closes it with 1008 (policy
//! violation, [`OverflowPolicy::Close`](sockeye_server::OverflowPolicy)), its leave is
//! announced, and everyone else goes on.
//!
//! The protocol, JSON text messages. Client to server: `{"type":"join","name":N,"sid":S}`
//! first (`sid`, optional, is the page's session: a name is taken only by another
//! session, so a reconnecting page keeps its own), then `{"type":"say","text":T}`. Server to client: `welcome` (your name, the members,
//! the history), `presence` (who joined or left, and the count: a change, never the
//! whole list, so a crowd joining at once costs O(members) per join), `line` (name, text,
//! server time in ms, and an `id` unique in the cluster), `history` (lines from Redis).
//! `--tls` serves `https://` and `wss://` with a development certificate; Ctrl-C or
//! SIGTERM closes every member with 1001 (going away), after `--drain-ms` of failing
//! `/healthz`.
//!
//! As a cluster: `chat 127.0.0.1:PORT --redis redis://127.0.0.1:6379` on each node. Lines
//! go through [`sockeye_pubsub::Bridge`] (delivered on this node at once, framed once on
//! every other node) and into a list in Redis (`sockeye:chat:history`, the last 200); a
//! member who joins any node gets that history after its welcome, so a client that
//! reconnects to another node sees what it missed (the page merges lines by `id`). The
//! presence list spans the cluster: joins and leaves go to the other nodes through the
//! bridge, and each node's list is kept in Redis for the others to repair theirs from
//! (`presence/mod.rs`). Redis calls run on a thread of their own, never on the event
//! loop; while Redis is away the node's own room goes on and lines are not stored.
#![allow(clippy::print_stdout)]

mod demo;
mod presence;

use presence::Member;

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sockeye_server::{
    Accept, CloseCode, Closed, ConnId, Context, Handler, HttpRequest, Message, Refusal, Reject,
    Request, ServerConfig, ServerHandle,
};

/// Lines a newcomer gets.
const HISTORY: usize = 50;
/// Longest nickname, in characters.
const MAX_NAME: usize = 24;
/// Longest line, in characters (longer ones are cut).
const MAX_LINE: usize = 2000;
/// The broker channel of the room, and the Redis list of its history (both under the
/// bridge's `sockeye:` prefix).
const CHANNEL: &str = "chat:room";
const HISTORY_KEY: &str = "sockeye:chat:history";
/// Lines kept in Redis.
const CLUSTER_HISTORY: isize = 200;

struct Chat {
    assets: sockeye_server::Assets,
    room: Shared,
    handle: demo::LateHandle,
    /// This node's identity in line ids and broker envelopes.
    node: u64,
    lines: AtomicU64,
    /// With `--redis`, once the server is bound.
    cluster: Arc<OnceLock<Cluster>>,
    /// `--redis` was given.
    clustered: bool,
}

/// A node's part of the cluster.
struct Cluster {
    bridge: sockeye_pubsub::Bridge,
    /// To the Redis thread: bounded, so a Redis that is slow or away costs at most
    /// [`JOBS`] jobs of memory (past that, a line is not stored and a newcomer gets no
    /// cluster history: the room goes on).
    jobs: Mutex<SyncSender<Job>>,
}

/// Jobs waiting for Redis.
const JOBS: usize = 10_000;

enum Job {
    /// Store a line (JSON) in the history.
    Append(String),
    /// Send the history to a member who just joined.
    Fetch(ConnId),
    /// The node is stopping: take its presence list out of Redis, then say so.
    Goodbye(Sender<()>),
}

/// The room, shared by the event loops, the bridge's listener and the Redis thread.
type Shared = Arc<Mutex<Room>>;

fn lock(room: &Shared) -> MutexGuard<'_, Room> {
    room.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Default)]
struct Room {
    /// Joined members by connection, with their nicknames and sessions.
    members: BTreeMap<ConnId, Member>,
    /// The members on other nodes (none on one node).
    presence: presence::Presence,
    /// The names listed to the pages: this node's members and the other nodes'.
    names: presence::Names,
    /// The last lines, as sent (JSON).
    history: VecDeque<String>,
}

impl Room {
    /// Applies changes (of this node or another) to the names, and tells this node's
    /// members (but `except`) of each that changed the list.
    fn announce(
        &mut self,
        changes: &[presence::Change],
        except: Option<ConnId>,
        handle: Option<&ServerHandle>,
    ) {
        let mut ids = None;
        for change in changes {
            let Some(message) = self.names.apply(change) else {
                continue;
            };
            let (Some(handle), false) = (handle, self.members.is_empty()) else {
                continue;
            };
            let ids = ids.get_or_insert_with(|| {
                let all = self.members.keys().copied();
                all.filter(|&i| Some(i) != except).collect::<Vec<_>>()
            });
            let _ = handle.broadcast_text_to(ids, &message);
        }
    }

    fn ids(&self) -> Vec<ConnId> {
        self.members.keys().copied().collect()
    }

    /// Keeps `line` (JSON) among the last [`HISTORY`] for newcomers.
    fn remember(&mut self, line: &str) {
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(line.to_owned());
    }

    /// `wanted`, trimmed and cut, made unique in the cluster's room for session `sid`.
    fn unique_name(&self, wanted: &str, id: ConnId, sid: &str) -> String {
        let base: String = wanted.trim().chars().take(MAX_NAME).collect();
        let base = if base.is_empty() {
            format!("guest-{id}")
        } else {
            base
        };
        let taken = |n: &str| {
            let mut everyone = self.members.values().chain(self.presence.members());
            everyone.any(|m| m.name == n && m.sid != sid)
        };
        if !taken(&base) {
            return base;
        }
        (2..)
            .map(|i| format!("{base}-{i}"))
            .find(|n| !taken(n))
            .unwrap_or(base)
    }
}

impl Chat {
    fn handle(&self) -> Option<&ServerHandle> {
        self.handle.get()
    }

    fn job(&self, job: Job) {
        if let Some(c) = self.cluster.get() {
            let _ = c.jobs.lock().map(|tx| tx.try_send(job));
        }
    }

    fn room(&self) -> MutexGuard<'_, Room> {
        lock(&self.room)
    }

    /// Tells the other nodes of a local join or leave (with the room locked, so the
    /// versions go out in order).
    fn tell_cluster(&self, room: &mut Room, id: ConnId, joined: bool, member: &Member) {
        if let Some(c) = self.cluster.get() {
            let event = room.presence.local_event(&id.to_string(), joined, member);
            let _ = c.bridge.publish_text(presence::CHANNEL, &event);
        }
    }

    fn join(&self, cx: &mut Context<'_>, me: &mut Option<String>, wanted: &str, sid: &str) {
        if me.is_some() {
            return;
        }
        // Without a session of its own, a connection is its own session (connection ids
        // are per node: the node's id makes it one in the cluster).
        let sid = presence::session(sid).unwrap_or_else(|| format!("{:x}/{}", self.node, cx.id()));
        let mut room = self.room();
        let name = room.unique_name(wanted, cx.id(), &sid);
        let member = Member {
            name: name.clone(),
            sid,
        };
        // A change for the others, not the list: a list per join would be O(members²)
        // bytes when a crowd (re)connects at once (the welcome carries the whole list).
        let joined = [presence::Change::Joined(name.clone())];
        room.announce(&joined, Some(cx.id()), Some(cx.handle()));
        self.tell_cluster(&mut room, cx.id(), true, &member);
        room.members.insert(cx.id(), member);
        let welcome = json!({
            "type": "welcome",
            "you": name,
            "members": room.names.list().collect::<Vec<_>>(),
            "history": room.history.iter().map(|l| serde_json::from_str::<Value>(l).unwrap_or(Value::Null)).collect::<Vec<_>>(),
        });
        let _ = cx.send_text(&welcome.to_string());
        *me = Some(name);
        drop(room);
        if let Some(c) = self.cluster.get() {
            c.bridge.join(CHANNEL, cx.id());
        }
        // The cluster's history follows the welcome (which has this node's).
        self.job(Job::Fetch(cx.id()));
    }

    fn say(&self, cx: &mut Context<'_>, me: &str, text: &str) {
        let text: String = text.chars().take(MAX_LINE).collect();
        if text.trim().is_empty() {
            return;
        }
        let n = self.lines.fetch_add(1, Ordering::Relaxed);
        let id = format!("{:x}-{n}", self.node);
        let line =
            json!({"type": "line", "id": id, "name": me, "text": text, "ts": demo::now_ms()})
                .to_string();
        let mut room = self.room();
        room.remember(&line);
        match self.cluster.get() {
            // Here at once, and through the broker to every other node.
            Some(c) => {
                let _ = c.bridge.publish_text(CHANNEL, &line);
                drop(room);
                self.job(Job::Append(line));
            }
            // Framed once; the same bytes go to every member, the sender included.
            None => {
                let _ = cx.handle().broadcast_text_to(&room.ids(), &line);
            }
        }
    }
}

impl Handler for Chat {
    /// The nickname, once joined.
    type State = Option<String>;
    const SERVES_HTTP: bool = true;

    fn on_http(&self, request: &HttpRequest) -> Reject {
        demo::health(request).unwrap_or_else(|| self.assets.respond(request))
    }

    fn on_open(&self, request: &Request, _: ConnId) -> Result<(Self::State, Accept), Refusal> {
        if request.path() != "/chat" {
            return Err(Reject::new(404).expect("404 is a valid status").into());
        }
        demo::admit()?;
        // With `--redis`, no member before the node is in the cluster (between the bind
        // and the bridge's start): it would be missing from the channel and from presence.
        if self.clustered && self.cluster.get().is_none() {
            return Err(Reject::new(503).expect("503 is a valid status").into());
        }
        Ok((None, Accept::new()))
    }

    fn on_message(&self, cx: &mut Context<'_>, me: &mut Self::State, message: Message<'_>) {
        let Message::Text(text) = message else {
            cx.close(CloseCode::UNSUPPORTED_DATA, "text only");
            return;
        };
        let Ok(msg) = serde_json::from_str::<Value>(text) else {
            cx.close(CloseCode::POLICY_VIOLATION, "not JSON");
            return;
        };
        let field = |k: &str| msg.get(k).and_then(Value::as_str).unwrap_or_default();
        match (field("type"), me.as_deref()) {
            ("join", _) => self.join(cx, me, field("name"), field("sid")),
            ("say", Some(name)) => {
                let name = name.to_owned();
                self.say(cx, &name, field("text"));
            }
            _ => {
                cx.close(CloseCode::POLICY_VIOLATION, "join first, then say");
            }
        }
    }

    fn on_close(&self, id: ConnId, me: Self::State, closed: Closed) {
        if let Some(c) = self.cluster.get() {
            c.bridge.leave_all(id);
        }
        if me.is_none() {
            return;
        }
        let mut room = self.room();
        let Some(member) = room.members.remove(&id) else {
            return;
        };
        println!("{} left ({})", member.name, closed.code);
        self.tell_cluster(&mut room, id, false, &member);
        room.announce(&[presence::Change::Left(member.name)], None, self.handle());
    }
}

/// The Redis side of the node, on its own thread (the event loop never waits for
/// Redis): the history's jobs as they come, and every [`presence::PERIOD`] this node's
/// presence list out and the other nodes' in. A call that fails on a connection Redis
/// dropped (it restarted) is tried once more on a new one; one that finds Redis away is
/// given up: the room goes on.
fn redis_side(url: &str, jobs: &Receiver<Job>, late: &demo::LateHandle, room: &Shared, node: u64) {
    let Ok(client) = redis::Client::open(url) else {
        return;
    };
    let mut con: Option<redis::Connection> = None;
    // The presence version this connection wrote (none yet on a new one: Redis may have
    // restarted empty).
    let mut written: Option<u64> = None;
    let mut next_sync = Instant::now();
    loop {
        let wait = next_sync.saturating_duration_since(Instant::now());
        let job = match jobs.recv_timeout(wait) {
            Ok(job) => Some(job),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        // The last job: nothing may write the presence list again once it is removed.
        let goodbye = matches!(job, Some(Job::Goodbye(_)));
        // Jobs first; the presence work is due at its period even while jobs keep coming.
        let mut sync = !goodbye && Instant::now() >= next_sync;
        if sync {
            next_sync = Instant::now() + presence::PERIOD;
        }
        let mut job = job;
        // Each part is retried alone: a job that went through is not run again (a line
        // stored twice) because the presence work after it failed.
        for _attempt in 0..2 {
            if con.is_none() {
                con = connect(&client);
                written = None;
            }
            let Some(c) = con.as_mut() else { break };
            if let Some(j) = &job {
                if run(c, j, late, node).is_err() {
                    con = None;
                    continue;
                }
                job = None;
            }
            if sync {
                if sync_presence(c, node, room, late, &mut written).is_err() {
                    con = None;
                    continue;
                }
                sync = false;
            }
            break;
        }
        if goodbye {
            return;
        }
    }
}

/// Writes this node's presence list if it changed (or Redis lost it), refreshes its
/// expiry, and applies the other nodes' lists.
fn sync_presence(
    c: &mut redis::Connection,
    node: u64,
    room: &Shared,
    late: &demo::LateHandle,
    written: &mut Option<u64>,
) -> redis::RedisResult<()> {
    let version = lock(room).presence.version;
    let kept = *written == Some(version) && presence::refresh(c, node)?;
    if !kept {
        let (version, members): (u64, Vec<(String, Member)>) = {
            let r = lock(room);
            let members = r.members.iter().map(|(id, n)| (id.to_string(), n.clone()));
            (r.presence.version, members.collect())
        };
        presence::write(c, node, version, &members)?;
        *written = Some(version);
    }
    let snapshot = presence::read(c, node)?;
    let mut r = lock(room);
    let changes = r.presence.apply_snapshot(snapshot, Instant::now());
    r.announce(&changes, None, late.get());
    Ok(())
}

/// A connection whose commands give up after 1 s (the crate sets no timeout once
/// connected: a Redis that stops answering would hold this thread for good).
fn connect(client: &redis::Client) -> Option<redis::Connection> {
    let timeout = Duration::from_secs(1);
    let con = client.get_connection_with_timeout(timeout).ok()?;
    con.set_read_timeout(Some(timeout)).ok()?;
    con.set_write_timeout(Some(timeout)).ok()?;
    Some(con)
}

fn run(
    c: &mut redis::Connection,
    job: &Job,
    late: &demo::LateHandle,
    node: u64,
) -> redis::RedisResult<()> {
    match job {
        Job::Append(line) => redis::pipe()
            .cmd("RPUSH")
            .arg(HISTORY_KEY)
            .arg(line)
            .ignore()
            .cmd("LTRIM")
            .arg(HISTORY_KEY)
            .arg(-CLUSTER_HISTORY)
            .arg(-1)
            .ignore()
            .query::<()>(c),
        Job::Fetch(id) => {
            let lines: Vec<String> = redis::cmd("LRANGE")
                .arg(HISTORY_KEY)
                .arg(-CLUSTER_HISTORY)
                .arg(-1)
                .query(c)?;
            let lines: Vec<Value> = lines
                .iter()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect();
            let msg = json!({"type": "history", "lines": lines}).to_string();
            if let Some(handle) = late.get() {
                let _ = handle.send_text(*id, &msg);
            }
            Ok(())
        }
        Job::Goodbye(done) => {
            presence::remove(c, node)?;
            let _ = done.send(());
            Ok(())
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = demo::Args::parse("127.0.0.1:9002")?;
    args.only(&["redis"])?;
    let redis_url: Option<String> = args
        .get("redis", String::new())
        .ok()
        .filter(|u| !u.is_empty());
    let assets = demo::assets()
        .file("/", include_str!("web/chat/index.html"))
        .file("/chat.js", include_str!("web/chat/chat.js"));
    let mut config = ServerConfig::default();
    // A member who does not read gets 1 MiB of backlog, then 1008: the room goes on.
    config.write_high_water = 256 << 10;
    config.max_write_buffer = 1 << 20;
    let late = demo::LateHandle::default();
    // Unique enough between the nodes of a cluster: the process and the start time.
    // Random: a process id and a start time can repeat across containers.
    let node: u64 = rand::random();
    let cluster = Arc::new(OnceLock::new());
    let room = Shared::default();
    let chat = Chat {
        assets,
        room: room.clone(),
        handle: late.clone(),
        node,
        lines: AtomicU64::new(0),
        cluster: cluster.clone(),
        clustered: redis_url.is_some(),
    };
    let on_bound = |handle: &ServerHandle| -> Result<(), Box<dyn std::error::Error>> {
        let Some(url) = redis_url else { return Ok(()) };
        // Presence events of the other nodes (their lines go to the room's members
        // through the bridge itself).
        let listener: sockeye_pubsub::Listener = {
            let (room, late) = (room.clone(), late.clone());
            Box::new(move |remote: sockeye_pubsub::Remote<'_>| {
                if remote.channel == CHANNEL {
                    // Another node's line: this node's history has the room's lines, so
                    // a newcomer's welcome has them even while Redis is away.
                    if let Ok(line) = std::str::from_utf8(remote.payload) {
                        lock(&room).remember(line);
                    }
                    return;
                }
                if remote.channel != presence::CHANNEL {
                    return;
                }
                let mut r = lock(&room);
                let changes = r
                    .presence
                    .apply_event(remote.node, remote.payload, Instant::now());
                r.announce(&changes, None, late.get());
            })
        };
        let bridge = sockeye_pubsub::Bridge::start_listening(
            sockeye_pubsub::BridgeConfig::new(url.clone(), node),
            handle.clone(),
            listener,
        )?;
        let (tx, rx) = sync_channel(JOBS);
        let late = late.clone();
        let room = room.clone();
        std::thread::spawn(move || redis_side(&url, &rx, &late, &room, node));
        let _ = cluster.set(Cluster {
            bridge,
            jobs: Mutex::new(tx),
        });
        println!("chat: node {node:x} in the cluster through Redis");
        Ok(())
    };
    let served = demo::serve("chat", config, chat, &args, &late, on_bound);
    // Every member is gone (their leaves went out as events): the node's presence list
    // leaves Redis too, so a node that missed those events does not list them until
    // the list's expiry.
    if let Some(c) = cluster.get() {
        let (done, said) = channel();
        let _ = c.jobs.lock().map(|tx| tx.try_send(Job::Goodbye(done)));
        let _ = said.recv_timeout(Duration::from_secs(2));
    }
    served
}

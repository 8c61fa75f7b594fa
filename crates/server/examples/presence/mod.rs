//! The chat's presence list across a cluster: who is in the room on the other nodes.
//!
//! Two paths, so that a change shows at once and a lost change is repaired:
//! - **Events.** Each local join or leave bumps this node's presence version and goes
//!   to the other nodes through the bridge (channel `chat:presence`, which no local
//!   connection joins): `{"v":VERSION,"id":CONN,"joined":NAME,"sid":SESSION}` or
//!   `{"v":VERSION,"id":CONN,"left":NAME}`.
//! - **Snapshots.** Each node keeps its whole list in a Redis hash
//!   (`sockeye:chat:presence:NODE`: field `v` the version, `m:CONN` each member's
//!   `SESSION NAME`), rewritten when it changed and kept alive with a 10 s expiry
//!   refreshed every 2 s, and reads every other node's hash every 2 s. The nodes are
//!   found in a set (`sockeye:chat:nodes`), not by scanning the keyspace; a node leaves
//!   it when it stops, or when another finds its hash expired (a node put back in its
//!   set every period, so a removal that raced its write is undone).
//!
//! The version orders the two per node: an event or snapshot older than what was
//! applied is ignored, so a snapshot read just before an event's write cannot undo it.
//! A snapshot replaces that node's list whole (a missed event is repaired within one
//! read). A node whose hash is missing from two reads in a row (it crashed, and its key
//! expired) and that sent no event for [`QUIET`] loses its members; two reads, not one,
//! because after Redis restarts empty each node writes its list again within a period.
//!
//! The list the pages see is of names ([`Names`]): a name is listed while any member on
//! any node holds it, so `joined` and `left` go out only when that changes. A name is
//! taken only by a member of another session (the page's, kept for its tab): a page
//! whose node died rejoins elsewhere under its own name while the dead node's list has
//! not expired yet. Two nodes naming two newcomers in the same instant can still give
//! them the same name.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use redis::Commands as _;
use serde_json::{Value, json};

/// The bridge channel of presence events.
pub(crate) const CHANNEL: &str = "chat:presence";
/// How often a node rewrites (or refreshes) its hash and reads the others'.
pub(crate) const PERIOD: Duration = Duration::from_secs(2);
/// The expiry of a node's hash: a node that stopped refreshing it is gone after this.
const TTL_SECS: u64 = 10;
/// A node missing from snapshots keeps its members while it sent an event this recently
/// (its first hash may not be written yet).
const QUIET: Duration = Duration::from_secs(3);
const KEY_PREFIX: &str = "sockeye:chat:presence:";
const NODES: &str = "sockeye:chat:nodes";
/// The longest session id a page may give.
const MAX_SID: usize = 64;

/// A member of the room: the nickname, and the session of the page that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    pub(crate) name: String,
    pub(crate) sid: String,
}

/// The session id a page sent, if it is one (letters, digits and `-`, at most 64).
pub(crate) fn session(sid: &str) -> Option<String> {
    let valid = !sid.is_empty()
        && sid.len() <= MAX_SID
        && sid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    valid.then(|| sid.to_owned())
}

/// One member joining or leaving.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Change {
    Joined(String),
    Left(String),
}

/// The names in the room, with how many members hold each.
#[derive(Default)]
pub(crate) struct Names(BTreeMap<String, usize>);

impl Names {
    /// Applies `change`; the `presence` message for the pages if the list changed.
    pub(crate) fn apply(&mut self, change: &Change) -> Option<String> {
        let listed = match change {
            Change::Joined(name) => {
                let n = self.0.entry(name.clone()).or_default();
                *n += 1;
                *n == 1
            }
            Change::Left(name) => {
                let n = self.0.get_mut(name)?;
                *n -= 1;
                let gone = *n == 0;
                if gone {
                    self.0.remove(name);
                }
                gone
            }
        };
        let count = self.0.len();
        listed.then(|| {
            match change {
                Change::Joined(n) => json!({"type": "presence", "joined": n, "count": count}),
                Change::Left(n) => json!({"type": "presence", "left": n, "count": count}),
            }
            .to_string()
        })
    }

    /// The names, sorted.
    pub(crate) fn list(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// Another node's list as this node last heard it.
struct Peer {
    version: u64,
    heard: Instant,
    /// Snapshots in a row without this node.
    missing: u8,
    /// By connection id (as the other node prints it).
    members: BTreeMap<String, Member>,
}

impl Peer {
    fn new(now: Instant) -> Self {
        Self {
            version: 0,
            heard: now,
            missing: 0,
            members: BTreeMap::new(),
        }
    }
}

/// This node's version and its view of the other nodes.
#[derive(Default)]
pub(crate) struct Presence {
    /// Bumped on every local join or leave.
    pub(crate) version: u64,
    peers: BTreeMap<u64, Peer>,
}

/// Other nodes' lists as read from Redis: node, version, members by connection id.
pub(crate) type Snapshot = Vec<(u64, u64, BTreeMap<String, Member>)>;

impl Presence {
    /// Every member on the other nodes.
    pub(crate) fn members(&self) -> impl Iterator<Item = &Member> {
        self.peers.values().flat_map(|p| p.members.values())
    }

    /// The event for a local join (`true`) or leave of `member`, bumping the version.
    pub(crate) fn local_event(&mut self, id: &str, joined: bool, member: &Member) -> String {
        self.version += 1;
        if joined {
            json!({"v": self.version, "id": id, "joined": member.name, "sid": member.sid})
        } else {
            json!({"v": self.version, "id": id, "left": member.name})
        }
        .to_string()
    }

    /// An event from `node`: what changed (nothing if it is not news).
    pub(crate) fn apply_event(&mut self, node: u64, event: &[u8], now: Instant) -> Vec<Change> {
        let mut changes = Vec::new();
        let Some((version, id, joined)) = parse_event(event) else {
            return changes;
        };
        let peer = self.peers.entry(node).or_insert_with(|| Peer::new(now));
        peer.heard = now;
        if version <= peer.version {
            return changes;
        }
        peer.version = version;
        let old = match joined {
            Some(member) => {
                changes.push(Change::Joined(member.name.clone()));
                peer.members.insert(id, member)
            }
            None => peer.members.remove(&id),
        };
        if let Some(old) = old {
            changes.insert(0, Change::Left(old.name));
        }
        changes
    }

    /// A snapshot of every other node (this one's excluded by the reader): what changed.
    pub(crate) fn apply_snapshot(&mut self, snapshot: Snapshot, now: Instant) -> Vec<Change> {
        let mut changes = Vec::new();
        let mut seen = BTreeSet::new();
        for (node, version, members) in snapshot {
            seen.insert(node);
            let peer = self.peers.entry(node).or_insert_with(|| Peer::new(now));
            peer.heard = now;
            peer.missing = 0;
            if version < peer.version {
                continue;
            }
            peer.version = version;
            let old = std::mem::replace(&mut peer.members, members);
            diff(&old, &peer.members, &mut changes);
        }
        self.peers.retain(|node, peer| {
            if seen.contains(node) {
                return true;
            }
            peer.missing = peer.missing.saturating_add(1);
            let gone = peer.missing >= 2 && now.duration_since(peer.heard) >= QUIET;
            if gone {
                diff(&peer.members, &BTreeMap::new(), &mut changes);
            }
            !gone
        });
        changes
    }
}

/// `(version, connection, Some(member) for a join)`.
fn parse_event(event: &[u8]) -> Option<(u64, String, Option<Member>)> {
    let event: Value = serde_json::from_slice(event).ok()?;
    let version = event.get("v")?.as_u64()?;
    let id = event.get("id")?.as_str()?.to_owned();
    let text = |k: &str| event.get(k).and_then(Value::as_str);
    let joined = match (text("joined"), text("left")) {
        (Some(name), _) => Some(Member {
            name: name.to_owned(),
            sid: text("sid")?.to_owned(),
        }),
        (None, Some(_)) => None,
        (None, None) => return None,
    };
    Some((version, id, joined))
}

/// What turned `old` into `new`, as changes: every member gone or replaced leaves,
/// every member new or replaced joins.
fn diff(old: &BTreeMap<String, Member>, new: &BTreeMap<String, Member>, out: &mut Vec<Change>) {
    for (id, m) in old {
        if new.get(id) != Some(m) {
            out.push(Change::Left(m.name.clone()));
        }
    }
    for (id, m) in new {
        if old.get(id) != Some(m) {
            out.push(Change::Joined(m.name.clone()));
        }
    }
}

/// Writes this node's whole list (replacing the hash) and its expiry, in one transaction.
pub(crate) fn write(
    con: &mut redis::Connection,
    node: u64,
    version: u64,
    members: &[(String, Member)],
) -> redis::RedisResult<()> {
    let key = format!("{KEY_PREFIX}{node:016x}");
    let mut pipe = redis::pipe();
    pipe.atomic().del(&key).ignore();
    pipe.hset(&key, "v", version).ignore();
    for (id, m) in members {
        pipe.hset(&key, format!("m:{id}"), format!("{} {}", m.sid, m.name))
            .ignore();
    }
    pipe.expire(&key, TTL_SECS as i64).ignore();
    pipe.sadd(NODES, format!("{node:016x}")).ignore();
    pipe.query(con)
}

/// Refreshes the expiry of this node's hash (and its place in the set of nodes); false
/// if the hash is gone (Redis lost it).
pub(crate) fn refresh(con: &mut redis::Connection, node: u64) -> redis::RedisResult<bool> {
    let (kept,): (bool,) = redis::pipe()
        .expire(format!("{KEY_PREFIX}{node:016x}"), TTL_SECS as i64)
        .sadd(NODES, format!("{node:016x}"))
        .ignore()
        .query(con)?;
    Ok(kept)
}

/// Takes this node's list out of Redis (it is stopping).
pub(crate) fn remove(con: &mut redis::Connection, node: u64) -> redis::RedisResult<()> {
    redis::pipe()
        .atomic()
        .del(format!("{KEY_PREFIX}{node:016x}"))
        .ignore()
        .srem(NODES, format!("{node:016x}"))
        .ignore()
        .query(con)
}

/// Every other node's list; a node in the set whose hash expired is taken out of it.
pub(crate) fn read(con: &mut redis::Connection, own: u64) -> redis::RedisResult<Snapshot> {
    let nodes: Vec<String> = con.smembers(NODES)?;
    let mut out = Vec::with_capacity(nodes.len());
    for id in nodes {
        let Some(node) = u64::from_str_radix(&id, 16).ok().filter(|&n| n != own) else {
            continue;
        };
        let key = format!("{KEY_PREFIX}{id}");
        let fields: BTreeMap<String, String> = con.hgetall(&key)?;
        let Some(version) = fields.get("v").and_then(|v| v.parse().ok()) else {
            let () = con.srem(NODES, &id)?;
            continue;
        };
        let members = fields
            .into_iter()
            .filter_map(|(field, value)| {
                let id = field.strip_prefix("m:")?.to_owned();
                let (sid, name) = value.split_once(' ')?;
                let member = Member {
                    name: name.to_owned(),
                    sid: sid.to_owned(),
                };
                Some((id, member))
            })
            .collect();
        out.push((node, version, members));
    }
    Ok(out)
}

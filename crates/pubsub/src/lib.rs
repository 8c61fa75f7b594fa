//! Past one machine: a [`sockeye_server`] node's broadcasts shared with the other nodes
//! of a cluster through Redis pub/sub ([`Bridge`]).
//!
//! Each node runs its own server and a bridge. Connections join channels on their node;
//! a message published on any node reaches every member of the channel on every node,
//! framed once per node. The server crate itself knows nothing of Redis.
//!
//! ```no_run
//! use sockeye_pubsub::{Bridge, BridgeConfig};
//! # fn demo(server: &sockeye_server::Server, id: sockeye_server::ConnId) -> Result<(), sockeye_pubsub::Error> {
//! let node_id = u64::from(std::process::id()); // any value unique in the cluster
//! let bridge = Bridge::start(BridgeConfig::new("redis://127.0.0.1:6379", node_id), server.handle())?;
//! bridge.join("room:lobby", id);
//! let _ = bridge.publish_text("room:lobby", "hello, every node");
//! # Ok(()) }
//! ```
//!
//! Why the `redis` crate: it is the maintained, widely used Rust client, and its
//! synchronous API fits a mio server without bringing an async runtime (`fred` is
//! tokio-only). Ordering, back-pressure and loss rules: see [`Bridge`].
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod bridge;
mod config;
mod envelope;
mod rooms;

pub use bridge::{Bridge, BridgeStats, Listener, Published, Remote};
pub use config::BridgeConfig;

/// What can go wrong starting a bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The broker URL could not be used (the reason from the Redis client).
    Url(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Url(why) => write!(f, "bad broker URL: {why}"),
        }
    }
}

impl std::error::Error for Error {}

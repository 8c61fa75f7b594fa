//! # sockeye-server
//!
//! A WebSocket server on `mio` event loops, driving [`sockeye_proto`] connections and
//! [`sockeye_handshake`] upgrades. Chat rooms, game back ends, market-data fan-out.
//!
//! - **Event loops**: one `mio::Poll` per thread (default: one per CPU), each with its own
//!   `SO_REUSEPORT` listener, so the kernel spreads connections. Interest follows state:
//!   writable interest only while output is queued.
//! - **Memory**: an idle connection owns no read or write buffer. Each thread reads into
//!   one shared buffer; the connection state machine keeps only a partial frame header
//!   inline, and a buffer only while a message is partly received or output is queued.
//! - **Writes**: everything a loop turn produces for a connection goes out in one `write`;
//!   `TCP_NODELAY` is on.
//! - **Back-pressure**: each connection's queued output is bounded
//!   ([`ServerConfig::max_write_buffer`]); past [`ServerConfig::write_high_water`] the
//!   server stops reading from that peer until it drains, so a client that never reads
//!   cannot make the server grow. [`SendStatus`] tells the handler where a send stands.
//! - **Timers**: an absolute handshake deadline from accept, keepalive pings with a
//!   timeout, the close handshake's timeout, a linger bound when closing TCP.
//! - **Faults**: a bad handshake gets its HTTP error response; a protocol violation gets
//!   its close code (1002, 1007, 1009); a vanished peer is cleaned up; `accept` running out
//!   of file descriptors backs off; [`ServerConfig::max_connections`] caps connections; a
//!   panicking handler callback closes only its connection (1011).
//! - **Streaming**: a handler with [`Handler::STREAMING`] receives messages in pieces as
//!   they arrive ([`Handler::on_chunk`]) and can answer with [`Context::send_fragment`], so
//!   a large message needs no buffer; [`Echo`] works this way.
//! - **Handles**: [`ServerHandle`] sends to or closes any connection from any thread and
//!   broadcasts one frame, encoded once, to many connections.
//! - **Shutdown**: [`Server::shutdown`] stops accepting, sends 1001 to every connection
//!   and waits up to a deadline.
//!
//! Limits and their defaults are listed on [`ServerConfig`] and in `docs/limits.md`.
//!
//! ## A chat room
//!
//! ```no_run
//! use std::collections::HashSet;
//! use std::sync::Mutex;
//! use sockeye_server::{
//!     Accept, Closed, ConnId, Context, Handler, Message, Refusal, Request, Server, ServerConfig,
//! };
//!
//! #[derive(Default)]
//! struct Chat {
//!     members: Mutex<HashSet<ConnId>>,
//! }
//!
//! impl Handler for Chat {
//!     type State = ();
//!
//!     fn on_open(&self, request: &Request, id: ConnId) -> Result<((), Accept), Refusal> {
//!         if request.path() != "/chat" {
//!             return Err(sockeye_server::Reject::new(404).expect("valid status").into());
//!         }
//!         self.members.lock().unwrap().insert(id);
//!         Ok(((), Accept::new()))
//!     }
//!
//!     fn on_message(&self, cx: &mut Context<'_>, _: &mut (), message: Message<'_>) {
//!         if let Message::Text(text) = message {
//!             let members: Vec<ConnId> = self.members.lock().unwrap().iter().copied().collect();
//!             // Framed once, written to every member by its own event loop.
//!             let _ = cx.handle().broadcast_text_to(&members, text);
//!         }
//!     }
//!
//!     fn on_close(&self, id: ConnId, _: (), _: Closed) {
//!         self.members.lock().unwrap().remove(&id);
//!     }
//! }
//!
//! let server = Server::bind("127.0.0.1:9001".parse()?, ServerConfig::default(), Chat::default())?;
//! println!("chat on ws://{}/chat", server.local_addr());
//! server.run_until_shutdown();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The echo server is [`Echo`]; `crates/server/examples/chat.rs` is a runnable chat room
//! (with nicknames, as per-connection state).
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod config;
mod conn;
mod dispatch;
mod echo;
mod error;
mod handle;
mod handler;
mod id;
mod server;
mod slab;
mod stats;
mod timers;
mod trace;
mod worker;

pub use config::ServerConfig;
pub use echo::Echo;
pub use error::{Error, SendError};
pub use handle::ServerHandle;
pub use handler::{Chunk, Context, Handler, Message, Refusal, SendStatus};
pub use id::ConnId;
pub use server::Server;
/// TLS configuration types (feature `tls`): [`tls::TlsServerConfig`],
/// [`tls::CertStore`], errors, and the rustls they are built on.
#[cfg(feature = "tls")]
pub use sockeye_driver::tls;
pub use sockeye_driver::{Closed, ClosedBy, DeflateConfig, OverflowPolicy};
pub use sockeye_handshake::{Accept, Extension, Limits, OriginAllowList, Reject, Request};
pub use sockeye_proto::{CloseCode, Config as ConnectionConfig, MessageKind};
pub use stats::Stats;

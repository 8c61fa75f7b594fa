#![doc = include_str!("../README.md")]
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

mod assets;
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

pub use assets::{Assets, content_type};
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
pub use sockeye_handshake::{
    Accept, Extension, HttpRequest, Limits, Method, OriginAllowList, Reject, Request,
};
pub use sockeye_proto::{CloseCode, Config as ConnectionConfig, MessageKind};
pub use stats::Stats;

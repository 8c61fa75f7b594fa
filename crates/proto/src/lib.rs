#![doc = include_str!("../README.md")]
//!
//! ## The driver loop
//!
//! One read buffer per event loop is enough: [`Connection::recv`] consumes every byte it is
//! given (keeping a partial header inline and a partial message in its own buffer) unless
//! it returns an event first. Events borrow the read buffer (a whole frame that arrived in
//! one read: no copy) or the connection's assembly buffer.
//!
//! Call `recv` **until it returns no event**, with the rest of the input each time, even
//! once the rest is empty: with an [`Extension`] (permessage-deflate) the decoded output of
//! a message is bounded per call, so a read's last bytes can leave output that only a
//! further call (with empty input) delivers.
//!
//! ```
//! use std::time::Instant;
//! use sockeye_proto::{CloseCode, Config, Connection, Event};
//!
//! // What a client sent: a masked text frame "Hello" (RFC 6455 §5.7), then a masked ping.
//! let from_socket: &[u8] = &[
//!     0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
//!     0x89, 0x80, 0x01, 0x02, 0x03, 0x04,
//! ];
//! let now = Instant::now();
//! let mut conn = Connection::server(Config::default(), now);
//! let mut read_buf = [0u8; 4096]; // shared by all connections of this event loop
//! let mut out = Vec::new(); // bytes to write to this connection's socket
//!
//! // 1. read from the socket into the shared buffer (here: a copy).
//! let n = from_socket.len();
//! read_buf[..n].copy_from_slice(from_socket);
//! // 2. recv until it has no event (everything is consumed then), handling each event.
//! let mut at = 0;
//! loop {
//!     let r = match conn.recv(&mut read_buf[at..n], now) {
//!         Ok(r) => r,
//!         Err(_violation) => break, // close frame queued; flush, then close TCP
//!     };
//!     at += r.consumed;
//!     match r.event {
//!         Some(Event::Text(text)) => r.sender.send_text(text, &mut out)?, // echo, no copy
//!         Some(Event::Binary(data)) => r.sender.send_binary(data, &mut out)?,
//!         Some(Event::Close { code, reason }) => println!("peer closed: {code} {reason}"),
//!         Some(_) => {} // pings are answered automatically
//!         None => break,
//!     }
//! }
//! // 3. frames the connection made itself (the pong), then write `out` to the socket.
//! conn.poll_transmit(&mut out);
//! assert_eq!(out, [0x81, 0x05, b'H', b'e', b'l', b'l', b'o', 0x8A, 0x00]);
//! // 4. close TCP when told; keep a timer at `poll_timeout`.
//! assert!(!conn.should_close_tcp());
//! if let Some(deadline) = conn.poll_timeout() {
//!     conn.handle_timeout(deadline)?; // when the timer fires
//! }
//! // Closing: we start the handshake; the peer's answer completes it.
//! conn.close(CloseCode::GOING_AWAY, "bye", now, &mut out)?;
//! # Ok::<(), sockeye_proto::Error>(())
//! ```
//!
//! On EOF from the socket call [`Connection::recv_eof`]; on a write error just drop the
//! connection.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod close;
mod config;
mod connection;
mod control_queue;
mod copy;
mod error;
mod events;
mod extension;
mod layout;
mod recv;
mod send;
mod timers;
mod utf8;

#[cfg(feature = "test-support")]
pub mod test_support;

pub use config::Config;
pub use connection::{Connection, Role, State};
pub use copy::{extend_payload, payload_to_vec, text_to_string};
pub use error::{Error, TimeoutKind, Violation};
pub use events::{Event, MessageKind, Recv};
pub use extension::{Decoded, Extension, ExtensionError};
pub use recv::STREAM_CHUNK;
pub use send::{MaskSource, Sender};
pub use sockeye_frame::{CloseCode, Rsv};

#![doc = include_str!("../README.md")]
//!
//! ## The loop a front end runs
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Instant;
//! use sockeye_driver::{Driver, DriverConfig, Event};
//! use sockeye_handshake::Accept;
//!
//! let config = Arc::new(DriverConfig::default()); // shared by every connection
//! let now = Instant::now();
//! let mut driver = Driver::server(config, now); // a connection just accepted
//!
//! // What the client sent in one read: its handshake, then a masked text frame "Hello".
//! let mut input = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//!     Sec-WebSocket-Version: 13\r\n\r\n"
//!     .to_vec();
//! input.extend_from_slice(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
//!
//! // 1. Feed the bytes until no event comes back (an empty rest included).
//! let mut at = 0;
//! loop {
//!     let r = driver.recv(&mut input[at..], now)?;
//!     at += r.consumed;
//!     let mut outbox = r.outbox;
//!     match r.event {
//!         Some(Event::Request(request)) => {
//!             assert_eq!(request.path(), "/chat");
//!             driver.accept(&Accept::new(), now)?; // or reject / refuse
//!         }
//!         Some(Event::Text(text)) => {
//!             outbox.send_text(text).unwrap(); // echo, straight from the input: no copy
//!         }
//!         Some(_) => {}
//!         None => break,
//!     }
//! }
//! // 2. Write what the driver has, tell it how much went out.
//! let out = driver.poll_output();
//! assert!(out.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
//! assert!(out.ends_with(&[0x81, 0x05, b'H', b'e', b'l', b'l', b'o']));
//! let n = out.len(); // what the socket took
//! driver.written(n);
//! // 3. Read only while it wants input (back-pressure), keep one timer at its deadline,
//! //    shut down our side and drop the transport when told.
//! assert!(driver.wants_read());
//! if let Some(deadline) = driver.poll_timeout() {
//!     let _ = deadline; // driver.handle_timeout(deadline) when it comes
//! }
//! assert!(!driver.wants_write_shutdown() && !driver.is_finished());
//! // 4. When the connection ends, the application hears how, once.
//! assert!(driver.take_closed().is_none());
//! # Ok::<(), sockeye_driver::Error>(())
//! ```
//!
//! On EOF from the transport call [`Driver::recv_eof`]; on a transport error,
//! [`Driver::abort`]. Sends from outside an event go through [`Driver::outbox`].
//!
//! ## Phases
//!
//! A server connection starts reading the request ([`Driver::server`]); the application
//! answers an [`Event::Request`] with [`Driver::accept`], [`Driver::reject`] or
//! [`Driver::refuse`]. A client connection ([`Driver::client`]) queues its request, waits
//! for the TCP connect ([`Driver::connected`]) and the server's `101`
//! ([`Event::Open`]). [`Driver::from_connection`] starts open (the handshake was done
//! elsewhere). Once the WebSocket connection is over (closing handshake done, failure, a
//! timer), the driver flushes, asks for our side of the transport to be shut down
//! ([`Driver::wants_write_shutdown`]), discards input until the peer's EOF or the linger
//! deadline, and finishes ([`Driver::is_finished`]).
//!
//! Peer input never makes it panic; `#![forbid(unsafe_code)]`.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod closed;
mod config;
#[cfg(feature = "deflate")]
mod deflate;
mod driver;
mod error;
mod event;
mod handshake;
mod outbox;
mod output;
mod phase;
mod recv;
mod shared;
mod timers;
#[cfg(feature = "tls")]
pub mod tls;

pub use bytes::Bytes;
pub use closed::{Closed, ClosedBy};
pub use config::{DriverConfig, OverflowPolicy};
#[cfg(feature = "deflate")]
pub use deflate::DeflateConfig;
pub use driver::{Driver, Rejection, Stage};
pub use error::Error;
pub use event::{Event, Recv};
pub use outbox::{Outbox, SendError, Sent};
pub use output::OutputBuffer;
pub use shared::SharedFrame;

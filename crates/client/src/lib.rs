#![doc = include_str!("../README.md")]
//!
//! ```
//! use std::time::Duration;
//! use sockeye_client::{ClientBuilder, Message};
//! use sockeye_proto::CloseCode;
//! # /// A one-connection echo server on sockeye-handshake and sockeye-proto.
//! # fn echo_server() -> String {
//! #     use std::io::{Read, Write};
//! #     use sockeye_handshake::{Accept, RequestParser, Status};
//! #     use sockeye_proto::{Connection, Event};
//! #     let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
//! #     let url = format!("ws://{}/room/1", listener.local_addr().unwrap());
//! #     std::thread::spawn(move || {
//! #         let (mut tcp, _) = listener.accept().unwrap();
//! #         let (mut buf, mut end) = (vec![0u8; 1 << 16], 0);
//! #         let request = loop {
//! #             end += tcp.read(&mut buf[end..]).unwrap();
//! #             if let Status::Complete(r) = RequestParser::default().parse(&buf[..end]).unwrap() {
//! #                 break r;
//! #             }
//! #         };
//! #         let mut out = Vec::new();
//! #         request.accept_with(&Accept::new().protocol("chat").unwrap(), &mut out).unwrap();
//! #         let mut conn = Connection::server(sockeye_proto::Config::default(), std::time::Instant::now());
//! #         let mut at = request.head_len();
//! #         loop {
//! #             loop {
//! #                 let Ok(r) = conn.recv(&mut buf[at..end], std::time::Instant::now()) else { return };
//! #                 at += r.consumed;
//! #                 match r.event {
//! #                     Some(Event::Text(t)) => r.sender.send_text(t, &mut out).unwrap(),
//! #                     Some(Event::Binary(b)) => r.sender.send_binary(b, &mut out).unwrap(),
//! #                     Some(_) => {}
//! #                     None => break,
//! #                 }
//! #             }
//! #             conn.poll_transmit(&mut out);
//! #             tcp.write_all(&out).unwrap();
//! #             out.clear();
//! #             if conn.should_close_tcp() {
//! #                 return;
//! #             }
//! #             (at, end) = (0, tcp.read(&mut buf).unwrap());
//! #             if end == 0 {
//! #                 return;
//! #             }
//! #         }
//! #     });
//! #     url
//! # }
//!
//! let url = echo_server(); // ws://127.0.0.1:<port>/room/1, echoing every message
//! let mut ws = ClientBuilder::new()
//!     .protocol("chat")
//!     .read_timeout(Some(Duration::from_secs(5)))
//!     .connect(&url)?;
//! assert_eq!(ws.protocol(), Some("chat"));
//! ws.send_text("hello")?;
//! assert_eq!(ws.recv()?, Message::Text("hello".into()));
//! ws.send_binary(&[1, 2, 3])?;
//! assert_eq!(ws.recv()?, Message::Binary(vec![1, 2, 3]));
//! ws.close(CloseCode::NORMAL, "bye")?; // waits for the server's close frame and TCP close
//! assert_eq!(ws.peer_close(), Some((CloseCode::NORMAL, "")));
//! # Ok::<(), sockeye_client::Error>(())
//! ```
//!
//! A receive loop:
//!
//! ```no_run
//! # let mut ws = sockeye_client::connect("ws://127.0.0.1:9001/")?;
//! use sockeye_client::{Error, Message};
//! loop {
//!     match ws.recv() {
//!         Ok(Message::Text(text)) => println!("text: {text}"),
//!         Ok(Message::Binary(data)) => println!("{} bytes", data.len()),
//!         Ok(Message::Ping(_) | Message::Pong(_)) => {} // pings are answered already
//!         Ok(Message::Close { code, reason }) => println!("server closes: {code} {reason}"),
//!         Err(Error::ConnectionClosed) => break, // the closing handshake is complete
//!         Err(e) => return Err(e),               // e.close_code() for protocol errors
//!     }
//! }
//! # Ok::<(), sockeye_client::Error>(())
//! ```
//!
//! A refused upgrade surfaces the server's status and headers:
//!
//! ```no_run
//! match sockeye_client::connect("ws://127.0.0.1:9001/private") {
//!     Err(sockeye_client::Error::Rejected(r)) if r.status() == 401 => {
//!         println!("challenge: {:?}", r.headers().get_str("www-authenticate"));
//!     }
//!     Err(sockeye_client::Error::Rejected(r)) => println!("{} → {:?}", r.status(), r.location()),
//!     other => println!("{other:?}"),
//! }
//! ```
//!
//! ## What the client guarantees
//!
//! - **Masking keys** come from the operating system's random source ([`getrandom`]),
//!   never from a seeded generator (§5.3, §10.3): [`OsMasks`] fetches 256 bytes at a time
//!   (64 keys per system call). The `Sec-WebSocket-Key` is 16 fresh OS-random bytes per
//!   connection. If the OS source ever fails, no frame is sent ([`Error::Random`]).
//! - **Bytes after the `101`**: a server may send its first frames in the same TCP
//!   segment as its handshake response; they are kept and processed as frames.
//! - **Peer input never panics**, every buffer is bounded (below), `#![forbid(unsafe_code)]`.
//! - A server that breaks the protocol gets the right close code (1002, 1007, 1009...,
//!   from [`sockeye_proto`]) and the error says which ([`Error::close_code`]).
//!
//! ## Limits and timeouts
//!
//! | What | Default | Set with | Stops |
//! |---|---|---|---|
//! | TCP connect | 10 s | [`ClientBuilder::connect_timeout`] | a blackholed address hanging the client |
//! | Opening handshake (absolute, from TCP connect to the complete `101`) | 10 s | [`ClientBuilder::handshake_timeout`] | a server that never answers, or trickles its answer |
//! | Handshake response head | 8 KiB, 64 headers, 4 KiB lines | [`ClientBuilder::handshake_limits`] | an endless response head |
//! | Rejected response body kept | 64 KiB (what arrived with the head) | — | — |
//! | Message from the server | 16 MiB | [`ClientBuilder::max_message_size`], [`Config::max_message_size`](sockeye_proto::Config::max_message_size) | memory exhaustion (fails with 1009) |
//! | Frame payload from the server | 16 MiB | [`Config::max_frame_payload`](sockeye_proto::Config::max_frame_payload) | the same, decided from the header |
//! | Frames per message | 4,096, plus one per 64 bytes of payload | [`Config::fragment_allowance`](sockeye_proto::Config::fragment_allowance), [`Config::fragment_bytes`](sockeye_proto::Config::fragment_bytes) | CPU exhaustion by floods of tiny or empty fragments (1009) |
//! | Pending automatic pongs | 32 | [`Config::max_pending_pongs`](sockeye_proto::Config::max_pending_pongs) | a ping flood growing the output |
//! | Read wait ([`WebSocket::recv`]) | none | [`ClientBuilder::read_timeout`] | — (not fatal: `recv` returns [`Timeout::Read`] and can be called again) |
//! | One write (blocking) | 30 s | [`ClientBuilder::write_timeout`] | a server that stops reading blocking the client forever (fatal) |
//! | Close handshake | 5 s for the server's close frame, then 5 s for its TCP close | [`ClientBuilder::close_timeout`] | a server that never answers the close |
//! | Wait for the server's TCP close after failing the connection (blocking; input discarded) | 1 s (or the close timeout, if shorter) | — | a reset destroying our close frame before the server reads it |
//! | Keepalive | off | [`Config::keepalive_interval`](sockeye_proto::Config::keepalive_interval), [`Config::keepalive_timeout`](sockeye_proto::Config::keepalive_timeout) (10 s) | a dead peer going unnoticed |
//! | Queued output (non-blocking) | 32 MiB | [`ClientBuilder::max_write_buffer`] | unbounded growth when the server reads slowly ([`Error::WriteBufferFull`]) |
//! | Read buffer | blocking: 64 KiB per connection; non-blocking: the caller's shared buffer | — | — |
//!
//! Name resolution uses the system resolver (`ToSocketAddrs`) and is not covered by the
//! connect timeout. The blocking client tries each resolved address in turn; the
//! non-blocking one connects to the first (use [`MioClient::new`] with your own
//! connected socket to choose).
//!
//! ## What sending means
//!
//! The blocking client writes each frame before the send returns. The non-blocking client
//! queues frames; they are written as the socket accepts them
//! ([`MioClient::on_writable`]), and [`MioClient::interest`] includes writable only
//! while something is queued.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod blocking;
mod builder;
mod error;
mod event;
mod message;
mod nonblocking;
mod outbox;
mod random;
mod socket;
mod trace;

pub use blocking::{WebSocket, connect};
pub use builder::{
    ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_WRITE_BUFFER,
    DEFAULT_WRITE_TIMEOUT,
};
pub use error::{Error, Rejected, Timeout};
pub use event::ClientEvent;
pub use message::Message;
pub use nonblocking::MioClient;
pub use outbox::Outbox;
pub use random::{OsMasks, nonce};

pub use sockeye_driver::DeflateConfig;

/// The crates this one builds on, for their types in this API (`CloseCode`, `Config`,
/// `Response`, ...).
pub use {mio, sockeye_driver, sockeye_handshake, sockeye_proto};

#[cfg(test)]
mod tests {
    /// The types an application moves across threads (a connection per thread, errors
    /// through channels or `Box<dyn Error + Send + Sync>`).
    #[test]
    fn send_and_sync() {
        fn send<T: Send>() {}
        fn send_sync<T: Send + Sync + 'static>() {}
        send::<crate::WebSocket>();
        send::<crate::MioClient>();
        send_sync::<crate::Error>();
        send_sync::<crate::Message>();
        send_sync::<crate::ClientBuilder>();
    }
}

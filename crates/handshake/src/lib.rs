#![doc = include_str!("../README.md")]
//!
//! ## Server: drive it from an event loop
//!
//! ```
//! use sockeye_handshake::{Accept, RequestParser, Status};
//!
//! let mut parser = RequestParser::default(); // Limits::new(): 8 KiB, 64 headers, 4 KiB lines
//! let mut buf = Vec::new(); // the connection's read buffer
//! let mut out = Vec::new(); // the connection's write buffer
//! let pieces: [&[u8]; 3] = [
//!     b"GET /chat?room=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n",
//!     b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
//!     b"Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n\x81\x80",
//! ];
//! for piece in pieces {
//!     buf.extend_from_slice(piece); // bytes read from the socket
//!     let request = match parser.parse(&buf) {
//!         Ok(Status::Complete(request)) => request,
//!         Ok(Status::Incomplete) => continue, // wait for more bytes
//!         Err(refused) => {
//!             refused.write_response(&mut out); // e.g. 400, 426, 431; then close
//!             break;
//!         }
//!     };
//!     assert_eq!((request.path(), request.query()), ("/chat", Some("room=1")));
//!     let accept = Accept::new().protocol("chat")?;
//!     request.accept_with(&accept, &mut out)?;
//!     // The bytes after the head are the client's first frame: keep them.
//!     buf.drain(..request.head_len());
//!     assert_eq!(buf, b"\x81\x80");
//! }
//! assert_eq!(
//!     out,
//!     b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
//!       Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
//! );
//! # Ok::<(), sockeye_handshake::BuildError>(())
//! ```
//!
//! ## Client
//!
//! ```
//! use sockeye_handshake::{ClientRequest, Outcome, Status, WsUrl};
//!
//! let url = WsUrl::parse("wss://example.com/socket")?;
//! // (url.host(), url.port()) is where to connect; url.is_secure() says TLS.
//! let nonce = [7u8; 16]; // 16 bytes from a CSPRNG (e.g. getrandom), fresh per connection
//! let mut out = Vec::new();
//! let mut handshake = ClientRequest::new(&url, nonce).protocol("chat")?.write(&mut out);
//! // ... write `out` to the socket, read the answer into `buf` ...
//! let mut buf = format!(
//!     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
//!      Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Protocol: chat\r\n\r\n",
//!     handshake.expected_accept().as_str()
//! )
//! .into_bytes();
//! buf.extend_from_slice(b"\x81\x02hi"); // the server's first frame, same read
//! match handshake.parse_response(&buf)? {
//!     Status::Incomplete => unreachable!("read more and call again"),
//!     Status::Complete(Outcome::Accepted(accepted)) => {
//!         assert_eq!(accepted.protocol(), Some("chat"));
//!         assert_eq!(&buf[accepted.head_len()..], b"\x81\x02hi"); // to the frame layer
//!     }
//!     Status::Complete(Outcome::Rejected(response)) => {
//!         panic!("refused: {} {:?}", response.status(), response.location());
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Incremental parsing, and why httparse
//!
//! The caller appends received bytes to its own buffer and passes the whole buffer on
//! every call. The parser remembers how far it has scanned for the blank line that ends
//! the head, so each byte is looked at once by the scanner and once more by the final
//! parse, however the bytes were split: no quadratic re-parsing of a growing head
//! (tungstenite's CVE-2023-43669). The scanner enforces the [`Limits`] — head size, header
//! count, line length — as it goes, so an endless head is refused (`431`) after at most
//! [`Limits::max_head_len`] bytes of work. [`RequestParser::bytes_scanned`] counts that
//! work so tests can assert it.
//!
//! The head is then parsed once, by [`httparse`]: a small, widely deployed and fuzzed
//! HTTP/1.x parser with SIMD scanning that borrows from the buffer and never allocates.
//! nom would serve for the grammar too, but would mean re-implementing and maintaining
//! HTTP's request line and header rules; httparse is exactly that, done well. Its one
//! weakness for streaming — it starts over on every call — is what the scanner in front
//! of it removes. The handshake-specific grammars (token lists, `Sec-WebSocket-Extensions`
//! with quoted strings) are small hand-written linear parsers.
//!
//! ## Decisions
//!
//! - **Status codes**: malformed, missing `Host`, bad `Upgrade`, `Connection` or key,
//!   duplicates, a body → `400`; a method other than `GET` → `405` with `Allow: GET` (the
//!   accurate status: the resource exists, the method is wrong); a missing or wrong
//!   `Sec-WebSocket-Version` → `426` with `Sec-WebSocket-Version: 13` (§4.2.2); heads over
//!   the caps → `431`; HTTP/1.0 → `400` (505 is for an unsupported *major* version, RFC
//!   7231 §6.6.6); a refused `Origin` → `403` (§10.2). [`RequestError`] documents the
//!   order the checks run in (the first broken rule is reported).
//! - **Duplicates**: `Host`, `Sec-WebSocket-Key`, `Sec-WebSocket-Version` and `Origin`
//!   twice → `400` ([`RequestError::DuplicateHeader`]), since a second value could only
//!   be ambiguous. `Upgrade`, `Connection`, `Sec-WebSocket-Protocol` and
//!   `Sec-WebSocket-Extensions` are lists, so repeats are concatenated (RFC 7230 §3.2.2).
//!   In a response, `Sec-WebSocket-Accept` or `Sec-WebSocket-Protocol` twice is an error.
//! - **Token lists** are comma-separated, whitespace-trimmed, ASCII case-insensitive, and
//!   empty elements are ignored (RFC 7230 §7).
//! - **Request-target**: only the origin form (`/path?query`) is accepted.
//! - **Body**: a request announcing a body (`Content-Length` ≠ 0, `Transfer-Encoding`) is
//!   refused: the bytes after the head are frames.
//! - **Extension parameters**: a quoted value is unescaped and not required to be a token
//!   (§9.1 asks for that; the extension validates its own values).
//! - **Subprotocol uniqueness** (§4.1 item 10) is not checked on the server (a linear
//!   parser cannot, without hashing; a repeat is harmless), only by [`ClientRequest`].
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod accept_key;
mod client;
mod client_response;
mod deflate;
mod error;
mod extensions;
mod headers;
mod http;
mod limits;
mod origin;
mod request;
mod response;
mod scan;
mod tokens;
mod url;

pub use accept_key::{AcceptKey, Key, WEBSOCKET_GUID, accept_key};
pub use client::{ClientHandshake, ClientRequest};
pub use client_response::{Accepted, Outcome, Response};
pub use deflate::{
    DeflateClientPolicy, DeflateParams, DeflateServerPolicy, PERMESSAGE_DEFLATE, Side,
    is_permessage_deflate, negotiate_deflate,
};
pub use error::{BuildError, RequestError, ResponseError};
pub use extensions::{Extension, ExtensionParam};
pub use headers::Headers;
pub use http::{HttpRequest, Incoming, Method};
pub use limits::{DEFAULT_MAX_HEAD_LEN, DEFAULT_MAX_HEADERS, DEFAULT_MAX_LINE_LEN, Limits};
pub use origin::OriginAllowList;
pub use request::{Request, RequestParser};
pub use response::{Accept, Reject, reason_phrase};
pub use scan::Status;
pub use url::{UrlError, WsUrl};

//! Test support: drivers on virtual time, joined by in-memory "sockets", with logs that read
//! like transcripts.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use sockeye_driver::{Driver, DriverConfig, Error, Event};
use sockeye_handshake::{Accept, ClientRequest, WsUrl};
use sockeye_proto::CloseCode;
use sockeye_proto::test_support::{CounterMasks, Frame, parse_frames};

/// An owned copy of an [`Event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Request(String),
    Open(Option<String>),
    Text(String),
    Binary(Vec<u8>),
    Chunk(Vec<u8>, bool, bool),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(u16, String),
}

impl From<Event<'_>> for Seen {
    fn from(e: Event<'_>) -> Self {
        match e {
            Event::Request(r) => Self::Request(r.path().to_owned()),
            Event::Open { protocol } => Self::Open(protocol.map(str::to_owned)),
            Event::Text(t) => Self::Text(t.to_owned()),
            Event::Binary(b) => Self::Binary(b.to_vec()),
            Event::Chunk {
                data, first, last, ..
            } => Self::Chunk(data.to_vec(), first, last),
            Event::Ping(p) => Self::Ping(p.to_vec()),
            Event::Pong(p) => Self::Pong(p.to_vec()),
            Event::Close { code, reason } => Self::Close(code.as_u16(), reason.to_owned()),
            _ => unreachable!("a new event kind"),
        }
    }
}

/// What feeding bytes produced.
#[derive(Debug, Default)]
pub struct Fed {
    pub events: Vec<Seen>,
    pub error: Option<Error>,
}

/// Feeds `bytes` as one read, calling `recv` until no event; requests are accepted with a
/// plain `Accept` and text/binary messages are echoed when `echo` is set.
pub fn feed(driver: &mut Driver, bytes: &[u8], now: Instant, echo: bool) -> Fed {
    let mut input = bytes.to_vec();
    let mut fed = Fed::default();
    let mut at = 0;
    loop {
        let r = match driver.recv(&mut input[at..], now) {
            Ok(r) => r,
            Err(e) => {
                fed.error = Some(e);
                break;
            }
        };
        at += r.consumed;
        let mut outbox = r.outbox;
        let Some(event) = r.event else { break };
        let request = matches!(event, Event::Request(_));
        if echo {
            match event {
                Event::Text(t) => {
                    let _ = outbox.send_text(t);
                }
                Event::Binary(b) => {
                    let _ = outbox.send_binary(b);
                }
                _ => {}
            }
        }
        fed.events.push(event.into());
        if request {
            driver.accept(&Accept::new(), now).unwrap();
        }
    }
    fed
}

/// Everything the driver wants written, taken (as if the socket took it all; under TLS
/// the driver hands out large output in pieces).
pub fn take_output(driver: &mut Driver) -> Vec<u8> {
    let mut all = Vec::new();
    loop {
        let out = driver.poll_output();
        if out.is_empty() {
            return all;
        }
        let n = out.len();
        all.extend_from_slice(out);
        driver.written(n);
    }
}

/// What follows the HTTP head in `bytes` (a side's whole wire log).
pub fn after_head(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP head");
    &bytes[end + 4..]
}

/// The frames in `bytes`.
pub fn frames(bytes: &[u8]) -> Vec<Frame> {
    parse_frames(bytes).expect("whole, valid frames")
}

pub fn config() -> Arc<DriverConfig> {
    Arc::new(DriverConfig::default())
}

/// A client's opening handshake for `path`.
pub fn request_bytes(path: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    )
    .into_bytes()
}

/// A server driver that accepted a request at `now` (its `101` already taken).
pub fn open_server(config: Arc<DriverConfig>, now: Instant) -> Driver {
    let mut driver = Driver::server(config, now);
    let fed = feed(&mut driver, &request_bytes("/"), now, false);
    assert_eq!(fed.events, [Seen::Request("/".into())]);
    let out = take_output(&mut driver);
    assert!(out.starts_with(b"HTTP/1.1 101"));
    driver
}

/// A client driver whose request is queued; connected at `now`.
pub fn client(config: Arc<DriverConfig>, now: Instant) -> Driver {
    let url = WsUrl::parse("ws://example.com/chat").unwrap();
    let request = ClientRequest::new(&url, *b"the sample nonce");
    let mut driver = Driver::client(config, request, Box::new(CounterMasks::default()), now);
    driver.connected(now);
    driver
}

/// A masked client frame.
pub fn masked(b0: u8, payload: &[u8]) -> Vec<u8> {
    sockeye_proto::test_support::client_frame(b0, payload)
}

/// A client and a server driver joined back to back, on one virtual clock.
pub struct Link {
    pub client: Driver,
    pub server: Driver,
    pub now: Instant,
    pub client_seen: Vec<Seen>,
    pub server_seen: Vec<Seen>,
    pub client_errors: Vec<Error>,
    pub server_errors: Vec<Error>,
    /// Everything each side wrote, in order.
    pub client_wire: Vec<u8>,
    pub server_wire: Vec<u8>,
    /// Echo messages on the server.
    pub echo: bool,
    /// Reads of at most this many bytes (`usize::MAX`: each side's output in one read).
    pub read_size: usize,
}

impl Link {
    /// Both sides open, the handshake done.
    pub fn open(client_config: Arc<DriverConfig>, server_config: Arc<DriverConfig>) -> Self {
        let now = Instant::now();
        Self::open_drivers(
            client(client_config, now),
            Driver::server(server_config, now),
            now,
            usize::MAX,
        )
    }

    /// `client` (connected, its request for `/chat` queued) and `server` joined and their
    /// handshake done, with reads of at most `read_size` bytes.
    pub fn open_drivers(client: Driver, server: Driver, now: Instant, read_size: usize) -> Self {
        let mut link = Self {
            client,
            server,
            now,
            client_seen: Vec::new(),
            server_seen: Vec::new(),
            client_errors: Vec::new(),
            server_errors: Vec::new(),
            client_wire: Vec::new(),
            server_wire: Vec::new(),
            echo: false,
            read_size,
        };
        link.pump();
        assert_eq!(link.server_seen, [Seen::Request("/chat".into())]);
        assert_eq!(link.client_seen, [Seen::Open(None)]);
        link.server_seen.clear();
        link.client_seen.clear();
        link
    }

    /// Moves bytes both ways until neither side has output; EOFs and shutdowns are
    /// carried over too.
    pub fn pump(&mut self) {
        for _ in 0..1000 {
            let mut moved = false;
            let bytes = take_output(&mut self.client);
            if !bytes.is_empty() {
                moved = true;
                self.client_wire.extend_from_slice(&bytes);
                for read in bytes.chunks(self.read_size) {
                    let fed = feed(&mut self.server, read, self.now, self.echo);
                    self.server_seen.extend(fed.events);
                    self.server_errors.extend(fed.error);
                }
            }
            let bytes = take_output(&mut self.server);
            if !bytes.is_empty() {
                moved = true;
                self.server_wire.extend_from_slice(&bytes);
                for read in bytes.chunks(self.read_size) {
                    let fed = feed(&mut self.client, read, self.now, false);
                    self.client_seen.extend(fed.events);
                    self.client_errors.extend(fed.error);
                }
            }
            moved |= shut(
                &mut self.client,
                &mut self.server,
                self.now,
                &mut self.server_errors,
            );
            moved |= shut(
                &mut self.server,
                &mut self.client,
                self.now,
                &mut self.client_errors,
            );
            if !moved {
                return;
            }
        }
        panic!("the drivers never went quiet");
    }

    /// Advances the clock by `d`, runs both sides' timers, pumps.
    pub fn wait(&mut self, d: Duration) {
        self.now += d;
        for (driver, errors) in [
            (&mut self.client, &mut self.client_errors),
            (&mut self.server, &mut self.server_errors),
        ] {
            if driver.poll_timeout().is_some_and(|t| t <= self.now)
                && let Err(e) = driver.handle_timeout(self.now)
            {
                errors.push(e);
            }
        }
        self.pump();
    }
}

/// If `from` wants its sending side shut down, shuts it and gives `to` its EOF.
fn shut(from: &mut Driver, to: &mut Driver, now: Instant, to_errors: &mut Vec<Error>) -> bool {
    let _ = from.poll_output();
    if !from.wants_write_shutdown() {
        return false;
    }
    from.write_shut();
    if let Err(e) = to.recv_eof(now) {
        to_errors.push(e);
    }
    true
}

/// The close code of a close frame.
pub fn close_code(frame: &Frame) -> Option<u16> {
    sockeye_frame::parse_close_payload(&frame.payload)
        .ok()
        .flatten()
        .map(|b| b.code.as_u16())
}

pub const NORMAL: CloseCode = CloseCode::NORMAL;

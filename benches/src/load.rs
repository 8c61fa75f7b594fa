//! The load generator: one thread, one `mio::Poll`, many client connections.
//!
//! **Load mode** ([`run_load`]): open `conns` connections (TCP, then the client handshake
//! built and checked by `sockeye-handshake`), then each keeps `depth` messages of `size`
//! bytes in flight: every echo received is checked byte for byte against what was sent
//! and answered by the next message. After a warm-up, messages are counted and their
//! round-trip times recorded for the measuring window; the server's CPU time
//! (`/proc/PID/stat`) is read at both ends of the window, which gives messages per
//! server-CPU-second: the figure that compares servers on a shared, noisy machine.
//!
//! **Hold mode** ([`run_hold`]): open `conns` connections and leave them idle; report the
//! server's RSS before and after (after a settle delay), hence bytes per idle connection.
//!
//! WebSocket messages are single masked frames built with `sockeye-frame` (four variants
//! with different payloads and mask keys, used in turn, prepared once). Echoes may come
//! back fragmented; control frames other than close are skipped. In [`Protocol::Raw`]
//! mode the payload alone is sent, no handshake and no framing, and an echo is complete
//! when `size` bytes came back: the same client work per message, minus the framing.
//!
//! Writes are vectored straight from the prepared frames (nothing is copied per message),
//! and everything a connection's read produced goes out in one `writev`.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, IoSlice, Read, Write};
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Registry, Token};
use sockeye_frame::{
    FrameHeader, MAX_HEADER_LEN, OpCode, ParseConfig, Rsv, Status, apply_mask, parse_header,
};
use sockeye_handshake::{ClientRequest, Outcome, WsUrl};

use crate::procfs;

/// Different messages each connection sends in turn.
const VARIANTS: usize = 4;

/// Connections being set up at once (keeps the server's accept backlog from overflowing).
const MAX_CONNECTING: usize = 256;

/// How long setting up all connections may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(60);

/// The client's read buffer.
const READ_BUF: usize = 256 << 10;

/// WebSocket or bare TCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// RFC 6455: handshake, masked frames out, unmasked frames back.
    WebSocket,
    /// The payload bytes only (the raw TCP echo).
    Raw,
}

impl FromStr for Protocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ws" => Ok(Self::WebSocket),
            "raw" => Ok(Self::Raw),
            _ => Err(format!("protocol `{s}`: ws or raw")),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::WebSocket => "ws",
            Self::Raw => "raw",
        })
    }
}

/// What the messages hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Binary messages of pseudo-random bytes.
    Binary,
    /// Text messages of ASCII letters, digits and spaces.
    Ascii,
    /// Text messages of Greek, Cyrillic, CJK and a few 4-byte characters between ASCII
    /// spaces (about 85 % of the bytes in multi-byte characters).
    Utf8,
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "binary" => Ok(Self::Binary),
            "ascii" => Ok(Self::Ascii),
            "utf8" => Ok(Self::Utf8),
            _ => Err(format!("kind `{s}`: binary, ascii or utf8")),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Binary => "binary",
            Self::Ascii => "ascii",
            Self::Utf8 => "utf8",
        })
    }
}

impl Kind {
    fn opcode(self) -> OpCode {
        match self {
            Self::Binary => OpCode::Binary,
            Self::Ascii | Self::Utf8 => OpCode::Text,
        }
    }
}

/// A load run.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// The server.
    pub addr: SocketAddr,
    /// WebSocket or raw TCP.
    pub protocol: Protocol,
    /// Connections.
    pub conns: usize,
    /// Payload bytes per message.
    pub size: usize,
    /// Payload contents (and text or binary opcode).
    pub kind: Kind,
    /// Messages in flight per connection.
    pub depth: usize,
    /// Time before measuring starts.
    pub warmup: Duration,
    /// The measuring window.
    pub duration: Duration,
    /// The server process, for its CPU time.
    pub server_pid: Option<u32>,
}

/// What a load run measured (the measuring window only).
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Echoes received and checked.
    pub messages: u64,
    /// Length of the window.
    pub seconds: f64,
    /// Server CPU time (user + system) in the window.
    pub server_cpu_seconds: Option<f64>,
    /// Median round-trip time.
    pub p50: Duration,
    /// 99th percentile round-trip time.
    pub p99: Duration,
}

impl LoadReport {
    /// Echoes per second of wall time.
    pub fn messages_per_second(&self) -> f64 {
        self.messages as f64 / self.seconds
    }

    /// Echoes per second of server CPU time.
    pub fn messages_per_cpu_second(&self) -> Option<f64> {
        self.server_cpu_seconds
            .filter(|cpu| *cpu > 0.0)
            .map(|cpu| self.messages as f64 / cpu)
    }

    /// `key=value` pairs on one line (what the `loadgen` binary prints).
    pub fn to_line(&self) -> String {
        format!(
            "messages={} seconds={:.4} msgs_per_s={:.1} p50_us={:.1} p99_us={:.1} \
             server_cpu_s={:.3} msgs_per_cpu_s={:.1}",
            self.messages,
            self.seconds,
            self.messages_per_second(),
            self.p50.as_secs_f64() * 1e6,
            self.p99.as_secs_f64() * 1e6,
            self.server_cpu_seconds.unwrap_or(f64::NAN),
            self.messages_per_cpu_second().unwrap_or(f64::NAN),
        )
    }
}

/// A hold run: idle connections, for memory.
#[derive(Debug, Clone)]
pub struct HoldSpec {
    /// The server.
    pub addr: SocketAddr,
    /// WebSocket or raw TCP.
    pub protocol: Protocol,
    /// Connections to open and hold.
    pub conns: usize,
    /// Wait after the last connection is set up, before reading the server's RSS.
    pub settle: Duration,
    /// The server process.
    pub server_pid: u32,
}

/// What a hold run measured.
#[derive(Debug, Clone)]
pub struct HoldReport {
    /// Connections open when the RSS was read.
    pub conns: usize,
    /// Server RSS before the first connection, bytes.
    pub rss_before: u64,
    /// Server RSS with all connections open and idle, bytes.
    pub rss_after: u64,
}

impl HoldReport {
    /// RSS growth per connection, bytes.
    pub fn bytes_per_connection(&self) -> f64 {
        (self.rss_after as f64 - self.rss_before as f64) / self.conns.max(1) as f64
    }

    /// `key=value` pairs on one line (what the `loadgen` binary prints).
    pub fn to_line(&self) -> String {
        format!(
            "conns={} rss_before={} rss_after={} bytes_per_conn={:.1}",
            self.conns,
            self.rss_before,
            self.rss_after,
            self.bytes_per_connection()
        )
    }
}

/// A tiny xorshift generator: payloads, mask keys and nonces for a benchmark (not for
/// security).
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        for chunk in out.chunks_mut(8) {
            let word = self.next().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        out
    }
}

/// A payload of exactly `size` bytes.
pub fn payload(kind: Kind, size: usize, variant: usize) -> Vec<u8> {
    let mut rng = Rng::new(0x5eed_0000 + variant as u64);
    match kind {
        Kind::Binary => (0..size).map(|_| rng.next() as u8).collect(),
        Kind::Ascii => {
            const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789 ";
            (0..size)
                .map(|_| CHARS[(rng.next() % CHARS.len() as u64) as usize])
                .collect()
        }
        Kind::Utf8 => {
            const WORDS: &[&str] = &[
                "κόσμε ",
                "привет ",
                "мир ",
                "λόγος ",
                "данные ",
                "日本語 ",
                "текст ",
                "🦀🐟 ",
                "ελληνικά ",
            ];
            let mut s = String::with_capacity(size);
            let mut i = variant;
            loop {
                let word = WORDS[i % WORDS.len()];
                if s.len() + word.len() > size {
                    break;
                }
                s.push_str(word);
                i += 1 + (rng.next() % 3) as usize;
            }
            while s.len() < size {
                s.push('.');
            }
            s.into_bytes()
        }
    }
}

/// One message as sent (`wire`) and as its echo must come back (`payload`).
#[derive(Debug)]
struct Message {
    payload: Vec<u8>,
    wire: Vec<u8>,
}

fn messages(protocol: Protocol, kind: Kind, size: usize) -> Result<Vec<Message>, String> {
    let mut rng = Rng::new(0x6d61_736b);
    (0..VARIANTS)
        .map(|v| {
            let payload = payload(kind, size, v);
            let wire = match protocol {
                Protocol::Raw => payload.clone(),
                Protocol::WebSocket => {
                    let key: [u8; 4] = rng.bytes();
                    let header =
                        FrameHeader::new(true, Rsv::NONE, kind.opcode(), Some(key), size as u64)
                            .map_err(|e| e.to_string())?;
                    let mut wire = header.encode().as_slice().to_vec();
                    let at = wire.len();
                    wire.extend_from_slice(&payload);
                    apply_mask(&mut wire[at..], key, 0);
                    wire
                }
            };
            Ok(Message { payload, wire })
        })
        .collect()
}

/// The frame being received.
#[derive(Debug, Clone, Copy)]
struct Frame {
    left: u64,
    fin: bool,
    /// A ping or pong: its payload is skipped.
    control: bool,
}

/// What every connection of a run shares.
struct Shared<'a> {
    protocol: Protocol,
    size: usize,
    opcode: OpCode,
    messages: &'a [Message],
    parse: ParseConfig,
}

/// The measuring window's counters.
#[derive(Default)]
struct Stats {
    measuring: bool,
    completed: u64,
    rtt_ns: Vec<u64>,
}

struct Conn {
    stream: TcpStream,
    /// Frames to write: (message variant, bytes of it already written).
    out: VecDeque<(usize, usize)>,
    write_interest: bool,
    /// A partial frame header (WebSocket).
    header: [u8; MAX_HEADER_LEN],
    header_len: usize,
    frame: Option<Frame>,
    /// Between a data frame without FIN and the final continuation.
    continuing: bool,
    /// Payload bytes of the current echo checked so far.
    got: usize,
    sent: u64,
    done: u64,
    sent_at: VecDeque<Instant>,
}

impl Conn {
    fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            out: VecDeque::new(),
            write_interest: false,
            header: [0; MAX_HEADER_LEN],
            header_len: 0,
            frame: None,
            continuing: false,
            got: 0,
            sent: 0,
            done: 0,
            sent_at: VecDeque::new(),
        }
    }

    fn queue(&mut self, now: Instant) {
        self.out.push_back((self.sent as usize % VARIANTS, 0));
        self.sent_at.push_back(now);
        self.sent += 1;
    }

    /// Writes queued frames until done or the socket would block.
    fn flush(&mut self, messages: &[Message]) -> io::Result<()> {
        while !self.out.is_empty() {
            let mut iov = [IoSlice::new(&[]); 64];
            let mut k = 0;
            for (slot, &(v, off)) in iov.iter_mut().zip(self.out.iter()) {
                *slot = IoSlice::new(&messages[v].wire[off..]);
                k += 1;
            }
            match self.stream.write_vectored(&iov[..k]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(mut n) => {
                    while n > 0 {
                        let Some(front) = self.out.front_mut() else {
                            break;
                        };
                        let left = messages[front.0].wire.len() - front.1;
                        if n >= left {
                            n -= left;
                            self.out.pop_front();
                        } else {
                            front.1 += n;
                            n = 0;
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Writable interest while output is queued.
    fn update_interest(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        let want = !self.out.is_empty();
        if want != self.write_interest {
            let interest = if want {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            registry.reregister(&mut self.stream, token, interest)?;
            self.write_interest = want;
        }
        Ok(())
    }

    /// Reads what the socket has and checks it; each completed echo is answered by the
    /// next message while `send_more`.
    fn on_readable(
        &mut self,
        buf: &mut [u8],
        drain: bool,
        shared: &Shared<'_>,
        stats: &mut Stats,
        send_more: bool,
    ) -> Result<(), String> {
        loop {
            match self.stream.read(buf) {
                Ok(0) => return Err("the server closed the connection".into()),
                Ok(n) => {
                    let now = Instant::now();
                    self.receive(&buf[..n], shared, stats, send_more, now)?;
                    // Edge-triggered: a short read took everything this edge reported.
                    if n < buf.len() && !drain {
                        return Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("read: {e}")),
            }
        }
    }

    fn receive(
        &mut self,
        mut data: &[u8],
        shared: &Shared<'_>,
        stats: &mut Stats,
        send_more: bool,
        now: Instant,
    ) -> Result<(), String> {
        while !data.is_empty() {
            let expected = &shared.messages[self.done as usize % VARIANTS].payload;
            if shared.protocol == Protocol::Raw {
                let n = (shared.size - self.got).min(data.len());
                if data[..n] != expected[self.got..self.got + n] {
                    return Err(format!("echo {} differs from what was sent", self.done));
                }
                self.got += n;
                data = &data[n..];
                if self.got == shared.size {
                    self.complete(stats, send_more, now);
                }
                continue;
            }
            let Some(frame) = &mut self.frame else {
                data = self.read_header(data, shared)?;
                continue;
            };
            let n = usize::try_from(frame.left)
                .unwrap_or(usize::MAX)
                .min(data.len());
            if !frame.control {
                if data[..n] != expected[self.got..self.got + n] {
                    return Err(format!("echo {} differs from what was sent", self.done));
                }
                self.got += n;
            }
            frame.left -= n as u64;
            data = &data[n..];
            if frame.left == 0 {
                let Frame { fin, control, .. } = *frame;
                self.frame = None;
                if fin && !control {
                    self.continuing = false;
                    if self.got != shared.size {
                        return Err(format!(
                            "echo {} is {} bytes short",
                            self.done,
                            shared.size - self.got
                        ));
                    }
                    self.complete(stats, send_more, now);
                }
            }
        }
        Ok(())
    }

    /// Parses a frame header from `data` (after any partial header kept from the last
    /// read) and returns the bytes after it.
    fn read_header<'d>(&mut self, data: &'d [u8], shared: &Shared<'_>) -> Result<&'d [u8], String> {
        let (header, rest) = if self.header_len == 0 {
            match parse_header(data, &shared.parse).map_err(|e| format!("echo frame: {e}"))? {
                Status::Complete(h) => (h, &data[h.len()..]),
                Status::Incomplete(_) => {
                    self.header[..data.len()].copy_from_slice(data);
                    self.header_len = data.len();
                    return Ok(&[]);
                }
            }
        } else {
            let old = self.header_len;
            let take = (MAX_HEADER_LEN - old).min(data.len());
            self.header[old..old + take].copy_from_slice(&data[..take]);
            match parse_header(&self.header[..old + take], &shared.parse)
                .map_err(|e| format!("echo frame: {e}"))?
            {
                Status::Complete(h) => {
                    self.header_len = 0;
                    (h, &data[h.len() - old..])
                }
                Status::Incomplete(_) => {
                    self.header_len = old + take;
                    return Ok(&[]);
                }
            }
        };
        if header.is_masked() {
            return Err("the server masked a frame".into());
        }
        let left = header.payload_len();
        let control = match header.opcode() {
            OpCode::Ping | OpCode::Pong => true,
            OpCode::Close => return Err("the server sent a close frame".into()),
            OpCode::Continuation if self.continuing => false,
            op if op == shared.opcode && !self.continuing => {
                self.continuing = !header.fin();
                false
            }
            op => return Err(format!("unexpected {op:?} frame")),
        };
        if !control && self.got as u64 + left > shared.size as u64 {
            return Err(format!("echo {} is longer than what was sent", self.done));
        }
        self.frame = Some(Frame {
            left,
            fin: header.fin(),
            control,
        });
        if left == 0 {
            // An empty frame: nothing more will come for it.
            let frame = self.frame.take();
            if let Some(Frame {
                fin: true,
                control: false,
                ..
            }) = frame
            {
                self.continuing = false;
                if self.got != shared.size {
                    return Err(format!("echo {} is short", self.done));
                }
                // (Only reachable for size 0, which no scenario uses.)
            }
        }
        Ok(rest)
    }

    fn complete(&mut self, stats: &mut Stats, send_more: bool, now: Instant) {
        self.got = 0;
        self.done += 1;
        if let Some(at) = self.sent_at.pop_front()
            && stats.measuring
        {
            stats.completed += 1;
            stats
                .rtt_ns
                .push(u64::try_from(now.duration_since(at).as_nanos()).unwrap_or(u64::MAX));
        }
        if send_more {
            self.queue(now);
        }
    }
}

/// Where a connection is in its setup.
enum Setup {
    Connecting,
    Handshaking {
        handshake: sockeye_handshake::ClientHandshake,
        buf: Vec<u8>,
    },
    /// Handshake complete, this step still to count it.
    Ready,
    /// Counted; later events (none are expected while idle) are ignored here.
    Done,
}

/// Opens `n` connections to `addr` and completes their handshakes; at most
/// [`MAX_CONNECTING`] are in progress at once. Every connection is registered with
/// READABLE interest under `Token(index)`.
fn connect_all(
    poll: &mut Poll,
    addr: SocketAddr,
    protocol: Protocol,
    n: usize,
) -> Result<Vec<Conn>, String> {
    let deadline = Instant::now() + SETUP_TIMEOUT;
    let url = WsUrl::parse(&format!("ws://{addr}/")).map_err(|e| format!("url: {e}"))?;
    let mut rng = Rng::new(
        u64::from(std::process::id())
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64),
    );
    let mut conns: Vec<Conn> = Vec::with_capacity(n);
    let mut setup: Vec<Setup> = Vec::with_capacity(n);
    let mut in_progress = 0;
    let mut ready = 0;
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 4096];
    while ready < n {
        while conns.len() < n && in_progress < MAX_CONNECTING {
            let mut stream =
                TcpStream::connect(addr).map_err(|e| format!("connect to {addr}: {e}"))?;
            let _ = stream.set_nodelay(true);
            let token = Token(conns.len());
            poll.registry()
                .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
                .map_err(|e| format!("register: {e}"))?;
            conns.push(Conn::new(stream));
            setup.push(Setup::Connecting);
            in_progress += 1;
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(format!(
                "only {ready} of {n} connections set up in {SETUP_TIMEOUT:?}"
            ));
        }
        match poll.poll(&mut events, Some(deadline - now)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("poll: {e}")),
        }
        for event in &events {
            let i = event.token().0;
            let conn = &mut conns[i];
            if let Setup::Connecting = setup[i] {
                if let Ok(Some(e)) | Err(e) = conn.stream.take_error() {
                    return Err(format!("connect to {addr}: {e}"));
                }
                match conn.stream.peer_addr() {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => continue,
                    Err(e) => return Err(format!("connect to {addr}: {e}")),
                }
                match protocol {
                    Protocol::Raw => setup[i] = Setup::Ready,
                    Protocol::WebSocket => {
                        let mut request = Vec::new();
                        let handshake = ClientRequest::new(&url, rng.bytes()).write(&mut request);
                        // A ~150-byte request into an empty socket buffer.
                        match conn.stream.write(&request) {
                            Ok(k) if k == request.len() => {}
                            Ok(_) => return Err("short write of the handshake request".into()),
                            Err(e) => return Err(format!("write the handshake request: {e}")),
                        }
                        setup[i] = Setup::Handshaking {
                            handshake,
                            buf: Vec::new(),
                        };
                    }
                }
            }
            if let Setup::Handshaking {
                handshake,
                buf: head,
            } = &mut setup[i]
            {
                loop {
                    match conn.stream.read(&mut buf) {
                        Ok(0) => return Err("the server closed during the handshake".into()),
                        Ok(k) => head.extend_from_slice(&buf[..k]),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(format!("read the handshake response: {e}")),
                    }
                }
                match handshake
                    .parse_response(head)
                    .map_err(|e| format!("handshake response: {e}"))?
                {
                    sockeye_handshake::Status::Incomplete => continue,
                    sockeye_handshake::Status::Complete(Outcome::Accepted(accepted)) => {
                        if head.len() != accepted.head_len() {
                            return Err("bytes after the 101 before any message".into());
                        }
                        setup[i] = Setup::Ready;
                    }
                    sockeye_handshake::Status::Complete(Outcome::Rejected(response)) => {
                        return Err(format!("handshake refused: {}", response.status()));
                    }
                }
            }
            if let Setup::Ready = setup[i] {
                poll.registry()
                    .reregister(&mut conn.stream, Token(i), Interest::READABLE)
                    .map_err(|e| format!("reregister: {e}"))?;
                in_progress -= 1;
                ready += 1;
                setup[i] = Setup::Done;
            }
        }
    }
    Ok(conns)
}

/// Runs a load: see the module docs.
///
/// # Errors
/// A connection could not be set up, an echo differed from what was sent, the server
/// closed a connection, or a socket call failed.
pub fn run_load(spec: &LoadSpec) -> Result<LoadReport, String> {
    if spec.conns == 0 || spec.depth == 0 || spec.size == 0 {
        return Err("conns, depth and size must be at least 1".into());
    }
    let messages = messages(spec.protocol, spec.kind, spec.size)?;
    let shared = Shared {
        protocol: spec.protocol,
        size: spec.size,
        opcode: spec.kind.opcode(),
        messages: &messages,
        parse: ParseConfig::new().max_payload_len(spec.size as u64),
    };
    let mut poll = Poll::new().map_err(|e| format!("poll: {e}"))?;
    let mut conns = connect_all(&mut poll, spec.addr, spec.protocol, spec.conns)?;

    let start = Instant::now();
    for (i, conn) in conns.iter_mut().enumerate() {
        for _ in 0..spec.depth {
            conn.queue(start);
        }
        conn.flush(&messages).map_err(|e| format!("write: {e}"))?;
        conn.update_interest(poll.registry(), Token(i))
            .map_err(|e| format!("reregister: {e}"))?;
    }
    let measure_from = start + spec.warmup;
    let end = measure_from + spec.duration;
    let mut stats = Stats {
        rtt_ns: Vec::with_capacity(1 << 20),
        ..Stats::default()
    };
    let mut window: Option<(Instant, Option<f64>)> = None;
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; READ_BUF];
    let cpu = || spec.server_pid.and_then(procfs::cpu_seconds);
    let (t1, cpu1) = loop {
        let now = Instant::now();
        if window.is_none() && now >= measure_from {
            stats.measuring = true;
            window = Some((now, cpu()));
        }
        if now >= end {
            break (now, cpu());
        }
        let timeout = if window.is_some() {
            end - now
        } else {
            measure_from - now
        };
        match poll.poll(&mut events, Some(timeout)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("poll: {e}")),
        }
        for event in &events {
            let i = event.token().0;
            let conn = &mut conns[i];
            let drain = event.is_read_closed() || event.is_error();
            if event.is_readable() || drain {
                conn.on_readable(&mut buf, drain, &shared, &mut stats, true)?;
            }
            conn.flush(&messages).map_err(|e| format!("write: {e}"))?;
            conn.update_interest(poll.registry(), Token(i))
                .map_err(|e| format!("reregister: {e}"))?;
        }
    };
    let Some((t0, cpu0)) = window else {
        return Err("no measuring window".into());
    };
    let seconds = t1.duration_since(t0).as_secs_f64();
    let server_cpu_seconds = match (cpu0, cpu1) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    let mut rtt = stats.rtt_ns;
    rtt.sort_unstable();
    let percentile = |p: usize| {
        rtt.get((rtt.len() * p / 100).min(rtt.len().saturating_sub(1)))
            .map_or(Duration::ZERO, |ns| Duration::from_nanos(*ns))
    };
    Ok(LoadReport {
        messages: stats.completed,
        seconds,
        server_cpu_seconds,
        p50: percentile(50),
        p99: percentile(99),
    })
}

/// Runs a hold: see the module docs.
///
/// # Errors
/// A connection could not be set up, or the server's RSS could not be read.
pub fn run_hold(spec: &HoldSpec) -> Result<HoldReport, String> {
    let rss = || {
        procfs::rss_bytes(spec.server_pid)
            .ok_or_else(|| format!("cannot read the RSS of process {}", spec.server_pid))
    };
    let rss_before = rss()?;
    let mut poll = Poll::new().map_err(|e| format!("poll: {e}"))?;
    let conns = connect_all(&mut poll, spec.addr, spec.protocol, spec.conns)?;
    std::thread::sleep(spec.settle);
    let rss_after = rss()?;
    // Still open: nothing was read, so a close would show as readable data or EOF.
    let mut events = Events::with_capacity(1024);
    poll.poll(&mut events, Some(Duration::ZERO))
        .map_err(|e| format!("poll: {e}"))?;
    if let Some(event) = events.iter().next()
        && (event.is_read_closed() || event.is_error())
    {
        return Err("the server closed an idle connection".into());
    }
    let report = HoldReport {
        conns: conns.len(),
        rss_before,
        rss_after,
    };
    drop(conns);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_have_the_size_and_kind() {
        for size in [20, 16 << 10, 1 << 20] {
            for v in 0..VARIANTS {
                assert_eq!(payload(Kind::Binary, size, v).len(), size);
                let ascii = payload(Kind::Ascii, size, v);
                assert!(ascii.len() == size && ascii.is_ascii());
                let text = payload(Kind::Utf8, size, v);
                assert_eq!(text.len(), size);
                let s = std::str::from_utf8(&text).unwrap();
                if size > 100 {
                    let multi = s
                        .chars()
                        .filter(|c| !c.is_ascii())
                        .map(char::len_utf8)
                        .sum::<usize>();
                    assert!(multi * 100 / size >= 75, "{multi} of {size}");
                }
            }
        }
    }
}

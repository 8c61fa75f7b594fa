#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod conn;
mod link;
mod payload;
pub mod procfs;
mod setup;

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token};
use sockeye_frame::{OpCode, ParseConfig, Rsv};

use conn::{Shared, Stats};
pub use link::TlsClient;
use payload::messages;
pub use payload::payload;
use setup::{Dial, connect_all};

/// Different messages each connection sends in turn.
pub(crate) const VARIANTS: usize = 4;

/// Connections being set up at once (keeps the server's accept backlog from overflowing).
pub(crate) const MAX_CONNECTING: usize = 256;

/// How long setting up all connections may take.
pub(crate) const SETUP_TIMEOUT: Duration = Duration::from_secs(60);

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
    /// Text: a JSON array of chat messages (user, room, id, a few words), the shape chat
    /// traffic has. At least [`MIN_JSON_SIZE`] bytes, so one record always fits.
    Chat,
    /// Text: a JSON array of price updates (symbol, bid, ask, volume, timestamp), the shape
    /// market data has. At least [`MIN_JSON_SIZE`] bytes.
    Ticker,
}

/// The smallest chat or ticker payload: the longest single record (about 160 bytes) plus
/// the brackets, so no JSON payload is an empty array padded with spaces.
pub const MIN_JSON_SIZE: usize = 256;

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "binary" => Ok(Self::Binary),
            "ascii" => Ok(Self::Ascii),
            "utf8" => Ok(Self::Utf8),
            "chat" => Ok(Self::Chat),
            "ticker" => Ok(Self::Ticker),
            _ => Err(format!("kind `{s}`: binary, ascii, utf8, chat or ticker")),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Binary => "binary",
            Self::Ascii => "ascii",
            Self::Utf8 => "utf8",
            Self::Chat => "chat",
            Self::Ticker => "ticker",
        })
    }
}

impl Kind {
    fn opcode(self) -> OpCode {
        match self {
            Self::Binary => OpCode::Binary,
            Self::Ascii | Self::Utf8 | Self::Chat | Self::Ticker => OpCode::Text,
        }
    }
}

/// A load run.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// The server.
    pub addr: SocketAddr,
    /// The request path (and query) of the upgrade, `/` for the echo servers.
    pub path: String,
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
    /// Offer permessage-deflate (a fresh window both ways); messages go compressed on
    /// the connections where the server accepts it.
    pub deflate: bool,
    /// Over TLS (`wss://`, or raw bytes over TLS), trusting this client's CA.
    pub tls: Option<TlsClient>,
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
    /// 99.9th percentile round-trip time.
    pub p999: Duration,
    /// The longest round-trip time.
    pub max: Duration,
    /// Bytes written to the server in the window (frames, headers included).
    pub bytes_out: u64,
    /// Bytes read from the server in the window.
    pub bytes_in: u64,
    /// Connections that negotiated permessage-deflate.
    pub deflated_conns: usize,
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
             p999_us={:.1} max_us={:.1} \
             server_cpu_s={:.3} msgs_per_cpu_s={:.1} wire_out_per_msg={:.1} \
             wire_in_per_msg={:.1} deflated_conns={}",
            self.messages,
            self.seconds,
            self.messages_per_second(),
            self.p50.as_secs_f64() * 1e6,
            self.p99.as_secs_f64() * 1e6,
            self.p999.as_secs_f64() * 1e6,
            self.max.as_secs_f64() * 1e6,
            self.server_cpu_seconds.unwrap_or(f64::NAN),
            self.messages_per_cpu_second().unwrap_or(f64::NAN),
            self.bytes_out as f64 / self.messages.max(1) as f64,
            self.bytes_in as f64 / self.messages.max(1) as f64,
            self.deflated_conns,
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
    /// Over TLS, trusting this client's CA.
    pub tls: Option<TlsClient>,
    /// Source addresses the connections are spread over, in turn (empty: the OS picks,
    /// from one address). `127.0.0.1`–`127.0.0.4` let one run hold far more than the
    /// ~28,000 ephemeral ports one source address has towards one server address.
    pub sources: Vec<IpAddr>,
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
    /// From the first connect to the last completed handshake (TCP, TLS if any, the
    /// WebSocket upgrade), with at most 256 under way at once.
    pub setup_seconds: f64,
    /// Server CPU time (user + system) over the same span.
    pub setup_server_cpu_seconds: Option<f64>,
}

impl HoldReport {
    /// RSS growth per connection, bytes.
    pub fn bytes_per_connection(&self) -> f64 {
        (self.rss_after as f64 - self.rss_before as f64) / self.conns.max(1) as f64
    }

    /// Connections set up per second of wall time (the accept rate, handshakes included).
    pub fn setups_per_second(&self) -> f64 {
        self.conns as f64 / self.setup_seconds
    }

    /// Connections set up per second of server CPU time.
    pub fn setups_per_cpu_second(&self) -> Option<f64> {
        self.setup_server_cpu_seconds
            .filter(|cpu| *cpu > 0.0)
            .map(|cpu| self.conns as f64 / cpu)
    }

    /// `key=value` pairs on one line (what the `loadgen` binary prints).
    pub fn to_line(&self) -> String {
        format!(
            "conns={} rss_before={} rss_after={} bytes_per_conn={:.1} setup_s={:.4} \
             setups_per_s={:.1} setup_server_cpu_s={:.3} setups_per_cpu_s={:.1}",
            self.conns,
            self.rss_before,
            self.rss_after,
            self.bytes_per_connection(),
            self.setup_seconds,
            self.setups_per_second(),
            self.setup_server_cpu_seconds.unwrap_or(f64::NAN),
            self.setups_per_cpu_second().unwrap_or(f64::NAN),
        )
    }
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
    if matches!(spec.kind, Kind::Chat | Kind::Ticker) && spec.size < MIN_JSON_SIZE {
        return Err(format!(
            "{} payloads are at least {MIN_JSON_SIZE} bytes",
            spec.kind
        ));
    }
    let messages = messages(spec.protocol, spec.kind, spec.size, false)?;
    let compressed = if spec.deflate {
        payload::messages(spec.protocol, spec.kind, spec.size, true)?
    } else {
        Vec::new()
    };
    let rsv = if spec.deflate { Rsv::RSV1 } else { Rsv::NONE };
    let shared = Shared {
        protocol: spec.protocol,
        size: spec.size,
        opcode: spec.kind.opcode(),
        messages: &messages,
        compressed: &compressed,
        // A compressed echo can be a little longer than the payload (stored blocks).
        parse: ParseConfig::new()
            .allowed_rsv(rsv)
            .max_payload_len(spec.size as u64 + 1024),
    };
    let mut poll = Poll::new().map_err(|e| format!("poll: {e}"))?;
    let dial = Dial {
        addr: spec.addr,
        path: &spec.path,
        protocol: spec.protocol,
        deflate: spec.deflate,
        tls: spec.tls.as_ref(),
        sources: &[],
    };
    let mut conns = connect_all(&mut poll, &dial, spec.conns)?;
    let deflated_conns = conns.iter().filter(|c| c.deflate).count();

    let start = Instant::now();
    for (i, conn) in conns.iter_mut().enumerate() {
        for _ in 0..spec.depth {
            conn.queue(start);
        }
        conn.flush(conn.wire(&shared))
            .map_err(|e| format!("write: {e}"))?;
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
            let written = conn
                .flush(conn.wire(&shared))
                .map_err(|e| format!("write: {e}"))?;
            if stats.measuring {
                stats.bytes_out += written;
            }
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
    // Per mille: 500 is the median.
    let percentile = |p: usize| {
        rtt.get((rtt.len() * p / 1000).min(rtt.len().saturating_sub(1)))
            .map_or(Duration::ZERO, |ns| Duration::from_nanos(*ns))
    };
    Ok(LoadReport {
        messages: stats.completed,
        seconds,
        server_cpu_seconds,
        p50: percentile(500),
        p99: percentile(990),
        p999: percentile(999),
        max: rtt
            .last()
            .map_or(Duration::ZERO, |ns| Duration::from_nanos(*ns)),
        bytes_out: stats.bytes_out,
        bytes_in: stats.bytes_in,
        deflated_conns,
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
    let cpu0 = procfs::cpu_seconds(spec.server_pid);
    let t0 = Instant::now();
    let dial = Dial {
        addr: spec.addr,
        path: "/",
        protocol: spec.protocol,
        deflate: false,
        tls: spec.tls.as_ref(),
        sources: &spec.sources,
    };
    let conns = connect_all(&mut poll, &dial, spec.conns)?;
    let setup_seconds = t0.elapsed().as_secs_f64();
    let setup_server_cpu_seconds = match (cpu0, procfs::cpu_seconds(spec.server_pid)) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
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
        setup_seconds,
        setup_server_cpu_seconds,
    };
    // Reset rather than close: tens of thousands of closes would leave as many ports in
    // TIME_WAIT on the source addresses, and a run of holds would run out of them.
    for conn in &conns {
        let _ = socket2::SockRef::from(&conn.link.stream).set_linger(Some(Duration::ZERO));
    }
    drop(conns);
    Ok(report)
}

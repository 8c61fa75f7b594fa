//! What is measured: the scenarios, the targets they are checked against, one sample.

use sockeye_benches::load::Kind;

/// What a scenario does.
#[derive(Clone, Copy)]
pub(crate) enum Work {
    Load {
        conns: usize,
        size: usize,
        kind: Kind,
        depth: usize,
        /// The load generator offers permessage-deflate (RFC 7692) and sends compressed
        /// frames; only servers that can compress run it.
        deflate: bool,
        /// Over TLS (`wss://`, or bytes over TLS for the raw TLS echo); only servers that
        /// serve TLS run it.
        tls: bool,
    },
    /// Idle connections (the count comes from the run's settings), over TLS or not.
    Hold { tls: bool },
}

impl Work {
    /// Whether the scenario runs over TLS.
    pub(crate) fn tls(&self) -> bool {
        match *self {
            Self::Load { tls, .. } | Self::Hold { tls } => tls,
        }
    }
}

pub(crate) struct Scenario {
    pub(crate) id: &'static str,
    pub(crate) label: &'static str,
    pub(crate) work: Work,
}

pub(crate) const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "20b",
        label: "100 conns × 20 B text",
        work: Work::Load {
            conns: 100,
            size: 20,
            kind: Kind::Ascii,
            depth: 1,
            deflate: false,
            tls: false,
        },
    },
    Scenario {
        id: "16k-bin",
        label: "10 conns × 16 KiB binary",
        work: Work::Load {
            conns: 10,
            size: 16 << 10,
            kind: Kind::Binary,
            depth: 1,
            deflate: false,
            tls: false,
        },
    },
    Scenario {
        id: "16k-text",
        label: "10 conns × 16 KiB text, non-ASCII",
        work: Work::Load {
            conns: 10,
            size: 16 << 10,
            kind: Kind::Utf8,
            depth: 1,
            deflate: false,
            tls: false,
        },
    },
    Scenario {
        id: "20b-d16",
        label: "100 conns × 20 B text, 16 in flight",
        work: Work::Load {
            conns: 100,
            size: 20,
            kind: Kind::Ascii,
            depth: 16,
            deflate: false,
            tls: false,
        },
    },
    Scenario {
        id: "1m",
        label: "1 conn × 1 MiB binary",
        work: Work::Load {
            conns: 1,
            size: 1 << 20,
            kind: Kind::Binary,
            depth: 1,
            deflate: false,
            tls: false,
        },
    },
    Scenario {
        id: "chat",
        label: "100 conns × 512 B chat JSON",
        work: Work::Load {
            conns: 100,
            size: 512,
            kind: Kind::Chat,
            depth: 1,
            deflate: false,
            tls: false,
        },
    },
    Scenario {
        id: "chat-z",
        label: "100 conns × 512 B chat JSON, deflate",
        work: Work::Load {
            conns: 100,
            size: 512,
            kind: Kind::Chat,
            depth: 1,
            deflate: true,
            tls: false,
        },
    },
    Scenario {
        id: "ticker",
        label: "10 conns × 8 KiB ticker JSON",
        work: Work::Load {
            conns: 10,
            size: 8 << 10,
            kind: Kind::Ticker,
            depth: 1,
            deflate: false,
            tls: false,
        },
    },
    Scenario {
        id: "ticker-z",
        label: "10 conns × 8 KiB ticker JSON, deflate",
        work: Work::Load {
            conns: 10,
            size: 8 << 10,
            kind: Kind::Ticker,
            depth: 1,
            deflate: true,
            tls: false,
        },
    },
    Scenario {
        id: "idle",
        label: "idle connections: server RSS per connection",
        work: Work::Hold { tls: false },
    },
    Scenario {
        id: "wss-20b",
        label: "wss: 100 conns × 20 B text",
        work: Work::Load {
            conns: 100,
            size: 20,
            kind: Kind::Ascii,
            depth: 1,
            deflate: false,
            tls: true,
        },
    },
    Scenario {
        id: "wss-16k",
        label: "wss: 10 conns × 16 KiB binary",
        work: Work::Load {
            conns: 10,
            size: 16 << 10,
            kind: Kind::Binary,
            depth: 1,
            deflate: false,
            tls: true,
        },
    },
    Scenario {
        id: "wss-1m",
        label: "wss: 1 conn × 1 MiB binary",
        work: Work::Load {
            conns: 1,
            size: 1 << 20,
            kind: Kind::Binary,
            depth: 1,
            deflate: false,
            tls: true,
        },
    },
    Scenario {
        id: "idle-tls",
        label: "idle wss connections: server RSS per connection",
        work: Work::Hold { tls: true },
    },
];

/// A target from the issue: Sockeye over a peer, CPU-normalised, in a scenario.
pub(crate) struct Target {
    pub(crate) scenario: &'static str,
    pub(crate) peer: &'static str,
    pub(crate) at_least: f64,
}

/// Issue #14's: every plain echo scenario at least 0.95× the raw TCP echo (0.9× with 16
/// in flight) and at least 1.0× uWebSockets, an external peer named `uws`
/// (`--peer 'uws=PATH'`, see `benches/peers/build-uws.sh`); a target whose peer is not in
/// the run is not printed.
pub(crate) const TARGETS: &[Target] = &[
    Target {
        scenario: "20b",
        peer: "raw",
        at_least: 0.95,
    },
    Target {
        scenario: "16k-bin",
        peer: "raw",
        at_least: 0.95,
    },
    Target {
        scenario: "16k-text",
        peer: "raw",
        at_least: 0.95,
    },
    Target {
        scenario: "20b-d16",
        peer: "raw",
        at_least: 0.9,
    },
    Target {
        scenario: "1m",
        peer: "raw",
        at_least: 0.95,
    },
    Target {
        scenario: "20b",
        peer: "uws",
        at_least: 1.0,
    },
    Target {
        scenario: "16k-bin",
        peer: "uws",
        at_least: 1.0,
    },
    Target {
        scenario: "16k-text",
        peer: "uws",
        at_least: 1.0,
    },
    Target {
        scenario: "20b-d16",
        peer: "uws",
        at_least: 1.0,
    },
    Target {
        scenario: "1m",
        peer: "uws",
        at_least: 1.0,
    },
];

/// Most server RSS per idle connection (the memory target: uWebSockets' 258 B).
pub(crate) const MEMORY_TARGET: f64 = 256.0;

/// One measurement.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sample {
    Load {
        msgs_per_s: f64,
        p50_us: f64,
        p99_us: f64,
        p999_us: f64,
        cpu_share: f64,
        msgs_per_cpu_s: f64,
        /// Bytes written to the server per echoed message (frame headers included).
        wire_out: f64,
        /// Bytes read back per echoed message.
        wire_in: f64,
    },
    Hold {
        conns: usize,
        bytes_per_conn: f64,
        /// Connections set up per second (TCP, TLS, upgrade), wall time.
        setups_per_s: f64,
        /// The same per second of server CPU time.
        setups_per_cpu_s: f64,
    },
}

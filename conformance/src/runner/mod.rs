//! Runs one case over a [`Transport`] as the suite's fuzzing client or server does, and
//! records what happened ([`Observation`]) for [`verdict`](crate::verdict).
//!
//! The tester is an emulation of the suite's protocol (`autobahn/websocket/protocol.py`
//! with `failByDrop = False`, `closeHandshakeTimeout = 1`, `serverConnectionDropTimeout
//! = 1`, `openHandshakeTimeout = 5`) and of its case driver (`fuzzing.py`): an event loop
//! of callbacks — the case's steps, each received chunk, each timer — whose writes leave
//! as one TCP write per callback, queued writes a gap apart ([`tx`]). The case ends when
//! TCP closes, whichever side closes it; where the suite would wait forever (no timer
//! pending, the peer silent), the harness gives up after [`Timing::give_up`] and says so.

mod codec;
mod logic;
mod proto;
mod rx;
mod tx;
mod utf8;

use std::time::{Duration, Instant};

use sockeye_handshake::{Request, Side, WsUrl};

use crate::case::Case;
use crate::expect::Rule;
use crate::handshake::{self, Opened};
use crate::observation::{LogEntry, Observation};
use crate::transport::{Incoming, Transport};
use crate::verdict::{CaseResult, judge};
use rand::SeedableRng;
use rand::rngs::SmallRng as Rng;

pub(crate) use proto::same;

/// Which side the tester plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TesterRole {
    /// The tester is the client (masks its frames); the peer under test is a server.
    Client,
    /// The tester is the server; the peer under test is a client.
    Server,
}

/// How the connection is opened.
#[derive(Debug, Clone, Copy)]
pub enum Opening<'a> {
    /// The tester is the client: it sends the request for this URL.
    Client(&'a WsUrl),
    /// The tester is the server: it answers this request (already read), after which
    /// these bytes came.
    Server(&'a Request, &'a [u8]),
}

impl Opening<'_> {
    /// The tester's role.
    pub fn role(&self) -> TesterRole {
        match self {
            Self::Client(_) => TesterRole::Client,
            Self::Server(..) => TesterRole::Server,
        }
    }
}

/// The suite's timers, and the harness's own bounds.
#[derive(Debug, Clone)]
pub struct Timing {
    /// Between two queued writes (`sync` and chopped): the suite's reactor turn, as
    /// measured between their arrivals on loopback. 40 µs.
    pub chop_gap: Duration,
    /// `openHandshakeTimeout`: 5 s.
    pub open_handshake: Duration,
    /// `closeHandshakeTimeout`: 1 s.
    pub close_handshake: Duration,
    /// `serverConnectionDropTimeout` (client role): 1 s.
    pub server_drop: Duration,
    /// The harness's own: when no timer is pending and the peer is silent, the suite
    /// would wait forever; the harness closes TCP after this long and notes it. 10 s.
    pub give_up: Duration,
    /// Multiplies the case's own timers (`killAfter`, `closeAfter`, `continueLater`, the
    /// round-trip timeouts). 1 is the suite; smaller values are for fast tests against
    /// peers known to answer at once, and are not the suite's verdicts.
    pub case_timer_scale: f64,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            chop_gap: Duration::from_micros(40),
            open_handshake: Duration::from_secs(5),
            close_handshake: Duration::from_secs(1),
            server_drop: Duration::from_secs(1),
            give_up: Duration::from_secs(10),
            case_timer_scale: 1.0,
        }
    }
}

impl Timing {
    /// A case timer of `ms` milliseconds, scaled.
    pub fn case_ms(&self, ms: u64) -> Duration {
        Duration::from_secs_f64(ms as f64 / 1000.0 * self.case_timer_scale)
    }
}

/// Runs `case` over `transport` (connected, before the opening handshake), the tester
/// opening as `opening` says; `seed` fixes the masking keys and the request's nonce.
pub fn run_case(
    case: &Case,
    opening: Opening<'_>,
    transport: &mut dyn Transport,
    timing: &Timing,
    seed: u64,
) -> CaseResult {
    let deflate_params = match &case.expect.rule {
        Rule::Deflate(d) => Some(d.params),
        _ => None,
    };
    let opened = match opening {
        Opening::Client(url) => handshake::client(
            transport,
            url,
            deflate_params,
            handshake::nonce(seed),
            timing.open_handshake,
        ),
        Opening::Server(request, leftover) => {
            handshake::server(transport, request, leftover, deflate_params)
        }
    };
    let mut obs = Observation {
        tester_is_server: opening.role() == TesterRole::Server,
        ..Observation::default()
    };
    let opened = match opened {
        Ok(o) => o,
        Err(e) => {
            transport.close();
            obs.handshake_error = Some(e);
            obs.transport_notes = transport.notes();
            return judge(case, obs);
        }
    };
    run_open(case, opening.role(), opened, transport, timing, seed)
}

/// Runs `case` on a connection whose opening handshake is done.
pub fn run_open(
    case: &Case,
    role: TesterRole,
    opened: Opened,
    transport: &mut dyn Transport,
    timing: &Timing,
    seed: u64,
) -> CaseResult {
    let side = match role {
        TesterRole::Client => Side::Client,
        TesterRole::Server => Side::Server,
    };
    let codec = opened.deflate.map(|p| codec::Codec::new(side, p));
    let start = transport.now();
    let mut run = proto::Run {
        case,
        t: transport,
        timing,
        tester_is_server: role == TesterRole::Server,
        rng: Rng::seed_from_u64(seed),
        start,
        tx: tx::Tx::default(),
        rx: rx::Rx::new(role == TesterRole::Server, codec),
        state: proto::State::Open,
        obs: Observation {
            tester_is_server: role == TesterRole::Server,
            connection_was_open: true,
            extension: opened.extension,
            server_header: opened.server,
            ..Observation::default()
        },
        timers: Vec::new(),
        armed: 0,
        autofrag: 0,
        open_frame: None,
        logic: logic::Logic::new(&case.expect.rule),
        ended: false,
        negotiated: opened.deflate.is_some(),
    };
    run.execute(&opened.leftover);
    run.obs.duration = run.t.now().saturating_duration_since(start);
    run.obs.transport_notes = run.t.notes();
    run.obs.tx_bytes = run.tx.bytes;
    run.obs.tx_writes = run.tx.sends;
    run.tx.writes.truncate(300);
    run.obs.tx_octets = std::mem::take(&mut run.tx.writes);
    judge(case, run.obs)
}

/// A case whose connection could not even be opened (TCP connect, or reading the
/// request): FAILED / FAILED, as the suite reports a handshake that never completed.
pub fn not_opened(case: &Case, role: TesterRole, why: String) -> CaseResult {
    judge(
        case,
        Observation {
            tester_is_server: role == TesterRole::Server,
            handshake_error: Some(why),
            ..Observation::default()
        },
    )
}

const MAX_LOG: usize = 600;

impl proto::Run<'_> {
    fn log(&mut self, kind: &'static str, what: impl FnOnce() -> String) {
        if self.obs.log.len() < MAX_LOG {
            let t_ms = self
                .t
                .now()
                .saturating_duration_since(self.start)
                .as_secs_f64()
                * 1000.0;
            self.obs.log.push(LogEntry {
                t_ms: (t_ms * 1000.0).round() / 1000.0,
                kind,
                what: what(),
            });
        } else {
            self.obs.log_dropped += 1;
        }
    }

    /// The event loop: the case's first callback, then whatever comes first — bytes,
    /// the peer's EOF, a timer, a queued write — until TCP is closed.
    fn execute(&mut self, leftover: &[u8]) {
        self.callback(|r| {
            r.run_steps(0);
            r.start_logic();
            if !leftover.is_empty() {
                r.on_data(leftover);
            }
        });
        while !self.ended {
            let now = self.t.now();
            let deadline = self.next_deadline();
            let wait = deadline.map_or(self.timing.give_up, |d| d.saturating_duration_since(now));
            match self.t.recv(wait) {
                Incoming::Data(bytes) => self.callback(|r| r.on_data(&bytes)),
                Incoming::Eof => {
                    self.log("EV", || "the peer closed TCP".into());
                    self.obs.peer_closed_tcp = true;
                    self.connection_lost();
                }
                Incoming::Timeout if deadline.is_none() => {
                    self.obs.harness_gave_up = true;
                    let s = self.timing.give_up.as_secs_f64();
                    self.obs.note(format!(
                        "nothing happened for {s:.0} s with no timer pending, where the suite would wait for ever; the harness closed TCP"
                    ));
                    self.callback(|r| r.drop_connection(false));
                }
                Incoming::Timeout => {}
            }
            self.fire_due();
        }
    }

    /// Runs `f` as one callback: its writes leave together.
    fn callback(&mut self, f: impl FnOnce(&mut Self)) {
        f(self);
        self.flush();
    }

    fn flush(&mut self) {
        let (now, gap) = (self.t.now(), self.timing.chop_gap);
        self.tx.end_callback(self.t, now, gap);
        if let Some(e) = self.tx.broken.take() {
            self.obs.note(format!("a write failed: {e}"));
        }
        if self.state == proto::State::Closed && !self.ended {
            self.t.close();
            self.connection_lost();
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        let timer = self.timers.iter().map(|t| t.0).min();
        [timer, self.tx.deadline()].into_iter().flatten().min()
    }

    /// Every timer that is due, each as its own callback, in time order.
    fn fire_due(&mut self) {
        loop {
            if self.ended {
                return;
            }
            let now = self.t.now();
            if self.tx.deadline().is_some_and(|d| d <= now) {
                let gap = self.timing.chop_gap;
                self.tx.due(self.t, now, gap);
                continue;
            }
            let due = self
                .timers
                .iter()
                .enumerate()
                .filter(|(_, t)| t.0 <= now)
                .min_by_key(|(_, t)| (t.0, t.1))
                .map(|(i, _)| i);
            match due {
                Some(i) => {
                    let (_, _, timer) = self.timers.remove(i);
                    self.callback(|r| r.on_timer(timer));
                }
                None => return,
            }
        }
    }

    fn connection_lost(&mut self) {
        self.state = proto::State::Closed;
        self.tx.discard_queue();
        self.ended = true;
    }
}

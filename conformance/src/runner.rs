//! Runs one case over a [`Transport`] and records what the peer did ([`Observation`]).

use std::time::{Duration, Instant};

use serde::Serialize;
use sockeye_frame::OpCode;

use crate::case::{Case, Closer, FrameSpec, MaskMode, Match, Payload, Step, op};
use crate::rng::Rng;
use crate::transport::{Incoming, Transport};
use crate::verdict::{CaseResult, judge};
use crate::wire::{encode_frame, encode_frame_into, header_len, opcode_name, preview, take_frames};

/// Which side the tester plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TesterRole {
    /// The tester is the client (masks its frames); the peer under test is a server.
    Client,
    /// The tester is the server; the peer under test is a client.
    Server,
}

/// How long the tester waits.
#[derive(Debug, Clone)]
pub struct Timing {
    /// For echoes, the peer's close, the TCP close. Over TCP 2 s is plenty on loopback;
    /// in memory time is virtual.
    pub wait: Duration,
    /// Extra wait per MiB of payload the case sends.
    pub per_mib: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            wait: Duration::from_secs(2),
            per_mib: Duration::from_millis(500),
        }
    }
}

/// A message or pong the peer sent back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A data message.
    Message {
        /// Text.
        text: bool,
        /// Payload.
        payload: Vec<u8>,
    },
    /// A pong.
    Pong(Vec<u8>),
}

/// One line of the exchange log.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    /// Milliseconds since the case started.
    pub t_ms: f64,
    /// `tx` (tester to peer), `rx` (peer to tester), or `event`.
    pub dir: &'static str,
    /// What.
    pub what: String,
}

/// What the peer did during a case.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// Messages and pongs, in order.
    pub items: Vec<Received>,
    /// The peer's close frame: code (1005 for an empty body) and reason.
    pub peer_close: Option<(u16, String)>,
    /// The peer's close frame came before the tester sent one.
    pub peer_closed_first: bool,
    /// The peer closed TCP.
    pub peer_eof: bool,
    /// The tester closed TCP before the peer did.
    pub tester_dropped: bool,
    /// The tester sent a close frame.
    pub tester_sent_close: bool,
    /// At the checkpoint (if any): whether the peer had already failed.
    pub failed_by_checkpoint: Option<bool>,
    /// Things the peer did that no endpoint may do.
    pub violations: Vec<String>,
    /// A write to the peer failed.
    pub send_error: Option<String>,
    /// The exchange, truncated.
    pub log: Vec<LogEntry>,
    /// Log entries left out.
    pub log_dropped: usize,
    /// Bytes the tester wrote.
    pub tx_bytes: u64,
    /// Bytes the peer wrote.
    pub rx_bytes: u64,
    /// Wall time.
    pub duration: Duration,
    /// The transport's notes.
    pub notes: Vec<String>,
    /// The tester played the client (the peer is a server).
    pub tester_is_client: bool,
}

impl Observation {
    /// Close frames went both ways.
    pub fn handshake_complete(&self) -> bool {
        self.peer_close.is_some() && self.tester_sent_close
    }
}

const MAX_LOG: usize = 400;

struct Run<'a> {
    t: &'a mut dyn Transport,
    role: TesterRole,
    rng: Rng,
    timing: &'a Timing,
    start: Instant,
    rx: Vec<u8>,
    garbage: bool,
    msg: Option<(bool, Vec<u8>)>,
    obs: Observation,
    /// Cache for [`Step::FramePart`]: the frame and its encoding.
    part: Option<(FrameSpec, Vec<u8>)>,
}

/// Runs `case` over `transport` with the tester in `role`; `seed` fixes the masking keys.
pub fn run_case(
    case: &Case,
    role: TesterRole,
    transport: &mut dyn Transport,
    timing: &Timing,
    seed: u64,
) -> CaseResult {
    let mut run = Run {
        t: transport,
        role,
        rng: Rng::new(seed),
        timing,
        start: Instant::now(),
        rx: Vec::new(),
        garbage: false,
        msg: None,
        obs: Observation::default(),
        part: None,
    };
    run.obs.tester_is_client = role == TesterRole::Client;
    run.execute(case);
    run.obs.duration = run.start.elapsed();
    run.obs.notes = run.t.notes();
    judge(case, run.obs)
}

impl Run<'_> {
    fn ended(&self) -> bool {
        self.obs.peer_close.is_some() || self.obs.peer_eof || self.obs.send_error.is_some()
    }

    fn log(&mut self, dir: &'static str, what: impl FnOnce() -> String) {
        if self.obs.log.len() < MAX_LOG {
            let t_ms = self.start.elapsed().as_secs_f64() * 1000.0;
            self.obs.log.push(LogEntry {
                t_ms: (t_ms * 1000.0).round() / 1000.0,
                dir,
                what: what(),
            });
        } else {
            self.obs.log_dropped += 1;
        }
    }

    fn mask(&mut self, mode: MaskMode) -> Option<[u8; 4]> {
        let masked = (self.role == TesterRole::Client) == (mode == MaskMode::Role);
        masked.then(|| self.rng.key())
    }

    fn encode(&mut self, f: &FrameSpec, payload: &[u8]) -> Vec<u8> {
        let mask = self.mask(f.mask);
        encode_frame(f.fin, f.rsv, f.opcode, mask, payload)
    }

    /// Writes `bytes` in pieces of `chop`, reading what arrives in between.
    fn write(&mut self, bytes: &[u8], chop: Option<usize>) {
        let chop = chop.unwrap_or(usize::MAX).max(1);
        for piece in bytes.chunks(chop) {
            if self.obs.send_error.is_some() || self.obs.peer_eof {
                return;
            }
            match self.t.send(piece) {
                Ok(()) => self.obs.tx_bytes += piece.len() as u64,
                Err(e) => {
                    self.log("event", || format!("write failed: {e}"));
                    self.obs.send_error = Some(e);
                    return;
                }
            }
            if chop != usize::MAX {
                self.t.flush();
                self.poll(Duration::ZERO);
            }
        }
    }

    fn log_tx(&mut self, f: &FrameSpec, payload: &[u8], how: &str) {
        let (fin, rsv, opc) = (f.fin, f.rsv, f.opcode);
        self.log("tx", || {
            format!(
                "{} fin={} rsv={rsv} len={} {}{how}",
                opcode_name(opc),
                u8::from(fin),
                payload.len(),
                preview(payload)
            )
        });
    }

    /// Reads what is there (waiting at most `timeout`) and processes it.
    fn poll(&mut self, timeout: Duration) -> bool {
        if self.obs.peer_eof {
            return false;
        }
        match self.t.recv(timeout) {
            Incoming::Data(bytes) => {
                self.obs.rx_bytes += bytes.len() as u64;
                if !self.garbage {
                    self.rx.extend_from_slice(&bytes);
                    self.process();
                }
                true
            }
            Incoming::Eof => {
                self.obs.peer_eof = true;
                self.log("event", || "peer closed TCP".into());
                if self.msg.is_some() || !self.rx.is_empty() {
                    let n = self.rx.len();
                    self.log("event", || {
                        format!("{n} bytes of an unfinished frame or message left")
                    });
                }
                true
            }
            Incoming::Timeout => false,
        }
    }

    /// Reads until `done` or the deadline.
    fn wait_until(&mut self, timeout: Duration, done: impl Fn(&Self) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut virtual_left = timeout;
        loop {
            if done(self) {
                return true;
            }
            if self.obs.peer_eof {
                return false;
            }
            let now = Instant::now();
            // In memory `recv` returns at once; count virtual time down as well.
            let left = deadline.saturating_duration_since(now).min(virtual_left);
            if left.is_zero() {
                return done(self);
            }
            let step = left.min(Duration::from_millis(100));
            if !self.poll(step) {
                virtual_left = virtual_left.saturating_sub(step);
            }
        }
    }

    fn process(&mut self) {
        let (frames, error) = take_frames(&mut self.rx);
        for f in frames {
            self.on_frame(f);
        }
        if let Some(e) = error {
            self.obs.violations.push(e.clone());
            self.log("rx", || e);
            self.garbage = true;
        }
    }

    fn on_frame(&mut self, f: crate::wire::RxFrame) {
        let (fin, rsv, len) = (f.fin, f.rsv, f.payload.len());
        let name = opcode_name(f.opcode.as_u8());
        let pv = preview(&f.payload);
        self.log("rx", || {
            format!("{name} fin={} rsv={rsv} len={len} {pv}", u8::from(fin))
        });
        // §5.1: a server never masks, a client always does.
        let must_mask = self.role == TesterRole::Server;
        if f.masked != must_mask {
            let v = if must_mask {
                "unmasked frame from a client (§5.1)"
            } else {
                "masked frame from a server (§5.1)"
            };
            self.violation(v.into());
        }
        if f.rsv != 0 {
            self.violation(format!(
                "RSV bits {rsv:#05b} set without an extension (§5.2)"
            ));
        }
        if self.obs.peer_close.is_some() {
            self.violation(format!(
                "{name} frame after the peer's close frame (§5.5.1)"
            ));
            return;
        }
        match f.opcode {
            OpCode::Text | OpCode::Binary => {
                if self.msg.is_some() {
                    self.violation("new message inside a fragmented one (§5.4)".into());
                }
                let text = f.opcode == OpCode::Text;
                if fin {
                    self.message(text, f.payload);
                } else {
                    self.msg = Some((text, f.payload));
                }
            }
            OpCode::Continuation => match self.msg.as_mut() {
                None => self.violation("continuation without a message (§5.4)".into()),
                Some((_, buf)) => {
                    buf.extend_from_slice(&f.payload);
                    if fin && let Some((text, buf)) = self.msg.take() {
                        self.message(text, buf);
                    }
                }
            },
            OpCode::Ping => {
                if !self.obs.tester_sent_close {
                    let mask = self.mask(MaskMode::Role);
                    let pong = encode_frame(true, 0, op::PONG, mask, &f.payload);
                    self.write(&pong, None);
                }
            }
            OpCode::Pong => self.obs.items.push(Received::Pong(f.payload)),
            OpCode::Close => self.on_close(&f.payload),
        }
    }

    fn message(&mut self, text: bool, payload: Vec<u8>) {
        if text && core::str::from_utf8(&payload).is_err() {
            self.violation("text message that is not UTF-8 (§8.1)".into());
        }
        self.obs.items.push(Received::Message { text, payload });
    }

    fn on_close(&mut self, payload: &[u8]) {
        let (code, reason) = match payload {
            [] => (1005, String::new()),
            [_] => {
                self.violation("close frame with a 1-octet body (§5.5.1)".into());
                (1005, String::new())
            }
            [a, b, rest @ ..] => {
                let code = u16::from_be_bytes([*a, *b]);
                if !sockeye_frame::CloseCode::new(code).is_valid_on_wire() {
                    self.violation(format!("close code {code} may not be sent (§7.4)"));
                }
                let reason = match core::str::from_utf8(rest) {
                    Ok(r) => r.to_owned(),
                    Err(_) => {
                        self.violation("close reason that is not UTF-8 (§5.5.1)".into());
                        String::from_utf8_lossy(rest).into_owned()
                    }
                };
                (code, reason)
            }
        };
        self.obs.peer_closed_first = !self.obs.tester_sent_close;
        self.obs.peer_close = Some((code, reason));
        if !self.obs.tester_sent_close {
            // §5.5.1: answer with a close, echoing the code.
            let body = if code == 1005 || !sockeye_frame::CloseCode::new(code).is_valid_on_wire() {
                Vec::new()
            } else {
                code.to_be_bytes().to_vec()
            };
            let mask = self.mask(MaskMode::Role);
            let frame = encode_frame(true, 0, op::CLOSE, mask, &body);
            self.obs.tester_sent_close = true;
            self.log("tx", || format!("close (reply) {}", preview(&body)));
            self.write(&frame, None);
        }
    }

    fn violation(&mut self, v: String) {
        if !self.obs.violations.contains(&v) {
            self.obs.violations.push(v);
        }
    }

    fn expected_count(case: &Case) -> usize {
        match &case.expect.ok {
            Match::Exact(items) => items.len(),
            Match::PongSubsequence(items) => items.len(),
            Match::Any => 0,
        }
    }

    fn wait_for(&self, case: &Case) -> Duration {
        let mib = case.payload_bytes() as u32 / (1 << 20);
        self.timing.wait + self.timing.per_mib * mib
    }

    fn execute(&mut self, case: &Case) {
        self.log("event", || format!("case {}", case.id));
        self.poll(Duration::ZERO);
        for step in &case.steps {
            if self.ended() {
                if matches!(step, Step::Checkpoint) && self.obs.failed_by_checkpoint.is_none() {
                    self.obs.failed_by_checkpoint = Some(true);
                }
                continue;
            }
            self.step(step, case);
            self.poll(Duration::ZERO);
        }
        let wait = self.wait_for(case);
        if !self.ended() {
            match case.expect.closer {
                Closer::Tester if !self.obs.tester_sent_close => {
                    let n = Self::expected_count(case);
                    self.wait_until(wait, |r| r.obs.items.len() >= n || r.ended());
                    if !self.ended() {
                        self.send_close(&crate::case::close_payload(1000, b""));
                    }
                }
                _ => {}
            }
        }
        // The closing handshake: the peer's close (or its failure).
        self.wait_until(wait, |r| r.obs.peer_close.is_some() || r.obs.peer_eof);
        if self.obs.handshake_complete() && self.role == TesterRole::Server {
            // §7.1.1: the server closes TCP first.
            self.log("event", || "tester (server) closes TCP".into());
            self.drain_then_close();
            return;
        }
        // Client: wait for the server to close TCP.
        self.wait_until(self.timing.wait, |r| r.obs.peer_eof);
        if !self.obs.peer_eof {
            self.obs.tester_dropped = true;
            self.log("event", || "tester closes TCP (timeout)".into());
            self.t.close();
        }
    }

    fn drain_then_close(&mut self) {
        self.poll(Duration::ZERO);
        self.t.close();
        if !self.obs.peer_eof {
            self.obs.tester_dropped = true;
        }
    }

    fn send_close(&mut self, payload: &Payload) {
        let body = payload.to_vec();
        let mask = self.mask(MaskMode::Role);
        let frame = encode_frame(true, 0, op::CLOSE, mask, &body);
        self.log("tx", || format!("close {}", preview(&body)));
        self.obs.tester_sent_close = true;
        self.write(&frame, None);
    }

    fn step(&mut self, step: &Step, case: &Case) {
        match step {
            Step::Frame { frame, chop } => {
                let payload = frame.payload.to_vec();
                let how = chop.map_or(String::new(), |c| format!(" (chops of {c})"));
                self.log_tx(frame, &payload, &how);
                let bytes = self.encode(frame, &payload);
                self.write(&bytes, *chop);
            }
            Step::FramePart { frame, from, to } => {
                let cached = matches!(&self.part, Some((f, _)) if f == frame);
                if !cached {
                    let payload = frame.payload.to_vec();
                    self.log_tx(frame, &payload, " (in parts)");
                    let bytes = self.encode(frame, &payload);
                    self.part = Some((frame.clone(), bytes));
                }
                let Some((_, bytes)) = &self.part else { return };
                let masked = (self.role == TesterRole::Client) == (frame.mask == MaskMode::Role);
                let hl = header_len(masked, frame.payload.len());
                let a = if *from == 0 { 0 } else { hl + from };
                let b = (hl + to).min(bytes.len());
                let piece = bytes[a.min(b)..b].to_vec();
                self.log("tx", || format!("part: payload {from}..{to}"));
                self.write(&piece, None);
            }
            Step::Message {
                text,
                payload,
                frag,
                chop,
            } => {
                let bytes = self.message_bytes(*text, payload, *frag);
                let (text, frag) = (*text, *frag);
                let len = payload.len();
                self.log("tx", || {
                    format!(
                        "{} message len={len}{}{}",
                        if text { "text" } else { "binary" },
                        if frag > 0 {
                            format!(" in fragments of {frag}")
                        } else {
                            String::new()
                        },
                        chop.map_or(String::new(), |c| format!(" (chops of {c})"))
                    )
                });
                self.write(&bytes, *chop);
            }
            Step::RoundTrips {
                text,
                payload,
                count,
            } => {
                let base = self.obs.items.len();
                let wait = self.wait_for(case);
                let (text, count) = (*text, *count);
                self.log("tx", || {
                    format!("{count} round trips of {} bytes", payload.len())
                });
                let body = payload.to_vec();
                for i in 0..count as usize {
                    let mask = self.mask(MaskMode::Role);
                    let opcode = if text { op::TEXT } else { op::BINARY };
                    let bytes = encode_frame(true, 0, opcode, mask, &body);
                    self.write(&bytes, None);
                    if !self.wait_until(wait, |r| r.obs.items.len() > base + i || r.ended())
                        || self.ended()
                    {
                        break;
                    }
                }
            }
            Step::Raw(bytes) => {
                let pv = preview(bytes);
                self.log("tx", || format!("raw {pv}"));
                self.write(bytes, None);
            }
            Step::Close(payload) => self.send_close(payload),
            Step::Pause(ms) => {
                let ms = *ms;
                self.log("event", || format!("pause {ms} ms"));
                self.t.pause(Duration::from_millis(ms));
                self.poll(Duration::ZERO);
            }
            Step::Sync(n) => {
                let n = *n;
                let wait = self.timing.wait;
                self.wait_until(wait, |r| r.obs.items.len() >= n || r.ended());
            }
            Step::Checkpoint => {
                self.poll(Duration::ZERO);
                let failed = self.ended();
                self.obs.failed_by_checkpoint = Some(failed);
                self.log("event", || {
                    format!("checkpoint: peer failed already: {failed}")
                });
            }
        }
    }

    fn message_bytes(&mut self, text: bool, payload: &Payload, frag: usize) -> Vec<u8> {
        let body = payload.to_vec();
        let opcode = if text { op::TEXT } else { op::BINARY };
        if frag == 0 || body.len() <= frag {
            let mask = self.mask(MaskMode::Role);
            return encode_frame(true, 0, opcode, mask, &body);
        }
        let count = body.len().div_ceil(frag);
        let mut out = Vec::with_capacity(body.len() + count * 14);
        for (i, chunk) in body.chunks(frag).enumerate() {
            let mask = self.mask(MaskMode::Role);
            let opc = if i == 0 { opcode } else { op::CONT };
            encode_frame_into(i + 1 == count, 0, opc, mask, chunk, &mut out);
        }
        out
    }
}

//! The tester's protocol state and its reactions, as the suite's (`protocol.py`:
//! `sendCloseFrame`, `onCloseFrame`, `failConnection`, `dropConnection`, the timers;
//! `fuzzing.py`: `killAfter`, `closeAfter`, `continueLater`; `case.py`: `onMessage`,
//! `onPong`, `finishWhenDone`), and the case's steps.

use std::time::Instant;

use super::Timing;
use super::logic::{Action, Logic};
use super::rx::{Rx, RxEvent};
use super::tx::Tx;
use super::utf8::Utf8Validator;
use crate::case::{Case, FrameSpec, MaskMode, Step, Write, op};
use crate::expect::Item;
use crate::observation::{Observation, Received, TxFrame, ascii_log_data};
use crate::payload::Payload;
use crate::transport::Transport;
use crate::wire::{encode_frame, header_len};
use rand::RngExt;
use rand::rngs::SmallRng as Rng;

/// The tester's WebSocket state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Open,
    Closing,
    Closed,
}

/// A timer: the case's, or the protocol's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// `continueLater`: run the steps from this index.
    Continue(usize),
    /// `killAfter`.
    Kill,
    /// `closeAfter`.
    CloseAfter,
    /// `closeHandshakeTimeout`, after the tester's close.
    CloseHandshake,
    /// `serverConnectionDropTimeout`, after the server's close reply (client role).
    ServerDrop,
}

/// One running case.
pub(crate) struct Run<'a> {
    pub(crate) case: &'a Case,
    pub(crate) t: &'a mut dyn Transport,
    pub(crate) timing: &'a Timing,
    pub(crate) tester_is_server: bool,
    pub(crate) rng: Rng,
    pub(crate) start: Instant,
    pub(crate) tx: Tx,
    pub(crate) rx: Rx,
    pub(crate) state: State,
    pub(crate) obs: Observation,
    /// Pending timers: when, the order they were armed in (the reactor fires timers due
    /// at the same time in that order), what.
    pub(crate) timers: Vec<(Instant, u64, Timer)>,
    pub(crate) armed: u64,
    pub(crate) autofrag: usize,
    /// The frame of the last `FrameHeader` step: its payload and masking key.
    pub(crate) open_frame: Option<(Vec<u8>, Option<[u8; 4]>)>,
    pub(crate) logic: Logic,
    pub(crate) ended: bool,
    pub(crate) negotiated: bool,
}

/// `CLOSE_STATUS_CODES_ALLOWED` and the ranges `onCloseFrame` accepts.
fn close_code_valid(code: u16) -> bool {
    const ALLOWED: [u16; 9] = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011];
    !(code < 1000 || (code <= 2999 && !ALLOWED.contains(&code)) || code >= 5000)
}

impl Run<'_> {
    fn now(&self) -> Instant {
        self.t.now()
    }

    fn mask(&mut self, mode: MaskMode) -> Option<[u8; 4]> {
        // A client masks (unless the case says otherwise), a server does not.
        let masked = self.tester_is_server != (mode == MaskMode::Role);
        masked.then(|| self.rng.random())
    }

    // ---- sending ----

    /// `sendFrame`: encodes, logs (`TF`) and writes one frame.
    fn send_frame(&mut self, f: &FrameSpec, payload: &[u8], write: Write) {
        let mask = self.mask(f.mask);
        let bytes = encode_frame(f.fin, f.rsv, f.opcode, mask, payload);
        let (chop, sync) = match write {
            Write::Plain => (None, false),
            Write::Sync => (None, true),
            Write::Chop(n) => (Some(n), false),
        };
        if self.obs.tx_frames.len() < 300 {
            self.obs.tx_frames.push(TxFrame {
                opcode: f.opcode,
                fin: f.fin,
                rsv: f.rsv,
                len: payload.len(),
                preview: ascii_log_data(payload),
                chop,
                sync,
            });
        }
        let (opc, fin, rsv, len) = (f.opcode, f.fin, f.rsv, payload.len());
        self.log("TF", || {
            format!(
                "op={opc} fin={} rsv={rsv} len={len} {}{}{}",
                u8::from(fin),
                ascii_log_data(payload),
                chop.map_or(String::new(), |c| format!(" chop={c}")),
                if sync { " sync" } else { "" }
            )
        });
        let (now, gap) = (self.now(), self.timing.chop_gap);
        self.tx.send_data(bytes, sync, chop, now, gap);
    }

    fn frame(opcode: u8, fin: bool, rsv: u8) -> FrameSpec {
        FrameSpec::new(opcode, Payload::empty()).fin(fin).rsv(rsv)
    }

    /// `sendMessage`: compressed when permessage-deflate is in force, in fragments of
    /// `frag` (or the auto-fragment size) when longer, the suite's FIN rule included.
    pub(crate) fn send_message(&mut self, text: bool, message: &[u8], frag: Option<usize>) {
        let opcode = if text { op::TEXT } else { op::BINARY };
        let (payload, rsv) = match self.rx.codec_mut().map(|c| c.compress(text, message)) {
            Some(Ok(compressed)) => (compressed, 4),
            Some(Err(e)) => {
                self.obs.note(format!("the tester could not compress: {e}"));
                (message.to_vec(), 0)
            }
            None => (message.to_vec(), 0),
        };
        let pfs = frag.unwrap_or(self.autofrag);
        if pfs == 0 || payload.len() <= pfs {
            self.send_frame(&Self::frame(opcode, true, rsv), &payload, Write::Plain);
            return;
        }
        let n = payload.len();
        let mut i = 0;
        let mut first = true;
        loop {
            let j = i + pfs;
            let done = j > n;
            let part = &payload[i..j.min(n)];
            let (o, r) = if first { (opcode, rsv) } else { (op::CONT, 0) };
            self.send_frame(&Self::frame(o, done, r), part, Write::Plain);
            first = false;
            if done {
                return;
            }
            i = j;
        }
    }

    /// `sendCloseFrame(code, reason, isReply)`: only while open.
    fn send_close(&mut self, code: Option<u16>, reason: &[u8], is_reply: bool) {
        if self.state != State::Open {
            return;
        }
        let mut payload = code.map(|c| c.to_be_bytes().to_vec()).unwrap_or_default();
        payload.extend_from_slice(reason);
        self.send_frame(&Self::frame(op::CLOSE, true, 0), &payload, Write::Plain);
        self.state = State::Closing;
        self.obs.closed_by_me = !is_reply;
        if !is_reply {
            let at = self.now() + self.timing.close_handshake;
            self.schedule(at, Timer::CloseHandshake);
        }
    }

    /// `failConnection(code, reason)`.
    fn fail_connection(&mut self, code: u16, reason: &str) {
        if self.state == State::Closed {
            return;
        }
        self.obs.failed_by_me = true;
        if self.state == State::Open {
            let r = &reason.as_bytes()[..reason.len().min(123)];
            self.send_close(Some(code), r, false);
        } else {
            self.drop_connection(false);
        }
    }

    /// `dropConnection(abort)`: the tester closes TCP (after this callback's writes when
    /// not aborting, as Twisted's `loseConnection` does).
    pub(crate) fn drop_connection(&mut self, abort: bool) {
        if self.state == State::Closed {
            return;
        }
        self.obs.dropped_by_me = true;
        self.state = State::Closed;
        self.tx.discard_queue();
        if abort {
            self.log("EV", || "the tester aborts TCP".into());
        } else {
            self.log("EV", || "the tester closes TCP".into());
        }
    }

    // ---- the case's steps and timers ----

    /// Runs the steps from `from` to the next `Later`.
    pub(crate) fn run_steps(&mut self, from: usize) {
        let case = self.case;
        for (i, step) in case.steps.iter().enumerate().skip(from) {
            match step {
                Step::Frame { frame, write } => {
                    let payload = frame.payload.to_vec();
                    self.send_frame(frame, &payload, *write);
                }
                Step::Message {
                    text,
                    payload,
                    frag,
                } => self.send_message(*text, &payload.to_vec(), *frag),
                Step::FrameHeader { frame } => {
                    let payload = frame.payload.to_vec();
                    let mask = self.mask(frame.mask);
                    let bytes = encode_frame(frame.fin, frame.rsv, frame.opcode, mask, &payload);
                    let hl = header_len(mask.is_some(), payload.len());
                    let (now, gap) = (self.now(), self.timing.chop_gap);
                    self.tx
                        .send_data(bytes[..hl].to_vec(), false, None, now, gap);
                    self.open_frame = Some((payload, mask));
                }
                Step::FrameData { from, to } => {
                    if let Some((payload, mask)) = &self.open_frame {
                        let mut part = payload[*from..*to].to_vec();
                        if let Some(key) = mask {
                            sockeye_frame::apply_mask(&mut part, *key, *from % 4);
                        }
                        let (now, gap) = (self.now(), self.timing.chop_gap);
                        self.tx.send_data(part, false, None, now, gap);
                    }
                }
                Step::Close { code, reason } => self.send_close(*code, reason, false),
                Step::AutoFragment(n) => self.autofrag = *n,
                Step::Later(ms) => {
                    let ms = *ms;
                    self.obs.timers.push(("CT", ms));
                    self.log("CT", || format!("{ms} ms"));
                    let at = self.now() + self.timing.case_ms(ms);
                    self.schedule(at, Timer::Continue(i + 1));
                    return;
                }
                Step::IfOpen if self.state != State::Open => return,
                Step::IfOpen => {}
                Step::Mark(tag) => self.obs.received.push(Received::Timeout(tag)),
                Step::KillAfter(ms) => self.arm(*ms, Timer::Kill, "KL"),
                Step::CloseAfter(ms) => self.arm(*ms, Timer::CloseAfter, "TI"),
            }
        }
    }

    fn arm(&mut self, ms: u64, timer: Timer, kind: &'static str) {
        self.obs.timers.push((kind, ms));
        self.log(kind, || format!("{ms} ms"));
        let at = self.now() + self.timing.case_ms(ms);
        self.schedule(at, timer);
    }

    pub(crate) fn schedule(&mut self, at: Instant, timer: Timer) {
        self.armed += 1;
        self.timers.push((at, self.armed, timer));
    }

    /// The round-trip rules' `onOpen` part.
    pub(crate) fn start_logic(&mut self) {
        if let Some(v) = self.logic.initial(self.negotiated) {
            self.obs.logic = Some(v);
        }
        let (action, wait) = self.logic.start(self.negotiated);
        if let Some(ms) = wait {
            self.arm(ms, Timer::CloseAfter, "TI");
        }
        self.act(action);
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::None => {}
            Action::Send(text, bytes) => self.send_message(text, &bytes, None),
            Action::SendFrame(text, payload) => {
                let opcode = if text { op::TEXT } else { op::BINARY };
                let bytes = payload.to_vec();
                self.send_frame(&Self::frame(opcode, true, 0), &bytes, Write::Plain);
            }
            Action::Close => self.send_close(Some(1000), b"", false),
        }
    }

    pub(crate) fn on_timer(&mut self, timer: Timer) {
        if self.state == State::Closed {
            return;
        }
        match timer {
            Timer::Continue(i) => {
                self.log("CTE", String::new);
                self.run_steps(i);
            }
            Timer::Kill => {
                self.log("KLE", String::new);
                self.fail_connection(1001, "Going Away");
            }
            Timer::CloseAfter => {
                self.log("TIE", String::new);
                self.send_close(None, b"", false);
            }
            Timer::CloseHandshake => self.on_close_handshake_timeout(),
            Timer::ServerDrop => self.on_server_drop_timeout(),
        }
    }

    fn on_close_handshake_timeout(&mut self) {
        if self.state != State::Closed {
            self.obs.was_clean = false;
            self.obs.close_handshake_timeout = true;
            self.log("EV", || "the peer did not answer the close in time".into());
            self.drop_connection(true);
        }
    }

    fn on_server_drop_timeout(&mut self) {
        if self.state != State::Closed {
            self.obs.was_clean = false;
            self.obs.server_drop_timeout = true;
            self.log("EV", || "the server did not close TCP in time".into());
            self.drop_connection(true);
        }
    }

    // ---- receiving ----

    pub(crate) fn on_data(&mut self, bytes: &[u8]) {
        if self.obs.writes_before_answer.is_none() && !bytes.is_empty() {
            self.obs.writes_before_answer = Some(self.tx.writes.len());
        }
        self.obs.rx_bytes += bytes.len() as u64;
        let n = bytes.len();
        self.log("RO", || format!("{n} octets"));
        if self.state == State::Closed {
            return;
        }
        self.rx.push(bytes);
        while self.state != State::Closed {
            let Some(ev) = self.rx.next_event() else {
                break;
            };
            self.on_event(ev);
        }
    }

    fn on_event(&mut self, ev: RxEvent) {
        match ev {
            RxEvent::Frame(s) => self.log("RF", || s),
            RxEvent::Violation(code, reason) => {
                self.log("EV", || format!("peer violation: {reason}"));
                if self.obs.violations.len() < 20 {
                    self.obs.violations.push(reason.clone());
                }
                self.fail_connection(code, &reason);
            }
            RxEvent::Message { binary, payload } => {
                if !self.obs.failed_by_me {
                    self.on_message(binary, payload);
                }
            }
            RxEvent::Ping(p) => {
                if self.state == State::Open {
                    self.send_frame(&Self::frame(op::PONG, true, 0), &p, Write::Plain);
                }
            }
            RxEvent::Pong(p) => {
                self.obs.received.push(Received::Pong(p));
                self.finish_when_done();
            }
            RxEvent::Close { code, reason } => self.on_close_frame(code, reason),
        }
    }

    fn on_message(&mut self, binary: bool, payload: Vec<u8>) {
        if matches!(self.logic, Logic::None) {
            self.obs
                .received
                .push(Received::Message { binary, payload });
            self.finish_when_done();
            return;
        }
        let (verdict, action) = self.logic.on_message(binary, &payload);
        if let Some(v) = verdict {
            self.obs.logic = Some(v);
        }
        self.act(action);
    }

    /// `finishWhenDone`: once what was received equals every expected list, the tester
    /// closes with the first accepted code (unless the case suppresses it).
    fn finish_when_done(&mut self) {
        if let Some((ok, non_strict)) = self.case.expect.lists() {
            let all = std::iter::once(ok).chain(non_strict);
            for list in all {
                if !same(list, &self.obs.received) {
                    return;
                }
            }
        }
        let e = &self.case.expect;
        if e.close.closed_by_me && !e.suppress_close {
            let code = e.close.codes.first().copied();
            self.send_close(code, b"", false);
        }
    }

    /// `onCloseFrame`.
    fn on_close_frame(&mut self, code: Option<u16>, reason: Option<Vec<u8>>) {
        self.obs.peer_sent_close = true;
        self.obs.remote_close_code = code;
        if let Some(c) = code
            && !close_code_valid(c)
        {
            let why = format!("invalid close code {c}");
            self.obs.violations.push(why.clone());
            self.fail_connection(1002, &why);
        }
        if let Some(r) = &reason {
            let (valid, ends) = Utf8Validator::default().validate(r);
            if !valid {
                let why = "invalid close reason (non-UTF-8 payload)";
                self.obs.violations.push(why.into());
                self.fail_connection(1007, why);
            }
            if !(valid && ends) {
                // `reasonRaw.decode('utf8')` raises here: the suite's handler ends with an
                // exception and Twisted closes the connection, the rest of onCloseFrame
                // never runs.
                self.obs.note(
                    "the peer's close reason is not UTF-8: the suite's close handler raises UnicodeDecodeError here and Twisted closes the connection",
                );
                self.state = State::Closed;
                return;
            }
            self.obs.remote_close_reason = Some(String::from_utf8_lossy(r).into_owned());
        }
        match self.state {
            State::Closing => {
                self.timers.retain(|t| t.2 != Timer::CloseHandshake);
                self.obs.was_clean = true;
                if self.tester_is_server {
                    self.drop_connection(true);
                } else {
                    let at = self.now() + self.timing.server_drop;
                    self.schedule(at, Timer::ServerDrop);
                }
            }
            State::Open => {
                self.obs.was_clean = true;
                self.send_close(Some(1000), b"", true);
                if self.tester_is_server {
                    self.drop_connection(false);
                }
            }
            State::Closed => self.obs.was_clean = false,
        }
    }
}

/// The suite's `compare` (pickle equality): same events, same order, same bytes.
pub(crate) fn same(expected: &[Item], got: &[Received]) -> bool {
    expected.len() == got.len()
        && expected.iter().zip(got).all(|(e, r)| match (e, r) {
            (
                Item::Message { binary, payload },
                Received::Message {
                    binary: b,
                    payload: p,
                },
            ) => binary == b && payload.matches(p),
            (Item::Pong(a), Received::Pong(b)) => a.matches(b),
            (Item::Timeout(a), Received::Timeout(b)) => a == b,
            _ => false,
        })
}

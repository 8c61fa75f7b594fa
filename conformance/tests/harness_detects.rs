//! The harness must catch broken peers, with the suite's verdicts: a naive echo server
//! that checks nothing, one that validates UTF-8 only at the end of a message (not
//! fail-fast), and one that answers a close without closing TCP. The peers are in-process
//! transports on virtual time.

#![allow(clippy::print_stderr)]

use std::time::{Duration, Instant};

use sockeye_conformance::wire::{encode_frame, take_frames};
use sockeye_conformance::{
    CaseFilter, CloseVerdict, Incoming, Opening, Options, Profile, Timing, Transport, Verdict,
    cases, run_case,
};
use sockeye_frame::OpCode;
use sockeye_handshake::{RequestParser, Status, WsUrl};

/// An echo "server" that parses frames and checks nothing.
#[derive(Default)]
struct Naive {
    utf8_at_end: bool,
    /// Answers a close frame but never closes TCP.
    keeps_tcp: bool,
    opened: bool,
    head: Vec<u8>,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    msg: Option<(u8, Vec<u8>)>,
    closed: bool,
    dead: bool,
    clock: std::cell::Cell<Option<Instant>>,
}

impl Naive {
    fn frames(&mut self) {
        let (frames, err) = take_frames(&mut self.inbuf);
        if err.is_some() {
            self.dead = true; // ignores garbage, never fails the connection
        }
        for f in frames {
            match f.opcode {
                OpCode::Text | OpCode::Binary | OpCode::Continuation => {
                    let op = if f.opcode == OpCode::Continuation {
                        self.msg.as_ref().map_or(2, |m| m.0)
                    } else {
                        f.opcode.as_u8()
                    };
                    let m = self.msg.get_or_insert((op, Vec::new()));
                    m.1.extend_from_slice(&f.payload);
                    if f.fin {
                        let (op, data) = self.msg.take().unwrap_or_default();
                        if self.utf8_at_end && op == 1 && std::str::from_utf8(&data).is_err() {
                            self.out
                                .extend(encode_frame(true, 0, 8, None, &1007u16.to_be_bytes()));
                            self.closed = true;
                            return;
                        }
                        self.out.extend(encode_frame(true, 0, op, None, &data));
                    }
                }
                OpCode::Ping => self.out.extend(encode_frame(true, 0, 10, None, &f.payload)),
                OpCode::Pong => {}
                OpCode::Close => {
                    self.out.extend(encode_frame(true, 0, 8, None, &f.payload));
                    self.closed = !self.keeps_tcp;
                    self.dead = true;
                    return;
                }
            }
        }
    }
}

impl Transport for Naive {
    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        if self.closed || self.dead {
            return Ok(());
        }
        if !self.opened {
            self.head.extend_from_slice(bytes);
            let mut parser = RequestParser::default();
            if let Ok(Status::Complete(r)) = parser.parse(&self.head) {
                r.accept(&mut self.out);
                self.opened = true;
                self.inbuf = self.head[r.head_len()..].to_vec();
            }
            return Ok(());
        }
        self.inbuf.extend_from_slice(bytes);
        self.frames();
        Ok(())
    }

    fn recv(&mut self, timeout: Duration) -> Incoming {
        if !self.out.is_empty() {
            Incoming::Data(std::mem::take(&mut self.out))
        } else if self.closed {
            Incoming::Eof
        } else {
            // Virtual time: nothing more will come, waiting costs nothing.
            let now = self.now();
            self.clock.set(Some(now + timeout));
            Incoming::Timeout
        }
    }

    fn now(&self) -> Instant {
        let now = self.clock.get().unwrap_or_else(Instant::now);
        self.clock.set(Some(now));
        now
    }

    fn close(&mut self) {
        self.closed = true;
    }
}

fn verdicts(
    make: impl Fn() -> Naive,
    filter: &str,
) -> Vec<(String, Verdict, CloseVerdict, String)> {
    let opts = Options {
        profile: Profile::Full,
        ..Options::default()
    };
    let url = WsUrl::parse("ws://naive.test/").unwrap();
    cases(&CaseFilter::parse(filter), &opts)
        .iter()
        .map(|c| {
            let mut peer = make();
            let r = run_case(c, Opening::Client(&url), &mut peer, &Timing::default(), 1);
            (r.id.clone(), r.behavior, r.behavior_close, r.reason())
        })
        .collect()
}

fn get(v: &[(String, Verdict, CloseVerdict, String)], id: &str) -> (Verdict, CloseVerdict) {
    v.iter()
        .find(|x| x.0 == id)
        .map(|x| (x.1, x.2))
        .unwrap_or_else(|| panic!("no {id}"))
}

#[test]
fn a_peer_that_checks_nothing_fails_the_violation_cases() {
    let v = verdicts(
        Naive::default,
        "1.1.1,1.1.8,2.1,2.5,2.10,3.1,4.1.1,5.1,5.9,5.18,6.3.1,6.4.1,7.3.2,7.9.1,7.13.1",
    );
    use CloseVerdict as C;
    use Verdict as V;
    for (id, want) in [
        ("1.1.1", (V::Ok, C::Ok)),
        ("1.1.8", (V::Ok, C::Ok)),
        ("2.1", (V::Ok, C::Ok)),
        ("2.10", (V::Ok, C::Ok)),
        // Its frame parser refuses the 126-byte ping and it goes deaf: nothing comes back
        // (behavior OK: nothing was expected), but the tester had to close at its kill
        // timer: the wrong side closed.
        ("2.5", (V::Ok, C::Failed)),
        // It echoes the RSV frame: behavior FAILED; it never fails, the tester does.
        ("3.1", (V::Failed, C::Failed)),
        // A reserved opcode is ignored (nothing echoed: behavior OK), but the tester had
        // to close: FAILED close.
        ("4.1.1", (V::Ok, C::Failed)),
        ("5.1", (V::Ok, C::Failed)),
        ("5.9", (V::Failed, C::Failed)),
        ("5.18", (V::Failed, C::Failed)),
        // Invalid UTF-8 echoed: the tester fails it with 1007 (wrong closer, fatal).
        ("6.3.1", (V::Failed, C::Failed)),
        ("6.4.1", (V::Failed, C::Failed)),
        // It echoes the 1-byte close body: a protocol violation while the tester is
        // closing, so the tester drops TCP before reading the frame: no code seen, but
        // the client had to close TCP.
        ("7.3.2", (V::Ok, C::FailedByClient)),
        // It echoes code 0: invalid, so the tester drops TCP; 0 is not the listed 1002:
        // WRONG CODE, which section 7 makes a FAILED behavior.
        ("7.9.1", (V::Failed, C::WrongCode)),
        ("7.13.1", (V::Informational, C::Informational)),
    ] {
        assert_eq!(
            get(&v, id),
            want,
            "{id}: {:?}",
            v.iter().find(|x| x.0 == id)
        );
    }
}

#[test]
fn utf8_checked_only_at_the_end_is_not_fail_fast() {
    let v = verdicts(
        || Naive {
            utf8_at_end: true,
            ..Naive::default()
        },
        "6.3.1,6.4.*",
    );
    assert_eq!(get(&v, "6.3.1"), (Verdict::Ok, CloseVerdict::Ok));
    for id in ["6.4.1", "6.4.2", "6.4.3", "6.4.4"] {
        // Failed only after the last part: both timeouts marked.
        assert_eq!(get(&v, id), (Verdict::NonStrict, CloseVerdict::Ok), "{v:?}");
    }
}

#[test]
fn a_server_that_keeps_tcp_open_is_failed_by_client() {
    let v = verdicts(
        || Naive {
            keeps_tcp: true,
            ..Naive::default()
        },
        "1.1.1,2.1,7.3.3",
    );
    // The tester closes, the peer answers and keeps TCP open. In 1.1.1 and 7.3.3 the
    // case's kill timer (armed first, due first) finds the connection closing and drops
    // it: FAILED BY CLIENT.
    assert_eq!(
        get(&v, "1.1.1"),
        (Verdict::Ok, CloseVerdict::FailedByClient),
        "{v:?}"
    );
    assert_eq!(
        get(&v, "7.3.3"),
        (Verdict::Ok, CloseVerdict::FailedByClient),
        "{v:?}"
    );
    // In 2.1 only a closeAfter is pending (ignored while closing); the drop timer fires
    // 1 s after the close reply and undoes the clean close: UNCLEAN.
    assert_eq!(
        get(&v, "2.1"),
        (Verdict::Ok, CloseVerdict::Unclean),
        "{v:?}"
    );
}

//! The harness must catch broken peers: a naive echo server that checks nothing, and one
//! that validates UTF-8 only at the end of a message (not fail-fast).

#![allow(clippy::print_stderr)]

use std::time::Duration;

use sockeye_conformance::wire::{encode_frame, take_frames};
use sockeye_conformance::{
    CaseFilter, Incoming, Options, TesterRole, Timing, Transport, Verdict, cases, run_case,
};
use sockeye_frame::OpCode;

/// An echo "server" that parses frames and checks nothing.
#[derive(Default)]
struct Naive {
    utf8_at_end: bool,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    msg: Option<(u8, Vec<u8>)>,
    closed: bool,
    dead: bool,
}

impl Transport for Naive {
    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        if self.closed {
            return Err("closed".into());
        }
        if self.dead {
            return Ok(());
        }
        self.inbuf.extend_from_slice(bytes);
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
                            return Ok(());
                        }
                        self.out.extend(encode_frame(true, 0, op, None, &data));
                    }
                }
                OpCode::Ping => self.out.extend(encode_frame(true, 0, 10, None, &f.payload)),
                OpCode::Pong => {}
                OpCode::Close => {
                    self.out.extend(encode_frame(true, 0, 8, None, &f.payload));
                    self.closed = true;
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn recv(&mut self, _timeout: Duration) -> Incoming {
        if !self.out.is_empty() {
            Incoming::Data(std::mem::take(&mut self.out))
        } else if self.closed {
            Incoming::Eof
        } else {
            Incoming::Timeout
        }
    }

    fn close(&mut self) {
        self.closed = true;
    }

    fn pause(&mut self, _d: Duration) {}
}

fn verdicts(utf8_at_end: bool, filter: &str) -> Vec<(String, Verdict, String)> {
    let opts = Options::default();
    let timing = Timing {
        wait: Duration::from_millis(10),
        per_mib: Duration::ZERO,
    };
    cases(&CaseFilter::parse(filter), &opts)
        .iter()
        .map(|c| {
            let mut peer = Naive {
                utf8_at_end,
                ..Naive::default()
            };
            let r = run_case(c, TesterRole::Client, &mut peer, &timing, 1);
            (r.id.clone(), r.behavior, r.reason())
        })
        .collect()
}

fn verdict_of(v: &[(String, Verdict, String)], id: &str) -> Verdict {
    v.iter().find(|x| x.0 == id).map(|x| x.1).unwrap()
}

#[test]
fn a_peer_that_checks_nothing_fails_the_violation_cases() {
    let v = verdicts(
        false,
        "1.1.*,2.*,3.1,4.1.1,5.1,5.9,5.18,6.3.1,6.4.1,7.3.2,7.9.1,7.13.1",
    );
    for (id, want) in [
        ("1.1.1", Verdict::Ok),
        ("1.1.8", Verdict::Ok),
        ("2.1", Verdict::Ok),
        ("2.10", Verdict::Ok),
        ("2.5", Verdict::Failed),
        ("3.1", Verdict::Failed),
        ("4.1.1", Verdict::Failed),
        ("5.1", Verdict::Failed),
        ("5.9", Verdict::Failed),
        ("5.18", Verdict::Failed),
        ("6.3.1", Verdict::Failed),
        ("6.4.1", Verdict::Failed),
        ("7.3.2", Verdict::Failed),
        ("7.9.1", Verdict::Failed),
        ("7.13.1", Verdict::Failed),
    ] {
        let got = verdict_of(&v, id);
        assert_eq!(got, want, "{id}: {:?}", v.iter().find(|x| x.0 == id));
    }
}

#[test]
fn utf8_checked_only_at_the_end_is_not_fail_fast() {
    let v = verdicts(true, "6.3.1,6.4.*");
    assert_eq!(verdict_of(&v, "6.3.1"), Verdict::Ok);
    for id in ["6.4.1", "6.4.2", "6.4.3", "6.4.4", "6.4.5", "6.4.6"] {
        let (_, got, why) = v.iter().find(|x| x.0 == id).unwrap();
        assert_eq!(*got, Verdict::NonStrict, "{id}: {why}");
        assert!(why.contains("fail-fast"), "{id}: {why}");
    }
}

//! Section 9, limits and performance (`case9_*.py`), and section 10 (`case10_1_1.py`).
//! 9.1–9.6 judge the first message that comes back by type and length only; 9.7 and
//! 9.8 are round trips; the suite's wire log is off, its timeouts long.

use super::{Profile, case, chopped, close_after, kill, plain};
use crate::case::{Case, FrameSpec, Step, op};
use crate::expect::{Expect, Item, Rule};
use crate::payload::Payload;

const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

fn human(n: usize) -> String {
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{}M", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{}k", n / KIB)
    } else {
        n.to_string()
    }
}

fn first(text: bool, len: usize, secs: u64) -> Expect {
    Expect::with_rule(Rule::FirstMessage {
        text,
        len,
        wait_ms: secs * 1000,
    })
}

pub(super) fn cases(out: &mut Vec<Case>, profile: Profile) {
    let sizes = [64 * KIB, 256 * KIB, MIB, 4 * MIB, 8 * MIB, 16 * MIB];
    let waits: [[u64; 6]; 2] = [[10, 10, 100, 100, 100, 100], [10, 10, 10, 10, 100, 100]];
    let frags = [
        64,
        256,
        KIB,
        4 * KIB,
        16 * KIB,
        64 * KIB,
        256 * KIB,
        MIB,
        4 * MIB,
    ];
    let chops = [64, 128, 256, 512, 1024, 2048];
    let trips: [(usize, u64); 6] = [
        (0, 60),
        (16, 60),
        (64, 60),
        (256, 120),
        (KIB, 240),
        (4 * KIB, 480),
    ];
    for (k, text) in [(0usize, true), (1, false)] {
        let (kind, opcode) = if text {
            ("text", op::TEXT)
        } else {
            ("binary", op::BINARY)
        };
        let unit: &[u8] = if text {
            b"BAsd7&jh23"
        } else {
            b"\x00\xfe\x23\xfa\xf0"
        };
        for (i, &full) in sizes.iter().enumerate() {
            let len = profile.size(full);
            out.push(case(
                format!("9.{}.{}", 1 + k, i + 1),
                format!(
                    "Send {kind} message message with payload of length {} ({}).",
                    len,
                    human(len)
                ),
                vec![
                    plain(FrameSpec::new(opcode, Payload::repeat(unit, len))),
                    close_after(waits[k][i] as f64),
                ],
                first(text, len, waits[k][i]),
            ));
        }
        let len = profile.size(4 * MIB);
        for (i, &full) in frags.iter().enumerate() {
            // 9.4.1 is 0xfe; every other 9.3/9.4 message is "*" (binary ones too).
            let unit: &[u8] = if !text && i == 0 { &[0xfe] } else { b"*" };
            // Reduced: the suite's fragment sizes at the smaller message size.
            let frag = full.min(len);
            out.push(case(
                format!("9.{}.{}", 3 + k, i + 1),
                format!("Send fragmented {kind} message message with message payload of length {} ({}), with fragments of {} octets.", len, human(len), human(frag)),
                vec![
                    Step::Message { text, payload: Payload::repeat(unit, len), frag: Some(frag) },
                    close_after(100.0),
                ],
                first(text, len, 100),
            ));
        }
        let len = profile.size(MIB);
        for (i, &chop) in chops.iter().enumerate() {
            out.push(case(
                format!("9.{}.{}", 5 + k, i + 1),
                format!("Send {kind} message message with payload of length {} ({}). Sent out data in chops of {chop} octets.", len, human(len)),
                vec![
                    chopped(FrameSpec::new(opcode, Payload::repeat(unit, len)), chop),
                    close_after(1000.0),
                ],
                first(text, len, 1000),
            ));
        }
        let count = profile.count(1000, 100);
        let unit: &[u8] = if text { b"*" } else { &[0xfe] };
        for (i, &(len, secs)) in trips.iter().enumerate() {
            out.push(case(
                format!("9.{}.{}", 7 + k, i + 1),
                format!("Send {count} {kind} messages of payload size {len} to measure implementation/network RTT (round trip time) / latency."),
                vec![close_after(secs as f64)],
                Expect::with_rule(Rule::RoundTrips {
                    text,
                    payload: Payload::repeat(unit, len),
                    count,
                    wait_ms: secs * 1000,
                }),
            ));
        }
    }
    let p = Payload::repeat(b"*", 65536);
    out.push(case(
        "10.1.1",
        "Send text message with payload of length 65536 auto-fragmented with autoFragmentSize = 1300.",
        vec![
            Step::AutoFragment(1300),
            Step::Message { text: true, payload: p.clone(), frag: None },
            kill(10.0),
        ],
        Expect::echo(vec![Item::text(p)]),
    ));
}

//! Section 1, framing (`case1_1_*.py`, `case1_2_*.py`): text messages of `"*"` and binary
//! messages of `0xfe` at every length encoding, one `sendFrame` each; x.8 in chops of 997
//! octets. Kill after 1 s, or 10 s for the 64 KiB ones.

use super::{case, chopped, kill, plain};
use crate::case::{Case, FrameSpec, op};
use crate::expect::{Expect, Item};
use crate::payload::Payload;

pub(super) fn cases(out: &mut Vec<Case>) {
    let rows: [(usize, Option<usize>); 8] = [
        (0, None),
        (125, None),
        (126, None),
        (127, None),
        (128, None),
        (65535, None),
        (65536, None),
        (65536, Some(997)),
    ];
    for (sub, binary) in [(1, false), (2, true)] {
        let (kind, unit, opcode): (&str, &[u8], u8) = if binary {
            ("binary", &[0xfe], op::BINARY)
        } else {
            ("text", b"*", op::TEXT)
        };
        for (i, (len, chop)) in rows.iter().enumerate() {
            let payload = Payload::repeat(unit, *len);
            let f = FrameSpec::new(opcode, payload.clone());
            let send = match chop {
                Some(c) => chopped(f, *c),
                None => plain(f),
            };
            let how = chop.map_or(String::new(), |c| {
                format!(" Sent out data in chops of {c} octets.")
            });
            out.push(case(
                format!("1.{sub}.{}", i + 1),
                format!("Send {kind} message with payload of length {len}.{how}"),
                vec![send, kill(if *len > 128 { 10.0 } else { 1.0 })],
                Expect::echo(vec![Item::Message { binary, payload }]),
            ));
        }
    }
}

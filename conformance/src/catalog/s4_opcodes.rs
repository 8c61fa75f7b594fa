//! Section 4, reserved opcodes (`case4_*.py`): 3–7 (non-control) and 11–15 (control).
//! x.1 and x.2 send only the bad frame; x.3–x.5 a text message, the bad frame and a
//! ping (x.5 in octet-wise chops). Kill after 1 s.

use super::{HELLO, case, frame, got_text, kill, ping, plain, text, written};
use crate::case::{Case, Write};
use crate::expect::Expect;

pub(super) fn cases(out: &mut Vec<Case>) {
    for (sub, base, kind) in [(1, 3u8, "non-control"), (2, 11u8, "control")] {
        for i in 0..5u8 {
            let opcode = base + i;
            let id = format!("4.{sub}.{}", i + 1);
            match i {
                0 => out.push(case(
                    id,
                    format!("Send frame with reserved {kind} Opcode = {opcode}."),
                    vec![plain(frame(opcode, b"")), kill(1.0)],
                    Expect::fail(vec![], 1002),
                )),
                1 => out.push(case(
                    id,
                    format!(
                        "Send frame with reserved {kind} Opcode = {opcode} and non-empty payload."
                    ),
                    vec![plain(frame(opcode, b"reserved opcode payload")), kill(1.0)],
                    Expect::fail(vec![], 1002),
                )),
                _ => {
                    let (bad, with) = if i == 2 {
                        (frame(opcode, b""), "")
                    } else {
                        (frame(opcode, HELLO), " and non-empty payload")
                    };
                    let how = if i == 4 { Write::Chop(1) } else { Write::Plain };
                    let mut steps = written(vec![text(HELLO), bad, ping(b"")], how);
                    steps.push(kill(1.0));
                    out.push(case(
                        id,
                        format!("Send small text message, then send frame with reserved {kind} Opcode = {opcode}{with}, then send Ping."),
                        steps,
                        Expect::fail(vec![got_text(HELLO)], 1002).or_non_strict(vec![]),
                    ));
                }
            }
        }
    }
}

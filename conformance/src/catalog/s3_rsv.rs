//! Section 3, reserved bits (`case3_*.py`): the peer must fail the connection (1002,
//! or just drop TCP); 3.2–3.4 send a good message first, which may be echoed (OK) or
//! not (NON-STRICT). Kill after 1 s.

use super::{HELLO, binary, case, frame, kill, ping, plain, text, written};
use crate::case::{Case, Write, op};
use crate::expect::Expect;

pub(super) fn cases(out: &mut Vec<Case>) {
    out.push(case(
        "3.1",
        "Send small text message with RSV = 1.",
        vec![plain(text(HELLO).rsv(1)), kill(1.0)],
        Expect::fail(vec![], 1002),
    ));
    for (id, rsv, how, d) in [
        ("3.2", 2, Write::Plain, ""),
        (
            "3.3",
            3,
            Write::Sync,
            " Octets are sent in frame-wise chops.",
        ),
        (
            "3.4",
            4,
            Write::Chop(1),
            " Octets are sent in octet-wise chops.",
        ),
    ] {
        let mut steps = written(vec![text(HELLO), text(HELLO).rsv(rsv), ping(b"")], how);
        steps.push(kill(1.0));
        out.push(case(
            id,
            format!(
                "Send small text message, then send again with RSV = {rsv}, then send Ping.{d}"
            ),
            steps,
            Expect::fail(vec![super::got_text(HELLO)], 1002).or_non_strict(vec![]),
        ));
    }
    out.push(case(
        "3.5",
        "Send small binary message with RSV = 5.",
        vec![
            plain(binary([0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff]).rsv(5)),
            kill(1.0),
        ],
        Expect::fail(vec![], 1002),
    ));
    // case3_6.py sends a *binary* frame, whatever its description says.
    out.push(case(
        "3.6",
        "Send Ping with RSV = 6 (the suite sends a binary frame \"Hello, world!\").",
        vec![plain(binary(HELLO).rsv(6)), kill(1.0)],
        Expect::fail(vec![], 1002),
    ));
    out.push(case(
        "3.7",
        "Send Close with RSV = 7.",
        vec![plain(frame(op::CLOSE, b"").rsv(7)), kill(1.0)],
        Expect::fail(vec![], 1002),
    ));
}

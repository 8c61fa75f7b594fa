//! Section 2, pings and pongs (`case2_*.py`). Everything one write unless chopped; the
//! echo cases close after 1 s (2.6: 2 s, 2.10 and 2.11: 3 s) if the pongs did not come.

use super::{case, chopped, close, close_after, got_pong, kill, ping, plain, pong};
use crate::case::Case;
use crate::expect::Expect;

pub(super) fn cases(out: &mut Vec<Case>) {
    let bin8: &[u8] = &[0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff];
    let p125 = [0xfe; 125];
    let one = |id: &str, d: &str, payload: &[u8]| {
        case(
            id,
            d,
            vec![plain(ping(payload)), close_after(1.0)],
            Expect::echo(vec![got_pong(payload)]),
        )
    };
    out.push(one("2.1", "Send ping without payload.", b""));
    out.push(one(
        "2.2",
        "Send ping with small text payload.",
        b"Hello, world!",
    ));
    out.push(one(
        "2.3",
        "Send ping with small binary (non UTF-8) payload.",
        bin8,
    ));
    out.push(one(
        "2.4",
        "Send ping with binary payload of 125 octets.",
        &p125,
    ));
    out.push(case(
        "2.5",
        "Send ping with binary payload of 126 octets.",
        vec![plain(ping([0xfe; 126])), kill(1.0)],
        Expect::fail(vec![], 1002),
    ));
    out.push(case(
        "2.6",
        "Send ping with binary payload of 125 octets, send in octet-wise chops.",
        vec![chopped(ping(p125), 1), close_after(2.0)],
        Expect::echo(vec![got_pong(p125)]),
    ));
    for (id, payload, d) in [
        (
            "2.7",
            &b""[..],
            "Send unsolicited pong without payload. Verify nothing is received. Clean close with normal code.",
        ),
        (
            "2.8",
            b"unsolicited pong payload",
            "Send unsolicited pong with payload. Verify nothing is received. Clean close with normal code.",
        ),
    ] {
        out.push(case(
            id,
            d,
            vec![
                plain(pong(payload)),
                close(Some(1000), b""),
                close_after(1.0),
            ],
            Expect::echo(vec![]),
        ));
    }
    out.push(case(
        "2.9",
        "Send unsolicited pong with payload. Send ping with payload. Verify pong for ping is received.",
        vec![
            plain(pong(b"unsolicited pong payload")),
            plain(ping(b"ping payload")),
            close_after(1.0),
        ],
        Expect::echo(vec![got_pong(b"ping payload")]),
    ));
    for (id, chop, how) in [
        ("2.10", None, ""),
        ("2.11", Some(1), " Send out octets in octet-wise chops."),
    ] {
        let payloads: Vec<Vec<u8>> = (0..10)
            .map(|i| format!("payload-{i}").into_bytes())
            .collect();
        let mut steps: Vec<_> = payloads
            .iter()
            .map(|p| match chop {
                Some(c) => chopped(ping(p), c),
                None => plain(ping(p)),
            })
            .collect();
        steps.push(close_after(3.0));
        out.push(case(
            id,
            format!("Send 10 Pings with payload.{how}"),
            steps,
            Expect::echo(payloads.iter().map(got_pong).collect()),
        ));
    }
}

//! Section 2: pings and pongs (§5.5.2, §5.5.3).

use super::{case, chopped, frame, ping, pong, pong_item};
use crate::case::{Case, Expect, Match, Step};

pub(super) fn cases(out: &mut Vec<Case>) {
    let bin8: &[u8] = &[0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff];
    let p125 = vec![0xfe; 125];
    let p126 = vec![0xfe; 126];
    // (id, description, steps, expected pongs; None = fail with 1002)
    type Row<'a> = (&'a str, &'a str, Vec<Step>, Option<Vec<&'a [u8]>>);
    let rows: Vec<Row<'_>> = vec![
        (
            "2.1",
            "Send a ping without payload; expect a pong without payload.",
            vec![frame(ping(b""))],
            Some(vec![b""]),
        ),
        (
            "2.2",
            "Send a ping with a small text payload; expect a pong with the same payload.",
            vec![frame(ping(b"Hello, world!"))],
            Some(vec![b"Hello, world!"]),
        ),
        (
            "2.3",
            "Send a ping with a small binary (non UTF-8) payload; expect the same payload back.",
            vec![frame(ping(bin8))],
            Some(vec![bin8]),
        ),
        (
            "2.4",
            "Send a ping with a payload of 125 octets (the maximum); expect it back.",
            vec![frame(ping(&p125))],
            Some(vec![&p125]),
        ),
        (
            "2.5",
            "Send a ping with a payload of 126 octets (over §5.5's limit); expect failure with 1002.",
            vec![frame(ping(&p126))],
            None,
        ),
        (
            "2.6",
            "Send a ping with a payload of 125 octets in octet-wise chops; expect it back.",
            vec![chopped(ping(&p125), 1)],
            Some(vec![&p125]),
        ),
        (
            "2.7",
            "Send an unsolicited pong without payload; expect nothing back (§5.5.3).",
            vec![frame(pong(b""))],
            Some(vec![]),
        ),
        (
            "2.8",
            "Send an unsolicited pong with payload; expect nothing back.",
            vec![frame(pong(b"unsolicited pong payload"))],
            Some(vec![]),
        ),
        (
            "2.9",
            "Send an unsolicited pong, then a ping; expect one pong with the ping's payload.",
            vec![
                frame(pong(b"unsolicited pong payload")),
                frame(ping(b"ping payload")),
            ],
            Some(vec![b"ping payload"]),
        ),
    ];
    for (id, description, steps, pongs) in rows {
        let expect = match pongs {
            Some(p) => Expect::echo(p.into_iter().map(pong_item).collect()),
            None => Expect::fail(vec![], 1002),
        };
        out.push(case(id, description, steps, expect));
    }
    // 2.10 and 2.11: ten pings in a row.
    for (id, chop, how) in [
        ("2.10", None, ""),
        ("2.11", Some(1), " in octet-wise chops"),
    ] {
        let payloads: Vec<Vec<u8>> = (0..10)
            .map(|i| format!("payload-{i}").into_bytes())
            .collect();
        let steps = payloads
            .iter()
            .map(|p| match chop {
                Some(c) => chopped(ping(p), c),
                None => frame(ping(p)),
            })
            .collect();
        let pongs: Vec<_> = payloads.iter().map(pong_item).collect();
        let mut expect = Expect::echo(pongs.clone());
        // §5.5.3 lets an endpoint answer only the most recent of several pending pings.
        expect.non_strict = Some(Match::PongSubsequence(pongs));
        out.push(case(
            id,
            format!("Send 10 pings with payloads{how}; expect 10 pongs in order (answering only the most recent pending pings is allowed by §5.5.3: NON-STRICT)."),
            steps,
            expect,
        ));
    }
}

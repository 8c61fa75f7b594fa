//! Section 5: fragmentation (§5.4) and control frames (§5.5: "MUST NOT be fragmented").

use super::{
    Delivery, PAUSE_MS, case, cont, deliver, echo_text, frame, ping, pong, pong_item, text,
};
use crate::case::{Case, Expect, Step};

pub(super) fn cases(out: &mut Vec<Case>) {
    let f1 = b"fragment1";
    let f2 = b"fragment2";
    out.push(case(
        "5.1",
        "Send a ping in 2 fragments (FIN clear on the ping); expect failure with 1002.",
        vec![frame(ping(f1).fin(false)), frame(cont(f2))],
        Expect::fail(vec![], 1002),
    ));
    out.push(case(
        "5.2",
        "Send a pong in 2 fragments (FIN clear on the pong); expect failure with 1002.",
        vec![frame(pong(f1).fin(false)), frame(cont(f2))],
        Expect::fail(vec![], 1002),
    ));
    let deliveries = [Delivery::Whole, Delivery::Octets, Delivery::FramePause];
    // 5.3–5.5: a text message in 2 fragments.
    for (i, d) in deliveries.iter().enumerate() {
        out.push(case(
            format!("5.{}", 3 + i),
            format!(
                "Send a text message in 2 fragments; expect it echoed whole.{}",
                d.label()
            ),
            deliver(vec![text(f1).fin(false), cont(f2)], *d),
            Expect::echo(vec![echo_text(b"fragment1fragment2")]),
        ));
    }
    // 5.6–5.8: a ping between the fragments.
    for (i, d) in deliveries.iter().enumerate() {
        out.push(case(
            format!("5.{}", 6 + i),
            format!("Send a text message in 2 fragments with a ping in between; expect the pong, then the echo (the pong after the echo is NON-STRICT: §5.5.2 \"SHOULD respond with Pong frame as soon as is practical\").{}", d.label()),
            deliver(vec![text(f1).fin(false), ping(b"ping payload"), cont(f2)], *d),
            Expect::echo(vec![pong_item(b"ping payload"), echo_text(b"fragment1fragment2")])
                .or_non_strict(vec![echo_text(b"fragment1fragment2"), pong_item(b"ping payload")]),
        ));
    }
    // 5.9–5.14: a continuation without a message started (FIN set, then clear).
    for (base, fin) in [(9, true), (12, false)] {
        for (i, d) in [Delivery::Whole, Delivery::FramePause, Delivery::Octets]
            .iter()
            .enumerate()
        {
            out.push(case(
                format!("5.{}", base + i),
                format!("Send a continuation frame with FIN = {fin} while no message is in progress, then a text message; expect failure with 1002.{}", d.label()),
                deliver(vec![cont(b"non-continuation payload").fin(fin), text(b"Hello, world!")], *d),
                Expect::fail(vec![], 1002),
            ));
        }
    }
    out.push(case(
        "5.15",
        "Send a text message in 2 fragments, then a continuation with FIN clear and a text frame: expect the first message echoed, then failure with 1002 (a new message inside a fragmented one).",
        vec![
            frame(text(b"fragment1").fin(false)),
            frame(cont(b"fragment2")),
            frame(cont(b"fragment3").fin(false)),
            frame(text(b"fragment4")),
        ],
        Expect::fail(vec![echo_text(b"fragment1fragment2")], 1002).or_non_strict(vec![]),
    ));
    for (id, first_fin) in [("5.16", false), ("5.17", true)] {
        let mut steps = Vec::new();
        for _ in 0..2 {
            steps.push(frame(cont(b"fragment1").fin(first_fin)));
            steps.push(frame(text(b"fragment2").fin(false)));
            steps.push(frame(cont(b"fragment3")));
        }
        out.push(case(
            id,
            format!("Twice: a continuation (FIN = {first_fin}) with no message in progress, a text frame with FIN clear, a continuation with FIN; expect failure with 1002 at the first frame."),
            steps,
            Expect::fail(vec![], 1002),
        ));
    }
    out.push(case(
        "5.18",
        "Send a text message in 2 fragments that both carry the text opcode; expect failure with 1002.",
        vec![frame(text(f1).fin(false)), frame(text(f2))],
        Expect::fail(vec![], 1002),
    ));
    // 5.19, 5.20: 5 fragments with 2 pings, with pauses (5.19) or octet-wise (5.20).
    for (id, octets) in [("5.19", false), ("5.20", true)] {
        let frames = [
            text(b"fragment1").fin(false),
            cont(b"fragment2").fin(false),
            ping(b"pongme 1!"),
            cont(b"fragment3").fin(false),
            cont(b"fragment4").fin(false),
            ping(b"pongme 2!"),
            cont(b"fragment5"),
        ];
        let mut steps = Vec::new();
        let mut pongs = 0;
        for f in frames {
            let is_ping = f.opcode == crate::case::op::PING;
            steps.extend(deliver(
                vec![f],
                if octets {
                    Delivery::Octets
                } else {
                    Delivery::Whole
                },
            ));
            if is_ping {
                pongs += 1;
                steps.push(Step::Sync(pongs));
            }
            if !octets {
                steps.push(Step::Pause(PAUSE_MS / 2));
            }
        }
        let how = if octets {
            " Octets are sent in octet-wise chops."
        } else {
            " Frames are sent with pauses."
        };
        out.push(case(
            id,
            format!("Send a text message in 5 fragments with 2 pings in between, waiting for each pong; expect both pongs before the message is finished, then the echo.{how}"),
            steps,
            Expect::echo(vec![
                pong_item(b"pongme 1!"),
                pong_item(b"pongme 2!"),
                echo_text(b"fragment1fragment2fragment3fragment4fragment5"),
            ]),
        ));
    }
}

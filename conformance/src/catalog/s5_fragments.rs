//! Section 5, fragmentation (`case5_*.py`): fragmented control frames, messages in
//! fragments (plain, `sync`, octet-wise chops), a ping between fragments, continuations
//! without a message, and 5.19/5.20 with a 1-s `continueLater` in the middle.

use super::{HELLO, case, close_after, cont, got_pong, got_text, kill, ping, pong, text, written};
use crate::case::{Case, FrameSpec, Step, Write};
use crate::expect::Expect;

const HOWS: [(Write, &str); 3] = [
    (Write::Plain, ""),
    (Write::Sync, " Octets are sent in frame-wise chops."),
    (Write::Chop(1), " Octets are sent in octet-wise chops."),
];

fn steps(frames: Vec<FrameSpec>, how: Write, timer: Step) -> Vec<Step> {
    let mut s = written(frames, how);
    s.push(timer);
    s
}

pub(super) fn cases(out: &mut Vec<Case>) {
    let (f1, f2) = (b"fragment1", b"fragment2");
    out.push(case(
        "5.1",
        "Send Ping fragmented into 2 fragments.",
        steps(vec![ping(f1).fin(false), cont(f2)], Write::Plain, kill(1.0)),
        Expect::fail(vec![], 1002),
    ));
    out.push(case(
        "5.2",
        "Send Pong fragmented into 2 fragments.",
        steps(vec![pong(f1).fin(false), cont(f2)], Write::Plain, kill(1.0)),
        Expect::fail(vec![], 1002),
    ));
    for (i, (how, d)) in HOWS.iter().enumerate() {
        out.push(case(
            format!("5.{}", 3 + i),
            format!("Send text Message fragmented into 2 fragments.{d}"),
            steps(vec![text(f1).fin(false), cont(f2)], *how, close_after(1.0)),
            Expect::echo(vec![got_text(b"fragment1fragment2")]),
        ));
    }
    for (i, (how, d)) in HOWS.iter().enumerate() {
        out.push(case(
            format!("5.{}", 6 + i),
            format!("Send text Message fragmented into 2 fragments, one ping with payload in-between.{d}"),
            steps(
                vec![text(f1).fin(false), ping(b"ping payload"), cont(f2)],
                *how,
                close_after(1.0),
            ),
            Expect::echo(vec![got_pong(b"ping payload"), got_text(b"fragment1fragment2")]),
        ));
    }
    for (base, fin) in [(9, true), (12, false)] {
        for (i, (how, _)) in HOWS.iter().enumerate() {
            let d = match i {
                0 => " Sent in one chop.",
                1 => " Sent in per-frame chops.",
                _ => " Sent in octet-wise chops.",
            };
            out.push(case(
                format!("5.{}", base + i),
                format!("Send unfragmented Text Message after Continuation Frame with FIN = {fin}, where there is nothing to continue.{d}"),
                steps(
                    vec![cont(b"non-continuation payload").fin(fin), text(HELLO)],
                    *how,
                    kill(1.0),
                ),
                Expect::fail(vec![], 1002),
            ));
        }
    }
    out.push(case(
        "5.15",
        "Send text Message fragmented into 2 fragments, then Continuation Frame with FIN = false where there is nothing to continue, then unfragmented Text Message, all sent in one chop.",
        steps(
            vec![
                text(b"fragment1").fin(false),
                cont(b"fragment2"),
                cont(b"fragment3").fin(false),
                text(b"fragment4"),
            ],
            Write::Plain,
            kill(1.0),
        ),
        Expect::fail(vec![got_text(b"fragment1fragment2")], 1002).or_non_strict(vec![]),
    ));
    for (id, first_fin) in [("5.16", false), ("5.17", true)] {
        let mut frames = Vec::new();
        for _ in 0..2 {
            frames.push(cont(b"fragment1").fin(first_fin));
            frames.push(text(b"fragment2").fin(false));
            frames.push(cont(b"fragment3"));
        }
        out.push(case(
            id,
            format!("Repeated 2x: Continuation Frame with FIN = {first_fin} (where there is nothing to continue), then text Message fragmented into 2 fragments."),
            steps(frames, Write::Plain, kill(1.0)),
            Expect::fail(vec![], 1002),
        ));
    }
    out.push(case(
        "5.18",
        "Send text Message fragmented into 2 fragments, with both frame opcodes set to text, sent in one chop.",
        steps(vec![text(f1).fin(false), text(f2)], Write::Plain, kill(1.0)),
        Expect::fail(vec![], 1002),
    ));
    for (id, how, d) in [
        ("5.19", Write::Plain, ""),
        (
            "5.20",
            Write::Sync,
            " The octet stream is chopped up on the wire.",
        ),
    ] {
        let mut s = written(
            vec![
                text(b"fragment1").fin(false),
                cont(b"fragment2").fin(false),
                ping(b"pongme 1!"),
            ],
            how,
        );
        s.push(Step::Later(1000));
        s.extend(written(
            vec![
                cont(b"fragment3").fin(false),
                cont(b"fragment4").fin(false),
                ping(b"pongme 2!"),
                cont(b"fragment5"),
            ],
            how,
        ));
        s.push(close_after(1.0));
        out.push(case(
            id,
            format!("A fragmented text message is sent in multiple frames. After sending the first 2 frames of the text message, a Ping is sent. Then we wait 1s, then we send 2 more text fragments, another Ping and then the final text fragment. Everything is legal.{d}"),
            s,
            Expect::echo(vec![
                got_pong(b"pongme 1!"),
                got_pong(b"pongme 2!"),
                got_text(b"fragment1fragment2fragment3fragment4fragment5"),
            ]),
        ));
    }
}

//! Section 6, UTF-8 (`case6_1_*.py` … `case6_4_*.py`, `case6_x_x.py`): empty and
//! fragmented text, valid text split inside characters, invalid text whole and in
//! 1-octet fragments, fail-fast (6.4.x: the suite marks `("timeout", "A"/"B")` at its
//! 1-s waits while the connection is still open), and the 132 sequences of 6.5–6.23.

use super::s6_tables::{KOSME, groups};
use super::{case, close_after, cont, got_text, kill, plain, text};
use crate::case::{Case, FrameSpec, Step};
use crate::expect::{Expect, Item};
use crate::payload::Payload;

/// "Hello-µ@ßöäüàá-UTF-8!!".
const HELLO_UTF8: &str = "Hello-\u{b5}@\u{df}\u{f6}\u{e4}\u{fc}\u{e0}\u{e1}-UTF-8!!";

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The peer must fail with 1007; the wrong closer is a FAILED behavior too.
fn utf8_fail() -> Expect {
    Expect::fail(vec![], 1007).wrong_endpoint_fatal()
}

pub(super) fn cases(out: &mut Vec<Case>) {
    out.push(case(
        "6.1.1",
        "Send text message of length 0.",
        vec![plain(text(b"")), close_after(1.0)],
        Expect::echo(vec![got_text(b"")]),
    ));
    out.push(case(
        "6.1.2",
        "Send fragmented text message, 3 fragments each of length 0.",
        vec![
            plain(text(b"").fin(false)),
            plain(cont(b"").fin(false)),
            plain(cont(b"")),
            close_after(1.0),
        ],
        Expect::echo(vec![got_text(b"")]),
    ));
    out.push(case(
        "6.1.3",
        "Send fragmented text message, 3 fragments, first and last of length 0, middle non-empty.",
        vec![
            plain(text(b"").fin(false)),
            plain(cont(b"middle frame payload").fin(false)),
            plain(cont(b"")),
            close_after(1.0),
        ],
        Expect::echo(vec![got_text(b"middle frame payload")]),
    ));
    let h = HELLO_UTF8.as_bytes();
    out.push(case(
        "6.2.1",
        format!(
            "Send a valid UTF-8 text message in one fragment. MESSAGE: {HELLO_UTF8} {}",
            hex(h)
        ),
        vec![message(h, None), close_after(1.0)],
        Expect::echo(vec![got_text(h)]),
    ));
    // "Hello-µ@ßöä" / "üàá-UTF-8!!": 15 and 14 bytes.
    out.push(case(
        "6.2.2",
        "Send a valid UTF-8 text message in two fragments, fragmented on UTF-8 code point boundary.",
        vec![
            plain(text(&h[..15]).fin(false)),
            plain(cont(&h[15..])),
            close_after(1.0),
        ],
        Expect::echo(vec![got_text(h)]),
    ));
    for (id, bytes) in [("6.2.3", h), ("6.2.4", KOSME)] {
        out.push(case(
            id,
            format!("Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends. MESSAGE: {}", hex(bytes)),
            vec![message(bytes, Some(1)), close_after(1.0)],
            Expect::echo(vec![got_text(bytes)]),
        ));
    }
    let bad = [KOSME, b"\xed\xa0\x80", b"edited"].concat();
    out.push(case(
        "6.3.1",
        format!(
            "Send invalid UTF-8 text message unfragmented. MESSAGE: {}",
            hex(&bad)
        ),
        vec![message(&bad, None), kill(1.0)],
        utf8_fail(),
    ));
    out.push(case(
        "6.3.2",
        format!(
            "Send invalid UTF-8 text message in fragments of 1 octet. MESSAGE: {}",
            hex(&bad)
        ),
        vec![message(&bad, Some(1)), kill(1.0)],
        utf8_fail(),
    ));
    fail_fast(out);
    for (g, (title, entries)) in groups().into_iter().enumerate() {
        for (j, (valid, bytes)) in entries.into_iter().enumerate() {
            let id = format!("6.{}.{}", g + 5, j + 1);
            let d = format!(
                "{title}: send a text message with payload which is {}valid UTF-8 in one fragment. Payload: 0x{}",
                if valid { "" } else { "not " },
                hex(&bytes)
            );
            let expect = if valid {
                Expect::echo(vec![got_text(&bytes)])
            } else {
                utf8_fail()
            };
            out.push(case(id, d, vec![message(&bytes, None), kill(0.5)], expect));
        }
    }
}

fn message(bytes: &[u8], frag: Option<usize>) -> Step {
    Step::Message {
        text: true,
        payload: Payload::bytes(bytes),
        frag,
    }
}

/// 6.4.x (`case6_4_1.py` … `case6_4_4.py`): three parts 1 s apart; each later part only
/// while the connection is open, after marking the wait; kill 1 s after the last.
fn fail_fast(out: &mut Vec<Case>) {
    let all = [KOSME, b"\xf4\x90\x80\x80", b"edited"].concat();
    // (id, part boundaries, in one frame)
    let rows: [(&str, [usize; 2], bool); 4] = [
        ("6.4.1", [11, 15], false),
        ("6.4.2", [12, 13], false),
        ("6.4.3", [11, 15], true),
        ("6.4.4", [12, 13], true),
    ];
    for (id, [a, b], one_frame) in rows {
        let parts = [&all[..a], &all[a..b], &all[b..]];
        let mut steps = Vec::new();
        if one_frame {
            // beginMessageFrame(21) with FIN clear, the payload in three writes, then
            // endMessage(): an empty FIN continuation frame.
            let spec = FrameSpec::new(crate::case::op::TEXT, Payload::bytes(&all)).fin(false);
            steps.push(Step::FrameHeader { frame: spec });
            steps.push(Step::FrameData { from: 0, to: a });
        } else {
            steps.push(plain(text(parts[0]).fin(false)));
        }
        for (k, tag) in [(1, "A"), (2, "B")] {
            steps.push(Step::Later(1000));
            steps.push(Step::IfOpen);
            steps.push(Step::Mark(tag));
            let last = k == 2;
            if one_frame {
                let (from, to) = if last { (b, all.len()) } else { (a, b) };
                steps.push(Step::FrameData { from, to });
                if last {
                    steps.push(plain(cont(b"")));
                }
            } else {
                steps.push(plain(cont(parts[k]).fin(last)));
            }
        }
        steps.push(kill(1.0));
        let how = if one_frame {
            "in 3 chops of the same message frame"
        } else {
            "in 3 fragments (frames)"
        };
        out.push(case(
            id,
            format!(
                "Send invalid UTF-8 text message {how}: first part valid, wait, then {} which makes it invalid, then wait, then the rest. PARTS: {} / {} / {}",
                hex(parts[1]),
                hex(parts[0]),
                hex(parts[1]),
                hex(parts[2])
            ),
            steps,
            Expect::fail(vec![Item::Timeout("A")], 1007)
                .or_non_strict(vec![Item::Timeout("A"), Item::Timeout("B")])
                .wrong_endpoint_fatal(),
        ));
    }
}

//! Section 6: UTF-8 in text messages (§8.1: "When an endpoint is to interpret a byte
//! stream as UTF-8 but finds that the byte stream is not, in fact, a valid UTF-8 stream,
//! that endpoint MUST _Fail the WebSocket Connection_"; close code 1007, §7.4.1).
//!
//! The byte sequences follow the classic UTF-8 decoder stress test (boundary, overlong,
//! surrogate and noncharacter forms), written out from RFC 3629's grammar.

use super::{PAUSE_MS, case, cont, echo_text, frame, text};
use crate::case::{Case, Expect, FrameSpec, Payload, Step};

const KOSME: &[u8] = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
const HELLO_UTF8: &str = "Hello-\u{b5}@\u{df}\u{f6}\u{e4}\u{fc}\u{e0}\u{e1}-UTF-8!!";

/// One text message in one frame; echo if it is UTF-8, else failure with 1007.
fn utf8_case(id: String, what: &str, bytes: Vec<u8>) -> Case {
    let valid = core::str::from_utf8(&bytes).is_ok();
    let expect = if valid {
        Expect::echo(vec![echo_text(&bytes)])
    } else {
        Expect::fail(vec![], 1007)
    };
    let verdict = if valid {
        "valid UTF-8; expect it echoed"
    } else {
        "not UTF-8; expect failure with 1007"
    };
    case(
        id,
        format!(
            "Send a text message whose payload is {what} ({}): {verdict}.",
            hex(&bytes)
        ),
        vec![frame(text(&bytes))],
        expect,
    )
}

fn hex(b: &[u8]) -> String {
    let shown: Vec<String> = b.iter().take(24).map(|x| format!("{x:02x}")).collect();
    let more = if b.len() > 24 { " …" } else { "" };
    format!("0x{}{more}", shown.join(""))
}

fn cp(c: u32) -> Vec<u8> {
    // Encodes any code point (surrogates included) with UTF-8's bit layout.
    match c {
        0..=0x7f => vec![c as u8],
        0x80..=0x7ff => vec![0xc0 | (c >> 6) as u8, 0x80 | (c & 0x3f) as u8],
        0x800..=0xffff => vec![
            0xe0 | (c >> 12) as u8,
            0x80 | ((c >> 6) & 0x3f) as u8,
            0x80 | (c & 0x3f) as u8,
        ],
        _ => vec![
            0xf0 | (c >> 18) as u8,
            0x80 | ((c >> 12) & 0x3f) as u8,
            0x80 | ((c >> 6) & 0x3f) as u8,
            0x80 | (c & 0x3f) as u8,
        ],
    }
}

/// A sub-section of single-frame cases: (description, bytes) rows.
fn table(out: &mut Vec<Case>, sub: u32, rows: Vec<(String, Vec<u8>)>) {
    for (i, (what, bytes)) in rows.into_iter().enumerate() {
        out.push(utf8_case(format!("6.{sub}.{}", i + 1), &what, bytes));
    }
}

fn rows(items: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
    items
        .iter()
        .map(|(w, b)| ((*w).to_owned(), b.to_vec()))
        .collect()
}

pub(super) fn cases(out: &mut Vec<Case>) {
    // 6.1: empty messages.
    out.push(case(
        "6.1.1",
        "Send a text message with an empty payload; expect it echoed.",
        vec![frame(text(b""))],
        Expect::echo(vec![echo_text(b"")]),
    ));
    out.push(case(
        "6.1.2",
        "Send a text message in 3 empty fragments; expect an empty text message echoed.",
        vec![
            frame(text(b"").fin(false)),
            frame(cont(b"").fin(false)),
            frame(cont(b"")),
        ],
        Expect::echo(vec![echo_text(b"")]),
    ));
    out.push(case(
        "6.1.3",
        "Send a text message in 3 fragments, the first and last empty; expect it echoed.",
        vec![
            frame(text(b"").fin(false)),
            frame(cont(b"middle frame payload").fin(false)),
            frame(cont(b"")),
        ],
        Expect::echo(vec![echo_text(b"middle frame payload")]),
    ));
    // 6.2: valid text, whole and fragmented (also inside characters).
    let h = HELLO_UTF8.as_bytes();
    let split = HELLO_UTF8.char_indices().nth(10).map_or(0, |(i, _)| i);
    out.push(case(
        "6.2.1",
        format!("Send valid UTF-8 text \"{HELLO_UTF8}\" in one frame; expect it echoed."),
        vec![frame(text(h))],
        Expect::echo(vec![echo_text(h)]),
    ));
    out.push(case(
        "6.2.2",
        "Send the same text in 2 fragments split at a character boundary; expect it echoed.",
        vec![
            frame(text(&h[..split]).fin(false)),
            frame(cont(&h[split..])),
        ],
        Expect::echo(vec![echo_text(h)]),
    ));
    for (id, bytes, what) in [
        ("6.2.3", h, HELLO_UTF8),
        ("6.2.4", KOSME, "\u{3ba}\u{1f79}\u{3c3}\u{3bc}\u{3b5}"),
    ] {
        out.push(case(id, format!("Send valid UTF-8 text \"{what}\" in fragments of 1 octet (splitting characters); expect it echoed."),
            vec![Step::Message { text: true, payload: Payload::bytes(bytes), frag: 1, chop: None }],
            Expect::echo(vec![echo_text(bytes)])));
    }
    // 6.3: invalid text (a surrogate), whole and in 1-octet fragments.
    let bad = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64";
    out.push(case("6.3.1", format!("Send a text message that is not UTF-8 (a UTF-16 surrogate inside: {}) in one frame; expect failure with 1007.", hex(bad)),
        vec![frame(text(bad))], Expect::fail(vec![], 1007)));
    out.push(case(
        "6.3.2",
        "Send the same invalid text in fragments of 1 octet; expect failure with 1007.",
        vec![Step::Message {
            text: true,
            payload: Payload::bytes(bad),
            frag: 1,
            chop: None,
        }],
        Expect::fail(vec![], 1007),
    ));
    fail_fast(out);
    // 6.5: valid UTF-8 in several scripts.
    let samples = [
        "\u{3ba}\u{1f79}\u{3c3}\u{3bc}\u{3b5}",
        "\u{65e5}\u{672c}\u{8a9e}\u{30c6}\u{30ad}\u{30b9}\u{30c8}",
        "\u{1d11e} music",
        "emoji \u{1f600}\u{1f389}",
        "\u{10348}\u{10000}\u{10ffff}",
    ];
    table(
        out,
        5,
        samples
            .iter()
            .map(|s| (format!("\"{s}\""), s.as_bytes().to_vec()))
            .collect(),
    );
    // 6.6: every prefix of "κόσμε": valid exactly at character boundaries.
    table(
        out,
        6,
        (1..=KOSME.len())
            .map(|n| {
                (
                    format!("the first {n} octets of \"\u{3ba}\u{1f79}\u{3c3}\u{3bc}\u{3b5}\""),
                    KOSME[..n].to_vec(),
                )
            })
            .collect(),
    );
    table(
        out,
        7,
        rows(&[
            ("U+0000", b"\x00"),
            ("U+0080", b"\xc2\x80"),
            ("U+0800", b"\xe0\xa0\x80"),
            ("U+10000", b"\xf0\x90\x80\x80"),
        ]),
    );
    table(
        out,
        8,
        rows(&[
            ("a 5-octet sequence", b"\xf8\x88\x80\x80\x80"),
            ("a 6-octet sequence", b"\xfc\x84\x80\x80\x80\x80"),
        ]),
    );
    table(
        out,
        9,
        rows(&[
            ("U+007F", b"\x7f"),
            ("U+07FF", b"\xdf\xbf"),
            ("U+FFFF", b"\xef\xbf\xbf"),
            ("U+10FFFF", b"\xf4\x8f\xbf\xbf"),
        ]),
    );
    table(
        out,
        10,
        rows(&[
            ("U+1FFFFF in 4 octets (above U+10FFFF)", b"\xf7\xbf\xbf\xbf"),
            ("U+3FFFFFF in 5 octets", b"\xfb\xbf\xbf\xbf\xbf"),
            ("U+7FFFFFFF in 6 octets", b"\xfd\xbf\xbf\xbf\xbf\xbf"),
        ]),
    );
    table(
        out,
        11,
        rows(&[
            ("U+D7FF", b"\xed\x9f\xbf"),
            ("U+E000", b"\xee\x80\x80"),
            ("U+FFFD", b"\xef\xbf\xbd"),
            ("U+10FFFF", b"\xf4\x8f\xbf\xbf"),
            ("U+110000 (above U+10FFFF)", b"\xf4\x90\x80\x80"),
        ]),
    );
    // 6.12: unexpected continuation bytes.
    let alternating = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|i| if i % 2 == 0 { 0x80 } else { 0xbf })
            .collect()
    };
    let mut r: Vec<(String, Vec<u8>)> = vec![
        ("a lone 0x80".into(), vec![0x80]),
        ("a lone 0xbf".into(), vec![0xbf]),
    ];
    r.extend((2..=6).map(|n| (format!("{n} continuation octets"), alternating(n))));
    r.push((
        "every continuation octet 0x80-0xbf".into(),
        (0x80..=0xbf).collect(),
    ));
    table(out, 12, r);
    // 6.13: lonely start bytes, each followed by a space.
    let lonely = |lo: u8, hi: u8| -> Vec<u8> { (lo..=hi).flat_map(|b| [b, b' ']).collect() };
    table(
        out,
        13,
        vec![
            (
                "all 32 two-octet lead bytes, each followed by a space".into(),
                lonely(0xc0, 0xdf),
            ),
            (
                "all 16 three-octet lead bytes, each followed by a space".into(),
                lonely(0xe0, 0xef),
            ),
            (
                "all 8 four-octet lead bytes, each followed by a space".into(),
                lonely(0xf0, 0xf7),
            ),
            (
                "all 4 five-octet lead bytes, each followed by a space".into(),
                lonely(0xf8, 0xfb),
            ),
            (
                "both six-octet lead bytes, each followed by a space".into(),
                lonely(0xfc, 0xfd),
            ),
        ],
    );
    // 6.14: sequences missing their last continuation byte.
    let incomplete: [&[u8]; 10] = [
        b"\xc0",
        b"\xe0\x80",
        b"\xf0\x80\x80",
        b"\xf8\x80\x80\x80",
        b"\xfc\x80\x80\x80\x80",
        b"\xdf",
        b"\xef\xbf",
        b"\xf7\xbf\xbf",
        b"\xfb\xbf\xbf\xbf",
        b"\xfd\xbf\xbf\xbf\xbf",
    ];
    table(
        out,
        14,
        incomplete
            .iter()
            .map(|b| ("a sequence missing its last octet".to_owned(), b.to_vec()))
            .collect(),
    );
    table(
        out,
        15,
        vec![(
            "all ten incomplete sequences concatenated".into(),
            incomplete.concat(),
        )],
    );
    table(
        out,
        16,
        rows(&[
            ("0xfe", b"\xfe"),
            ("0xff", b"\xff"),
            ("0xfefeffff", b"\xfe\xfe\xff\xff"),
        ]),
    );
    table(
        out,
        17,
        rows(&[
            ("'/' overlong in 2 octets", b"\xc0\xaf"),
            ("'/' overlong in 3 octets", b"\xe0\x80\xaf"),
            ("'/' overlong in 4 octets", b"\xf0\x80\x80\xaf"),
            ("'/' overlong in 5 octets", b"\xf8\x80\x80\x80\xaf"),
            ("'/' overlong in 6 octets", b"\xfc\x80\x80\x80\x80\xaf"),
        ]),
    );
    table(
        out,
        18,
        rows(&[
            ("the largest overlong 2-octet form", b"\xc1\xbf"),
            ("the largest overlong 3-octet form", b"\xe0\x9f\xbf"),
            ("the largest overlong 4-octet form", b"\xf0\x8f\xbf\xbf"),
            ("the largest overlong 5-octet form", b"\xf8\x87\xbf\xbf\xbf"),
            (
                "the largest overlong 6-octet form",
                b"\xfc\x83\xbf\xbf\xbf\xbf",
            ),
        ]),
    );
    table(
        out,
        19,
        rows(&[
            ("NUL overlong in 2 octets", b"\xc0\x80"),
            ("NUL overlong in 3 octets", b"\xe0\x80\x80"),
            ("NUL overlong in 4 octets", b"\xf0\x80\x80\x80"),
            ("NUL overlong in 5 octets", b"\xf8\x80\x80\x80\x80"),
            ("NUL overlong in 6 octets", b"\xfc\x80\x80\x80\x80\x80"),
        ]),
    );
    // 6.20: single surrogates; 6.21: surrogate pairs (both invalid in UTF-8).
    let singles = [0xd800, 0xdb7f, 0xdb80, 0xdbff, 0xdc00, 0xdf80, 0xdfff];
    table(
        out,
        20,
        singles
            .iter()
            .map(|&c| (format!("the UTF-16 surrogate U+{c:04X}"), cp(c)))
            .collect(),
    );
    let mut pairs = Vec::new();
    for hi in [0xd800, 0xdb7f, 0xdb80, 0xdbff] {
        for lo in [0xdc00, 0xdfff] {
            pairs.push((
                format!("the surrogate pair U+{hi:04X} U+{lo:04X}"),
                [cp(hi), cp(lo)].concat(),
            ));
        }
    }
    table(out, 21, pairs);
    // 6.22: noncharacters are valid UTF-8 and must be echoed.
    let mut nonchars = vec![0xfffe, 0xffff];
    for plane in 1..=16u32 {
        nonchars.push(plane << 16 | 0xfffe);
        nonchars.push(plane << 16 | 0xffff);
    }
    table(
        out,
        22,
        nonchars
            .iter()
            .map(|&c| (format!("the noncharacter U+{c:04X}"), cp(c)))
            .collect(),
    );
    let specials = [0xfffd, 0xfeff, 0x200b, 0x2028, 0xfff9, 0xfffa, 0xfffb];
    table(
        out,
        23,
        specials
            .iter()
            .map(|&c| (format!("U+{c:04X}"), cp(c)))
            .collect(),
    );
}

/// 6.4: the peer must fail as soon as it sees the first byte that cannot be UTF-8, not
/// at the end of the frame or message (§8.1; Autobahn calls this fail-fast).
fn fail_fast(out: &mut Vec<Case>) {
    let part1 = KOSME;
    let bad = b"\xf4\x90\x80\x80"; // U+110000 in UTF-8's 4-octet layout; 0x90 is the first bad byte.
    let part3 = b"edited";
    let all = [part1, bad.as_slice(), part3.as_slice()].concat();
    let p = PAUSE_MS;
    // 6.4.1 / 6.4.2: three fragments; the middle one carries the invalid bytes.
    for (id, mid_len) in [("6.4.1", 4usize), ("6.4.2", 2usize)] {
        let mid = &all[part1.len()..part1.len() + mid_len];
        let rest = &all[part1.len() + mid_len..];
        out.push(case(
            id,
            format!("Send a text message in 3 fragments with pauses: valid \"κόσμε\", then {} (makes it invalid), then the rest; expect failure with 1007 before the third fragment (fail-fast).", hex(mid)),
            vec![
                frame(text(part1).fin(false)),
                Step::Pause(p),
                frame(cont(mid).fin(false)),
                Step::Pause(p),
                Step::Checkpoint,
                frame(cont(rest)),
            ],
            Expect::fail(vec![], 1007).fail_fast(),
        ));
    }
    // 6.4.3 / 6.4.4: one frame, written in 3 parts.
    for (id, mid_len) in [("6.4.3", 4usize), ("6.4.4", 2usize)] {
        let spec = text(&all);
        let a = part1.len();
        let b = a + mid_len;
        out.push(case(
            id,
            format!("Send one invalid text frame in 3 writes with pauses: header and \"κόσμε\", then {}, then the rest; expect failure with 1007 before the last write (fail-fast inside a frame).", hex(&all[a..b])),
            vec![
                Step::FramePart { frame: spec.clone(), from: 0, to: a },
                Step::Pause(p),
                Step::FramePart { frame: spec.clone(), from: a, to: b },
                Step::Pause(p),
                Step::Checkpoint,
                Step::FramePart { frame: spec, from: b, to: all.len() },
            ],
            Expect::fail(vec![], 1007).fail_fast(),
        ));
    }
    // 6.4.5 / 6.4.6 (Sockeye additions): byte by byte, checked right after the first
    // byte that cannot continue the sequence.
    let first_bad = part1.len() + 2;
    let spec = text(&all);
    let mut steps = Vec::new();
    for i in 0..first_bad {
        steps.push(Step::FramePart {
            frame: spec.clone(),
            from: i,
            to: i + 1,
        });
    }
    steps.push(Step::Pause(p));
    steps.push(Step::Checkpoint);
    steps.push(Step::FramePart {
        frame: spec,
        from: first_bad,
        to: all.len(),
    });
    out.push(case(
        "6.4.5",
        "(Sockeye) Send one invalid text frame byte by byte (one write per payload octet); expect failure with 1007 right after the first octet that cannot be UTF-8 (0x90 after 0xf4), before the rest of the frame.",
        steps,
        Expect::fail(vec![], 1007).fail_fast(),
    ));
    let mut steps = Vec::new();
    for (i, b) in all.iter().enumerate().take(first_bad) {
        let f = if i == 0 { text([*b]) } else { cont([*b]) };
        steps.push(frame(f.fin(false)));
    }
    steps.push(Step::Pause(p));
    steps.push(Step::Checkpoint);
    steps.push(frame(FrameSpec::new(
        crate::case::op::CONT,
        Payload::bytes(&all[first_bad..]),
    )));
    out.push(case(
        "6.4.6",
        "(Sockeye) Send an invalid text message in 1-octet fragments; expect failure with 1007 right after the fragment with the first octet that cannot be UTF-8, before the last fragment.",
        steps,
        Expect::fail(vec![], 1007).fail_fast(),
    ));
}

//! Section 7, the closing handshake (`case7_*.py`). In every case the tester sends the
//! first close frame (`closedByMe`); frames after it are still written. A close code
//! the case does not accept (WRONG CODE) makes `behavior` FAILED as well; 7.1.6 and
//! 7.13.x are INFORMATIONAL whatever happens. Kill after 1 s.

use super::{case, close, frame, got_text, kill, ping, plain, text};
use crate::case::{Case, op};
use crate::expect::Expect;
use crate::payload::Payload;

const HW: &[u8] = b"Hello World!";

/// `{closedByMe: True, closeCode: codes, requireClean}` with section 7's override.
fn expect(codes: &[u16], require_clean: bool) -> Expect {
    Expect::echo(vec![])
        .close(true, codes, require_clean)
        .wrong_code_fails()
}

pub(super) fn cases(out: &mut Vec<Case>) {
    out.push(case(
        "7.1.1",
        "Send a message followed by a close frame",
        vec![plain(text(HW)), kill(1.0)],
        Expect::echo(vec![got_text(HW)]).wrong_code_fails(),
    ));
    let rows: [(&str, &str, Vec<crate::case::Step>); 4] = [
        (
            "7.1.2",
            "Send two close frames",
            vec![close(Some(1000), b""), plain(frame(op::CLOSE, b""))],
        ),
        (
            "7.1.3",
            "Send a ping after close message",
            vec![close(Some(1000), b""), plain(ping(b""))],
        ),
        (
            "7.1.4",
            "Send text message after sending a close frame.",
            vec![close(Some(1000), b""), plain(text(HW))],
        ),
        (
            "7.1.5",
            "Send message fragment1 followed by close then fragment",
            vec![
                plain(text(b"fragment1").fin(false)),
                close(Some(1000), b""),
                plain(super::cont(b"fragment2")),
            ],
        ),
    ];
    for (id, d, mut steps) in rows {
        steps.push(kill(1.0));
        out.push(case(id, d, steps, expect(&[1000], true).suppress_close()));
    }
    out.push(case(
        "7.1.6",
        "Send 256K message followed by close then a ping",
        vec![
            plain(crate::case::FrameSpec::new(
                op::TEXT,
                Payload::repeat(b"BAsd7&jh23", 256 << 10),
            )),
            plain(text(HW)),
            close(Some(1000), b""),
            plain(ping(b"")),
            kill(1.0),
        ],
        Expect::echo(vec![got_text(HW)])
            .or_non_strict(vec![])
            .suppress_close()
            .informational(),
    ));
    let invalid_utf8 =
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64";
    // (id, description, code, reason, accepted codes, clean required)
    type Body<'a> = (&'a str, &'a str, Option<u16>, Vec<u8>, &'a [u16], bool);
    let bodies: [Body<'_>; 7] = [
        (
            "7.3.1",
            "Send a close frame with payload length 0 (no close code, no close reason)",
            None,
            vec![],
            &[1000],
            true,
        ),
        (
            "7.3.2",
            "Send a close frame with payload length 1",
            None,
            b"a".to_vec(),
            &[1002],
            false,
        ),
        (
            "7.3.3",
            "Send a close frame with payload length 2 (regular close with a code)",
            Some(1000),
            vec![],
            &[1000],
            true,
        ),
        (
            "7.3.4",
            "Send a close frame with close code and close reason",
            Some(1000),
            HW.to_vec(),
            &[1000],
            true,
        ),
        (
            "7.3.5",
            "Send a close frame with close code and close reason of maximum length (123)",
            Some(1000),
            vec![b'*'; 123],
            &[1000],
            true,
        ),
        (
            "7.3.6",
            "Send a close frame with close code and close reason which is too long (124) - total frame payload 126 octets",
            Some(1000),
            vec![b'*'; 124],
            &[1002],
            false,
        ),
        (
            "7.5.1",
            "Send a close frame with invalid UTF8 payload",
            Some(1000),
            invalid_utf8.to_vec(),
            &[1002, 1007],
            false,
        ),
    ];
    for (id, d, code, reason, codes, clean) in bodies {
        out.push(case(
            id,
            d,
            vec![close(code, &reason), kill(1.0)],
            expect(codes, clean).suppress_close(),
        ));
    }
    let valid = [
        1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
    ];
    for (i, code) in valid.into_iter().enumerate() {
        out.push(case(
            format!("7.7.{}", i + 1),
            format!("Send close with valid close code {code}"),
            vec![close(Some(code), b""), kill(1.0)],
            expect(&[1000, code], true),
        ));
    }
    let invalid = [0u16, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];
    for (i, code) in invalid.into_iter().enumerate() {
        out.push(case(
            format!("7.9.{}", i + 1),
            format!("Send close with invalid close code {code}"),
            vec![close(Some(code), b""), kill(1.0)],
            expect(&[1002], false),
        ));
    }
    for (i, code) in [5000u16, 65535].into_iter().enumerate() {
        out.push(case(
            format!("7.13.{}", i + 1),
            format!("Send close with close code {code}"),
            vec![close(Some(code), b""), kill(1.0)],
            Expect::echo(vec![])
                .close(true, &[1000, code, 1002], false)
                .suppress_close()
                .informational(),
        ));
    }
}

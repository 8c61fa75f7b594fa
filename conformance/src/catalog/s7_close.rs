//! Section 7: the closing handshake (§5.5.1, §7) and close codes (§7.4).

use super::{Profile, case, cont, echo_text, frame, ping, text};
use crate::case::{Case, Expect, Payload, Step, close_payload};

fn close(code: u16, reason: &[u8]) -> Step {
    Step::Close(close_payload(code, reason))
}

pub(super) fn cases(out: &mut Vec<Case>, profile: Profile) {
    let hello = b"Hello World";
    // 7.1: what happens around a close. After its close frame the peer must not send
    // data (§5.5.1) and, having received ours, must not process more (§7.1.7 / §5.5.1).
    out.push(case("7.1.1", "Send a text message, then a close frame; expect the echo, then the close answered with 1000.",
        vec![frame(text(hello)), close(1000, b"")], Expect::echo(vec![echo_text(hello)])));
    out.push(case(
        "7.1.2",
        "Send a close frame twice; expect one close answered with 1000 and the second ignored.",
        vec![close(1000, b""), close(1000, b"")],
        Expect::echo(vec![]),
    ));
    out.push(case(
        "7.1.3",
        "Send a close frame, then a ping; expect no pong (§5.5.2: not after a close).",
        vec![close(1000, b""), frame(ping(b"payload"))],
        Expect::echo(vec![]),
    ));
    out.push(case(
        "7.1.4",
        "Send a close frame, then a text message; expect no echo.",
        vec![close(1000, b""), frame(text(hello))],
        Expect::echo(vec![]),
    ));
    out.push(case("7.1.5", "Send the first fragment of a text message, a close frame, then the last fragment; expect no echo.",
        vec![frame(text(b"fragment1").fin(false)), close(1000, b""), frame(cont(b"fragment2"))], Expect::echo(vec![])));
    let big = profile.size(256 << 10);
    out.push(case("7.1.6", format!("Send a {big}-octet text message, then a close frame, then a ping; whether the echo comes before the close reply is informational."),
        vec![Step::Message { text: true, payload: Payload::pattern(big), frag: 0, chop: None }, close(1000, b""), frame(ping(b"payload"))],
        Expect::echo(vec![crate::case::Item::text(Payload::pattern(big))]).informational()));
    // 7.3: close frame bodies.
    out.push(case(
        "7.3.1",
        "Send a close frame without a body; expect a close back (without a body, or with 1000).",
        vec![Step::Close(Payload::empty())],
        Expect::echo(vec![]).codes(&[1000, 1005]),
    ));
    out.push(case("7.3.2", "Send a close frame with a 1-octet body; expect failure with 1002 (§5.5.1: a body starts with a 2-octet code).",
        vec![Step::Close(Payload::bytes([0x03]))], Expect::fail(vec![], 1002)));
    out.push(case(
        "7.3.3",
        "Send a close frame with code 1000 and no reason; expect 1000 back.",
        vec![close(1000, b"")],
        Expect::echo(vec![]),
    ));
    out.push(case(
        "7.3.4",
        "Send a close frame with code 1000 and a reason; expect 1000 back.",
        vec![close(1000, b"Hello World!")],
        Expect::echo(vec![]),
    ));
    out.push(case("7.3.5", "Send a close frame with code 1000 and a reason of 123 octets (the maximum); expect 1000 back.",
        vec![close(1000, &[b'*'; 123])], Expect::echo(vec![])));
    out.push(case("7.3.6", "Send a close frame with code 1000 and a reason of 124 octets (a 126-octet control payload); expect failure with 1002.",
        vec![close(1000, &[b'*'; 124])], Expect::fail(vec![], 1002)));
    out.push(case("7.5.1", "Send a close frame with code 1000 and a reason that is not UTF-8; expect failure with 1007.",
        vec![close(1000, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64")],
        Expect::fail(vec![], 1007)));
    // 7.7: codes that may be sent (§7.4.1, §7.4.2): the peer echoes the code or says 1000.
    let valid = [
        1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
    ];
    for (i, code) in valid.into_iter().enumerate() {
        out.push(case(
            format!("7.7.{}", i + 1),
            format!("Send a close frame with the valid code {code}; expect it echoed (or 1000)."),
            vec![close(code, b"")],
            Expect::echo(vec![]).codes(&[code, 1000]),
        ));
    }
    // 7.9: codes that may not be sent; failure with 1002. 1012–1014 were unassigned in
    // RFC 6455 and are registered with IANA since, so either behaviour is informational.
    let invalid = [
        0u16, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 1100, 2000, 2999,
    ];
    for (i, code) in invalid.into_iter().enumerate() {
        let id = format!("7.9.{}", i + 1);
        if (1012..=1014).contains(&code) {
            out.push(case(id, format!("Send a close frame with code {code} (IANA-registered after RFC 6455); informational: accepted (echo or 1000) or refused with 1002."),
                vec![close(code, b"")], Expect::echo(vec![]).codes(&[code, 1000]).informational()));
        } else {
            out.push(case(id, format!("Send a close frame with the code {code}, which may not be sent (§7.4); expect failure with 1002."),
                vec![close(code, b"")], Expect::fail(vec![], 1002)));
        }
    }
    for (i, code) in [5000u16, 65535].into_iter().enumerate() {
        out.push(case(format!("7.13.{}", i + 1), format!("Send a close frame with code {code} (outside every range of §7.4.2); expect failure with 1002."),
            vec![close(code, b"")], Expect::fail(vec![], 1002)));
    }
}

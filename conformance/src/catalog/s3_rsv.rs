//! Section 3: reserved bits (§5.2: "MUST be 0 unless an extension is negotiated").

use super::{Delivery, binary, case, deliver, echo_text, frame, ping, text};
use crate::case::{Case, Expect, FrameSpec, close_payload};

pub(super) fn cases(out: &mut Vec<Case>) {
    let hello = b"Hello, world!";
    out.push(case(
        "3.1",
        "Send a small text message with RSV = 1; expect failure with 1002.",
        vec![frame(text(hello).rsv(1))],
        Expect::fail(vec![], 1002),
    ));
    // 3.2–3.4: a good message, a bad one, a ping: the good one is echoed, the ping is not
    // answered (nothing after the violation is processed, §7.1.7).
    for (id, rsv, delivery) in [
        ("3.2", 2, Delivery::Whole),
        ("3.3", 3, Delivery::FramePause),
        ("3.4", 4, Delivery::Octets),
    ] {
        let frames = vec![text(hello), text(hello).rsv(rsv), ping(b"")];
        out.push(case(
            id,
            format!("Send a small text message, then one with RSV = {rsv}, then a ping; expect the first echoed, then failure with 1002.{}", delivery.label()),
            deliver(frames, delivery),
            Expect::fail(vec![echo_text(hello)], 1002).or_non_strict(vec![]),
        ));
    }
    let specs: [(&str, &str, FrameSpec); 3] = [
        ("3.5", "a binary message", binary([0xffu8; 8]).rsv(5)),
        ("3.6", "a ping", ping(hello).rsv(6)),
        (
            "3.7",
            "a close frame",
            FrameSpec::new(crate::case::op::CLOSE, close_payload(1000, b"")).rsv(7),
        ),
    ];
    for (id, what, spec) in specs {
        let rsv = spec.rsv;
        out.push(case(
            id,
            format!("Send {what} with RSV = {rsv}; expect failure with 1002."),
            vec![frame(spec)],
            Expect::fail(vec![], 1002),
        ));
    }
}

//! Section 4: reserved opcodes (§5.2: "If an unknown opcode is received, the receiving
//! endpoint MUST _Fail the WebSocket Connection_").

use super::{Delivery, case, deliver, echo_text, frame, ping, text};
use crate::case::{Case, Expect, FrameSpec, Payload};

pub(super) fn cases(out: &mut Vec<Case>) {
    let hello = b"Hello, world!";
    for (sub, base, kind) in [(1, 3u8, "non-control"), (2, 11u8, "control")] {
        for i in 0..5u8 {
            let opcode = base + i;
            let id = format!("4.{sub}.{}", i + 1);
            let payload = if i % 2 == 0 {
                Payload::empty()
            } else {
                Payload::bytes(b"reserved opcode payload")
            };
            let with = if payload.is_empty() {
                ""
            } else {
                " with payload"
            };
            let bad = FrameSpec::new(opcode, payload);
            if i < 2 {
                out.push(case(
                    id,
                    format!("Send a frame with reserved {kind} opcode {opcode}{with}; expect failure with 1002."),
                    vec![frame(bad)],
                    Expect::fail(vec![], 1002),
                ));
            } else {
                let delivery = if i == 4 {
                    Delivery::Octets
                } else {
                    Delivery::Whole
                };
                out.push(case(
                    id,
                    format!("Send a small text message, then a frame with reserved {kind} opcode {opcode}{with}, then a ping; expect the echo, then failure with 1002.{}", delivery.label()),
                    deliver(vec![text(hello), bad, ping(b"")], delivery),
                    Expect::fail(vec![echo_text(hello)], 1002).or_non_strict(vec![]),
                ));
            }
        }
    }
}

//! Section 1: text and binary messages of every length encoding (§5.2).

use super::case;
use crate::case::{Case, Expect, Item, Payload, Step};

/// Payload lengths: 7-bit, the 7/16-bit boundary, 16-bit, the 16/64-bit boundary.
const LENGTHS: [usize; 7] = [0, 125, 126, 127, 128, 65535, 65536];

pub(super) fn cases(out: &mut Vec<Case>) {
    for (sub, text, seed) in [(1, true, 0u8), (2, false, 200u8)] {
        let kind = if text { "text" } else { "binary" };
        let rows = LENGTHS
            .iter()
            .map(|&len| (len, None))
            .chain([(65536, Some(997))]);
        for (i, (len, chop)) in rows.enumerate() {
            let payload = Payload::Pattern { len, seed };
            let how = match chop {
                Some(c) => format!(", sent in chops of {c} octets"),
                None => String::new(),
            };
            out.push(case(
                format!("1.{sub}.{}", i + 1),
                format!(
                    "Send a {kind} message with a payload of {len} octets{how}; expect it echoed."
                ),
                vec![Step::Message {
                    text,
                    payload: payload.clone(),
                    frag: 0,
                    chop,
                }],
                Expect::echo(vec![Item::Message { text, payload }]),
            ));
        }
    }
}

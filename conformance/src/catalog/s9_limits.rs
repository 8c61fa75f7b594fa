//! Section 9: large messages, many fragments, small writes, many round trips (limits and
//! throughput); section 10: a message the tester fragments on its own.

use super::{Profile, case};
use crate::case::{Case, Expect, Item, Payload, Step};

const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

fn human(n: usize) -> String {
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} B")
    }
}

fn payload(text: bool, len: usize) -> Payload {
    Payload::Pattern {
        len,
        seed: if text { 0 } else { 200 },
    }
}

pub(super) fn cases(out: &mut Vec<Case>, profile: Profile) {
    let sizes = [64 * KIB, 256 * KIB, MIB, 4 * MIB, 8 * MIB, 16 * MIB];
    let frags = [
        64,
        256,
        KIB,
        4 * KIB,
        16 * KIB,
        64 * KIB,
        256 * KIB,
        MIB,
        4 * MIB,
    ];
    let chops = [64, 128, 256, 512, 1024, 2048];
    let rounds = [0, 16, 64, 256, KIB, 4 * KIB];
    for (k, text) in [(0u32, true), (1, false)] {
        let kind = if text { "text" } else { "binary" };
        for (i, &full) in sizes.iter().enumerate() {
            let len = profile.size(full);
            let p = payload(text, len);
            out.push(case(
                format!("9.{}.{}", 1 + k, i + 1),
                format!("Send a {kind} message of {}; expect it echoed.", human(len)),
                vec![Step::Message {
                    text,
                    payload: p.clone(),
                    frag: 0,
                    chop: None,
                }],
                Expect::echo(vec![Item::Message { text, payload: p }]),
            ));
        }
        let len = profile.size(4 * MIB);
        for (i, &full) in frags.iter().enumerate() {
            // Fragments keep the suite's sizes at reduced message sizes: the fragment
            // rule (frames paid for by payload) is what 9.3.1 and 9.4.1 test.
            let frag = full.min(len);
            let p = payload(text, len);
            out.push(case(
                format!("9.{}.{}", 3 + k, i + 1),
                format!(
                    "Send a {kind} message of {} in {} fragments of {}; expect it echoed.",
                    human(len),
                    len / frag,
                    human(frag)
                ),
                vec![Step::Message {
                    text,
                    payload: p.clone(),
                    frag,
                    chop: None,
                }],
                Expect::echo(vec![Item::Message { text, payload: p }]),
            ));
        }
        let len = profile.size(MIB);
        for (i, &chop) in chops.iter().enumerate() {
            let p = payload(text, len);
            out.push(case(format!("9.{}.{}", 5 + k, i + 1),
                format!("Send a {kind} message of {} written in chops of {chop} octets; expect it echoed.", human(len)),
                vec![Step::Message { text, payload: p.clone(), frag: 0, chop: Some(chop) }],
                Expect::echo(vec![Item::Message { text, payload: p }])));
        }
        let count = match profile {
            Profile::Full => 1000,
            Profile::Reduced => 100,
        };
        for (i, &len) in rounds.iter().enumerate() {
            let p = payload(text, len);
            out.push(case(format!("9.{}.{}", 7 + k, i + 1),
                format!("Send {count} {kind} messages of {}, each after the previous echo; expect all echoed.", human(len)),
                vec![Step::RoundTrips { text, payload: p.clone(), count }],
                Expect::echo(vec![Item::Message { text, payload: p }; count as usize])));
        }
    }
    // Section 10: the tester fragments a message on its own.
    for (i, text) in [true, false].into_iter().enumerate() {
        let p = payload(text, 65536);
        let kind = if text { "text" } else { "binary" };
        let extra = if i == 0 { "" } else { "(Sockeye) " };
        out.push(case(format!("10.1.{}", i + 1),
            format!("{extra}Send a {kind} message of 64 KiB auto-fragmented into frames of 1300 octets; expect it echoed."),
            vec![Step::Message { text, payload: p.clone(), frag: 1300, chop: None }],
            Expect::echo(vec![Item::Message { text, payload: p }])));
    }
}

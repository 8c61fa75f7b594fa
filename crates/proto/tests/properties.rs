//! Property tests: messages fragmented at random, with pings in between, fed in random
//! pieces, arrive exactly as sent; one injected fault gives exactly the RFC's close code.
//! Pieces of 1 to 40 bytes put some frames whole in one piece (the receive path's
//! shortcut, `recv/whole.rs`) and split others (its general path), in both modes.

use std::time::Instant;

use proptest::prelude::*;
use sockeye_frame::OpCode;
use sockeye_proto::test_support::{Owned, feed, parse_frames, raw_frame};
use sockeye_proto::{Config, Connection, MessageKind};

#[derive(Debug, Clone)]
enum Msg {
    Text(String),
    Binary(Vec<u8>),
}

impl Msg {
    fn bytes(&self) -> &[u8] {
        match self {
            Self::Text(t) => t.as_bytes(),
            Self::Binary(b) => b,
        }
    }
}

/// A message, how to cut it into frames (cut points, possibly repeated: empty
/// fragments), and a ping payload (or none) after each frame.
#[derive(Debug, Clone)]
struct Plan {
    msg: Msg,
    cuts: Vec<usize>,
    pings: Vec<Option<Vec<u8>>>,
}

fn msg() -> impl Strategy<Value = Msg> {
    prop_oneof![
        ".{0,60}".prop_map(Msg::Text),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(Msg::Binary),
    ]
}

fn plan() -> impl Strategy<Value = Plan> {
    msg().prop_flat_map(|msg| {
        let len = msg.bytes().len();
        (
            Just(msg),
            proptest::collection::vec(0..=len, 0..5),
            proptest::collection::vec(
                proptest::option::weighted(0.3, proptest::collection::vec(any::<u8>(), 0..20)),
                6,
            ),
        )
            .prop_map(|(msg, mut cuts, pings)| {
                cuts.sort_unstable();
                Plan { msg, cuts, pings }
            })
    })
}

/// The wire bytes (client-masked with `key`) and the events the server must report.
fn build(plans: &[Plan], key: [u8; 4]) -> (Vec<u8>, Vec<Owned>, Vec<Vec<u8>>) {
    let mut wire = Vec::new();
    let mut events = Vec::new();
    let mut pongs = Vec::new();
    for p in plans {
        let bytes = p.msg.bytes();
        let mut bounds = vec![0];
        bounds.extend(&p.cuts);
        bounds.push(bytes.len());
        let frames = bounds.len() - 1;
        for i in 0..frames {
            let opcode = match (i, &p.msg) {
                (0, Msg::Text(_)) => 0x1,
                (0, Msg::Binary(_)) => 0x2,
                _ => 0x0,
            };
            let fin = if i + 1 == frames { 0x80 } else { 0 };
            wire.extend(raw_frame(
                fin | opcode,
                Some(key),
                &bytes[bounds[i]..bounds[i + 1]],
            ));
            if let (true, Some(Some(ping))) = (i + 1 < frames, p.pings.get(i)) {
                wire.extend(raw_frame(0x89, Some(key), ping));
                events.push(Owned::Ping(ping.clone()));
                pongs.push(ping.clone());
            }
        }
        events.push(match &p.msg {
            Msg::Text(t) => Owned::Text(t.clone()),
            Msg::Binary(b) => Owned::Binary(b.clone()),
        });
    }
    (wire, events, pongs)
}

fn config(streaming: bool) -> Config {
    let mut c = Config::default();
    c.max_pending_pongs = 256;
    c.streaming = streaming;
    c
}

/// Streaming mode: glue the chunks back into messages.
fn unchunk(events: Vec<Owned>) -> Vec<Owned> {
    let mut out = Vec::new();
    let mut cur: Option<(MessageKind, Vec<u8>)> = None;
    for e in events {
        match e {
            Owned::Chunk {
                kind,
                data,
                first,
                last,
            } => {
                assert_eq!(first, cur.is_none());
                let (_, buf) = cur.get_or_insert((kind, Vec::new()));
                buf.extend(data);
                if last {
                    let (kind, buf) = cur.take().unwrap();
                    out.push(match kind {
                        MessageKind::Text => Owned::Text(String::from_utf8(buf).unwrap()),
                        MessageKind::Binary => Owned::Binary(buf),
                    });
                }
            }
            other => out.push(other),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn messages_arrive_exactly_as_sent(
        plans in proptest::collection::vec(plan(), 1..5),
        key in any::<[u8; 4]>(),
        chunks in proptest::collection::vec(1usize..40, 1..8),
        streaming in any::<bool>(),
    ) {
        let (wire, expected, pongs) = build(&plans, key);
        let now = Instant::now();
        let mut server = Connection::server(config(streaming), now);
        let seen = feed(&mut server, &wire, &chunks, now);
        prop_assert_eq!(seen.error, None);
        let events = if streaming { unchunk(seen.events) } else { seen.events };
        prop_assert_eq!(events, expected);
        let out = parse_frames(&seen.output).unwrap();
        prop_assert!(out.iter().all(|f| f.opcode == OpCode::Pong && !f.masked));
        let got: Vec<Vec<u8>> = out.into_iter().map(|f| f.payload).collect();
        prop_assert_eq!(got, pongs);
        prop_assert!(server.is_idle());
    }

    #[test]
    fn client_sends_what_the_server_receives(
        msgs in proptest::collection::vec(msg(), 1..5),
        max_frame in 0usize..50,
        chunks in proptest::collection::vec(1usize..40, 1..8),
    ) {
        let mut pair = {
            let mut c = Config::default();
            c.max_send_frame = max_frame;
            sockeye_proto::test_support::Pair::with_configs(c, Config::default())
        };
        let mut wire = Vec::new();
        for m in &msgs {
            match m {
                Msg::Text(t) => pair.client.send_text(t, &mut wire).unwrap(),
                Msg::Binary(b) => pair.client.send_binary(b, &mut wire).unwrap(),
            }
        }
        let seen = feed(&mut pair.server, &wire, &chunks, pair.now);
        let expected: Vec<Owned> = msgs.iter().map(|m| match m {
            Msg::Text(t) => Owned::Text(t.clone()),
            Msg::Binary(b) => Owned::Binary(b.clone()),
        }).collect();
        prop_assert_eq!(seen.events, expected);
    }
}

/// One fault and the close code RFC 6455 prescribes for it.
#[derive(Debug, Clone)]
enum Fault {
    ReservedOpcode(u8),
    RsvBit(u8),
    Unmasked,
    BadUtf8 { text: String, at: usize },
    OversizedControl(usize),
    FragmentedControl,
    BadCloseCode(u16),
    OneByteClose,
    ContinuationWithoutStart,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        prop_oneof![3u8..=7, 0xBu8..=0xF].prop_map(Fault::ReservedOpcode),
        prop_oneof![Just(0x40u8), Just(0x20), Just(0x10)].prop_map(Fault::RsvBit),
        Just(Fault::Unmasked),
        (".{1,40}", any::<prop::sample::Index>()).prop_map(|(text, i)| {
            let at = i.index(text.len());
            Fault::BadUtf8 { text, at }
        }),
        (126usize..300).prop_map(Fault::OversizedControl),
        Just(Fault::FragmentedControl),
        prop_oneof![
            0u16..1000,
            1004u16..=1006,
            Just(1015u16),
            1016u16..3000,
            5000u16..=u16::MAX
        ]
        .prop_map(Fault::BadCloseCode),
        Just(Fault::OneByteClose),
        Just(Fault::ContinuationWithoutStart),
    ]
}

impl Fault {
    fn wire(&self, key: [u8; 4]) -> (Vec<u8>, u16) {
        let k = Some(key);
        match self {
            Self::ReservedOpcode(op) => (raw_frame(0x80 | op, k, b"x"), 1002),
            Self::RsvBit(bit) => (raw_frame(0x82 | bit, k, b"x"), 1002),
            Self::Unmasked => (raw_frame(0x82, None, b"x"), 1002),
            Self::BadUtf8 { text, at } => {
                let mut bytes = text.as_bytes().to_vec();
                bytes[*at] = 0xFF; // never valid anywhere in UTF-8
                (raw_frame(0x81, k, &bytes), 1007)
            }
            Self::OversizedControl(n) => (raw_frame(0x89, k, &vec![0; *n]), 1002),
            Self::FragmentedControl => (raw_frame(0x09, k, b""), 1002),
            Self::BadCloseCode(c) => (raw_frame(0x88, k, &c.to_be_bytes()), 1002),
            Self::OneByteClose => (raw_frame(0x88, k, &[3]), 1002),
            Self::ContinuationWithoutStart => (raw_frame(0x80, k, b"x"), 1002),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn one_fault_gives_exactly_the_rfc_close_code(
        before in proptest::collection::vec(plan(), 0..3),
        fault in fault(),
        key in any::<[u8; 4]>(),
        chunks in proptest::collection::vec(1usize..40, 1..8),
        streaming in any::<bool>(),
    ) {
        let (mut wire, expected, _) = build(&before, key);
        let (bad, code) = fault.wire(key);
        wire.extend(bad);
        // Valid traffic after the fault must be ignored.
        wire.extend(raw_frame(0x81, Some(key), b"after"));
        let now = Instant::now();
        let mut server = Connection::server(config(streaming), now);
        let seen = feed(&mut server, &wire, &chunks, now);
        let err = seen.error.expect("fails");
        prop_assert_eq!(err.close_code().map(|c| c.as_u16()), Some(code));
        let events = if streaming { unchunk(seen.events) } else { seen.events };
        prop_assert_eq!(events, expected);
        let frames = parse_frames(&seen.output).unwrap();
        let last = frames.last().unwrap();
        prop_assert_eq!(last.opcode, OpCode::Close);
        prop_assert_eq!(&last.payload[..2], &code.to_be_bytes()[..]);
        prop_assert!(server.should_close_tcp());
    }
}

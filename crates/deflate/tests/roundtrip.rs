//! Round trips through two connections with permessage-deflate, both roles, every
//! takeover and window combination, fragmented and cut into arbitrary reads.

use std::time::Instant;

use proptest::prelude::*;
use sockeye_deflate::{DeflateOptions, Memory, PerMessageDeflate, SharedCompressor};
use sockeye_handshake::DeflateParams;
use sockeye_proto::test_support::{CounterMasks, Owned, feed, parse_frames};
use sockeye_proto::{Config, Connection, Role, Rsv};

fn params(snct: bool, cnct: bool, sbits: u8, cbits: u8) -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: snct,
        client_no_context_takeover: cnct,
        server_max_window_bits: sbits,
        client_max_window_bits: cbits,
    }
}

fn options(memory: Memory, threshold: usize) -> DeflateOptions {
    let mut o = DeflateOptions::new();
    o.memory = memory;
    o.threshold = threshold;
    o
}

fn pair(p: DeflateParams, o: DeflateOptions, config: Config) -> (Connection, Connection) {
    let now = Instant::now();
    let client = Connection::client(config.clone(), Box::new(CounterMasks::default()), now)
        .with_extension(Box::new(PerMessageDeflate::new(Role::Client, p, o)));
    let server = Connection::server(config, now).with_extension(Box::new(PerMessageDeflate::new(
        Role::Server,
        p,
        o,
    )));
    (client, server)
}

/// Messages that exercise the window: repeats within and across messages, far repeats,
/// incompressible bytes, text, tiny and empty ones.
fn messages(seed: u32) -> Vec<Vec<u8>> {
    let mut rng = <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(u64::from(seed));
    let mut noise = |n: usize| -> Vec<u8> { (0..n).map(|_| rng.random::<u8>()).collect() };
    let text = "Faust: Habe nun, ach! Philosophie, Juristerei und Medizin, ".repeat(40);
    let far = [noise(3000), noise(300), noise(3000)].concat();
    vec![
        text.clone().into_bytes(),
        text.into_bytes(),
        noise(5000),
        far.clone(),
        Vec::new(),
        b"tiny".to_vec(),
        vec![b'z'; 100_000],
        far,
        "ünïcødé 🦀 ".repeat(300).into_bytes(),
    ]
}

fn check_round_trip(p: DeflateParams, o: DeflateOptions, cuts: &[usize], max_send_frame: usize) {
    check_round_trip_in_pieces(p, o, cuts, max_send_frame, 0);
}

/// Sends `m` in pieces of `piece` bytes (`send_fragment`), an empty last piece when the
/// length divides evenly (as Autobahn's fragmenter does).
fn send_in_pieces(tx: &mut Connection, text: bool, m: &[u8], piece: usize, wire: &mut Vec<u8>) {
    let kind = if text {
        sockeye_proto::MessageKind::Text
    } else {
        sockeye_proto::MessageKind::Binary
    };
    // The receiver allows 4,096 fragments per message (then one per 64 payload bytes):
    // pieces stay large enough that a 100 kB message of compressible bytes, whose
    // fragments are a few bytes each on the wire, keeps under that bound.
    let piece = piece.max(m.len().div_ceil(4000));
    let mut chunks: Vec<&[u8]> = m.chunks(piece).collect();
    // A short last chunk carries FIN; otherwise an empty frame does.
    let last: &[u8] = match chunks.last() {
        Some(c) if c.len() < piece => chunks.pop().unwrap_or_default(),
        _ => &[],
    };
    for chunk in &chunks {
        tx.send_fragment(kind, chunk, false, wire).unwrap();
    }
    tx.send_fragment(kind, last, true, wire).unwrap();
}

/// As [`check_round_trip`]; with `piece`, every other message is sent in pieces of that
/// size (so streamed and whole messages share the context in turn).
fn check_round_trip_in_pieces(
    p: DeflateParams,
    o: DeflateOptions,
    cuts: &[usize],
    max_send_frame: usize,
    piece: usize,
) {
    let mut config = Config::default();
    config.max_send_frame = max_send_frame;
    let (mut client, mut server) = pair(p, o, config);
    let now = Instant::now();
    for (i, m) in messages(cuts.len() as u32).iter().enumerate() {
        let text = i % 3 != 2 && std::str::from_utf8(m).is_ok();
        let expected = if text {
            Owned::Text(String::from_utf8(m.clone()).unwrap())
        } else {
            Owned::Binary(m.clone())
        };
        for from_client in [true, false] {
            let (tx, rx) = if from_client {
                (&mut client, &mut server)
            } else {
                (&mut server, &mut client)
            };
            let mut wire = Vec::new();
            if piece > 0 && i % 2 == 0 {
                send_in_pieces(tx, text, m, piece, &mut wire);
            } else if text {
                tx.send_text(std::str::from_utf8(m).unwrap(), &mut wire)
                    .unwrap();
            } else {
                tx.send_binary(m, &mut wire).unwrap();
            }
            let frames = parse_frames(&wire).unwrap();
            assert!(frames.iter().skip(1).all(|f| f.rsv == Rsv::NONE));
            let seen = feed(rx, &wire, cuts, now);
            assert!(
                seen.error.is_none(),
                "{p:?} {o:?} message {i}: {:?}",
                seen.error
            );
            assert_eq!(
                seen.events,
                std::slice::from_ref(&expected),
                "{p:?} {o:?} message {i}"
            );
        }
    }
    assert!(client.is_idle() && server.is_idle());
}

#[test]
fn every_takeover_and_window_combination_round_trips_both_ways() {
    for snct in [false, true] {
        for cnct in [false, true] {
            for (sbits, cbits) in [(15, 15), (8, 15), (15, 8), (9, 12), (8, 8), (11, 9)] {
                for memory in [Memory::Keep, Memory::Release] {
                    let p = params(snct, cnct, sbits, cbits);
                    check_round_trip(p, options(memory, 0), &[usize::MAX], 0);
                    check_round_trip(p, options(memory, 64), &[777], 1000);
                }
            }
        }
    }
}

#[test]
fn messages_sent_in_pieces_round_trip_for_every_combination() {
    for snct in [false, true] {
        for cnct in [false, true] {
            for (sbits, cbits) in [(15, 15), (8, 15), (15, 8), (9, 12), (8, 8)] {
                for memory in [Memory::Keep, Memory::Release] {
                    let p = params(snct, cnct, sbits, cbits);
                    for piece in [1000, 4096, 300] {
                        check_round_trip_in_pieces(p, options(memory, 0), &[999], 0, piece);
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn arbitrary_reads_and_fragments_round_trip(
        cuts in proptest::collection::vec(1usize..5000, 1..6),
        snct: bool, cnct: bool, sbits in 8u8..=15, cbits in 8u8..=15,
        frag in prop_oneof![Just(0usize), 1usize..3000],
        release: bool,
    ) {
        let memory = if release { Memory::Release } else { Memory::Keep };
        check_round_trip(params(snct, cnct, sbits, cbits), options(memory, 16), &cuts, frag);
    }

    #[test]
    fn arbitrary_pieces_round_trip(
        cuts in proptest::collection::vec(1usize..5000, 1..4),
        snct: bool, cnct: bool, sbits in 8u8..=15, cbits in 8u8..=15,
        piece in 1usize..6000,
        release: bool,
    ) {
        let memory = if release { Memory::Release } else { Memory::Keep };
        check_round_trip_in_pieces(params(snct, cnct, sbits, cbits), options(memory, 16), &cuts, 0, piece);
    }
}

#[test]
fn short_messages_go_uncompressed_and_incompressible_fresh_ones_too() {
    let p = params(true, false, 15, 15);
    let (mut client, mut server) = pair(p, DeflateOptions::new(), Config::default());
    let mut wire = Vec::new();
    let short = "x".repeat(DeflateOptions::DEFAULT_THRESHOLD - 1);
    server.send_text(&short, &mut wire).unwrap();
    server.send_text(&"y".repeat(1000), &mut wire).unwrap();
    // Random bytes: the server takes no context over, so it may send them as they are.
    let noise = messages(7).swap_remove(2);
    server.send_binary(&noise, &mut wire).unwrap();
    let frames = parse_frames(&wire).unwrap();
    assert_eq!(frames[0].rsv, Rsv::NONE);
    assert_eq!(frames[0].payload, short.as_bytes());
    assert_eq!(frames[1].rsv, Rsv::RSV1);
    assert!(frames[1].payload.len() < 20);
    assert_eq!(frames[2].rsv, Rsv::NONE, "incompressible");
    let seen = feed(&mut client, &wire, &[3], Instant::now());
    assert_eq!(seen.events.len(), 3);
}

#[test]
fn one_shared_compressor_serves_many_interleaved_connections() {
    let shared = SharedCompressor::new(1, 15);
    let p = params(true, false, 15, 15);
    let now = Instant::now();
    let mut servers: Vec<Connection> = Vec::new();
    let mut clients: Vec<Connection> = Vec::new();
    for _ in 0..20 {
        let ext = PerMessageDeflate::new(Role::Server, p, DeflateOptions::new())
            .with_shared_compressor(shared.clone());
        assert!(ext.uses_shared_compressor());
        servers.push(Connection::server(Config::default(), now).with_extension(Box::new(ext)));
        let ext = PerMessageDeflate::new(Role::Client, p, DeflateOptions::new());
        clients.push(
            Connection::client(Config::default(), Box::new(CounterMasks::default()), now)
                .with_extension(Box::new(ext)),
        );
    }
    for round in 0..5 {
        for (i, (s, c)) in servers.iter_mut().zip(clients.iter_mut()).enumerate() {
            let text = format!("connection {i} round {round}: ").repeat(10 + i);
            let mut wire = Vec::new();
            s.send_text(&text, &mut wire).unwrap();
            assert_eq!(parse_frames(&wire).unwrap()[0].rsv, Rsv::RSV1);
            let seen = feed(c, &wire, &[5], now);
            assert_eq!(seen.events, [Owned::Text(text)]);
        }
    }
    // A connection that takes context over, or whose window is smaller, keeps its own.
    for p in [params(false, false, 15, 15), params(true, false, 10, 15)] {
        let ext = PerMessageDeflate::new(Role::Server, p, DeflateOptions::new())
            .with_shared_compressor(shared.clone());
        assert!(!ext.uses_shared_compressor());
    }
}

#[test]
fn memory_modes_hold_what_they_promise() {
    use sockeye_proto::Extension;
    let p = params(true, true, 15, 15);
    let mut ext = PerMessageDeflate::new(Role::Server, p, options(Memory::Release, 0));
    assert_eq!(ext.holds_state(), (false, false), "nothing before use");
    let mut out = Vec::new();
    assert_eq!(
        ext.encode(
            sockeye_proto::MessageKind::Text,
            b"hello hello hello",
            &mut out
        ),
        Ok(Rsv::RSV1)
    );
    ext.start_message(sockeye_proto::MessageKind::Text, Rsv::RSV1)
        .unwrap();
    let mut back = Vec::new();
    let d = ext.decode(&out, true, &mut back, 1 << 20).unwrap();
    assert!(d.done);
    assert_eq!(back, b"hello hello hello");
    assert_eq!(
        ext.holds_state(),
        (false, false),
        "released after each message"
    );
    // Context takeover keeps both.
    let mut ext = PerMessageDeflate::new(
        Role::Server,
        params(false, false, 15, 15),
        options(Memory::Release, 0),
    );
    out.clear();
    ext.encode(
        sockeye_proto::MessageKind::Text,
        b"hello hello hello",
        &mut out,
    )
    .unwrap();
    assert_eq!(ext.holds_state(), (true, false));
}

#[test]
fn a_message_sent_as_one_piece_is_a_whole_message() {
    use sockeye_proto::{Extension, MessageKind};
    // A streaming echo answers every message that arrived in one read with one piece:
    // it must take the shared compressor, not make one of its own per message.
    let shared = SharedCompressor::new(1, 15);
    let p = params(true, false, 15, 15);
    let mut ext = PerMessageDeflate::new(Role::Server, p, options(Memory::Keep, 64))
        .with_shared_compressor(shared);
    let text = "one piece, one piece, one piece. ".repeat(20);
    let mut out = Vec::new();
    let rsv = ext
        .encode_fragment(MessageKind::Text, text.as_bytes(), true, true, &mut out)
        .unwrap();
    assert_eq!(rsv, Rsv::RSV1);
    assert!(out.len() * 4 < text.len());
    assert_eq!(
        ext.holds_state(),
        (false, false),
        "no compressor of its own"
    );
    // Incompressible, with a fresh window: sent as it is, like a whole message (§6.1).
    let noise = messages(7).swap_remove(2);
    out.clear();
    let rsv = ext
        .encode_fragment(MessageKind::Binary, &noise, true, true, &mut out)
        .unwrap();
    assert_eq!((rsv, out.len()), (Rsv::NONE, 0));
    // A message in several pieces still needs its own compressor (between the pieces
    // the shared one serves other connections).
    out.clear();
    ext.encode_fragment(MessageKind::Text, text.as_bytes(), true, false, &mut out)
        .unwrap();
    assert_eq!(ext.holds_state(), (true, false));
}

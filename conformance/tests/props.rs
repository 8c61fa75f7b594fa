//! Property suites: generated fragmented sequences (random messages, random fragment
//! sizes including empty fragments, pings and pongs interleaved, random TCP chunking)
//! come back exactly; a single fault ends in the close code RFC 6455 prescribes. In
//! memory against both roles of sockeye-proto, and over loopback TCP against an echo
//! server (the same cases through `run_case` with a TCP transport: pointing it at the
//! real `sockeye echo` server is a matter of changing the URL).

#![allow(clippy::print_stderr)]

mod support;

use std::time::Duration;

use proptest::prelude::*;
use sockeye_conformance::sequences::{Fault, SeqMessage, Sequence};
use sockeye_conformance::{
    Chunking, Opening, Options, SutRole, Timing, Verdict, run_case, run_case_in_memory,
};
use sockeye_driver::DriverConfig;

fn message() -> impl Strategy<Value = SeqMessage> {
    let text = prop::collection::vec(any::<char>(), 0..40)
        .prop_map(|c| (true, String::from_iter(c).into_bytes()));
    let binary = prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| (false, b));
    let big = (any::<bool>(), 1000usize..70_000).prop_map(|(t, n)| {
        (
            t,
            (0..n).map(|i| b'a' + (i % 26) as u8).collect::<Vec<u8>>(),
        )
    });
    prop_oneof![4 => text, 4 => binary, 1 => big].prop_flat_map(|(text, payload)| {
        let len = payload.len();
        let cuts = prop::collection::vec(0..=len, 0..6).prop_map(|mut c| {
            c.sort_unstable();
            c
        });
        let control = prop::option::weighted(
            0.3,
            (
                prop::bool::weighted(0.8),
                prop::collection::vec(any::<u8>(), 0..=125),
            ),
        );
        let controls = prop::collection::vec(control, 0..8);
        (Just(text), Just(payload), cuts, controls).prop_map(|(text, payload, cuts, controls)| {
            SeqMessage {
                text,
                payload,
                cuts,
                controls,
            }
        })
    })
}

fn fault() -> impl Strategy<Value = Fault> {
    let bad_utf8 = prop_oneof![
        Just(b"\xed\xa0\x80".to_vec()),
        Just(b"\xf4\x90\x80\x80".to_vec()),
        Just(b"\xc0\xaf".to_vec()),
        Just(b"\xff".to_vec()),
        Just(b"\x80".to_vec()),
        Just(b"\xe0\x80\x80".to_vec()),
    ];
    prop_oneof![
        prop_oneof![3u8..=7, 11u8..=15].prop_map(Fault::ReservedOpcode),
        (1u8..=7).prop_map(Fault::ReservedBits),
        Just(Fault::WrongMask),
        (126usize..=200).prop_map(Fault::LongPing),
        Just(Fault::FragmentedPing),
        Just(Fault::StrayContinuation),
        Just(Fault::NestedMessage),
        (
            prop::collection::vec(any::<char>(), 0..10),
            bad_utf8,
            prop_oneof![Just(0usize), 1usize..5]
        )
            .prop_map(|(p, bad, frag)| Fault::InvalidUtf8 {
                prefix: String::from_iter(p).into_bytes(),
                bad,
                frag,
            }),
        Just(Fault::CloseOneByte),
        prop_oneof![
            Just(0u16),
            Just(999),
            Just(1004),
            Just(1005),
            Just(1006),
            Just(1015),
            Just(2000),
            Just(5000)
        ]
        .prop_map(Fault::CloseBadCode),
        Just(Fault::CloseBadReason),
    ]
}

fn sequence(with_fault: bool) -> impl Strategy<Value = Sequence> {
    let messages = prop::collection::vec(message(), 0..6);
    let after = prop::collection::vec(message(), 0..3);
    let fault = if with_fault {
        fault().prop_map(Some).boxed()
    } else {
        Just(None).boxed()
    };
    (messages, fault, after).prop_map(|(messages, fault, after)| Sequence {
        messages,
        fault,
        after,
    })
}

fn in_memory(seq: &Sequence, role: SutRole, seed: u64) -> Result<(), TestCaseError> {
    let case = seq.to_case("prop");
    let r = run_case_in_memory(
        &case,
        role,
        &DriverConfig::default(),
        Chunking::Random(seed),
        &Options::default(),
    );
    prop_assert_eq!(r.behavior, Verdict::Ok, "{:?}: {}", role, r.reason());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_message_comes_back_exactly(seq in sequence(false), seed in any::<u64>()) {
        in_memory(&seq, SutRole::Server, seed)?;
        in_memory(&seq, SutRole::Client, seed)?;
    }

    #[test]
    fn a_single_fault_ends_with_the_rfc_close_code(seq in sequence(true), seed in any::<u64>()) {
        in_memory(&seq, SutRole::Server, seed)?;
        in_memory(&seq, SutRole::Client, seed)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// The same sequences over loopback TCP against the real `sockeye-server` echo
    /// server (what `sockeye echo` runs), with the TCP chunking the kernel chooses.
    #[test]
    fn over_loopback_tcp(seq in sequence(true), clean in any::<bool>()) {
        let seq = if clean { Sequence { fault: None, ..seq } } else { seq };
        let server = sockeye_server_url();
        let url = sockeye_handshake::WsUrl::parse(server).unwrap();
        let addr = sockeye_conformance::tcp::resolve(&url).unwrap();
        let mut t = sockeye_conformance::tcp::connect(addr, Duration::from_secs(2)).unwrap();
        let r = run_case(&seq.to_case("prop"), Opening::Client(&url), &mut t, &Timing::default(), 3);
        prop_assert_eq!(r.behavior, Verdict::Ok, "{}", r.reason());
    }
}

/// One `sockeye-server` echo server for this test binary (2 threads, defaults).
fn sockeye_server_url() -> &'static str {
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        let mut config = sockeye_server::ServerConfig::default();
        config.threads = 2;
        let server = sockeye_server::Server::bind(
            "127.0.0.1:0".parse().unwrap(),
            config,
            sockeye_server::Echo,
        )
        .unwrap();
        let url = format!("ws://{}/", server.local_addr());
        std::mem::forget(server); // lives as long as the test process
        url
    })
}

//! The extension seam, proven with a toy transform: RSV1 means "payload bytes reversed".

use std::time::Instant;

use sockeye_proto::test_support::{CounterMasks, client_frame, feed, parse_frames};
use sockeye_proto::{
    CloseCode, Config, Connection, Extension, ExtensionError, MessageKind, Rsv, Violation,
};

#[derive(Debug)]
struct Reverse;

impl Extension for Reverse {
    fn rsv(&self) -> Rsv {
        Rsv::RSV1
    }

    fn decode(
        &mut self,
        _kind: MessageKind,
        _rsv: Rsv,
        input: &[u8],
        out: &mut Vec<u8>,
        _max_len: u64,
    ) -> Result<(), ExtensionError> {
        if input.first() == Some(&b'!') {
            // Pretend corrupt data.
            return Err(ExtensionError {
                code: CloseCode::INVALID_PAYLOAD,
            });
        }
        out.extend(input.iter().rev());
        Ok(())
    }

    fn encode(
        &mut self,
        _kind: MessageKind,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Rsv, ExtensionError> {
        if input.len() < 3 {
            return Ok(Rsv::NONE); // too short to bother: sent as is
        }
        out.extend(input.iter().rev());
        Ok(Rsv::RSV1)
    }
}

fn pair() -> (Connection, Connection) {
    let now = Instant::now();
    let client = Connection::client(Config::default(), Box::new(CounterMasks::default()), now)
        .with_extension(Box::new(Reverse));
    let server = Connection::server(Config::default(), now).with_extension(Box::new(Reverse));
    (client, server)
}

#[test]
fn transformed_messages_round_trip_and_are_validated_after_decoding() {
    let (mut client, mut server) = pair();
    let now = Instant::now();
    let mut wire = Vec::new();
    client.send_text("héllo", &mut wire).unwrap();
    client.send_text("ab", &mut wire).unwrap();
    let frames = parse_frames(&wire).unwrap();
    assert_eq!(frames[0].rsv, Rsv::RSV1);
    assert!(
        std::str::from_utf8(&frames[0].payload).is_err(),
        "reversed é"
    );
    assert_eq!(frames[1].rsv, Rsv::NONE);
    for cuts in [&[usize::MAX][..], &[1], &[3]] {
        let (_, mut server) = pair();
        let seen = feed(&mut server, &wire, cuts, now);
        assert_eq!(
            seen.events,
            [
                sockeye_proto::test_support::Owned::Text("héllo".into()),
                sockeye_proto::test_support::Owned::Text("ab".into())
            ]
        );
    }
    // A fragmented transformed message: RSV1 on the first frame only.
    let mut wire = client_frame(0x41, b"cb");
    wire.extend(client_frame(0x80, b"a"));
    let seen = feed(&mut server, &wire, &[usize::MAX], now);
    assert_eq!(
        seen.events,
        [sockeye_proto::test_support::Owned::Text("abc".into())]
    );
}

#[test]
fn extension_bits_in_the_wrong_place_are_1002() {
    let now = Instant::now();
    let cases: [Vec<u8>; 3] = [
        // RSV1 on a continuation.
        [client_frame(0x01, b"a"), client_frame(0xC0, b"b")].concat(),
        // RSV1 on a control frame.
        client_frame(0xC9, b""),
        // RSV2: not the extension's.
        client_frame(0xA1, b"x"),
    ];
    for wire in cases {
        let (_, mut server) = pair();
        let seen = feed(&mut server, &wire, &[usize::MAX], now);
        assert_eq!(seen.close_code(), Some(1002), "{wire:02x?}");
    }
}

#[test]
fn decoding_failure_uses_the_extensions_code() {
    let (_, mut server) = pair();
    let seen = feed(
        &mut server,
        &client_frame(0xC2, b"!bad"),
        &[usize::MAX],
        Instant::now(),
    );
    assert!(matches!(
        seen.error,
        Some(sockeye_proto::Error::Protocol {
            kind: Violation::Extension,
            ..
        })
    ));
    assert_eq!(seen.close_code(), Some(1007));
}

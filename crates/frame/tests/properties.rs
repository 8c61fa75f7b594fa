//! Property tests of the frame codec.

use proptest::prelude::*;
use sockeye_frame::{
    Error, FrameHeader, OpCode, ParseConfig, Rsv, Status, apply_mask, parse_header,
};

fn opcode() -> impl Strategy<Value = OpCode> {
    prop_oneof![
        Just(OpCode::Continuation),
        Just(OpCode::Text),
        Just(OpCode::Binary),
        Just(OpCode::Close),
        Just(OpCode::Ping),
        Just(OpCode::Pong),
    ]
}

/// Payload lengths around every encoding boundary, plus arbitrary ones.
fn payload_len() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..=130,
        (65_530u64..=65_540),
        Just((1u64 << 63) - 1),
        any::<u64>().prop_map(|l| l >> 1),
    ]
}

/// Any header `FrameHeader::new` accepts.
fn header() -> impl Strategy<Value = FrameHeader> {
    (
        any::<bool>(),
        0u8..8,
        opcode(),
        any::<Option<[u8; 4]>>(),
        payload_len(),
    )
        .prop_map(|(fin, rsv, op, mask, len)| {
            let (fin, len) = if op.is_control() {
                (true, len % 126)
            } else {
                (fin, len)
            };
            FrameHeader::new(fin, Rsv::from_bits(rsv).unwrap(), op, mask, len).unwrap()
        })
}

fn permissive() -> ParseConfig {
    ParseConfig::new()
        .allowed_rsv(Rsv::ALL)
        .max_payload_len(u64::MAX)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// encode → parse gives back the same header, using exactly the encoded bytes.
    #[test]
    fn encode_parse_round_trip(h in header(), trailing in proptest::collection::vec(any::<u8>(), 0..16)) {
        let mut wire = h.encode().to_vec();
        prop_assert_eq!(wire.len(), h.len());
        wire.extend_from_slice(&trailing);
        let parsed = parse_header(&wire, &permissive()).unwrap().complete().unwrap();
        prop_assert_eq!(parsed, h);
        prop_assert_eq!(parsed.len(), h.len());
    }

    /// Every proper prefix of a valid header is Incomplete; once two bytes are present the
    /// number of bytes reported missing is exact; the full header parses the same.
    #[test]
    fn every_split_point_agrees(h in header()) {
        let wire = h.encode();
        for cut in 0..wire.len() {
            match parse_header(&wire[..cut], &permissive()).unwrap() {
                Status::Incomplete(n) => {
                    if cut >= 2 {
                        prop_assert_eq!(n.get(), wire.len() - cut);
                    } else {
                        prop_assert!(n.get() <= wire.len() - cut);
                    }
                }
                Status::Complete(_) => prop_assert!(false, "complete at {} of {}", cut, wire.len()),
            }
        }
        prop_assert_eq!(parse_header(&wire, &permissive()).unwrap(), Status::Complete(h));
    }

    /// Arbitrary bytes never panic, and a complete result never claims more bytes than
    /// were given; an error on a prefix stays an error (or the same error) with more bytes.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..32), rsv in 0u8..8, max in any::<u64>()) {
        let config = ParseConfig::new().allowed_rsv(Rsv::from_bits(rsv).unwrap()).max_payload_len(max);
        match parse_header(&bytes, &config) {
            Ok(Status::Complete(h)) => {
                prop_assert!(h.len() <= bytes.len());
                prop_assert!(h.payload_len() <= max);
                prop_assert_eq!(&h.encode()[..], &bytes[..h.len()]);
            }
            Ok(Status::Incomplete(n)) => prop_assert!(n.get() >= 1),
            Err(e) => {
                // Fail fast is stable: more bytes never turn an error into success.
                let mut longer = bytes.clone();
                longer.extend_from_slice(&[0u8; 14]);
                prop_assert_eq!(parse_header(&longer, &config), Err(e));
                let _ = e.close_code();
            }
        }
    }

    /// Unmasking in arbitrary pieces equals unmasking at once.
    #[test]
    fn unmask_in_pieces(data in proptest::collection::vec(any::<u8>(), 0..600),
                        key in any::<[u8; 4]>(),
                        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8)) {
        let mut whole = data.clone();
        apply_mask(&mut whole, key, 0);
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(data.len() + 1)).collect();
        points.sort_unstable();
        let mut pieces = data.clone();
        let mut start = 0;
        for end in points.into_iter().chain(std::iter::once(data.len())) {
            apply_mask(&mut pieces[start..end], key, start);
            start = end;
        }
        prop_assert_eq!(&pieces, &whole);
        // And masking twice is the identity.
        apply_mask(&mut pieces, key, 0);
        prop_assert_eq!(pieces, data);
    }

    /// The payload limit is checked from the header alone.
    #[test]
    fn payload_limit(len in 126u64..1_000_000, max in 0u64..1_000_000) {
        let h = FrameHeader::new(true, Rsv::NONE, OpCode::Binary, None, len).unwrap();
        let config = ParseConfig::new().max_payload_len(max);
        let got = parse_header(&h.encode(), &config);
        if len > max {
            prop_assert_eq!(got, Err(Error::PayloadTooLarge { len, max }));
        } else {
            prop_assert_eq!(got, Ok(Status::Complete(h)));
        }
    }
}

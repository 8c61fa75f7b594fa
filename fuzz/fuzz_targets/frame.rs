#![no_main]
//! Parses arbitrary bytes as a frame, unmasks the payload in two pieces, re-encodes, and
//! checks the codec's invariants:
//! - a complete header re-encodes to exactly the bytes it was parsed from;
//! - parsing is stable under splitting: every prefix is Incomplete or the same error;
//! - unmasking in two pieces equals unmasking at once, and masking twice is the identity;
//! - a close payload that validates round-trips through `ControlFrame::close`.
use libfuzzer_sys::fuzz_target;
use sockeye_frame::{
    ControlFrame, OpCode, ParseConfig, Rsv, Status, apply_mask, parse_close_payload, parse_header,
};

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, wire)) = data.split_first() else {
        return;
    };
    let config = ParseConfig::new()
        .allowed_rsv(Rsv::from_bits(knobs & 0b111).unwrap_or(Rsv::NONE))
        .max_payload_len(if knobs & 0x80 != 0 { 1 << 16 } else { u64::MAX });
    let result = parse_header(wire, &config);

    // Every prefix agrees with the whole: Incomplete before the header ends, the same
    // header once it is all there, and an error found in a prefix is the whole's error.
    for cut in 0..=wire.len().min(14) {
        let prefix = parse_header(&wire[..cut], &config);
        match (&prefix, &result) {
            (Ok(Status::Incomplete(_)), Ok(Status::Complete(h))) => assert!(cut < h.len()),
            (Ok(Status::Incomplete(_)), _) => {}
            (Ok(Status::Complete(p)), Ok(Status::Complete(h))) => {
                assert_eq!(p, h);
                assert!(cut >= h.len());
            }
            (Err(e), Err(whole)) => assert_eq!(e, whole),
            _ => panic!("prefix {cut} gave {prefix:?}, whole {result:?}"),
        }
    }

    let Ok(Status::Complete(header)) = result else {
        return;
    };
    assert_eq!(&header.encode()[..], &wire[..header.len()]);
    assert!(header.payload_len() <= config.get_max_payload_len());
    if header.opcode().is_control() {
        assert!(header.fin() && header.payload_len() <= 125);
    }

    let body = &wire[header.len()..];
    let available = body
        .len()
        .min(usize::try_from(header.payload_len()).unwrap_or(usize::MAX));
    let original = &body[..available];
    let Some(key) = header.mask() else { return };

    let mut whole = original.to_vec();
    apply_mask(&mut whole, key, 0);
    let split = usize::from(knobs) % (available + 1);
    let mut pieces = original.to_vec();
    let (a, b) = pieces.split_at_mut(split);
    apply_mask(a, key, 0);
    apply_mask(b, key, split);
    assert_eq!(whole, pieces);
    apply_mask(&mut pieces, key, 0);
    assert_eq!(pieces, original);

    if header.opcode() == OpCode::Close && available as u64 == header.payload_len() {
        if let Ok(Some(close)) = parse_close_payload(&whole) {
            let frame = ControlFrame::close(close.code, close.reason, None).unwrap();
            assert_eq!(&frame[2..], &whole[..]);
        }
    }
});

//! RFC 6455 §5.7 example frames, byte for byte, in both directions: each parses to the
//! header the RFC describes, and encoding that header and payload gives the same bytes.

use sockeye_frame::{
    ControlFrame, FrameHeader, OpCode, ParseConfig, Rsv, Status, apply_mask, parse_header,
};

/// Parses `wire` as one whole frame and returns its header and unmasked payload.
fn decode(wire: &[u8]) -> (FrameHeader, Vec<u8>) {
    let config = ParseConfig::new();
    let Ok(Status::Complete(h)) = parse_header(wire, &config) else {
        panic!("not a complete frame: {wire:02x?}")
    };
    let mut payload = wire[h.len()..].to_vec();
    assert_eq!(payload.len() as u64, h.payload_len(), "trailing bytes");
    if let Some(key) = h.mask() {
        apply_mask(&mut payload, key, 0);
    }
    (h, payload)
}

/// Encodes a frame from its parts (masking the payload if a key is given).
fn encode(fin: bool, opcode: OpCode, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let h = FrameHeader::new(fin, Rsv::NONE, opcode, mask, payload.len() as u64).unwrap();
    let mut out = h.encode().to_vec();
    let at = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut out[at..], key, 0);
    }
    out
}

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

#[test]
fn single_frame_unmasked_text() {
    let wire = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let (h, payload) = decode(&wire);
    assert!(h.fin() && h.opcode() == OpCode::Text && h.mask().is_none());
    assert_eq!(payload, b"Hello");
    assert_eq!(encode(true, OpCode::Text, None, b"Hello"), wire);
}

#[test]
fn single_frame_masked_text() {
    let wire = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let (h, payload) = decode(&wire);
    assert_eq!(
        (h.opcode(), h.mask(), h.len()),
        (OpCode::Text, Some(KEY), 6)
    );
    assert_eq!(payload, b"Hello");
    assert_eq!(encode(true, OpCode::Text, Some(KEY), b"Hello"), wire);
}

#[test]
fn fragmented_unmasked_text() {
    let first = [0x01, 0x03, 0x48, 0x65, 0x6c];
    let second = [0x80, 0x02, 0x6c, 0x6f];
    let (h1, p1) = decode(&first);
    let (h2, p2) = decode(&second);
    assert_eq!((h1.fin(), h1.opcode()), (false, OpCode::Text));
    assert_eq!((h2.fin(), h2.opcode()), (true, OpCode::Continuation));
    assert_eq!([p1, p2].concat(), b"Hello");
    assert_eq!(encode(false, OpCode::Text, None, b"Hel"), first);
    assert_eq!(encode(true, OpCode::Continuation, None, b"lo"), second);
}

#[test]
fn unmasked_ping_and_masked_pong() {
    let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let pong = [
        0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let (h, payload) = decode(&ping);
    assert_eq!(
        (h.opcode(), payload.as_slice()),
        (OpCode::Ping, &b"Hello"[..])
    );
    let (h, payload) = decode(&pong);
    assert_eq!(
        (h.opcode(), payload.as_slice()),
        (OpCode::Pong, &b"Hello"[..])
    );
    assert_eq!(&ControlFrame::ping(b"Hello", None).unwrap()[..], ping);
    assert_eq!(&ControlFrame::pong(b"Hello", Some(KEY)).unwrap()[..], pong);
}

#[test]
fn binary_256_bytes_unmasked() {
    let payload: Vec<u8> = (0..=255u8).collect();
    let mut wire = vec![0x82, 0x7E, 0x01, 0x00];
    wire.extend_from_slice(&payload);
    let (h, p) = decode(&wire);
    assert_eq!(
        (h.opcode(), h.payload_len(), h.len()),
        (OpCode::Binary, 256, 4)
    );
    assert_eq!(p, payload);
    assert_eq!(encode(true, OpCode::Binary, None, &payload), wire);
}

#[test]
fn binary_64_kib_unmasked() {
    let payload: Vec<u8> = (0..65536u32).map(|i| i as u8).collect();
    let mut wire = vec![0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00];
    wire.extend_from_slice(&payload);
    let (h, p) = decode(&wire);
    assert_eq!(
        (h.opcode(), h.payload_len(), h.len()),
        (OpCode::Binary, 65536, 10)
    );
    assert_eq!(p, payload);
    assert_eq!(encode(true, OpCode::Binary, None, &payload), wire);
}

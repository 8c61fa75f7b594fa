//! Parses and builds frames with sockeye-frame and prints what it sees.
//!
//! `cargo run --release -p sockeye-frame --example frames [HEX]`
//!
//! With no argument it walks through the RFC 6455 §5.7 examples; with a hex string (e.g.
//! `818537fa213d7f9f4d5158`) it parses that as a sequence of frames.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use sockeye_frame::{
    CloseCode, ControlFrame, FrameHeader, OpCode, ParseConfig, Rsv, Status, apply_mask,
    parse_close_payload, parse_header,
};

fn main() -> ExitCode {
    let input = match std::env::args().nth(1) {
        Some(hex) => match decode_hex(&hex) {
            Some(bytes) => bytes,
            None => {
                eprintln!("not a hex string: {hex}");
                return ExitCode::FAILURE;
            }
        },
        None => examples(),
    };
    println!("{} bytes: {}", input.len(), hex(&input));
    let config = ParseConfig::new().max_payload_len(1 << 24);
    let mut at = 0;
    while at < input.len() {
        match parse_header(&input[at..], &config) {
            Ok(Status::Complete(h)) => {
                let start = at + h.len();
                let end = start
                    .saturating_add(h.payload_len() as usize)
                    .min(input.len());
                let mut payload = input[start..end].to_vec();
                if let Some(key) = h.mask() {
                    apply_mask(&mut payload, key, 0);
                }
                println!(
                    "frame: fin={} rsv={:?} opcode={:?} mask={:02x?} len={} header={}B",
                    h.fin(),
                    h.rsv(),
                    h.opcode(),
                    h.mask(),
                    h.payload_len(),
                    h.len()
                );
                describe(h.opcode(), &payload);
                if (end - start) as u64 != h.payload_len() {
                    println!(
                        "  (payload truncated: {} of {} bytes)",
                        end - start,
                        h.payload_len()
                    );
                    break;
                }
                at = end;
            }
            Ok(Status::Incomplete(n)) => {
                println!("incomplete header: {n} more byte(s) needed");
                break;
            }
            Err(e) => {
                println!(
                    "invalid frame: {e} (fail the connection with {})",
                    e.close_code()
                );
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

fn describe(opcode: OpCode, payload: &[u8]) {
    match opcode {
        OpCode::Close => match parse_close_payload(payload) {
            Ok(Some(body)) => println!("  close: code {} reason {:?}", body.code, body.reason),
            Ok(None) => println!("  close without status"),
            Err(e) => println!("  invalid close: {e}"),
        },
        _ => match std::str::from_utf8(payload) {
            Ok(text) if payload.len() <= 64 => println!("  payload: {text:?}"),
            _ => println!("  payload: {} bytes", payload.len()),
        },
    }
}

/// The RFC 6455 §5.7 examples, then a masked close built with the encoder.
fn examples() -> Vec<u8> {
    let mut wire = Vec::new();
    wire.extend_from_slice(&[0x81, 0x05, b'H', b'e', b'l', b'l', b'o']);
    wire.extend_from_slice(&[
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ]);
    wire.extend_from_slice(&[0x01, 0x03, b'H', b'e', b'l', 0x80, 0x02, b'l', b'o']);
    wire.extend_from_slice(&[0x89, 0x05, b'H', b'e', b'l', b'l', b'o']);
    let header = FrameHeader::new(true, Rsv::NONE, OpCode::Binary, None, 256).expect("valid");
    wire.extend_from_slice(&header.encode());
    wire.extend((0..=255u8).collect::<Vec<_>>());
    let close = ControlFrame::close(CloseCode::NORMAL, "bye", Some([1, 2, 3, 4])).expect("valid");
    wire.extend_from_slice(&close);
    wire
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    let shown: String = bytes.iter().take(40).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > 40 {
        format!("{shown}...")
    } else {
        shown
    }
}

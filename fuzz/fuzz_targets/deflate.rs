//! sockeye-deflate's inflater through sockeye-proto: arbitrary compressed payloads in
//! arbitrary fragments and reads, with small limits, in both modes and every window.
//!
//! Asserts: no panic; no message's decoded bytes go past the limit (whole messages and the
//! sum of a streamed message's chunks); no streaming chunk is over `STREAM_CHUNK`; and
//! called directly, `decode` never appends more than `max_out` or consumes more than given.
//!
//! `cargo fuzz run -s none deflate`
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use sockeye_deflate::{DeflateOptions, Memory, PerMessageDeflate};
use sockeye_handshake::DeflateParams;
use sockeye_proto::{Config, Connection, Event, Extension, MessageKind, Role, Rsv, STREAM_CHUNK};

fn masked(b0: u8, payload: &[u8]) -> Vec<u8> {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut out = vec![b0];
    let len = payload.len();
    if len < 126 {
        out.push(0x80 | len as u8);
    } else {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    }
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i & 3]));
    out
}

fuzz_target!(|data: &[u8]| {
    let [flags, bits, limit, split, rest @ ..] = data else {
        return;
    };
    let rest = &rest[..rest.len().min(60_000)];
    let p = DeflateParams {
        server_no_context_takeover: flags & 1 != 0,
        client_no_context_takeover: flags & 2 != 0,
        server_max_window_bits: 8 + bits % 8,
        client_max_window_bits: 8 + (bits >> 4) % 8,
    };
    let mut options = DeflateOptions::new();
    options.memory = if flags & 4 != 0 {
        Memory::Release
    } else {
        Memory::Keep
    };
    let max = u64::from(*limit) * 64 + 1;

    // 1. The extension alone: bounds of one call.
    let mut ext = PerMessageDeflate::new(Role::Server, p, options);
    ext.start_message(MessageKind::Binary, Rsv::RSV1).unwrap();
    let mut out = Vec::new();
    let mut at = 0;
    let step = usize::from(*split).max(1);
    for _ in 0..10_000 {
        let end = (at + step).min(rest.len());
        let before = out.len();
        let max_out = usize::from(*limit) + 1;
        let Ok(d) = ext.decode(&rest[at..end], end == rest.len(), &mut out, max_out) else {
            break;
        };
        assert!(out.len() - before <= max_out, "more than max_out");
        assert!(d.consumed <= end - at);
        at += d.consumed;
        out.clear();
        if d.done {
            break;
        }
    }

    // 2. Through a connection: fragments of `split` bytes, reads of `limit` bytes.
    for streaming in [false, true] {
        let mut config = Config::default();
        config.max_message_size = max;
        config.streaming = streaming;
        let ext = PerMessageDeflate::new(Role::Server, p, options);
        let mut conn = Connection::server(config, Instant::now()).with_extension(Box::new(ext));
        let pieces: Vec<&[u8]> = rest.chunks(usize::from(*split).max(1)).collect();
        let mut wire = Vec::new();
        for (i, piece) in pieces.iter().enumerate() {
            let op = if i == 0 {
                0x40 | if flags & 8 != 0 { 1 } else { 2 }
            } else {
                0
            };
            let fin = if i + 1 == pieces.len() { 0x80 } else { 0 };
            wire.extend(masked(op | fin, piece));
        }
        let read = usize::from(*limit).max(1) * 16;
        let mut message = 0u64;
        let mut at = 0;
        'reads: while at < wire.len() {
            let end = (at + read).min(wire.len());
            let mut p = at;
            loop {
                let r = match conn.recv(&mut wire[p..end], Instant::now()) {
                    Ok(r) => r,
                    Err(_) => break 'reads,
                };
                p += r.consumed;
                match r.event {
                    None => break,
                    Some(Event::Text(t)) => assert!(t.len() as u64 <= max),
                    Some(Event::Binary(b)) => assert!(b.len() as u64 <= max),
                    Some(Event::Chunk { data, last, .. }) => {
                        assert!(data.len() <= STREAM_CHUNK);
                        message += data.len() as u64;
                        assert!(message <= max, "streamed past the limit");
                        if last {
                            message = 0;
                        }
                    }
                    Some(_) => {}
                }
            }
            at = end;
        }
    }
});

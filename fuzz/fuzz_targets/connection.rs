//! sockeye-proto's connection fed arbitrary bytes in arbitrary splits, in both roles.
//!
//! Asserts: no panic; `recv` consumes within bounds and everything when it reports no
//! event; every byte the connection writes is a sequence of well-formed frames (re-parsed
//! with sockeye-frame), masked exactly when the writer is a client, with nothing after a
//! close frame; the state only moves forward.
//!
//! `cargo fuzz run -s none connection`
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use sockeye_deflate::{DeflateOptions, PerMessageDeflate};
use sockeye_frame::{OpCode, ParseConfig, Rsv, Status, parse_header};
use sockeye_handshake::DeflateParams;
use sockeye_proto::{CloseCode, Config, Connection, Event, MaskSource, Role};

struct Masks(u32);

impl MaskSource for Masks {
    fn mask_key(&mut self) -> [u8; 4] {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        self.0.to_be_bytes()
    }
}

/// Checks that `out` is whole, well-formed frames as `role` sends them.
fn check_output(out: &[u8], role: Role, deflate: bool) {
    let rsv = if deflate { Rsv::RSV1 } else { Rsv::NONE };
    let config = ParseConfig::new()
        .allowed_rsv(rsv)
        .max_payload_len(u64::MAX >> 1);
    let mut rest = out;
    let mut closed = false;
    while !rest.is_empty() {
        assert!(!closed, "bytes after a close frame");
        let Ok(Status::Complete(h)) = parse_header(rest, &config) else {
            panic!(
                "malformed output frame: {:02x?}",
                &rest[..rest.len().min(16)]
            );
        };
        assert_eq!(h.is_masked(), role == Role::Client, "§5.1/§5.3 masking");
        let end = h.len() + h.payload_len() as usize;
        assert!(end <= rest.len(), "truncated output frame");
        if h.opcode() == OpCode::Close {
            closed = true;
            let mut payload = rest[h.len()..end].to_vec();
            if let Some(key) = h.mask() {
                sockeye_frame::apply_mask(&mut payload, key, 0);
            }
            assert!(
                sockeye_frame::parse_close_payload(&payload).is_ok(),
                "bad close sent"
            );
        }
        rest = &rest[end..];
    }
}

fn run(role: Role, flags: u8, deflate: bool, splits: &[u8], data: &[u8]) {
    let t0 = Instant::now();
    let mut config = Config::default();
    config.streaming = flags & 1 != 0;
    config.auto_pong = flags & 2 == 0;
    config.max_pending_pongs = u16::from(flags >> 5);
    if flags & 4 != 0 {
        config.max_frame_payload = 64;
        config.max_message_size = 100;
        config.fragment_allowance = 4;
    }
    if flags & 8 != 0 {
        config.keepalive_interval = Some(Duration::from_secs(1));
    }
    config.max_send_frame = usize::from(flags & 0x10) / 4; // 0 or 4
    let mut conn = match role {
        Role::Server => Connection::server(config, t0),
        Role::Client => Connection::client(config, Box::new(Masks(7)), t0),
    };
    if deflate {
        // permessage-deflate negotiated: RSV1 messages are inflated, replies compressed.
        let ext = PerMessageDeflate::new(role, DeflateParams::default(), DeflateOptions::new());
        conn = conn.with_extension(Box::new(ext));
    }
    let mut wire = Vec::new(); // everything this side writes
    let mut input = data.to_vec();
    let mut at = 0;
    let mut state = conn.state();
    let mut step = 0usize;
    let mut now = t0;
    while at < input.len() {
        let size = usize::from(
            splits
                .get(step % splits.len().max(1))
                .copied()
                .unwrap_or(255),
        ) + 1;
        step += 1;
        let end = (at + size).min(input.len());
        let mut p = at;
        // The recv contract: call until no event, even with the input used up.
        loop {
            let piece_len = end - p;
            let r = match conn.recv(&mut input[p..end], now) {
                Ok(r) => r,
                Err(_) => break,
            };
            assert!(r.consumed <= piece_len);
            p += r.consumed;
            match r.event {
                None => {
                    assert_eq!(p, end, "no event but input left");
                    break;
                }
                Some(Event::Text(t)) => {
                    let _ = r.sender.send_text(t, &mut wire);
                }
                Some(Event::Binary(b)) => {
                    let _ = r.sender.send_binary(b, &mut wire);
                }
                Some(Event::Ping(b)) => {
                    let _ = r.sender.pong(b, &mut wire);
                }
                Some(Event::Chunk {
                    kind, data, last, ..
                }) => {
                    let _ = r.sender.send_fragment(kind, data, last, &mut wire);
                }
                Some(_) => {}
            }
        }
        at = end;
        conn.poll_transmit(&mut wire);
        // Time passes; timers and a local close now and then.
        now += Duration::from_millis(300 * u64::from(size as u8 & 7));
        if let Some(deadline) = conn.poll_timeout() {
            if deadline <= now {
                let _ = conn.handle_timeout(now);
                conn.poll_transmit(&mut wire);
            }
        }
        if size == 200 {
            let _ = conn.close(CloseCode::NORMAL, "fuzz", now, &mut wire);
        }
        let s = conn.state();
        assert!(s >= state, "state went back: {state:?} -> {s:?}");
        state = s;
    }
    let _ = conn.recv_eof();
    conn.poll_transmit(&mut wire);
    assert!(conn.should_close_tcp());
    check_output(&wire, role, deflate);
}

fuzz_target!(|data: &[u8]| {
    let [flags, n, rest @ ..] = data else { return };
    // The split count's top bit installs permessage-deflate.
    let deflate = *n & 0x80 != 0;
    let n = usize::from(*n % 8).min(rest.len());
    let (splits, bytes) = rest.split_at(n);
    run(Role::Server, *flags, deflate, splits, bytes);
    run(Role::Client, *flags, deflate, splits, bytes);
});

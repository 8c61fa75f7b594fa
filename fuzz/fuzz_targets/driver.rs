//! sockeye-driver's whole connection life fed arbitrary bytes in arbitrary splits, in both
//! roles, handshake included, interleaved with application actions, timers and partial
//! writes.
//!
//! The input's first bytes choose the role and knobs; the rest is a script: each step is
//! either a piece of peer input (arbitrary length), an application action (text, fragment,
//! pre-framed broadcast, ping, close), a partial write, a timer jump or EOF.
//!
//! Asserts: no panic; `recv` consumes within bounds and, with no event, everything; queued
//! output stays under the configured cap (plus a close frame); once a server or client is
//! open, everything it writes after its handshake head is whole, well-formed frames, masked
//! exactly for a client, never a data frame inside a fragmented message, nothing after a
//! close frame; the stage only moves forward; a finished driver reads and writes nothing.
//!
//! `cargo fuzz run -s none driver`
#![no_main]

use std::sync::Arc;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use sockeye_driver::{Bytes, Driver, DriverConfig, Event, Stage};
use sockeye_frame::{OpCode, ParseConfig, Rsv, Status, parse_header};
use sockeye_handshake::{Accept, ClientRequest, WsUrl};
use sockeye_proto::{CloseCode, Connection, MaskSource, MessageKind};

struct Masks(u32);

impl MaskSource for Masks {
    fn mask_key(&mut self) -> [u8; 4] {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        self.0.to_be_bytes()
    }
}

/// A valid request, so that the server side gets past the handshake often.
const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// Checks the frames a side wrote after its head: whole, well-formed, masked for a client,
/// no interleaved message, nothing after a close. A driver that finished (its transport
/// given up) may have left its last frame half written.
fn check_frames(mut rest: &[u8], client: bool, finished: bool) {
    let config = ParseConfig::new()
        .allowed_rsv(Rsv::NONE)
        .max_payload_len(u64::MAX >> 1);
    let (mut closed, mut fragmenting) = (false, false);
    while !rest.is_empty() {
        assert!(!closed, "bytes after a close frame");
        let h = match parse_header(rest, &config) {
            Ok(Status::Complete(h)) => h,
            Ok(Status::Incomplete(_)) if finished => return,
            _ => panic!(
                "malformed output frame: {:02x?}",
                &rest[..rest.len().min(16)]
            ),
        };
        assert_eq!(h.is_masked(), client, "§5.1/§5.3 masking");
        let end = h.len() + h.payload_len() as usize;
        if end > rest.len() {
            assert!(finished, "truncated output frame");
            return;
        }
        match h.opcode() {
            OpCode::Text | OpCode::Binary => {
                assert!(!fragmenting, "a message inside a fragmented one (§5.4)");
                fragmenting = !h.fin();
            }
            OpCode::Continuation => {
                assert!(fragmenting, "a continuation outside a message");
                fragmenting = !h.fin();
            }
            OpCode::Close => closed = true,
            _ => {}
        }
        rest = &rest[end..];
    }
}

fn stage_rank(stage: Stage) -> u8 {
    match stage {
        Stage::Connecting => 0,
        Stage::Handshake => 1,
        Stage::Open => 2,
        Stage::Closing => 3,
        _ => 4,
    }
}

fuzz_target!(|data: &[u8]| {
    let [knobs, script @ ..] = data else { return };
    let client = knobs & 1 != 0;
    let t0 = Instant::now();
    let mut config = DriverConfig::default();
    config.write_high_water = 256;
    config.max_write_buffer = 4096;
    config.connection.streaming = knobs & 2 != 0;
    config.connection.max_message_size = 1 << 12;
    config.connection.max_frame_payload = 1 << 12;
    config.connection.keepalive_interval = (knobs & 4 != 0).then(|| Duration::from_secs(1));
    let config = Arc::new(config);
    let mut driver = if client {
        let url = WsUrl::parse("ws://a/").unwrap_or_else(|_| unreachable!());
        let request = ClientRequest::new(&url, [9; 16]);
        let mut d = Driver::client(config.clone(), request, Box::new(Masks(3)), t0);
        d.connected(t0);
        d
    } else if knobs & 8 != 0 {
        Driver::from_connection(
            config.clone(),
            Connection::server(config.connection.clone(), t0),
            t0,
        )
    } else {
        Driver::server(config.clone(), t0)
    };
    let mut now = t0;
    let mut wire = Vec::new(); // everything written
    let mut opened = false; // frames follow the head in `wire`
    let mut rank = stage_rank(driver.stage());
    let mut prelude: Vec<u8> = if !client && knobs & 16 != 0 {
        REQUEST.to_vec()
    } else {
        Vec::new()
    };
    let mut i = 0;
    while i < script.len() {
        let op = script[i];
        i += 1;
        let len = usize::from(op >> 3);
        match op & 7 {
            0 | 1 => {
                // Peer input: the prelude first, then `len` script bytes. Like a real
                // front end, nothing is read while the driver does not want input
                // (back-pressure is what bounds its output against a peer that sends
                // but does not read).
                let take = len.min(script.len() - i);
                if !driver.wants_read() {
                    i += take;
                    continue;
                }
                let mut input = std::mem::take(&mut prelude);
                input.extend_from_slice(&script[i..i + take]);
                i += take;
                let mut at = 0;
                loop {
                    let total = input.len();
                    let Ok(r) = driver.recv(&mut input[at..], now) else {
                        break;
                    };
                    assert!(r.consumed <= total - at);
                    at += r.consumed;
                    let mut outbox = r.outbox;
                    match r.event {
                        None => {
                            assert_eq!(at, total, "no event but input left");
                            break;
                        }
                        Some(Event::Request(_)) => {
                            let _ = driver.accept(&Accept::new(), now);
                        }
                        Some(Event::Text(t)) if op & 1 != 0 => {
                            let _ = outbox.send_text(t);
                        }
                        Some(Event::Binary(b)) if op & 1 != 0 => {
                            let _ = outbox.send_binary(b);
                        }
                        Some(_) => {}
                    }
                }
            }
            2 => {
                let _ = driver.outbox(now).send_text(&"x".repeat(len * 7));
            }
            3 => {
                let kind = if len & 1 != 0 {
                    MessageKind::Binary
                } else {
                    MessageKind::Text
                };
                let _ =
                    driver
                        .outbox(now)
                        .send_fragment(kind, &[b'y'; 20][..len % 20], len & 2 != 0);
            }
            4 => {
                let mut frame = Vec::new();
                Connection::encode_server_text(&"b".repeat(len * 11), &mut frame);
                let _ = driver.outbox(now).send_frame(&Bytes::from(frame));
            }
            5 => {
                if len & 1 != 0 {
                    let _ = driver.outbox(now).ping(&[b'p'; 125][..len.min(125)]);
                } else {
                    let _ = driver
                        .outbox(now)
                        .close(CloseCode::new(1000 + len as u16), "bye");
                }
            }
            6 => {
                // The socket takes `len * 8` bytes; a shutdown when asked.
                let out = driver.poll_output();
                let n = (len * 8).min(out.len());
                wire.extend_from_slice(&out[..n]);
                driver.written(n);
                if driver.wants_write_shutdown() {
                    driver.write_shut();
                }
            }
            _ => {
                if len == 0 {
                    let _ = driver.recv_eof(now);
                } else {
                    now += Duration::from_millis(len as u64 * 250);
                    let _ = driver.handle_timeout(now);
                }
            }
        }
        // The cap, plus what one read may add beyond it: pongs (at most 32 pending, 131
        // bytes each) and a close frame.
        let bound = config.max_write_buffer + 32 * 131 + 256;
        assert!(
            driver.queued() <= bound,
            "output over its cap: {}",
            driver.queued()
        );
        let r = stage_rank(driver.stage());
        assert!(r >= rank, "the stage went back");
        rank = r;
        opened |= driver.stage() == Stage::Open;
        if driver.is_finished() {
            assert!(
                driver.poll_output().is_empty(),
                "a finished driver writes nothing"
            );
        }
    }
    wire.extend_from_slice(driver.poll_output());
    if opened {
        // After the 101 (server) or the request (client), frames; no head when the
        // driver started open.
        let frames = if knobs & 8 != 0 && !client {
            &wire[..]
        } else {
            let Some(end) = wire.windows(4).position(|w| w == b"\r\n\r\n") else {
                return;
            };
            &wire[end + 4..]
        };
        check_frames(frames, client, driver.is_finished());
    }
});

//! sockeye-driver's TLS layer fed hostile bytes, in both roles.
//!
//! - Mode 0: arbitrary bytes, in arbitrary reads, into a TLS server (records cut anywhere,
//!   lengths, content types and handshake messages that lie).
//! - Mode 1: a real handshake and echo between a TLS client and a TLS server, with one
//!   byte of one direction's ciphertext flipped at a chosen offset (a corrupted record,
//!   alert, handshake message or close_notify), in arbitrary reads.
//!
//! Asserts: no panic; `recv` consumes within bounds; the buffers a connection holds stay
//! bounded (the stash by its limit plus a read, output by what was queued); a failed
//! session moves on to closing; an undamaged exchange echoes every message intact.
//!
//! `cargo fuzz run -s none tls`
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use sockeye_driver::tls::dev::DevPki;
use sockeye_driver::tls::{TlsClientConfig, TlsServerConfig};
use sockeye_driver::{Driver, DriverConfig, Event, Stage};
use sockeye_handshake::{Accept, ClientRequest, WsUrl};
use sockeye_proto::MaskSource;

struct Masks(u32);

impl MaskSource for Masks {
    fn mask_key(&mut self) -> [u8; 4] {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        self.0.to_be_bytes()
    }
}

/// The most one connection may hold: a stash of a handshake message and a record, a
/// read's decrypted bytes, and output under its chunking.
const MOST_HELD: usize = 2 << 20;

fn configs() -> &'static (Arc<DriverConfig>, Arc<DriverConfig>) {
    static CONFIGS: OnceLock<(Arc<DriverConfig>, Arc<DriverConfig>)> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let pki = DevPki::new().unwrap();
        let server: TlsServerConfig = pki.server_config(&["localhost"]).unwrap();
        let client: TlsClientConfig = pki.client_config().unwrap();
        let mut s = DriverConfig::default();
        s.tls_server = Some(server);
        s.connection.max_message_size = 1 << 16;
        s.connection.max_frame_payload = 1 << 16;
        let mut c = DriverConfig::default();
        c.tls_client = Some(client);
        (Arc::new(s), Arc::new(c))
    })
}

/// Feeds `bytes` in reads sized from `splits`; accepts requests; echoes messages when
/// `echo`, else keeps the binary ones in `got`. Whether the driver failed.
fn feed(
    driver: &mut Driver,
    bytes: &[u8],
    splits: &mut impl Iterator<Item = u8>,
    now: Instant,
    echo: bool,
    got: &mut Vec<u8>,
) -> bool {
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = usize::from(splits.next().unwrap_or(255)).max(1) * 7;
        let (read, tail) = rest.split_at(n.min(rest.len()));
        rest = tail;
        let mut input = read.to_vec();
        let mut at = 0;
        loop {
            let len = input.len() - at;
            let r = match driver.recv(&mut input[at..], now) {
                Ok(r) => r,
                Err(_) => {
                    assert!(
                        matches!(driver.stage(), Stage::Closing | Stage::Finished),
                        "a failed driver still {:?}",
                        driver.stage()
                    );
                    return true;
                }
            };
            assert!(r.consumed <= len, "consumed {} of {len}", r.consumed);
            at += r.consumed;
            let mut outbox = r.outbox;
            let Some(event) = r.event else { break };
            let request = matches!(event, Event::Request(_));
            match event {
                Event::Text(t) if echo => {
                    let _ = outbox.send_text(t);
                }
                Event::Binary(b) if echo => {
                    let _ = outbox.send_binary(b);
                }
                Event::Binary(b) => got.extend_from_slice(b),
                _ => {}
            }
            if request {
                let _ = driver.accept(&Accept::new(), now);
            }
        }
        assert!(driver.buffered_capacity() <= MOST_HELD, "{}", driver.buffered_capacity());
    }
    false
}

fn take_output(driver: &mut Driver) -> Vec<u8> {
    let mut all = Vec::new();
    for _ in 0..10_000 {
        let out = driver.poll_output();
        if out.is_empty() {
            break;
        }
        let n = out.len();
        all.extend_from_slice(out);
        driver.written(n);
    }
    all
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    let (server_config, client_config) = configs();
    let now = Instant::now();
    let mut server = Driver::server(server_config.clone(), now);
    if mode % 2 == 0 {
        let half = data.len() / 2;
        let (splits, bytes) = data.split_at(half.min(64));
        let mut splits = splits.iter().copied().cycle();
        feed(&mut server, bytes, &mut splits, now, true, &mut Vec::new());
        let _ = take_output(&mut server);
        return;
    }
    // Mode 1: a real session, one byte of one direction flipped.
    if data.len() < 6 {
        return;
    }
    let offset = usize::from(u16::from_be_bytes([data[0], data[1]]));
    let flip = data[2] | 1;
    let to_server = data[3] % 2 == 0;
    let (splits, messages) = data[4..].split_at((data.len() - 4).min(32));
    let mut splits = splits.iter().copied().cycle();
    let url = WsUrl::parse("wss://localhost/").unwrap();
    let request = ClientRequest::new(&url, [9; 16]);
    let mut client =
        Driver::client_tls(client_config.clone(), request, "localhost", Box::new(Masks(1)), now)
            .unwrap();
    client.connected(now);
    let mut sent = [0usize; 2];
    let mut failed = false;
    let mut flipped = false;
    let mut queued = false;
    let mut got = Vec::new();
    for _ in 0..64 {
        let mut moved = false;
        for to_server_now in [true, false] {
            let (from, to) = if to_server_now {
                (&mut client, &mut server)
            } else {
                (&mut server, &mut client)
            };
            let mut bytes = take_output(from);
            if bytes.is_empty() {
                continue;
            }
            moved = true;
            let before = sent[usize::from(to_server_now)];
            sent[usize::from(to_server_now)] += bytes.len();
            if to_server_now == to_server && (before..before + bytes.len()).contains(&offset) {
                bytes[offset - before] ^= flip;
                flipped = true;
            }
            failed |= feed(to, &bytes, &mut splits, now, to_server_now, &mut got);
        }
        if !queued && client.is_open() {
            queued = true;
            for chunk in messages.chunks(97) {
                let _ = client.outbox(now).send_binary(chunk);
            }
        }
        if !moved {
            break;
        }
    }
    if !flipped {
        assert!(!failed, "an undamaged session failed");
        let want: Vec<u8> = messages.chunks(97).flatten().copied().collect();
        assert_eq!(got, want, "echoes differ");
    }
});

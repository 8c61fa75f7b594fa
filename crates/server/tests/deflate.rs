//! permessage-deflate against hostile peers, over loopback: compression bombs (whole and
//! fragmented), RSV1 where RFC 7692 forbids it, corrupt data, hostile offers. Each gets
//! the RFC's close code or decline, and a canary connection on the same event loop keeps
//! exchanging compressed messages throughout.
//!
//! The compressed frames are made with flate2 here, not with `sockeye-deflate`, so the
//! server is checked against an independent encoder.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::RawClient;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use sockeye_frame::{OpCode, Rsv};
use sockeye_server::{Echo, Server, ServerConfig};

/// The message limit of these tests' server: the bombs inflate far past it.
const LIMIT: u64 = 1 << 20;

fn server() -> Server {
    let mut config = ServerConfig::default();
    config.threads = 1;
    config.connection.max_message_size = LIMIT;
    Server::bind("127.0.0.1:0".parse().unwrap(), config, Echo).unwrap()
}

/// RFC 7692 §7.2.1 with a fresh window: compress, sync-flush, drop the 4-octet tail.
fn deflate(data: &[u8]) -> Vec<u8> {
    let mut z = Compress::new(Compression::fast(), false);
    let mut out = Vec::with_capacity(data.len() / 2 + 1024);
    loop {
        let at = z.total_in() as usize;
        if out.len() == out.capacity() {
            out.reserve(out.capacity());
        }
        z.compress_vec(&data[at..], &mut out, FlushCompress::Sync)
            .unwrap();
        if z.total_in() as usize == data.len() && out.len() < out.capacity() {
            break;
        }
    }
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}

/// §7.2.2 for a server without context takeover: each message inflates on its own.
fn inflate(data: &[u8]) -> Vec<u8> {
    let mut input = data.to_vec();
    input.extend_from_slice(&[0, 0, 0xff, 0xff]);
    let mut z = Decompress::new(false);
    let mut out = Vec::with_capacity(4096);
    while (z.total_in() as usize) < input.len() {
        if out.len() == out.capacity() {
            out.reserve(out.capacity());
        }
        let at = z.total_in() as usize;
        z.decompress_vec(&input[at..], &mut out, FlushDecompress::Sync)
            .unwrap();
    }
    out
}

/// What a browser offers.
const BROWSER_OFFER: &str = "permessage-deflate; client_max_window_bits";

fn deflate_client(addr: SocketAddr) -> RawClient {
    let (client, status, agreed) = RawClient::connect_offering(addr, BROWSER_OFFER);
    assert_eq!(status, 101);
    let agreed = agreed.expect("permessage-deflate accepted");
    assert!(agreed.starts_with("permessage-deflate"), "{agreed}");
    client
}

fn chat(i: usize) -> String {
    let one = format!(r#"{{"room":"general","user":"canary","id":{i},"text":"still here"}}"#);
    format!("[{}]", vec![one; 20].join(","))
}

/// One compressed message there and back: the echo is compressed too, and inflates to
/// what was sent.
fn round_trip(c: &mut RawClient, i: usize) {
    let text = chat(i);
    let frame = c.frame_rsv(true, Rsv::RSV1, OpCode::Text, &deflate(text.as_bytes()));
    c.send_raw(&frame);
    let (rsv, echo) = c.recv_rsv().expect("the canary's echo");
    assert_eq!(
        (echo.fin, echo.opcode, rsv),
        (true, OpCode::Text, Rsv::RSV1)
    );
    assert!(echo.payload.len() * 4 < text.len(), "compressed echo");
    assert_eq!(inflate(&echo.payload), text.as_bytes());
}

/// Runs `attack` against a fresh server with a canary open beside it; the canary
/// exchanges a message before and after.
fn with_canary(attack: impl FnOnce(SocketAddr)) {
    let server = server();
    let addr = server.local_addr();
    let mut canary = deflate_client(addr);
    round_trip(&mut canary, 0);
    attack(addr);
    round_trip(&mut canary, 1);
    canary.send_close(1000, "");
    assert_eq!(canary.expect_close(), Some(1000));
}

/// 64 MiB of zeros, about 64 KiB compressed: 64 times the limit.
fn bomb() -> Vec<u8> {
    deflate(&vec![0; 64 << 20])
}

#[test]
fn a_whole_compression_bomb_is_1009() {
    let bomb = bomb();
    with_canary(|addr| {
        let mut c = deflate_client(addr);
        let frame = c.frame_rsv(true, Rsv::RSV1, OpCode::Binary, &bomb);
        let started = Instant::now();
        c.send_raw(&frame);
        // Echo streams: inflated pieces up to the limit may come back before the close.
        assert_eq!(c.expect_close(), Some(1009));
        assert!(c.expect_eof());
        // Generous: inflating 1 MiB takes about a millisecond; 64 MiB would take seconds
        // in a debug build.
        assert!(started.elapsed() < Duration::from_secs(5));
    });
}

#[test]
fn a_fragmented_compression_bomb_is_1009() {
    let bomb = bomb();
    with_canary(|addr| {
        let mut c = deflate_client(addr);
        let pieces: Vec<&[u8]> = bomb.chunks(bomb.len() / 64 + 1).collect();
        for (i, piece) in pieces.iter().enumerate() {
            // §6.1: RSV1 on the first frame only.
            let (rsv, opcode) = if i == 0 {
                (Rsv::RSV1, OpCode::Binary)
            } else {
                (Rsv::NONE, OpCode::Continuation)
            };
            let frame = c.frame_rsv(i + 1 == pieces.len(), rsv, opcode, piece);
            // The server may close before the last fragment: a refused write ends it.
            if std::io::Write::write_all(&mut c.stream, &frame).is_err() {
                break;
            }
        }
        assert_eq!(c.expect_close(), Some(1009));
    });
}

#[test]
fn rsv1_on_a_control_frame_is_1002() {
    with_canary(|addr| {
        let mut c = deflate_client(addr);
        let ping = c.frame_rsv(true, Rsv::RSV1, OpCode::Ping, b"");
        c.send_raw(&ping);
        assert_eq!(c.expect_close(), Some(1002));
    });
}

#[test]
fn rsv1_on_a_continuation_frame_is_1002() {
    with_canary(|addr| {
        let mut c = deflate_client(addr);
        let first = c.frame_rsv(false, Rsv::RSV1, OpCode::Text, &deflate(b"first half, "));
        c.send_raw(&first);
        let rest = c.frame_rsv(true, Rsv::RSV1, OpCode::Continuation, &deflate(b"second"));
        c.send_raw(&rest);
        assert_eq!(c.expect_close(), Some(1002));
    });
}

#[test]
fn rsv1_without_the_extension_is_1002() {
    with_canary(|addr| {
        let mut c = RawClient::connect(addr, "/");
        let frame = c.frame_rsv(true, Rsv::RSV1, OpCode::Text, &deflate(b"hello"));
        c.send_raw(&frame);
        assert_eq!(c.expect_close(), Some(1002));
    });
}

#[test]
fn corrupt_compressed_data_is_1007() {
    with_canary(|addr| {
        // 0xff: a final block of the reserved type 3 (RFC 1951 §3.2.3: "11 - reserved
        // (error)"); then a stored block whose LEN and NLEN disagree.
        for payload in [
            &[0xff, 0xff, 0xff][..],
            &[0x00, 0x05, 0x00, 0x05, 0x00, b'x'],
        ] {
            let mut c = deflate_client(addr);
            let frame = c.frame_rsv(true, Rsv::RSV1, OpCode::Binary, payload);
            c.send_raw(&frame);
            assert_eq!(c.expect_close(), Some(1007), "{payload:?}");
        }
    });
}

/// Offers the server must decline, answering `101` without the extension (RFC 7692 §7:
/// "A server MUST decline an extension negotiation offer for this extension if any of
/// the following conditions are met").
#[test]
fn hostile_offers_are_declined_and_the_connection_works_uncompressed() {
    // 100 offers: as many as fit the 4 KiB header line limit (longer lines are 431)
    let absurd_list = vec!["permessage-deflate; nonsense=1"; 100].join(", ");
    let declined = [
        "permessage-deflate; server_max_window_bits=99999999999999999999999",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; client_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=08",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
        "permessage-deflate; x-unknown",
        absurd_list.as_str(),
    ];
    with_canary(|addr| {
        for offer in declined {
            let (mut c, status, agreed) = RawClient::connect_offering(addr, offer);
            let shown = &offer[..offer.len().min(80)];
            assert_eq!((status, agreed.as_deref()), (101, None), "{shown}");
            c.send(OpCode::Text, b"plain");
            let (rsv, echo) = c.recv_rsv().unwrap();
            assert_eq!((rsv, echo.payload.as_slice()), (Rsv::NONE, &b"plain"[..]));
        }
    });
}

#[test]
fn offers_are_read_in_order_past_hostile_ones() {
    // 80 bad offers (about all a 4 KiB header line holds), then an acceptable one:
    // accepted, in one linear pass.
    let mut list = vec!["permessage-deflate; server_max_window_bits=1"; 80];
    list.push("permessage-deflate");
    let offer = list.join(", ");
    with_canary(|addr| {
        let (mut c, status, agreed) = RawClient::connect_offering(addr, &offer);
        assert_eq!(status, 101);
        assert!(agreed.unwrap().starts_with("permessage-deflate"));
        round_trip(&mut c, 7);
    });
}

#[test]
fn an_offer_past_the_head_limit_is_431() {
    let offer = vec!["permessage-deflate"; 2000].join(", ");
    with_canary(|addr| {
        let (mut c, status, agreed) = RawClient::connect_offering(addr, &offer);
        assert_eq!((status, agreed), (431, None));
        assert!(c.expect_eof());
    });
}

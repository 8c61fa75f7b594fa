//! Transcripts: one side sends, the other sees events and answers with frames.
//! Every rule of RFC 6455 §5–§8 the connection enforces, with its close code.

use std::time::Duration;

use sockeye_frame::OpCode;
use sockeye_proto::test_support::{Owned, Pair, client_frame, feed, raw_frame};
use sockeye_proto::{
    CloseCode, Config, Connection, Error, MessageKind, State, TimeoutKind, Violation,
};

const TEXT: u8 = 0x81;
const BINARY: u8 = 0x82;
const CLOSE: u8 = 0x88;
const PING: u8 = 0x89;
const PONG: u8 = 0x8A;

fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason);
    p
}

/// The server receives `wire` and must fail with `code` in its close frame.
fn server_fails_with(wire: &[u8], code: u16) -> Error {
    let mut pair = Pair::new();
    let seen = pair.server_receives(wire);
    let err = seen.error.expect("server fails");
    assert_eq!(
        err.close_code().map(CloseCode::as_u16),
        Some(code),
        "{err:?}"
    );
    assert_eq!(seen.close_code(), Some(code), "close frame sent");
    assert_eq!(pair.server.state(), State::Closed);
    assert!(pair.server.should_close_tcp());
    err
}

#[test]
fn client_text_reaches_server_unmasked_and_echo_is_unmasked() {
    let mut pair = Pair::new();
    let wire = pair.client_sends(|c, out| c.send_text("Hello", out));
    assert_eq!(wire[0], TEXT);
    assert_eq!(wire[1], 0x80 | 5, "client frames are masked (§5.3)");
    let seen = pair.server_receives(&wire);
    assert_eq!(seen.events, [Owned::Text("Hello".into())]);
    let echo = pair.server_sends(|s, out| s.send_text("Hello", out));
    assert_eq!(
        echo, b"\x81\x05Hello",
        "server frames are not masked (§5.1)"
    );
    assert_eq!(
        pair.client_receives(&echo).events,
        [Owned::Text("Hello".into())]
    );
}

#[test]
fn client_uses_a_fresh_key_per_frame() {
    let mut pair = Pair::new();
    let a = pair.client_sends(|c, out| c.send_binary(b"same", out));
    let b = pair.client_sends(|c, out| c.send_binary(b"same", out));
    assert_ne!(a[2..6], b[2..6]);
}

#[test]
fn echo_from_the_event_without_copy() {
    let mut pair = Pair::new();
    let mut wire = pair.client_sends(|c, out| c.send_text("echo me", out));
    let mut out = Vec::new();
    let r = pair.server.recv(&mut wire, pair.now).unwrap();
    if let Some(sockeye_proto::Event::Text(t)) = r.event {
        r.sender.send_text(t, &mut out).unwrap();
    }
    assert_eq!(out, b"\x81\x07echo me");
}

#[test]
fn fragmented_message_with_ping_in_between() {
    let mut pair = Pair::new();
    let mut wire = client_frame(0x01, b"Hel");
    wire.extend(client_frame(PING, b"p1"));
    wire.extend(client_frame(0x80, b"lo"));
    for cuts in [&[usize::MAX][..], &[1], &[2, 3, 5]] {
        let mut server = Connection::server(Config::default(), pair.now);
        let seen = feed(&mut server, &wire, cuts, pair.now);
        assert_eq!(
            seen.events,
            [Owned::Ping(b"p1".to_vec()), Owned::Text("Hello".into())],
            "cuts {cuts:?}"
        );
        assert_eq!(seen.output, b"\x8A\x02p1", "auto-pong with the ping's data");
    }
    let _ = pair.server_receives(&[]);
}

#[test]
fn bytes_after_an_event_are_left_for_the_next_call() {
    let mut pair = Pair::new();
    let mut wire = client_frame(TEXT, b"a");
    wire.extend(client_frame(TEXT, b"b"));
    let first_len = wire.len() / 2;
    let r = pair.server.recv(&mut wire, pair.now).unwrap();
    assert_eq!(r.consumed, first_len);
    assert_eq!(r.event, Some(sockeye_proto::Event::Text("a")));
}

#[test]
fn continuation_without_a_message_is_1002() {
    let err = server_fails_with(&client_frame(0x80, b"x"), 1002);
    assert!(matches!(
        err,
        Error::Protocol {
            kind: Violation::UnexpectedContinuation,
            ..
        }
    ));
}

#[test]
fn new_message_inside_a_fragmented_one_is_1002() {
    let mut wire = client_frame(0x01, b"a");
    wire.extend(client_frame(TEXT, b"b"));
    let err = server_fails_with(&wire, 1002);
    assert!(matches!(
        err,
        Error::Protocol {
            kind: Violation::ExpectedContinuation,
            ..
        }
    ));
}

#[test]
fn role_rules_on_masking_are_1002() {
    let err = server_fails_with(&raw_frame(TEXT, None, b"hi"), 1002);
    assert!(matches!(
        err,
        Error::Protocol {
            kind: Violation::UnmaskedFrame,
            ..
        }
    ));
    let mut pair = Pair::new();
    let seen = pair.client_receives(&raw_frame(TEXT, Some([1, 2, 3, 4]), b"hi"));
    assert!(matches!(
        seen.error,
        Some(Error::Protocol {
            kind: Violation::MaskedFrame,
            ..
        })
    ));
    let frames = seen.frames();
    assert_eq!(frames[0].opcode, OpCode::Close);
    assert!(frames[0].masked, "the client's close is masked");
    assert_eq!(seen.close_code(), Some(1002));
}

#[test]
fn frame_level_rules_are_1002() {
    server_fails_with(&client_frame(0x83, b""), 1002); // reserved opcode
    server_fails_with(&client_frame(0x8B, b""), 1002); // reserved control opcode
    server_fails_with(&client_frame(0xC1, b"x"), 1002); // RSV1 without extension
    server_fails_with(&client_frame(0x09, b""), 1002); // fragmented ping
    server_fails_with(&client_frame(PING, &[0; 126]), 1002); // control over 125
}

#[test]
fn reserved_opcode_fails_on_its_first_byte() {
    let mut pair = Pair::new();
    let mut byte = [0x83u8];
    let err = pair.server.recv(&mut byte, pair.now).unwrap_err();
    assert_eq!(err.close_code(), Some(CloseCode::PROTOCOL_ERROR));
}

#[test]
fn invalid_utf8_is_1007() {
    server_fails_with(&client_frame(TEXT, b"ab\xffcd"), 1007);
    // A message ending inside a character (§8.1), fragmented.
    let mut wire = client_frame(0x01, "é".as_bytes());
    wire.extend(client_frame(0x80, b"\xe2\x82"));
    server_fails_with(&wire, 1007);
}

#[test]
fn invalid_utf8_fails_fast_inside_a_frame_still_arriving() {
    // A 100-byte text frame whose 4th payload byte can never be UTF-8, fed byte by byte:
    // the connection fails on that byte, long before the frame is complete.
    let mut payload = vec![b'a'; 100];
    payload[3] = 0xFF;
    let mut wire = client_frame(TEXT, &payload);
    let header_len = 2 + 4;
    let mut pair = Pair::new();
    let mut failed_at = None;
    for i in 0..wire.len() {
        if let Err(e) = pair.server.recv(&mut wire[i..=i], pair.now) {
            assert_eq!(e.close_code(), Some(CloseCode::INVALID_PAYLOAD));
            failed_at = Some(i);
            break;
        }
    }
    assert_eq!(failed_at, Some(header_len + 3));
    // Also for a sequence that goes wrong on its second byte (U+110000 and above).
    let mut wire = client_frame(TEXT, b"ok\xf4\x90\x80\x80 and more");
    let mut pair = Pair::new();
    let failed_at =
        (0..wire.len()).find(|&i| pair.server.recv(&mut wire[i..=i], pair.now).is_err());
    assert_eq!(failed_at, Some(header_len + 3));
}

#[test]
fn close_frame_rules() {
    server_fails_with(&client_frame(CLOSE, &[0x03]), 1002); // 1-byte body
    for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
        server_fails_with(&client_frame(CLOSE, &close_payload(code, b"")), 1002);
    }
    server_fails_with(&client_frame(CLOSE, &close_payload(1000, b"\xff")), 1007);
}

#[test]
fn peer_close_is_answered_with_its_code_and_server_closes_tcp() {
    let mut pair = Pair::new();
    let wire = pair.client_sends(|c, out| c.close(CloseCode::new(4000), "bye", pair_now(), out));
    assert_eq!(pair.client.state(), State::Closing);
    let seen = pair.server_receives(&wire);
    assert_eq!(
        seen.events,
        [Owned::Close(CloseCode::new(4000), "bye".into())]
    );
    assert_eq!(seen.close_code(), Some(4000), "echoed code (§5.5.1)");
    assert_eq!(pair.server.state(), State::Closed);
    assert!(
        pair.server.should_close_tcp(),
        "server closes TCP first (§7.1.1)"
    );
    // Nothing more may be sent.
    let mut out = Vec::new();
    assert_eq!(pair.server.send_text("late", &mut out), Err(Error::Closed));
    assert!(out.is_empty());
    // The client gets the reply: handshake done, it waits for the server's TCP close.
    let seen = pair.client_receives(&seen.output);
    assert_eq!(
        seen.events,
        [Owned::Close(CloseCode::new(4000), String::new())]
    );
    assert!(seen.output.is_empty(), "no second close");
    assert_eq!(pair.client.state(), State::Closed);
    assert!(!pair.client.should_close_tcp());
    assert_eq!(pair.client.recv_eof(), Ok(()), "clean");
    assert!(pair.client.should_close_tcp());
}

fn pair_now() -> std::time::Instant {
    std::time::Instant::now()
}

#[test]
fn empty_close_is_answered_with_empty_close() {
    let mut pair = Pair::new();
    let seen = pair.server_receives(&client_frame(CLOSE, b""));
    assert_eq!(
        seen.events,
        [Owned::Close(CloseCode::NO_STATUS_RECEIVED, String::new())]
    );
    assert_eq!(seen.output, [0x88, 0x00]);
}

#[test]
fn client_waits_for_the_servers_tcp_close_then_gives_up() {
    let mut pair = Pair::new();
    let close = pair.server_sends(|s, out| s.close(CloseCode::NORMAL, "", pair_now(), out));
    let seen = pair.client_receives(&close);
    assert_eq!(seen.close_code(), Some(1000));
    assert!(!pair.client.should_close_tcp());
    let deadline = pair.client.poll_timeout().expect("waiting for TCP close");
    assert_eq!(pair.client.handle_timeout(deadline), Ok(()));
    assert!(pair.client.should_close_tcp());
}

#[test]
fn close_handshake_times_out() {
    let mut pair = Pair::new();
    let now = pair.now;
    let mut out = Vec::new();
    pair.server
        .close(CloseCode::GOING_AWAY, "restart", now, &mut out)
        .unwrap();
    assert_eq!(
        pair.server.close(CloseCode::NORMAL, "", now, &mut out),
        Err(Error::Closed)
    );
    // Data still arrives while closing, but no pong goes out after our close.
    let seen = pair.server_receives(&client_frame(PING, b"x"));
    assert_eq!(seen.events, [Owned::Ping(b"x".to_vec())]);
    assert!(seen.output.is_empty());
    let deadline = pair.server.poll_timeout().unwrap();
    assert_eq!(deadline, now + Duration::from_secs(5));
    assert_eq!(pair.server.handle_timeout(now), Ok(()));
    assert_eq!(
        pair.server.handle_timeout(deadline),
        Err(Error::Timeout(TimeoutKind::Close))
    );
    assert!(pair.server.should_close_tcp());
}

#[test]
fn eof_before_the_close_handshake_is_1006() {
    let mut pair = Pair::new();
    let err = pair.server.recv_eof().unwrap_err();
    assert_eq!(err, Error::AbnormalClosure);
    assert_eq!(err.close_code(), Some(CloseCode::ABNORMAL));
    assert!(pair.server.should_close_tcp());
    // Anything after is ignored.
    let mut more = client_frame(TEXT, b"late");
    let n = more.len();
    let r = pair.server.recv(&mut more, pair.now).unwrap();
    assert_eq!((r.consumed, r.event), (n, None));
}

#[test]
fn input_after_failure_is_discarded() {
    let mut pair = Pair::new();
    let mut bad = client_frame(0x83, b"");
    assert!(pair.server.recv(&mut bad, pair.now).is_err());
    let mut good = client_frame(TEXT, b"ignored");
    let n = good.len();
    let r = pair.server.recv(&mut good, pair.now).unwrap();
    assert_eq!((r.consumed, r.event), (n, None));
}

/// The default fragment rule (`fragment_allowance` 4,096 frames, then one frame per 64
/// payload bytes): Autobahn 9.3.1's shape passes, floods of tiny frames do not.
#[test]
fn fragment_rule_lets_payload_pay_for_frames() {
    let server_with = |wire: &[u8]| Pair::new().server_receives(wire);
    // 4 MiB in 65,536 frames of 64 bytes and an empty final continuation: 65,537 frames.
    let chunk = [7u8; 64];
    let mut wire = client_frame(0x02, &chunk);
    for _ in 1..65_536 {
        wire.extend(client_frame(0x00, &chunk));
    }
    wire.extend(client_frame(0x80, b""));
    let seen = server_with(&wire);
    assert_eq!(seen.error, None);
    assert_eq!(seen.events, [Owned::Binary(vec![7; 4 << 20])]);

    // Empty continuations: the 4,096th frame is allowed, the 4,097th is not.
    let flood = |frames: usize| {
        let mut wire = client_frame(0x01, b"");
        for _ in 2..frames {
            wire.extend(client_frame(0x00, b""));
        }
        wire.extend(client_frame(0x80, b""));
        wire
    };
    assert_eq!(
        server_with(&flood(4096)).events,
        [Owned::Text(String::new())]
    );
    let seen = server_with(&flood(4097));
    assert!(matches!(
        seen.error,
        Some(Error::Protocol {
            kind: Violation::TooManyFragments,
            ..
        })
    ));
    assert_eq!(seen.close_code(), Some(1009));

    // 63-byte frames earn less than one frame each, so the allowance runs out slowly:
    // with an allowance of 10, after about 640 frames (k > 10 + 63k/64). 64-byte frames
    // would go on to the size limit.
    let mut config = Config::default();
    config.fragment_allowance = 10;
    config.fragment_bytes = 64;
    let mut pair = Pair::with_configs(Config::default(), config);
    let mut wire = client_frame(0x02, &[1; 63]);
    for _ in 0..700 {
        wire.extend(client_frame(0x00, &[1; 63]));
    }
    let seen = pair.server_receives(&wire);
    assert_eq!(seen.close_code(), Some(1009));
}

#[test]
fn size_limits_are_1009_from_the_announced_length() {
    let mut config = Config::default();
    config.max_frame_payload = 1000;
    config.max_message_size = 1500;
    config.fragment_allowance = 3;
    config.fragment_bytes = 0;
    let server_with = |wire: &[u8]| {
        let mut pair = Pair::with_configs(Config::default(), config.clone());
        pair.server_receives(wire)
    };
    // Only the header of a frame over the limit: failure without the payload.
    let header = &client_frame(BINARY, &[0; 1001])[..8];
    let seen = server_with(header);
    assert_eq!(seen.close_code(), Some(1009));
    // A message over the limit in fragments.
    let mut wire = client_frame(0x02, &[0; 1000]);
    wire.extend(&client_frame(0x80, &[0; 501])[..8]);
    assert_eq!(server_with(&wire).close_code(), Some(1009));
    // Too many fragments, empty ones count.
    let mut wire = client_frame(0x02, b"");
    wire.extend(client_frame(0x00, b""));
    wire.extend(client_frame(0x00, b""));
    wire.extend(client_frame(0x80, b""));
    let seen = server_with(&wire);
    assert!(matches!(
        seen.error,
        Some(Error::Protocol {
            kind: Violation::TooManyFragments,
            ..
        })
    ));
    assert_eq!(seen.close_code(), Some(1009));
    // Within the limits: fine.
    let mut wire = client_frame(0x02, &[1; 1000]);
    wire.extend(client_frame(0x80, &[2; 500]));
    assert_eq!(server_with(&wire).events.len(), 1);
}

#[test]
fn pong_flood_is_bounded_and_answers_the_most_recent() {
    let mut config = Config::default();
    config.max_pending_pongs = 3;
    let mut pair = Pair::with_configs(Config::default(), config);
    let mut wire = Vec::new();
    for i in 0..20u8 {
        wire.extend(client_frame(PING, &[i]));
    }
    let seen = pair.server_receives(&wire);
    assert_eq!(seen.events.len(), 20);
    let pongs: Vec<_> = seen.frames().into_iter().map(|f| f.payload).collect();
    assert_eq!(pongs, [vec![0], vec![1], vec![19]]);
}

#[test]
fn auto_pong_off_leaves_the_answer_to_the_application() {
    let mut config = Config::default();
    config.auto_pong = false;
    let mut pair = Pair::with_configs(Config::default(), config);
    let seen = pair.server_receives(&client_frame(PING, b"abc"));
    assert_eq!(seen.events, [Owned::Ping(b"abc".to_vec())]);
    assert!(seen.output.is_empty());
    let pong = pair.server_sends(|s, out| s.pong(b"abc", out));
    assert_eq!(pong, b"\x8A\x03abc");
}

#[test]
fn local_misuse_writes_nothing() {
    let mut pair = Pair::new();
    let mut out = Vec::new();
    let now = pair.now;
    let s = &mut pair.server;
    assert_eq!(
        s.ping(&[0; 126], &mut out),
        Err(Error::ControlPayloadTooLong)
    );
    assert_eq!(
        s.close(CloseCode::new(1005 + 1), "", now, &mut out),
        Err(Error::CloseCodeNotSendable(1006))
    );
    s.send_fragment(MessageKind::Text, b"a", false, &mut out)
        .unwrap();
    let before = out.len();
    assert_eq!(
        s.send_text("whole", &mut out),
        Err(Error::FragmentedMessageInProgress)
    );
    assert_eq!(
        s.send_fragment(MessageKind::Binary, b"b", true, &mut out),
        Err(Error::FragmentedMessageInProgress)
    );
    assert_eq!(out.len(), before);
    assert!(Error::Closed.is_local_misuse());
    assert!(!Error::AbnormalClosure.is_local_misuse());
}

#[test]
fn send_fragment_uses_continuation_opcodes() {
    let mut pair = Pair::new();
    let wire = pair.server_sends(|s, out| {
        s.send_fragment(MessageKind::Text, b"He", false, out)?;
        s.ping(b"!", out)?;
        s.send_fragment(MessageKind::Text, b"ll", false, out)?;
        s.send_fragment(MessageKind::Text, b"o", true, out)
    });
    assert_eq!(wire, b"\x01\x02He\x89\x01!\x00\x02ll\x80\x01o".to_vec());
    let seen = pair.client_receives(&wire);
    assert_eq!(
        seen.events,
        [Owned::Ping(b"!".to_vec()), Owned::Text("Hello".into())]
    );
    // The client's pong is masked.
    assert!(seen.frames()[0].masked);
}

#[test]
fn auto_fragmentation() {
    let mut config = Config::default();
    config.max_send_frame = 4;
    let mut pair = Pair::with_configs(Config::default(), config);
    let wire = pair.server_sends(|s, out| s.send_binary(b"0123456789", out));
    let seen = pair.client_receives(&wire);
    assert_eq!(seen.events, [Owned::Binary(b"0123456789".to_vec())]);
    let frames = sockeye_proto::test_support::parse_frames(&wire).unwrap();
    let shape: Vec<_> = frames
        .iter()
        .map(|f| (f.opcode, f.fin, f.payload.len()))
        .collect();
    assert_eq!(
        shape,
        [
            (OpCode::Binary, false, 4),
            (OpCode::Continuation, false, 4),
            (OpCode::Continuation, true, 2)
        ]
    );
}

#[test]
fn broadcast_helper_frames_like_a_server() {
    let mut pair = Pair::new();
    let mut shared = Vec::new();
    Connection::encode_server_text("to all", &mut shared);
    let direct = pair.server_sends(|s, out| s.send_text("to all", out));
    assert_eq!(shared, direct);
    assert!(pair.server.can_send());
    let mut bin = Vec::new();
    Connection::encode_server_binary(&[1, 2], &mut bin);
    assert_eq!(bin, [0x82, 2, 1, 2]);
}

#[test]
fn keepalive_pings_when_idle_and_fails_without_answer() {
    let mut config = Config::default();
    config.keepalive_interval = Some(Duration::from_secs(30));
    config.keepalive_timeout = Duration::from_secs(10);
    let mut pair = Pair::with_configs(Config::default(), config);
    let t0 = pair.now;
    let first = pair.server.poll_timeout().unwrap();
    assert_eq!(first, t0 + Duration::from_secs(30));
    pair.server.handle_timeout(first).unwrap();
    let mut out = Vec::new();
    pair.server.poll_transmit(&mut out);
    assert_eq!(out, [0x89, 0x00], "keepalive ping");
    // A pong (any bytes) keeps the connection alive.
    let _ = pair.server_receives(&client_frame(PONG, b""));
    let t1 = pair.server.poll_timeout().unwrap();
    assert_eq!(t1, first + Duration::from_secs(10));
    pair.server.handle_timeout(t1).unwrap();
    assert_eq!(pair.server.state(), State::Open);
    // Silence: ping, then failure.
    let t2 = pair.server.poll_timeout().unwrap();
    pair.server.handle_timeout(t2).unwrap();
    assert!(pair.server.has_pending_output());
    let t3 = pair.server.poll_timeout().unwrap();
    assert_eq!(
        pair.server.handle_timeout(t3),
        Err(Error::Timeout(TimeoutKind::Keepalive))
    );
    assert_eq!(pair.server.state(), State::Closed);
}

#[test]
fn streaming_mode_delivers_chunks() {
    let mut config = Config::default();
    config.streaming = true;
    let mut pair = Pair::with_configs(Config::default(), config);
    let mut wire = client_frame(0x01, "héllo ".as_bytes());
    wire.extend(client_frame(PING, b""));
    wire.extend(client_frame(0x00, b""));
    wire.extend(client_frame(0x80, "wörld".as_bytes()));
    let seen = feed(&mut pair.server, &wire, &[5], pair.now);
    assert!(seen.error.is_none());
    let mut text = Vec::new();
    let mut firsts = 0;
    let mut lasts = 0;
    for e in &seen.events {
        if let Owned::Chunk {
            kind,
            data,
            first,
            last,
        } = e
        {
            assert_eq!(*kind, MessageKind::Text);
            text.extend_from_slice(data);
            firsts += usize::from(*first);
            lasts += usize::from(*last);
        }
    }
    assert_eq!(String::from_utf8(text).unwrap(), "héllo wörld");
    assert_eq!((firsts, lasts), (1, 1));
    assert_eq!(pair.server.buffered_capacity(), 0, "nothing buffered");
    // Bad UTF-8 still fails fast in streaming mode.
    let mut config = Config::default();
    config.streaming = true;
    let mut pair = Pair::with_configs(Config::default(), config);
    let seen = pair.server_receives(&client_frame(TEXT, b"ok\xc0\xaf"));
    assert_eq!(seen.close_code(), Some(1007));
}

#[test]
fn a_queued_pong_goes_out_before_data_sent_after_it() {
    // Client: ping "p". The server does not poll_transmit yet; its application then sends
    // a text message. The pong answers something that came first, so it leaves first
    // (§5.5.2 "as soon as is practical"), whatever the driver's polling pattern.
    let mut pair = Pair::new();
    let wire = pair.client_sends(|c, out| c.ping(b"p", out));
    let mut input = wire.clone();
    let r = pair.server.recv(&mut input, pair.now).unwrap();
    assert_eq!(r.consumed, wire.len());
    assert!(matches!(r.event, Some(sockeye_proto::Event::Ping(b"p"))));
    let out = pair.server_sends(|s, out| s.send_text("after", out));
    assert_eq!(out, b"\x8A\x01p\x81\x05after");
    let mut rest = Vec::new();
    assert_eq!(
        pair.server.poll_transmit(&mut rest),
        0,
        "the pong went out once"
    );
}

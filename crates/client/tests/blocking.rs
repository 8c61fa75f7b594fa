//! The blocking client against the test server in `common` (loopback, port 0).
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::Report;
use sockeye_client::{ClientBuilder, Error, Message, Timeout, connect};
use sockeye_handshake::ResponseError;
use sockeye_proto::{CloseCode, MessageKind};

const SIZES: [usize; 6] = [0, 125, 126, 65535, 65536, 1 << 20];

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn echo_text_and_binary_of_every_size() {
    let server = common::start();
    let mut ws = connect(&server.url("/echo")).unwrap();
    assert_eq!(ws.protocol(), None);
    for len in SIZES {
        let text: String = (0..len).map(|i| (b'a' + (i % 26) as u8) as char).collect();
        ws.send_text(&text).unwrap();
        assert_eq!(ws.recv().unwrap(), Message::Text(text), "text of {len}");
        let data = payload(len);
        ws.send_binary(&data).unwrap();
        assert_eq!(ws.recv().unwrap(), Message::Binary(data), "binary of {len}");
    }
    // A multi-byte UTF-8 message.
    ws.send_text("héllo wörld ✓ 🦀").unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Text("héllo wörld ✓ 🦀".into()));
    ws.close(CloseCode::NORMAL, "done").unwrap();
    assert_eq!(server.report(), Report::Close(1000));
}

#[test]
fn sending_fragments_and_small_frames() {
    let server = common::start();
    let mut config = sockeye_proto::Config::default();
    config.max_send_frame = 100; // messages go out in 100-byte frames
    let mut ws = ClientBuilder::new()
        .config(config)
        .connect(&server.url("/"))
        .unwrap();
    let data = payload(1000);
    ws.send_binary(&data).unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Binary(data));
    ws.send_fragment(MessageKind::Text, b"ab", false).unwrap();
    ws.send_fragment(MessageKind::Text, b"cd", true).unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Text("abcd".into()));
    ws.close(CloseCode::NORMAL, "").unwrap();
}

#[test]
fn fragmented_message_is_reassembled_around_a_ping() {
    let server = common::start();
    let mut ws = connect(&server.url("/")).unwrap();
    ws.send_text("cmd:fragments").unwrap();
    // The ping arrived between the fragments: delivered first (and answered).
    assert_eq!(ws.recv().unwrap(), Message::Ping(b"in-between".to_vec()));
    assert_eq!(
        ws.recv().unwrap(),
        Message::Text("Hello, fragmented World".into())
    );
    // The server reports the pong it got as a text message.
    assert_eq!(ws.recv().unwrap(), Message::Text("pong:in-between".into()));
}

#[test]
fn ping_pong_both_ways() {
    let server = common::start();
    let mut ws = connect(&server.url("/")).unwrap();
    ws.ping(b"abc").unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Pong(b"abc".to_vec()));
    ws.send_text("cmd:ping").unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Ping(b"srv".to_vec()));
    assert_eq!(ws.recv().unwrap(), Message::Text("pong:srv".into()));
    assert!(matches!(
        ws.ping(&[0; 126]),
        Err(Error::Protocol(sockeye_proto::Error::ControlPayloadTooLong))
    ));
}

#[test]
fn client_initiated_close() {
    let server = common::start();
    let mut ws = connect(&server.url("/")).unwrap();
    ws.send_text("before").unwrap();
    let started = Instant::now();
    // The echo of "before" arrives during the close and is discarded.
    ws.close(CloseCode::new(4321), "client leaving").unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.report(), Report::Close(4321));
    assert_eq!(ws.peer_close().map(|(c, _)| c.as_u16()), Some(4321));
    assert!(ws.is_closed());
    assert!(matches!(
        ws.send_text("after"),
        Err(Error::ConnectionClosed)
    ));
    assert!(matches!(ws.recv(), Err(Error::ConnectionClosed)));
    // Closing again is fine.
    ws.close(CloseCode::NORMAL, "").unwrap();
}

#[test]
fn server_initiated_close() {
    let server = common::start();
    let mut ws = connect(&server.url("/")).unwrap();
    ws.send_text("cmd:close").unwrap();
    assert_eq!(
        ws.recv().unwrap(),
        Message::Close {
            code: CloseCode::new(4000),
            reason: "bye".into()
        }
    );
    assert!(!ws.can_send());
    assert!(matches!(ws.send_text("late"), Err(Error::ConnectionClosed)));
    // The reply echoed the code; the server then closed TCP.
    assert_eq!(server.report(), Report::Close(4000));
    assert!(matches!(ws.recv(), Err(Error::ConnectionClosed)));
    // close() after the server's close just finishes.
    ws.close(CloseCode::NORMAL, "").unwrap();
}

#[test]
fn server_close_then_close_call_waits_for_tcp_close() {
    let server = common::start();
    let mut ws = connect(&server.url("/")).unwrap();
    ws.send_text("cmd:close").unwrap();
    assert!(matches!(ws.recv().unwrap(), Message::Close { .. }));
    ws.close(CloseCode::NORMAL, "").unwrap();
    assert!(ws.is_closed());
}

fn expect_failure(command: &str, code: u16, options: ClientBuilder) {
    let server = common::start();
    let mut ws = options.connect(&server.url("/")).unwrap();
    ws.send_text(command).unwrap();
    let err = ws.recv().unwrap_err();
    assert_eq!(
        err.close_code().map(CloseCode::as_u16),
        Some(code),
        "{command}: {err}"
    );
    assert!(matches!(err, Error::Protocol(e) if e.is_protocol_violation()));
    // The server got our close frame with that code.
    assert_eq!(server.report(), Report::Close(code), "{command}");
    assert!(ws.is_closed());
    assert!(matches!(ws.recv(), Err(Error::ConnectionClosed)));
}

#[test]
fn bad_frames_fail_with_the_right_close_code() {
    expect_failure("cmd:bad-rsv", 1002, ClientBuilder::new());
    expect_failure("cmd:masked", 1002, ClientBuilder::new());
    expect_failure("cmd:bad-utf8", 1007, ClientBuilder::new());
    expect_failure(
        "cmd:big",
        1009,
        ClientBuilder::new().max_message_size(1 << 20),
    );
}

#[test]
fn handshake_timeout() {
    let server = common::start();
    let started = Instant::now();
    let err = ClientBuilder::new()
        .handshake_timeout(Duration::from_millis(300))
        .connect(&server.url("/noanswer"))
        .unwrap_err();
    assert!(err.is_timeout(Timeout::Handshake), "{err:?}");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(290) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
}

#[test]
fn handshake_deadline_is_absolute_and_pieces_are_reassembled() {
    let server = common::start();
    // Bytes keep coming, but the deadline does not move.
    let started = Instant::now();
    let err = ClientBuilder::new()
        .handshake_timeout(Duration::from_millis(300))
        .connect(&server.url("/trickle?ms=20"))
        .unwrap_err();
    assert!(err.is_timeout(Timeout::Handshake), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    // A response in 1-byte pieces, with a frame right behind it, within the deadline.
    let mut ws = connect(&server.url("/trickle?ms=0")).unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Text("trickled".into()));
}

#[test]
fn non_101_responses_are_surfaced() {
    let server = common::start();
    let err = connect(&server.url("/401")).unwrap_err();
    let Error::Rejected(rejected) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(rejected.status(), 401);
    assert_eq!(
        rejected.headers().get_str("www-authenticate"),
        Some("Basic realm=\"test\"")
    );
    assert!(err.to_string().contains("401"), "{err}");
    // The body that came with the head (the server sends it in one write).
    assert!(rejected.body.is_empty() || rejected.body == b"nope!");

    let err = connect(&server.url("/redirect")).unwrap_err();
    let Error::Rejected(rejected) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(rejected.status(), 302);
    assert_eq!(rejected.location(), Some("ws://example.com/elsewhere"));
    assert!(err.to_string().contains("ws://example.com/elsewhere"));
}

#[test]
fn bytes_after_the_101_are_processed() {
    let server = common::start();
    let mut ws = connect(&server.url("/greet")).unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Text("welcome".into()));
    assert_eq!(ws.recv().unwrap(), Message::Ping(b"p".to_vec()));
    // The automatic pong reached the server.
    assert_eq!(ws.recv().unwrap(), Message::Text("pong:p".into()));
}

#[test]
fn subprotocol_negotiation() {
    let server = common::start();
    let ws = ClientBuilder::new()
        .protocol("x-unknown")
        .protocol("superchat")
        .protocol("chat")
        .connect(&server.url("/"))
        .unwrap();
    assert_eq!(ws.protocol(), Some("superchat"));
    assert_eq!(
        ws.response().headers().get_str("sec-websocket-protocol"),
        Some("superchat")
    );
    let ws = ClientBuilder::new()
        .protocol("x-unknown")
        .connect(&server.url("/"))
        .unwrap();
    assert_eq!(ws.protocol(), None);
    let err = ClientBuilder::new()
        .protocol("chat")
        .connect(&server.url("/bad-protocol"))
        .unwrap_err();
    assert!(
        matches!(err, Error::Handshake(ResponseError::ProtocolNotOffered)),
        "{err:?}"
    );
    let err = ClientBuilder::new()
        .protocol("not a token")
        .connect(&server.url("/"))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidOption(_)), "{err:?}");
    let err = ClientBuilder::new()
        .header("X-Evil", "a\r\nInjected: yes")
        .connect(&server.url("/"))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidOption(_)), "{err:?}");
}

#[test]
fn read_timeout_is_not_fatal() {
    let server = common::start();
    let mut ws = ClientBuilder::new()
        .read_timeout(Some(Duration::from_millis(100)))
        .connect(&server.url("/"))
        .unwrap();
    let started = Instant::now();
    let err = ws.recv().unwrap_err();
    assert!(err.is_timeout(Timeout::Read), "{err:?}");
    assert!(started.elapsed() >= Duration::from_millis(95));
    ws.send_text("still here").unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Text("still here".into()));
}

#[test]
fn close_timeout_when_the_server_never_answers() {
    let server = common::start();
    let mut ws = ClientBuilder::new()
        .close_timeout(Duration::from_millis(200))
        .connect(&server.url("/no-close-reply"))
        .unwrap();
    let started = Instant::now();
    let err = ws.close(CloseCode::NORMAL, "").unwrap_err();
    assert!(
        matches!(
            err,
            Error::Protocol(sockeye_proto::Error::Timeout(
                sockeye_proto::TimeoutKind::Close
            ))
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(ws.is_closed());
}

#[test]
fn tcp_close_without_close_frame_is_1006() {
    let server = common::start();
    let mut ws = connect(&server.url("/drop")).unwrap();
    let err = ws.recv().unwrap_err();
    assert!(
        matches!(err, Error::Protocol(sockeye_proto::Error::AbnormalClosure)),
        "{err:?}"
    );
    assert_eq!(err.close_code(), Some(CloseCode::ABNORMAL));
}

#[test]
fn keepalive_pings_are_sent_while_waiting() {
    let server = common::start();
    let mut config = sockeye_proto::Config::default();
    config.keepalive_interval = Some(Duration::from_millis(50));
    let mut ws = ClientBuilder::new()
        .config(config)
        .read_timeout(Some(Duration::from_secs(2)))
        .connect(&server.url("/"))
        .unwrap();
    // The keepalive ping's pong comes back; the server also tells us it saw... nothing
    // (our test server reports pongs, not pings), so just see the pong.
    assert_eq!(ws.recv().unwrap(), Message::Pong(Vec::new()));
}

#[test]
fn url_and_connect_errors() {
    // wss:// needs the `tls` feature; with it, this port refuses the TCP connect.
    let wss = connect("wss://127.0.0.1:1/");
    if cfg!(feature = "tls") {
        assert!(matches!(wss, Err(Error::Io(_))), "{wss:?}");
    } else {
        assert!(matches!(wss, Err(Error::TlsNotSupported)), "{wss:?}");
    }
    assert!(matches!(connect("http://x/"), Err(Error::Url(_))));
    // A port nobody listens on (bound, then closed).
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = connect(&format!("ws://127.0.0.1:{port}/")).unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
}

#[test]
fn invalid_close_code_is_refused_locally() {
    let server = common::start();
    let mut ws = connect(&server.url("/")).unwrap();
    let err = ws.close(CloseCode::new(1005 + 1), "").unwrap_err();
    assert!(matches!(
        err,
        Error::Protocol(sockeye_proto::Error::CloseCodeNotSendable(1006))
    ));
    // Still open.
    ws.send_text("ok").unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Text("ok".into()));
}

#[test]
fn start_close_still_delivers_messages_already_on_their_way() {
    let server = common::start();
    let mut ws = connect(&server.url("/echo")).unwrap();
    for text in ["one", "two", "three"] {
        ws.send_text(text).unwrap();
    }
    // Our close goes out right behind the messages; their echoes are still to come.
    ws.start_close(CloseCode::NORMAL, "bye").unwrap();
    assert!(
        ws.send_text("late").is_err(),
        "nothing but the handshake after close"
    );
    for text in ["one", "two", "three"] {
        assert_eq!(ws.recv().unwrap(), Message::Text(text.into()));
    }
    match ws.recv().unwrap() {
        Message::Close { code, .. } => assert_eq!(code, CloseCode::NORMAL),
        other => panic!("expected the server's close, got {other:?}"),
    }
    assert!(matches!(ws.recv(), Err(Error::ConnectionClosed)));
    assert_eq!(server.report(), Report::Close(1000));
}

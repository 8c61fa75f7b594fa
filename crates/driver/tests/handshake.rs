//! The opening handshake through the driver, both roles: first frames in the same read as
//! the head, the server application's decision, refusals, bad heads, rejections.

mod common;

use std::time::Instant;

use common::*;
use sockeye_driver::{Driver, Error, Event, Stage};
use sockeye_frame::OpCode;
use sockeye_handshake::{Accept, Reject, RequestError};

#[test]
fn client_frames_in_the_same_read_as_the_request_are_kept() {
    let now = Instant::now();
    let mut server = Driver::server(config(), now);
    let mut input = request_bytes("/room");
    let head = input.len();
    input.extend(masked(0x81, b"first"));
    input.extend(masked(0x89, b"ping"));
    let mut at = 0;
    let r = server.recv(&mut input[at..], now).unwrap();
    assert_eq!(r.consumed, head, "consumed stops at the end of the head");
    assert!(matches!(r.event, Some(Event::Request(req)) if req.path() == "/room"));
    at += r.consumed;
    // Before the decision, more input is a mistake of ours (nothing consumed).
    assert_eq!(
        server.recv(&mut input[at..], now).err(),
        Some(Error::DecisionPending)
    );
    server.accept(&Accept::new(), now).unwrap();
    let fed = feed(&mut server, &input[at..], now, true);
    assert_eq!(
        fed.events,
        [Seen::Text("first".into()), Seen::Ping(b"ping".to_vec())]
    );
    let out = take_output(&mut server);
    let head_end = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let sent = frames(&out[head_end..]);
    assert_eq!(
        sent.iter().map(|f| f.opcode).collect::<Vec<_>>(),
        [OpCode::Text, OpCode::Pong]
    );
}

#[test]
fn a_request_split_anywhere_is_the_same_request() {
    let bytes = request_bytes("/split");
    for cut in 1..bytes.len() {
        let now = Instant::now();
        let mut server = Driver::server(config(), now);
        let a = feed(&mut server, &bytes[..cut], now, false);
        assert!(a.events.is_empty() && a.error.is_none());
        let b = feed(&mut server, &bytes[cut..], now, false);
        assert_eq!(b.events, [Seen::Request("/split".into())], "cut at {cut}");
    }
}

#[test]
fn bad_requests_get_their_status_and_the_connection_lingers() {
    let now = Instant::now();
    for (bytes, status, error) in [
        (
            b"POST / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            "405",
            RequestError::MethodNotAllowed,
        ),
        (
            {
                // 50 headers of 200 bytes: within the header count and line caps,
                // over the 8 KiB head.
                let mut b = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
                for i in 0..50 {
                    b.extend(format!("X-{i:02}: {}\r\n", "a".repeat(192)).as_bytes());
                }
                b
            },
            "431",
            RequestError::HeadTooLarge,
        ),
    ] {
        let mut server = Driver::server(config(), now);
        let fed = feed(&mut server, &bytes, now, false);
        assert_eq!(fed.error, Some(Error::Request(error)));
        let out = take_output(&mut server);
        assert!(
            String::from_utf8_lossy(&out).starts_with(&format!("HTTP/1.1 {status}")),
            "{}",
            String::from_utf8_lossy(&out)
        );
        assert!(server.wants_write_shutdown());
        assert_eq!(server.take_closed(), None, "never open");
        // The rest is discarded.
        assert!(feed(&mut server, b"more", now, false).events.is_empty());
    }
}

#[test]
fn the_application_rejects_or_refuses() {
    let now = Instant::now();
    let mut server = Driver::server(config(), now);
    assert_eq!(
        server.reject(&Reject::new(404).unwrap(), now),
        Err(Error::NoRequest)
    );
    let fed = feed_without_accepting(&mut server, &request_bytes("/nope"));
    assert_eq!(fed, 1);
    server.reject(&Reject::new(404).unwrap(), now).unwrap();
    assert!(take_output(&mut server).starts_with(b"HTTP/1.1 404 Not Found\r\n"));
    assert_eq!(server.stage(), Stage::Closing);

    let mut server = Driver::server(config(), now);
    feed_without_accepting(&mut server, &request_bytes("/"));
    server.refuse(&RequestError::OriginNotAllowed, now).unwrap();
    assert!(take_output(&mut server).starts_with(b"HTTP/1.1 403"));

    // A subprotocol the client did not offer is our bug: 500, connection ends.
    let mut server = Driver::server(config(), now);
    feed_without_accepting(&mut server, &request_bytes("/"));
    let accept = Accept::new().protocol("chat").unwrap();
    assert!(matches!(server.accept(&accept, now), Err(Error::Accept(_))));
    assert!(take_output(&mut server).starts_with(b"HTTP/1.1 500"));
    assert_eq!(server.stage(), Stage::Closing);
}

fn feed_without_accepting(server: &mut Driver, bytes: &[u8]) -> usize {
    let mut input = bytes.to_vec();
    let r = server.recv(&mut input, Instant::now()).unwrap();
    assert!(matches!(r.event, Some(Event::Request(_))));
    1
}

#[test]
fn server_frames_in_the_same_read_as_the_101_are_kept_and_the_outbox_works_on_open() {
    let now = Instant::now();
    let mut server = Driver::server(config(), now);
    let mut client = client(config(), now);
    let request = take_output(&mut client);
    feed(&mut server, &request, now, false);
    // The 101 and a text frame in one read.
    server.outbox(now).send_text("welcome").unwrap();
    let bytes = take_output(&mut server);
    let mut input = bytes.clone();
    let r = client.recv(&mut input, now).unwrap();
    assert!(matches!(r.event, Some(Event::Open { protocol: None })));
    let consumed = r.consumed;
    let mut outbox = r.outbox;
    assert!(outbox.can_send(), "the client may send from its open event");
    outbox.send_text("hello").unwrap();
    let fed = feed(&mut client, &bytes[consumed..], now, false);
    assert_eq!(fed.events, [Seen::Text("welcome".into())]);
    let sent = frames(&take_output(&mut client));
    assert!(sent[0].masked && sent[0].payload == b"hello");
    assert!(client.accepted().is_some());
}

#[test]
fn client_rejection_keeps_the_response_and_body() {
    let now = Instant::now();
    let mut client = client(config(), now);
    let _ = take_output(&mut client);
    let fed = feed(
        &mut client,
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic\r\nContent-Length: 5\r\n\r\nnope!",
        now,
        false,
    );
    assert_eq!(fed.error, Some(Error::Rejected { status: 401 }));
    let rejection = client.take_rejection().unwrap();
    assert_eq!(
        rejection.response.headers().get_str("www-authenticate"),
        Some("Basic")
    );
    assert_eq!(rejection.body, b"nope!");
    assert_eq!(client.stage(), Stage::Closing);
    assert!(client.wants_write_shutdown());

    // A bad 101 (wrong accept key) fails the client.
    let mut client = common::client(config(), now);
    let fed = feed(
        &mut client,
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
        now,
        false,
    );
    assert!(matches!(fed.error, Some(Error::Response(_))));
}

#[test]
fn eof_during_the_handshake() {
    let now = Instant::now();
    let mut server = Driver::server(config(), now);
    feed(&mut server, b"GET / HT", now, false);
    assert_eq!(server.recv_eof(now), Err(Error::HandshakeEof));
    assert!(server.is_finished());
    let mut client = client(config(), now);
    assert_eq!(client.recv_eof(now), Err(Error::HandshakeEof));
    assert!(client.is_finished());
}

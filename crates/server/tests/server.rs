//! The server over loopback (port 0), driven by a raw client that sends exact bytes.

mod common;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::RawClient;
use sockeye_frame::OpCode;
use sockeye_server::{
    Accept, Closed, ConnId, Context, Echo, Error, Handler, Message, Refusal, Request, SendStatus,
    Server, ServerConfig,
};

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn config(threads: usize) -> ServerConfig {
    let mut config = ServerConfig::default();
    config.threads = threads;
    config
}

fn echo_server(threads: usize) -> Server {
    Server::bind(loopback(), config(threads), Echo).unwrap()
}

/// Waits until `f` holds, for at most 5 s.
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn echoes_text_and_binary_of_every_length_encoding() {
    let server = echo_server(1);
    let mut c = RawClient::connect(server.local_addr(), "/any/path?x=1");
    for len in [0usize, 1, 125, 126, 127, 128, 65535, 65536, 1 << 20] {
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        c.send(OpCode::Binary, &data);
        // Echo streams: a message that arrives over several reads may come back in
        // fragments; assembled, it is the same message.
        let (controls, kind, echoed) = c.recv_message();
        assert!(controls.is_empty());
        assert_eq!((kind, echoed.len()), (OpCode::Binary, len));
        assert_eq!(echoed, data);
        let text = "é".repeat(len / 2);
        c.send(OpCode::Text, text.as_bytes());
        let (_, kind, echoed) = c.recv_message();
        assert_eq!(kind, OpCode::Text);
        assert_eq!(echoed, text.as_bytes());
    }
    c.send_close(1000, "bye");
    assert_eq!(c.expect_close(), Some(1000));
    assert!(
        c.expect_eof(),
        "the server closes TCP after the closing handshake (§7.1.1)"
    );
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn fragmented_message_with_ping_in_between_and_byte_by_byte_delivery() {
    let server = echo_server(1);
    let mut c = RawClient::connect(server.local_addr(), "/");
    let mut wire = c.frame(false, OpCode::Text, b"Hel");
    wire.extend(c.frame(true, OpCode::Ping, b"p"));
    wire.extend(c.frame(false, OpCode::Continuation, b""));
    wire.extend(c.frame(true, OpCode::Continuation, b"lo"));
    for byte in wire {
        c.send_raw(&[byte]);
    }
    // Streaming echo: "Hel" goes back as soon as it arrived; the pong for the ping that
    // came next precedes the rest of the echo.
    let (controls, kind, text) = c.recv_message();
    assert_eq!(controls.len(), 1);
    assert_eq!(controls[0].opcode, OpCode::Pong);
    assert_eq!(controls[0].payload, b"p");
    assert_eq!((kind, text.as_slice()), (OpCode::Text, &b"Hello"[..]));
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn protocol_violations_close_with_the_rfc_code() {
    let mut config = config(1);
    config.connection.max_message_size = 1000;
    let server = Server::bind(loopback(), config, Echo).unwrap();
    let addr = server.local_addr();

    // §5.2 reserved opcode → 1002.
    let mut c = RawClient::connect(addr, "/");
    let mut frame = c.frame(true, OpCode::Binary, b"x");
    frame[0] = (frame[0] & 0xF0) | 0x3;
    c.send_raw(&frame);
    assert_eq!(c.expect_close(), Some(1002));
    assert!(c.expect_eof());

    // §5.1 unmasked client frame → 1002.
    let mut c = RawClient::connect(addr, "/");
    c.send_raw(&[0x81, 0x02, b'h', b'i']);
    assert_eq!(c.expect_close(), Some(1002));

    // §8.1 invalid UTF-8 → 1007, fail-fast inside a frame that has not fully arrived.
    let mut c = RawClient::connect(addr, "/");
    let frame = c.frame(true, OpCode::Text, b"ok\xFFand more to come");
    c.send_raw(&frame[..frame.len() - 10]);
    assert_eq!(c.expect_close(), Some(1007));

    // Over the message size limit → 1009, decided from the header.
    let mut c = RawClient::connect(addr, "/");
    let frame = c.frame(true, OpCode::Binary, &[0u8; 2000]);
    c.send_raw(&frame[..8]);
    assert_eq!(c.expect_close(), Some(1009));

    // §5.5.1 close with a 1-byte payload → 1002.
    let mut c = RawClient::connect(addr, "/");
    c.send(OpCode::Close, &[0x03]);
    assert_eq!(c.expect_close(), Some(1002));

    assert!(eventually(|| server.handle().connections() == 0));
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn bad_handshakes_get_their_http_status_and_the_socket_closes() {
    let server = echo_server(1);
    let addr = server.local_addr();
    let cases: [(&str, &str); 4] = [
        ("POST / HTTP/1.1\r\nHost: x\r\n\r\n", "405"),
        (
            "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
            "426",
        ),
        (
            "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n",
            "400",
        ),
        ("garbage\r\n\r\n", "400"),
    ];
    for (request, status) in cases {
        let mut c = RawClient::connect_tcp(addr);
        c.send_raw(request.as_bytes());
        let response = String::from_utf8_lossy(&c.read_to_end()).into_owned();
        assert!(
            response.starts_with(&format!("HTTP/1.1 {status}")),
            "{request:?} → {response}"
        );
    }
    // An endless header block is cut off with 431.
    let mut c = RawClient::connect_tcp(addr);
    c.send_raw(b"GET / HTTP/1.1\r\n");
    let mut sent = 0;
    while sent < 64 << 10 {
        if c.stream
            .write_all(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n")
            .is_err()
        {
            break;
        }
        sent += 52;
    }
    let response = String::from_utf8_lossy(&c.read_to_end()).into_owned();
    assert!(response.starts_with("HTTP/1.1 431"), "{response}");
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn handshake_deadline_is_absolute_from_accept() {
    let mut config = config(1);
    config.handshake_timeout = Duration::from_millis(300);
    let server = Server::bind(loopback(), config, Echo).unwrap();
    let mut c = RawClient::connect_tcp(server.local_addr());
    let started = Instant::now();
    // A slow-loris client: a byte of one endless header line every 50 ms, for up to
    // 2 s. A deadline reset by each byte would never fire while the bytes keep coming.
    c.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    let closed = loop {
        if c.expect_eof_within(Duration::from_millis(50)) {
            break Some(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(2) {
            break None;
        }
        if c.stream.write_all(b"a").is_err() {
            break Some(started.elapsed());
        }
    };
    let closed = closed.expect("the server never closed a trickling handshake");
    assert!(
        closed >= Duration::from_millis(250) && closed < Duration::from_millis(1500),
        "closed after {closed:?}"
    );
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn peer_vanishing_mid_frame_is_cleaned_up() {
    struct Count(Arc<AtomicUsize>);
    impl Handler for Count {
        type State = ();
        fn on_open(&self, _: &Request, _: ConnId) -> Result<((), Accept), Refusal> {
            Ok(((), Accept::new()))
        }
        fn on_message(&self, _: &mut Context<'_>, _: &mut (), _: Message<'_>) {}
        fn on_close(&self, _: ConnId, _: (), closed: Closed) {
            assert_eq!(closed.code.as_u16(), 1006);
            assert!(!closed.clean);
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let closes = Arc::new(AtomicUsize::new(0));
    let server = Server::bind(loopback(), config(2), Count(closes.clone())).unwrap();
    for _ in 0..10 {
        let mut c = RawClient::connect(server.local_addr(), "/");
        let frame = c.frame(true, OpCode::Binary, &[7u8; 5000]);
        c.send_raw(&frame[..frame.len() / 2]);
        drop(c);
    }
    assert!(eventually(|| closes.load(Ordering::SeqCst) == 10));
    assert!(eventually(|| server.handle().connections() == 0));
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn many_connections_on_several_threads_echo_exactly_and_in_order() {
    let server = echo_server(3);
    let addr = server.local_addr();
    let clients: Vec<_> = (0..24)
        .map(|t| {
            std::thread::spawn(move || {
                let mut c = RawClient::connect(addr, "/");
                // Pipelined: send all, then read all.
                for i in 0..200u32 {
                    let msg = format!("client {t} message {i} {}", "x".repeat((i % 50) as usize));
                    c.send(OpCode::Text, msg.as_bytes());
                }
                for i in 0..200u32 {
                    let msg = format!("client {t} message {i} {}", "x".repeat((i % 50) as usize));
                    let frame = c.recv().unwrap();
                    assert_eq!(frame.payload, msg.as_bytes());
                }
                c.send_close(1000, "");
                assert_eq!(c.expect_close(), Some(1000));
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn a_client_that_never_reads_does_not_make_the_server_grow() {
    #[derive(Default)]
    struct Watch {
        above: AtomicUsize,
        refused: AtomicUsize,
    }
    struct Echoer(Arc<Watch>);
    impl Handler for Echoer {
        type State = ();
        fn on_open(&self, _: &Request, _: ConnId) -> Result<((), Accept), Refusal> {
            Ok(((), Accept::new()))
        }
        fn on_message(&self, cx: &mut Context<'_>, _: &mut (), message: Message<'_>) {
            let Message::Binary(data) = message else {
                return;
            };
            match cx.send_binary(data) {
                SendStatus::Queued => {}
                SendStatus::QueuedAboveHighWater => {
                    self.0.above.fetch_add(1, Ordering::SeqCst);
                }
                _ => {
                    self.0.refused.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
    }
    let watch = Arc::new(Watch::default());
    let mut config = config(1);
    config.write_high_water = 256 << 10;
    config.max_write_buffer = 2 << 20;
    let server = Server::bind(loopback(), config, Echoer(watch.clone())).unwrap();
    let mut c = RawClient::connect(server.local_addr(), "/");
    c.stream
        .set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let frame = c.frame(true, OpCode::Binary, &[1u8; 16 << 10]);
    // Write until the server stops reading and both kernel buffers are full.
    let mut sent = 0usize;
    while sent < 1000 {
        if c.stream.write_all(&frame).is_err() {
            break;
        }
        sent += 1;
    }
    assert!(
        sent < 1000,
        "the server kept reading from a peer that does not read"
    );
    assert!(
        watch.above.load(Ordering::SeqCst) >= 1,
        "the high-water mark was reported"
    );
    assert_eq!(
        watch.refused.load(Ordering::SeqCst),
        0,
        "reading stopped before overflow"
    );
    // Now read: every message that was fully sent comes back, in order.
    c.stream.set_write_timeout(None).unwrap();
    for _ in 0..sent {
        let echoed = c.recv().unwrap();
        assert_eq!(echoed.payload.len(), 16 << 10);
    }
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn graceful_shutdown_sends_1001_and_waits() {
    let server = echo_server(2);
    let addr = server.local_addr();
    let mut clients: Vec<RawClient> = (0..6).map(|_| RawClient::connect(addr, "/")).collect();
    assert!(eventually(|| server.handle().connections() == 6));
    let handle = server.handle();
    let stopper = std::thread::spawn(move || server.shutdown(Duration::from_secs(5)));
    for c in &mut clients {
        assert_eq!(c.expect_close(), Some(1001));
        c.send_close(1001, "");
        assert!(c.expect_eof());
    }
    stopper.join().unwrap();
    assert!(handle.is_shutting_down());
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "no longer accepting"
    );
}

#[test]
fn keepalive_pings_and_gives_up_on_a_silent_peer() {
    let mut config = config(1);
    config.connection.keepalive_interval = Some(Duration::from_millis(100));
    config.connection.keepalive_timeout = Duration::from_millis(200);
    let server = Server::bind(loopback(), config, Echo).unwrap();
    let mut c = RawClient::connect(server.local_addr(), "/");
    let ping = c.recv().unwrap();
    assert_eq!(ping.opcode, OpCode::Ping);
    // Never answer: the connection is given up.
    let started = Instant::now();
    while c.recv().is_some() {}
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(eventually(|| server.handle().connections() == 0));
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn handles_send_and_broadcast_from_other_threads() {
    /// Records every accepted connection's id.
    struct Register(Arc<Mutex<Vec<ConnId>>>);
    impl Handler for Register {
        type State = ();
        fn on_open(&self, _: &Request, id: ConnId) -> Result<((), Accept), Refusal> {
            self.0.lock().unwrap().push(id);
            Ok(((), Accept::new()))
        }
        fn on_message(&self, _: &mut Context<'_>, _: &mut (), _: Message<'_>) {}
    }
    let ids = Arc::new(Mutex::new(Vec::new()));
    let server = Server::bind(loopback(), config(2), Register(ids.clone())).unwrap();
    let mut clients: Vec<RawClient> = (0..5)
        .map(|_| RawClient::connect(server.local_addr(), "/"))
        .collect();
    assert!(eventually(|| ids.lock().unwrap().len() == 5));
    let handle = server.handle();
    std::thread::spawn(move || {
        handle.broadcast_text("to everyone").unwrap();
    })
    .join()
    .unwrap();
    for c in &mut clients {
        assert_eq!(c.recv().unwrap().payload, b"to everyone");
    }
    let first = ids.lock().unwrap()[0];
    server.handle().send_binary(first, b"just you").unwrap();
    // Which client is `first` depends on accept order: exactly one gets it.
    let mut got = 0;
    for c in &mut clients {
        c.stream
            .set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut chunk = [0u8; 64];
        if let Ok(n) = std::io::Read::read(&mut c.stream, &mut chunk)
            && n > 0
        {
            got += 1;
            assert_eq!(&chunk[2..n], b"just you");
        }
    }
    assert_eq!(got, 1);
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn max_connections_closes_the_surplus_at_once() {
    let mut config = config(1);
    config.max_connections = 2;
    let server = Server::bind(loopback(), config, Echo).unwrap();
    let _a = RawClient::connect(server.local_addr(), "/");
    let _b = RawClient::connect(server.local_addr(), "/");
    let mut c = RawClient::connect_tcp(server.local_addr());
    assert!(c.read_to_end().is_empty(), "closed without a response");
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn a_panicking_callback_closes_only_its_connection() {
    struct Fragile;
    impl Handler for Fragile {
        type State = ();
        fn on_open(&self, _: &Request, _: ConnId) -> Result<((), Accept), Refusal> {
            Ok(((), Accept::new()))
        }
        fn on_message(&self, cx: &mut Context<'_>, _: &mut (), message: Message<'_>) {
            assert!(message != Message::Text("boom"), "handler bug");
            let _ = cx.send_text("fine");
        }
    }
    let server = Server::bind(loopback(), config(1), Fragile).unwrap();
    let mut good = RawClient::connect(server.local_addr(), "/");
    let mut bad = RawClient::connect(server.local_addr(), "/");
    bad.send(OpCode::Text, b"boom");
    assert_eq!(bad.expect_close(), Some(1011));
    good.send(OpCode::Text, b"hi");
    assert_eq!(good.recv().unwrap().payload, b"fine");
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn the_handler_can_refuse_a_handshake() {
    struct OnlyChat;
    impl Handler for OnlyChat {
        type State = ();
        fn on_open(&self, request: &Request, _: ConnId) -> Result<((), Accept), Refusal> {
            if request.path() != "/chat" {
                return Err(sockeye_server::Reject::new(404).unwrap().into());
            }
            Ok(((), Accept::new()))
        }
        fn on_message(&self, _: &mut Context<'_>, _: &mut (), _: Message<'_>) {}
    }
    let server = Server::bind(loopback(), config(1), OnlyChat).unwrap();
    let _ok = RawClient::connect(server.local_addr(), "/chat");
    let mut c = RawClient::connect_tcp(server.local_addr());
    c.send_raw(
        b"GET /other HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    let response = String::from_utf8_lossy(&c.read_to_end()).into_owned();
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn address_in_use_is_a_clear_startup_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let err = Server::bind(addr, config(1), Echo).unwrap_err();
    assert!(matches!(err, Error::Listen { .. }), "{err:?}");
    assert!(err.to_string().contains("cannot listen on"), "{err}");
}

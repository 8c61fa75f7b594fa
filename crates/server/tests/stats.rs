//! `ServerHandle::stats()` after a scripted session: every counter is checked against what
//! the script did (messages and bytes both ways, an upgrade refused, a violation, closes
//! by code and by who started them, a connection over the limit).

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::RawClient;
use sockeye_frame::OpCode;
use sockeye_server::{Echo, Server, ServerConfig, ServerHandle, Stats};

/// Polls until `done` holds (loops publish their counts once per turn).
fn stats_when(handle: &ServerHandle, done: impl Fn(&Stats) -> bool) -> Stats {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stats = handle.stats();
        if done(&stats) || Instant::now() > deadline {
            return stats;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn counters_after_a_scripted_session() {
    let mut config = ServerConfig::default();
    config.threads = 2;
    config.max_connections = 3;
    config.deflate = None;
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), config, Echo).unwrap();
    let addr: SocketAddr = server.local_addr();
    let handle = server.handle();
    assert_eq!(handle.stats(), Stats::default(), "nothing yet");

    // 1. Three messages echoed, then the client closes (1000, started by the peer).
    let mut a = RawClient::connect(addr, "/");
    for text in ["one", "two", "three"] {
        a.send(OpCode::Text, text.as_bytes());
        let (_, opcode, payload) = a.recv_message();
        assert_eq!(
            (opcode, payload.as_slice()),
            (OpCode::Text, text.as_bytes())
        );
    }
    a.send_close(1000, "done");
    assert_eq!(a.expect_close(), Some(1000));
    assert!(a.expect_eof());

    // 2. A request that is not an upgrade: 426 (§4.2.2 asks for Upgrade: websocket).
    let mut b = TcpStream::connect(addr).unwrap();
    b.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    b.read_to_end(&mut answer).unwrap();
    let status = String::from_utf8_lossy(&answer[..12]).to_string();

    // 3. A violation: an unmasked frame from a client, failed with 1002 (§5.1).
    let mut c = RawClient::connect(addr, "/");
    c.send_raw(&[0x81, 0x01, b'x']);
    assert_eq!(c.expect_close(), Some(1002));
    assert!(c.expect_eof());

    let stats = stats_when(&handle, |s| {
        s.closes.values().sum::<u64>() == 2 && s.open == 0
    });
    assert_eq!(stats.open, 0);
    assert_eq!(stats.accepted, 3);
    assert_eq!(stats.upgraded, 2);
    let refused_status: u16 = status[9..12].parse().unwrap();
    assert_eq!(
        stats
            .refused
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect::<Vec<_>>(),
        [(refused_status, 1)],
        "{status}"
    );
    assert_eq!((stats.messages_in, stats.messages_out), (3, 3));
    assert_eq!(stats.protocol_errors, 1);
    assert_eq!(
        stats
            .closes
            .iter()
            .map(|(k, v)| (*k, *v))
            .collect::<Vec<_>>(),
        [(1000, 1), (1002, 1)]
    );
    assert_eq!(
        (
            stats.closed_by_peer,
            stats.closed_locally,
            stats.closed_by_transport
        ),
        (1, 1, 0)
    );
    // Client bytes in: two handshakes, a request, three masked 6+n-byte frames, two
    // masked close frames (a's with "done": 6+6; c's unmasked violation: 3).
    assert!(stats.bytes_in > 3 * 6 + 11 + 12 + 3, "{stats:?}");
    // Out: two 101 responses, one refusal, three 2+n-byte echoes, two close frames.
    assert!(stats.bytes_out > 2 * 100 + (2 + 3) * 3, "{stats:?}");
    assert_eq!(stats.backpressure_pauses, 0);
    assert_eq!(stats.over_limit, 0);

    // 4. Over max_connections (3): the fourth TCP connection is closed at once.
    let held: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let _ = stats_when(&handle, |s| s.open == 3);
    let mut extra = TcpStream::connect(addr).unwrap();
    let mut byte = [0u8; 1];
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(extra.read(&mut byte).unwrap_or(0), 0, "closed at once");
    let stats = stats_when(&handle, |s| s.over_limit == 1);
    assert_eq!((stats.over_limit, stats.accepted, stats.open), (1, 6, 3));
    drop(held);
    // Connections that never sent a request are handshakes that failed (peer went away).
    let stats = stats_when(&handle, |s| s.handshake_failed == 3);
    assert_eq!((stats.handshake_failed, stats.open), (3, 0));
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn a_reader_that_stops_is_counted_as_a_back_pressure_pause() {
    let mut config = ServerConfig::default();
    config.threads = 1;
    config.deflate = None;
    config.write_high_water = 64 << 10;
    config.max_write_buffer = 64 << 20;
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), config, Echo).unwrap();
    let handle = server.handle();
    let mut a = RawClient::connect(server.local_addr(), "/");
    // Send without reading: the echoes pile up in the kernel's buffers, then in ours,
    // past the high-water mark.
    // A write that blocks means the server stopped reading: the timeout ends the loop
    // instead of the test hanging, and the counter is checked all the same.
    a.stream
        .set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let payload = vec![b'x'; 60 << 10];
    let deadline = Instant::now() + Duration::from_secs(10);
    while handle.stats().backpressure_pauses == 0 && Instant::now() < deadline {
        let frame = a.frame(true, OpCode::Binary, &payload);
        if a.stream.write_all(&frame).is_err() {
            break;
        }
    }
    let _ = stats_when(&handle, |s| s.backpressure_pauses >= 1);
    assert!(
        handle.stats().backpressure_pauses >= 1,
        "{:?}",
        handle.stats()
    );
    server.shutdown(Duration::from_millis(100));
}

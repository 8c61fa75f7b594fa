//! Every timer and buffer policy of a connection's life, as transcripts on virtual time:
//! handshake deadlines, keepalive, the close handshake's timeout, linger, back-pressure,
//! overflow. No wall clock anywhere.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use sockeye_driver::{
    Closed, ClosedBy, Driver, DriverConfig, Error, OverflowPolicy, SendError, Sent, Stage,
};
use sockeye_frame::OpCode;
use sockeye_proto::{CloseCode, TimeoutKind};

const SEC: Duration = Duration::from_secs(1);

#[test]
fn server_handshake_deadline_is_absolute_from_accept() {
    let t0 = Instant::now();
    let mut server = Driver::server(config(), t0); // 10 s
    // A slow-loris client: one byte of its head every second. Progress does not move
    // the deadline: were it reset by each byte, the connection would live on.
    let head = request_bytes("/");
    for (i, byte) in head.iter().take(10).enumerate() {
        let now = t0 + SEC * (i as u32);
        let fed = feed(&mut server, &[*byte], now, false);
        assert_eq!((fed.events.len(), fed.error), (0, None));
        assert_eq!(server.handle_timeout(now), Ok(()), "not due at {i} s");
        assert_eq!(server.poll_timeout(), Some(t0 + 10 * SEC));
    }
    assert_eq!(server.stage(), Stage::Handshake);
    assert_eq!(
        server.handle_timeout(t0 + 10 * SEC),
        Err(Error::HandshakeTimeout)
    );
    assert!(server.is_finished());
    assert!(
        server.poll_output().is_empty(),
        "no answer to an unfinished request"
    );
    assert_eq!(server.take_closed(), None, "it never opened");
}

#[test]
fn server_handshake_in_time_is_not_cut() {
    let t0 = Instant::now();
    let mut server = Driver::server(config(), t0);
    let fed = feed(&mut server, &request_bytes("/x"), t0 + 9 * SEC, false);
    assert_eq!(fed.events, [Seen::Request("/x".into())]);
    assert_eq!(server.stage(), Stage::Open);
    assert_eq!(server.handle_timeout(t0 + 11 * SEC), Ok(()));
    assert_eq!(server.stage(), Stage::Open);
}

#[test]
fn client_connect_then_handshake_deadlines() {
    let t0 = Instant::now();
    let url = sockeye_handshake::WsUrl::parse("ws://example.com/").unwrap();
    let request = || sockeye_handshake::ClientRequest::new(&url, [7; 16]);
    let masks = || Box::new(sockeye_proto::test_support::CounterMasks::default());
    // Connect: 10 s from the start; nothing is written before the connect completes.
    let mut c = Driver::client(config(), request(), masks(), t0);
    assert_eq!(c.stage(), Stage::Connecting);
    assert!(c.poll_output().is_empty() && !c.wants_write());
    assert_eq!(c.handle_timeout(t0 + 10 * SEC), Err(Error::ConnectTimeout));
    assert!(c.is_finished());
    // Handshake: 10 s from the connect, absolute.
    let mut c = Driver::client(config(), request(), masks(), t0);
    c.connected(t0 + 3 * SEC);
    assert!(c.poll_output().starts_with(b"GET / HTTP/1.1\r\n"));
    let _ = take_output(&mut c);
    let fed = feed(&mut c, b"HTTP/1.1 101 Switching", t0 + 12 * SEC, false);
    assert_eq!((fed.events.len(), fed.error), (0, None));
    assert_eq!(c.handle_timeout(t0 + 12 * SEC), Ok(()));
    assert_eq!(
        c.handle_timeout(t0 + 13 * SEC),
        Err(Error::HandshakeTimeout)
    );
    assert!(c.is_finished());
}

#[test]
fn keepalive_pings_when_idle_and_fails_without_an_answer() {
    let mut cfg = DriverConfig::default();
    cfg.connection.keepalive_interval = Some(60 * SEC);
    cfg.connection.keepalive_timeout = 30 * SEC;
    let cfg = Arc::new(cfg);
    let t0 = Instant::now();
    let mut server = open_server(cfg.clone(), t0);
    assert_eq!(server.poll_timeout(), Some(t0 + 60 * SEC));
    server.handle_timeout(t0 + 60 * SEC).unwrap();
    let ping = frames(&take_output(&mut server));
    assert_eq!((ping.len(), ping[0].opcode), (1, OpCode::Ping));
    assert_eq!(server.poll_timeout(), Some(t0 + 90 * SEC));
    // Nothing comes back: the connection is given up, 1006, and closed without a frame.
    assert_eq!(
        server.handle_timeout(t0 + 90 * SEC),
        Err(Error::Protocol(sockeye_proto::Error::Timeout(
            TimeoutKind::Keepalive
        )))
    );
    assert!(take_output(&mut server).is_empty());
    assert_eq!(server.stage(), Stage::Closing);
    assert_eq!(server.take_closed(), Some(Closed::unclean_for_test(1006)));

    // With an answer (any bytes) the connection lives on and the next ping is due an
    // interval after the check.
    let mut server = open_server(cfg, t0);
    server.handle_timeout(t0 + 60 * SEC).unwrap();
    let _ = take_output(&mut server);
    let fed = feed(&mut server, &masked(0x8A, b""), t0 + 70 * SEC, false);
    assert_eq!(fed.events, [Seen::Pong(vec![])]);
    assert_eq!(server.handle_timeout(t0 + 90 * SEC), Ok(()));
    assert_eq!(server.poll_timeout(), Some(t0 + 150 * SEC));
    assert_eq!(server.stage(), Stage::Open);
}

#[test]
fn close_handshake_timeout_then_linger_then_finished() {
    let t0 = Instant::now();
    let mut server = open_server(config(), t0); // close 5 s, linger 2 s
    server
        .outbox(t0 + SEC)
        .close(CloseCode::GOING_AWAY, "bye")
        .unwrap();
    let sent = frames(&take_output(&mut server));
    assert_eq!(
        (sent[0].opcode, close_code(&sent[0])),
        (OpCode::Close, Some(1001))
    );
    assert_eq!(server.poll_timeout(), Some(t0 + 6 * SEC));
    // Messages still arrive while we wait for the peer's close (§7.1.2).
    let fed = feed(&mut server, &masked(0x81, b"late"), t0 + 2 * SEC, false);
    assert_eq!(fed.events, [Seen::Text("late".into())]);
    // The peer never answers: given up at 6 s.
    assert_eq!(
        server.handle_timeout(t0 + 6 * SEC),
        Err(Error::Protocol(sockeye_proto::Error::Timeout(
            TimeoutKind::Close
        )))
    );
    assert!(server.wants_write_shutdown());
    server.write_shut();
    // Linger: input is discarded until the peer's EOF, at most 2 s.
    assert_eq!(server.poll_timeout(), Some(t0 + 8 * SEC));
    let fed = feed(&mut server, &masked(0x81, b"ignored"), t0 + 7 * SEC, false);
    assert!(fed.events.is_empty());
    server.handle_timeout(t0 + 8 * SEC).unwrap();
    assert!(server.is_finished());
    assert_eq!(server.take_closed(), Some(Closed::unclean_for_test(1006)));
}

#[test]
fn clean_close_from_the_peer_is_reported_with_its_code_and_reason() {
    let mut link = Link::open(config(), config());
    link.client
        .outbox(link.now)
        .close(CloseCode::new(4000), "done")
        .unwrap();
    link.pump();
    assert_eq!(link.server_seen, [Seen::Close(4000, "done".into())]);
    assert_eq!(link.client_seen, [Seen::Close(4000, String::new())]);
    // §7.1.1: the server closes TCP first, then the client sees EOF and finishes.
    assert!(link.server.is_finished() && link.client.is_finished());
    let closed = link.server.take_closed().unwrap();
    assert_eq!(
        (closed.code.as_u16(), closed.reason.as_str(), closed.clean),
        (4000, "done", true)
    );
    let closed = link.client.take_closed().unwrap();
    assert_eq!((closed.code.as_u16(), closed.clean), (4000, true));
    assert_eq!(link.server.take_closed(), None, "reported once");
}

/// §7.1.1: after the closing handshake the client waits for the server to close TCP,
/// at most the close timeout, then closes it itself (and lingers for the FIN).
#[test]
fn client_waits_for_the_servers_tcp_close_then_closes_itself() {
    let t0 = Instant::now();
    let mut cfg = DriverConfig::default();
    cfg.linger_timeout = SEC;
    let mut c = client(Arc::new(cfg), t0);
    let request = take_output(&mut c);
    let mut server = Driver::server(config(), t0);
    feed(&mut server, &request, t0, false);
    feed(&mut c, &take_output(&mut server), t0, false);
    assert_eq!(c.stage(), Stage::Open);
    c.outbox(t0).close(CloseCode::NORMAL, "").unwrap();
    let _ = take_output(&mut c);
    // The server's answer arrives; its TCP close does not.
    let fed = feed(&mut c, &[0x88, 0x02, 0x03, 0xe8], t0 + SEC, false);
    assert_eq!(fed.events, [Seen::Close(1000, String::new())]);
    assert!(
        !c.wants_write_shutdown(),
        "the client does not close TCP first"
    );
    assert_eq!(c.poll_timeout(), Some(t0 + 6 * SEC));
    c.handle_timeout(t0 + 6 * SEC).unwrap();
    assert!(c.poll_output().is_empty());
    assert!(c.wants_write_shutdown());
    c.write_shut();
    assert_eq!(c.poll_timeout(), Some(t0 + 7 * SEC), "then lingers");
    c.handle_timeout(t0 + 7 * SEC).unwrap();
    assert!(c.is_finished());
    let closed = c.take_closed().unwrap();
    assert_eq!((closed.code.as_u16(), closed.clean), (1000, true));
}

#[test]
fn client_keepalive_pings_are_masked() {
    let mut cfg = DriverConfig::default();
    cfg.connection.keepalive_interval = Some(30 * SEC);
    let mut link = Link::open(Arc::new(cfg), config());
    link.wait(30 * SEC);
    let pings: Vec<_> = frames(after_head(&link.client_wire))
        .into_iter()
        .filter(|f| f.opcode == OpCode::Ping)
        .collect();
    assert_eq!(pings.len(), 1);
    assert!(pings[0].masked, "§5.3: every client frame is masked");
    assert_eq!(link.client_seen, [Seen::Pong(vec![])]);
}

#[test]
fn back_pressure_pauses_at_the_high_water_mark_and_resumes_at_half() {
    let mut cfg = DriverConfig::default();
    cfg.write_high_water = 1000;
    cfg.max_write_buffer = 10_000;
    let t0 = Instant::now();
    let mut server = open_server(Arc::new(cfg), t0);
    let msg = [0u8; 298]; // 302 bytes on the wire (4-byte header)
    for expected in [Sent::Queued, Sent::Queued, Sent::Queued] {
        assert_eq!(server.outbox(t0).send_binary(&msg), Ok(expected));
    }
    assert!(server.wants_read());
    assert_eq!(
        server.outbox(t0).send_binary(&msg),
        Ok(Sent::AboveHighWater)
    );
    let _ = server.poll_output();
    assert!(!server.wants_read(), "paused over 1,000 queued bytes");
    // The socket takes some: still above half of the mark, still paused.
    server.written(600); // 608 left
    assert!(!server.wants_read());
    server.written(108); // 500 left: resumes
    assert!(server.wants_read());
    assert_eq!(server.queued(), 500);
}

#[test]
fn overflow_closes_with_1008_by_default_or_refuses() {
    let t0 = Instant::now();
    for policy in [OverflowPolicy::Close, OverflowPolicy::Refuse] {
        let mut cfg = DriverConfig::default();
        cfg.write_high_water = 1000;
        cfg.max_write_buffer = 2000;
        cfg.overflow = policy;
        let mut server = open_server(Arc::new(cfg), t0);
        assert!(server.outbox(t0).send_binary(&[1; 1500]).is_ok());
        assert_eq!(
            server.outbox(t0).send_binary(&[2; 600]),
            Err(SendError::Full)
        );
        let wire = frames(&take_output(&mut server));
        match policy {
            OverflowPolicy::Close => {
                assert_eq!(wire.len(), 2);
                assert_eq!(close_code(&wire[1]), Some(1008));
                assert!(!server.can_send());
                // The peer answers the close: the report keeps our reason.
                let fed = feed(
                    &mut server,
                    &masked(0x88, &1008u16.to_be_bytes()),
                    t0,
                    false,
                );
                assert_eq!(fed.events, [Seen::Close(1008, String::new())]);
                let _ = server.poll_output();
                assert_eq!(server.take_closed(), Some(Closed::unclean_for_test(1008)));
            }
            _ => {
                assert_eq!(wire.len(), 1, "only the first message");
                assert!(server.can_send());
                assert!(server.outbox(t0).send_binary(&[3; 10]).is_ok());
            }
        }
    }
}

#[test]
fn a_close_for_a_reason_of_ours_is_reported_with_our_code() {
    let t0 = Instant::now();
    let mut server = open_server(config(), t0);
    server
        .outbox(t0)
        .close_with_error(CloseCode::INTERNAL_ERROR, "internal error")
        .unwrap();
    let sent = frames(&take_output(&mut server));
    assert_eq!(close_code(&sent[0]), Some(1011));
    let fed = feed(
        &mut server,
        &masked(0x88, &1011u16.to_be_bytes()),
        t0,
        false,
    );
    assert_eq!(fed.events, [Seen::Close(1011, String::new())]);
    let _ = server.poll_output();
    assert_eq!(server.take_closed(), Some(Closed::unclean_for_test(1011)));
}

#[test]
fn peer_vanishing_is_1006_and_finishes() {
    let t0 = Instant::now();
    let mut server = open_server(config(), t0);
    // Half a frame, then EOF.
    let frame = masked(0x82, &[9; 100]);
    let fed = feed(&mut server, &frame[..50], t0, false);
    assert!(fed.events.is_empty());
    assert_eq!(
        server.recv_eof(t0),
        Err(Error::Protocol(sockeye_proto::Error::AbnormalClosure))
    );
    assert!(server.wants_write_shutdown());
    server.write_shut();
    assert!(server.is_finished());
    assert_eq!(server.take_closed(), Some(Closed::unclean_for_test(1006)));
}

#[test]
fn abort_while_open_reports_1006() {
    let t0 = Instant::now();
    let mut server = open_server(config(), t0);
    server.abort();
    assert!(server.is_finished());
    assert_eq!(server.take_closed(), Some(Closed::unclean_for_test(1006)));
}

#[test]
fn a_violation_is_answered_with_its_code_then_linger() {
    let t0 = Instant::now();
    let mut server = open_server(config(), t0);
    // Unmasked frame from a client: 1002 (§5.1).
    let fed = feed(&mut server, &[0x81, 0x01, b'x'], t0, false);
    assert!(
        matches!(fed.error, Some(Error::Protocol(e)) if e.close_code() == Some(CloseCode::PROTOCOL_ERROR))
    );
    let wire = frames(&take_output(&mut server));
    assert_eq!(close_code(&wire[0]), Some(1002));
    assert_eq!(server.stage(), Stage::Closing);
    assert_eq!(server.poll_timeout(), Some(t0 + 2 * SEC));
    server.write_shut();
    assert_eq!(server.recv_eof(t0 + SEC), Ok(()));
    assert!(server.is_finished());
    assert_eq!(server.take_closed(), Some(Closed::unclean_for_test(1002)));
}

/// `Closed` for a connection that ended without a clean handshake.
trait UncleanForTest {
    fn unclean_for_test(code: u16) -> Closed;
}

impl UncleanForTest for Closed {
    fn unclean_for_test(code: u16) -> Closed {
        Closed {
            code: CloseCode::new(code),
            reason: String::new(),
            clean: false,
            // 1006 is never sent: no close frame started such an end.
            by: if code == 1006 {
                ClosedBy::Transport
            } else {
                ClosedBy::Local
            },
        }
    }
}

#[test]
fn the_end_says_which_side_started_it() {
    let t0 = Instant::now();
    // The peer closes first: a clean end, started by the peer.
    let mut server = open_server(config(), t0);
    let fed = feed(
        &mut server,
        &masked(0x88, &1000u16.to_be_bytes()),
        t0,
        false,
    );
    assert_eq!(fed.events, [Seen::Close(1000, String::new())]);
    let wire = frames(&take_output(&mut server));
    assert_eq!(close_code(&wire[0]), Some(1000), "the echo of its close");
    server.write_shut();
    assert_eq!(server.recv_eof(t0), Ok(()));
    let closed = server.take_closed().unwrap();
    assert_eq!((closed.code.as_u16(), closed.clean), (1000, true));
    assert_eq!(closed.by, ClosedBy::Peer);

    // We close first and the peer answers: clean, started by us.
    let mut server = open_server(config(), t0);
    server
        .outbox(t0)
        .close(CloseCode::GOING_AWAY, "bye")
        .unwrap();
    let wire = frames(&take_output(&mut server));
    assert_eq!(close_code(&wire[0]), Some(1001));
    let fed = feed(
        &mut server,
        &masked(0x88, &1001u16.to_be_bytes()),
        t0,
        false,
    );
    assert_eq!(fed.events, [Seen::Close(1001, String::new())]);
    server.write_shut();
    assert_eq!(server.recv_eof(t0), Ok(()));
    let closed = server.take_closed().unwrap();
    assert_eq!((closed.code.as_u16(), closed.clean), (1001, true));
    assert_eq!(closed.by, ClosedBy::Local);
    assert_eq!(closed.by.as_str(), "local");
}

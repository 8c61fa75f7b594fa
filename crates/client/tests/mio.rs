//! The non-blocking client: many connections on one `mio::Poll`, against the test server
//! in `common` (loopback, port 0).
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use common::Report;
use mio::{Events, Poll, Token};
use sockeye_client::{ClientBuilder, ClientEvent, Error, MioClient, Outbox, Timeout};
use sockeye_proto::CloseCode;

/// Drives `clients` on one poll until each has finished or failed (or `limit` passes);
/// returns each client's end: `Ok(())` for a normal end.
fn drive<F>(clients: &mut [MioClient], limit: Duration, mut on_event: F) -> Vec<Result<(), Error>>
where
    F: FnMut(usize, &mut Outbox<'_>, ClientEvent<'_>),
{
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(256);
    let mut scratch = vec![0u8; 16 * 1024];
    let mut ends: Vec<Option<Result<(), Error>>> = clients.iter().map(|_| None).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        client.register(poll.registry(), Token(i)).unwrap();
    }
    let give_up = Instant::now() + limit;
    while ends.iter().any(Option::is_none) {
        assert!(
            Instant::now() < give_up,
            "clients did not finish in {limit:?}"
        );
        let next_timer = clients
            .iter()
            .zip(&ends)
            .filter(|(_, end)| end.is_none())
            .filter_map(|(c, _)| c.poll_timeout())
            .min();
        let wait = next_timer
            .map(|t| t.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_millis(100))
            .min(Duration::from_millis(100));
        poll.poll(&mut events, Some(wait)).unwrap();
        let now = Instant::now();
        for event in events.iter() {
            let i = event.token().0;
            if ends[i].is_some() {
                continue;
            }
            let client = &mut clients[i];
            let mut result = Ok(());
            if event.is_writable() {
                result = client.on_writable(now);
            }
            let read = event.is_readable()
                || event.is_error()
                || event.is_read_closed()
                || client.wants_read_now();
            if result.is_ok() && read {
                result = client.on_readable(&mut scratch, now, |out, ev| on_event(i, out, ev));
            }
            finish_or_reregister(client, &poll, result, &mut ends[i]);
        }
        let now = Instant::now();
        for (i, client) in clients.iter_mut().enumerate() {
            if ends[i].is_none() && client.poll_timeout().is_some_and(|t| t <= now) {
                let result = client.handle_timeout(now);
                finish_or_reregister(client, &poll, result, &mut ends[i]);
            }
        }
    }
    ends.into_iter().map(Option::unwrap).collect()
}

fn finish_or_reregister(
    client: &mut MioClient,
    poll: &Poll,
    result: Result<(), Error>,
    end: &mut Option<Result<(), Error>>,
) {
    if result.is_err() || client.is_finished() {
        client.deregister(poll.registry()).unwrap();
        *end = Some(result);
    } else {
        client.reregister(poll.registry()).unwrap();
        // Never writable interest without output.
        if client.is_open() {
            assert_eq!(
                client.interest().is_writable(),
                client.buffered_amount() > 0
            );
        }
    }
}

#[test]
fn many_clients_on_one_poll_echo_in_order() {
    const CLIENTS: usize = 40;
    const MESSAGES: usize = 25;
    let server = common::start();
    let builder = ClientBuilder::new();
    let mut clients: Vec<MioClient> = (0..CLIENTS)
        .map(|_| builder.connect_mio(&server.url("/echo")).unwrap())
        .collect();
    // What each client sent and has not seen echoed yet.
    let mut expected: Vec<VecDeque<Vec<u8>>> = vec![VecDeque::new(); CLIENTS];
    let mut echoed = vec![0usize; CLIENTS];
    let ends = drive(
        &mut clients,
        Duration::from_secs(20),
        |i, out, event| match event {
            ClientEvent::Open { protocol } => {
                assert_eq!(protocol, None);
                for m in 0..MESSAGES {
                    let len = (i * 997 + m * 4099) % 70_000;
                    let data: Vec<u8> = (0..len).map(|k| (k + i + m) as u8).collect();
                    if m % 2 == 0 {
                        out.send_binary(&data).unwrap();
                    } else {
                        let text: String = data.iter().map(|b| (b'a' + b % 26) as char).collect();
                        out.send_text(&text).unwrap();
                    }
                    let sent = if m % 2 == 0 {
                        data
                    } else {
                        data.iter().map(|b| b'a' + b % 26).collect()
                    };
                    expected[i].push_back(sent);
                }
            }
            ClientEvent::Text(t) => {
                assert_eq!(
                    Some(t.as_bytes().to_vec()),
                    expected[i].pop_front(),
                    "client {i}"
                );
                echoed[i] += 1;
            }
            ClientEvent::Binary(b) => {
                assert_eq!(Some(b.to_vec()), expected[i].pop_front(), "client {i}");
                echoed[i] += 1;
                if echoed[i] == MESSAGES {
                    out.close(CloseCode::NORMAL, "done").unwrap();
                }
            }
            ClientEvent::Close { code, .. } => assert_eq!(code, CloseCode::NORMAL),
            other => panic!("unexpected {other:?}"),
        },
    );
    for (i, end) in ends.iter().enumerate() {
        assert!(end.is_ok(), "client {i}: {end:?}");
        assert_eq!(echoed[i], MESSAGES);
    }
    for _ in 0..CLIENTS {
        assert_eq!(server.report(), Report::Close(1000));
    }
}

#[test]
fn bytes_after_the_101_and_subprotocol() {
    let server = common::start();
    let builder = ClientBuilder::new().protocol("chat");
    let mut clients = vec![builder.connect_mio(&server.url("/greet")).unwrap()];
    let mut seen = Vec::new();
    let ends = drive(&mut clients, Duration::from_secs(5), |_, out, event| {
        seen.push(format!("{event:?}"));
        if let ClientEvent::Text("pong:p") = event {
            out.close(CloseCode::GOING_AWAY, "").unwrap();
        }
    });
    assert!(ends[0].is_ok(), "{:?}", ends[0]);
    assert_eq!(clients[0].protocol(), Some("chat"));
    assert_eq!(
        seen,
        [
            "Open { protocol: Some(\"chat\") }",
            "Text(\"welcome\")",
            "Ping([112])",
            "Text(\"pong:p\")",
            "Close { code: CloseCode(1001), reason: \"\" }",
        ]
    );
}

#[test]
fn server_initiated_close_ends_normally() {
    let server = common::start();
    let mut clients = vec![ClientBuilder::new().connect_mio(&server.url("/")).unwrap()];
    let mut closed = None;
    let ends = drive(
        &mut clients,
        Duration::from_secs(5),
        |_, out, event| match event {
            ClientEvent::Open { .. } => out.send_text("cmd:close").unwrap(),
            ClientEvent::Close { code, reason } => {
                closed = Some((code.as_u16(), reason.to_owned()))
            }
            other => panic!("{other:?}"),
        },
    );
    assert!(ends[0].is_ok(), "{:?}", ends[0]);
    assert_eq!(closed, Some((4000, "bye".to_owned())));
    assert_eq!(server.report(), Report::Close(4000));
}

#[test]
fn bad_frame_fails_with_1002() {
    let server = common::start();
    let mut clients = vec![ClientBuilder::new().connect_mio(&server.url("/")).unwrap()];
    let ends = drive(&mut clients, Duration::from_secs(5), |_, out, event| {
        if let ClientEvent::Open { .. } = event {
            out.send_text("cmd:bad-rsv").unwrap();
        }
    });
    assert_eq!(
        ends[0].as_ref().unwrap_err().close_code(),
        Some(CloseCode::PROTOCOL_ERROR)
    );
    assert_eq!(server.report(), Report::Close(1002));
}

#[test]
fn handshake_timeout_rejection_and_eof() {
    let server = common::start();
    let builder = ClientBuilder::new().handshake_timeout(Duration::from_millis(200));
    let mut clients = vec![
        builder.connect_mio(&server.url("/noanswer")).unwrap(),
        builder.connect_mio(&server.url("/401")).unwrap(),
        builder.connect_mio(&server.url("/drop")).unwrap(),
    ];
    let started = Instant::now();
    let ends = drive(&mut clients, Duration::from_secs(5), |_, _, _| {});
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        ends[0].as_ref().unwrap_err().is_timeout(Timeout::Handshake),
        "{:?}",
        ends[0]
    );
    assert!(
        matches!(&ends[1], Err(Error::Rejected(r)) if r.status() == 401),
        "{:?}",
        ends[1]
    );
    assert!(
        matches!(
            ends[2],
            Err(Error::Protocol(sockeye_proto::Error::AbnormalClosure))
        ),
        "{:?}",
        ends[2]
    );
}

#[test]
fn connection_refused_is_an_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut clients = vec![
        ClientBuilder::new()
            .connect_mio(&format!("ws://127.0.0.1:{port}/"))
            .unwrap(),
    ];
    let ends = drive(&mut clients, Duration::from_secs(5), |_, _, _| {});
    assert!(matches!(ends[0], Err(Error::Io(_))), "{:?}", ends[0]);
}

#[test]
fn output_is_bounded() {
    let server = common::start();
    let mut clients = vec![
        ClientBuilder::new()
            .max_write_buffer(10_000)
            .connect_mio(&server.url("/"))
            .unwrap(),
    ];
    assert!(matches!(
        clients[0].send_text("early", Instant::now()),
        Err(Error::NotOpen)
    ));
    let mut refused = false;
    let ends = drive(
        &mut clients,
        Duration::from_secs(5),
        |_, out, event| match event {
            ClientEvent::Open { .. } => {
                refused = matches!(out.send_binary(&[0; 10_000]), Err(Error::WriteBufferFull));
                out.send_binary(&[1; 5_000]).unwrap();
            }
            ClientEvent::Binary(b) => {
                assert_eq!(b, &[1; 5_000][..]);
                out.close(CloseCode::NORMAL, "").unwrap();
            }
            _ => {}
        },
    );
    assert!(refused);
    assert!(ends[0].is_ok(), "{:?}", ends[0]);
    assert!(matches!(
        clients[0].send_text("late", Instant::now()),
        Err(Error::ConnectionClosed)
    ));
}

/// The client reads no clock: its deadlines run on the `now` it is given. Here the
/// handshake deadline (10 s from the connect) passes on a virtual clock at once.
#[test]
fn timers_run_on_the_callers_clock() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let t0 = Instant::now();
    let stream = mio::net::TcpStream::connect(addr).unwrap();
    let url = format!("ws://{addr}/");
    let mut client = MioClient::new(stream, &url, &ClientBuilder::new(), t0).unwrap();
    // Connect deadline: 10 s from creation, on our clock.
    assert_eq!(client.poll_timeout(), Some(t0 + Duration::from_secs(10)));
    let (_server_side, _) = listener.accept().unwrap(); // accepted, never answered
    let connected_at = t0 + Duration::from_secs(2);
    let give_up = Instant::now() + Duration::from_secs(5);
    while client.poll_timeout() != Some(connected_at + Duration::from_secs(10)) {
        assert!(Instant::now() < give_up, "the connect never completed");
        client.on_writable(connected_at).unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    let almost = connected_at + Duration::from_millis(9_999);
    assert!(client.handle_timeout(almost).is_ok());
    assert!(matches!(
        client.handle_timeout(connected_at + Duration::from_secs(10)),
        Err(Error::Timeout(Timeout::Handshake))
    ));
    assert!(client.is_finished());
}

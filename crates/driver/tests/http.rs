//! Plain HTTP beside the upgrade (`DriverConfig::serve_http`): a page request is an
//! event, the response closes the connection, `HEAD` gets the head only, and the
//! handshake's limits and deadline hold for it too.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use sockeye_driver::{Driver, DriverConfig, Error, Event, Stage};
use sockeye_handshake::{Method, Reject, RequestError};

fn serving() -> Arc<DriverConfig> {
    let mut config = DriverConfig::default();
    config.serve_http = true;
    Arc::new(config)
}

fn page() -> Reject {
    Reject::new(200)
        .unwrap()
        .header("Content-Type", "text/html; charset=utf-8")
        .unwrap()
        .body("<h1>hi</h1>")
}

/// Feeds `bytes`; returns (method, target) of the plain request it completed.
fn http_request(driver: &mut Driver, bytes: &[u8], now: Instant) -> Option<(Method, String)> {
    let mut input = bytes.to_vec();
    let r = driver.recv(&mut input, now).unwrap();
    assert_eq!(r.consumed, bytes.len());
    match r.event {
        Some(Event::Http(req)) => Some((req.method(), req.target().to_owned())),
        _ => None,
    }
}

#[test]
fn a_get_is_answered_and_the_connection_ends() {
    let now = Instant::now();
    let mut server = Driver::server(serving(), now);
    let got = http_request(&mut server, b"GET /?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", now);
    assert_eq!(got, Some((Method::Get, "/?x=1".into())));
    assert!(!server.wants_read(), "no more input before the answer");
    server.respond(&page(), now).unwrap();
    let out = String::from_utf8(take_output(&mut server)).unwrap();
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.contains("Connection: close\r\n") && out.contains("Content-Length: 11\r\n"));
    assert!(out.ends_with("\r\n\r\n<h1>hi</h1>"));
    assert_eq!(server.stage(), Stage::Closing);
    assert!(server.wants_write_shutdown());
    // Nothing more to answer.
    assert_eq!(server.respond(&page(), now), Err(Error::NoRequest));
}

#[test]
fn head_gets_the_head_only() {
    let now = Instant::now();
    let mut server = Driver::server(serving(), now);
    let got = http_request(&mut server, b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", now);
    assert_eq!(got.map(|g| g.0), Some(Method::Head));
    server.respond(&page(), now).unwrap();
    let out = String::from_utf8(take_output(&mut server)).unwrap();
    assert!(out.contains("Content-Length: 11\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\n"), "no body: {out}");
}

#[test]
fn without_serve_http_a_page_request_is_a_bad_handshake() {
    let now = Instant::now();
    let mut server = Driver::server(config(), now);
    let mut input = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n".to_vec();
    let err = server.recv(&mut input, now).unwrap_err();
    assert!(matches!(err, Error::Request(_)), "{err:?}");
    let out = String::from_utf8(take_output(&mut server)).unwrap();
    assert!(!out.starts_with("HTTP/1.1 200"), "{out}");
}

#[test]
fn upgrades_still_work_beside_it() {
    let now = Instant::now();
    let mut server = Driver::server(serving(), now);
    let fed = feed(&mut server, &request_bytes("/chat"), now, false);
    assert_eq!(fed.events, [Seen::Request("/chat".into())]);
    assert_eq!(server.stage(), Stage::Open);
    // An answer for a plain request that is not there.
    assert_eq!(server.respond(&page(), now), Err(Error::NoRequest));
}

#[test]
fn the_handshake_limits_and_deadline_hold() {
    let now = Instant::now();
    // A head over the limit: 431, the connection lingers out.
    let mut server = Driver::server(serving(), now);
    let long = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(9000));
    let mut input = long.into_bytes();
    let err = server.recv(&mut input, now).unwrap_err();
    assert_eq!(err, Error::Request(RequestError::LineTooLong));
    assert!(
        String::from_utf8(take_output(&mut server))
            .unwrap()
            .starts_with("HTTP/1.1 431")
    );
    // A request trickled past the handshake deadline is dropped without an answer.
    let mut server = Driver::server(serving(), now);
    assert_eq!(
        http_request(&mut server, b"GET / HTTP/1.1\r\nHo", now),
        None
    );
    let late = now + DriverConfig::DEFAULT_HANDSHAKE_TIMEOUT + Duration::from_millis(1);
    assert_eq!(server.handle_timeout(late), Err(Error::HandshakeTimeout));
    assert!(server.is_finished());
    assert!(take_output(&mut server).is_empty());
}

#[test]
fn bytes_split_anywhere_give_the_same_request() {
    let bytes = b"GET /app.js HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";
    for cut in 1..bytes.len() {
        let now = Instant::now();
        let mut server = Driver::server(serving(), now);
        assert_eq!(http_request(&mut server, &bytes[..cut], now), None);
        let got = http_request(&mut server, &bytes[cut..], now);
        assert_eq!(got, Some((Method::Get, "/app.js".into())), "cut at {cut}");
    }
}

//! TLS through the driver, both roles back to back in memory on virtual time: the
//! handshake inside the opening handshake, messages of every size through records cut at
//! every read size, the close with close_notify, idle buffers released, and each failure
//! with its own error (certificates refused, plain HTTP on the port, garbage, a trickled
//! or stalled handshake bounded by the deadline).
#![cfg(feature = "tls")]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use proptest::prelude::*;
use sockeye_driver::tls::dev::DevPki;
use sockeye_driver::tls::{TlsAlert, TlsClientConfig, TlsError, TlsServerConfig};
use sockeye_driver::{Driver, DriverConfig, Error, Stage};
use sockeye_handshake::{ClientRequest, WsUrl};
use sockeye_proto::CloseCode;
use sockeye_proto::test_support::CounterMasks;

struct Pki {
    pki: DevPki,
    server: TlsServerConfig,
    client: TlsClientConfig,
}

fn pki() -> Pki {
    let pki = DevPki::new().unwrap();
    let server = pki.server_config(&["localhost", "127.0.0.1"]).unwrap();
    let client = pki.client_config().unwrap();
    Pki {
        pki,
        server,
        client,
    }
}

/// Output buffers kept after they drain, as the server sets it (it lends one per loop)
/// or as the default (64 KiB).
fn keep() -> usize {
    KEEP.with(std::cell::Cell::get)
}

thread_local! {
    static KEEP: std::cell::Cell<usize> =
        const { std::cell::Cell::new(DriverConfig::DEFAULT_KEEP_OUTPUT_CAPACITY) };
}

fn server_config(tls: &TlsServerConfig) -> Arc<DriverConfig> {
    let mut config = DriverConfig::default();
    config.tls_server = Some(tls.clone());
    config.keep_output_capacity = keep();
    Arc::new(config)
}

fn client_driver(tls: &TlsClientConfig, host: &str, now: Instant) -> Result<Driver, Error> {
    let mut config = DriverConfig::default();
    config.tls_client = Some(tls.clone());
    config.keep_output_capacity = keep();
    let url = WsUrl::parse(&format!("wss://{host}/chat")).unwrap();
    let request = ClientRequest::new(&url, *b"the sample nonce");
    let mut driver = Driver::client_tls(
        Arc::new(config),
        request,
        url.host(),
        Box::new(CounterMasks::default()),
        now,
    )?;
    driver.connected(now);
    Ok(driver)
}

fn tls_link(p: &Pki, read_size: usize) -> Link {
    let now = Instant::now();
    let client = client_driver(&p.client, "localhost", now).unwrap();
    let server = Driver::server(server_config(&p.server), now);
    assert!(client.is_tls() && server.is_tls());
    Link::open_drivers(client, server, now, read_size)
}

/// Text of exactly `size` bytes, multi-byte characters included.
fn text_of(size: usize) -> String {
    let mut s = String::with_capacity(size);
    for c in "wss echo κόσμε 🦀 ".chars().cycle() {
        if s.len() + c.len_utf8() > size {
            break;
        }
        s.push(c);
    }
    while s.len() < size {
        s.push('.');
    }
    s
}

fn round_trips(link: &mut Link, sizes: &[usize]) {
    link.echo = true;
    for &size in sizes {
        let text = text_of(size);
        link.client.outbox(link.now).send_text(&text).unwrap();
        link.pump();
        assert_eq!(
            link.server_seen.pop(),
            Some(Seen::Text(text.clone())),
            "{size}"
        );
        assert_eq!(link.client_seen.pop(), Some(Seen::Text(text)), "{size}");
        let data = vec![(size % 251) as u8; size];
        link.client.outbox(link.now).send_binary(&data).unwrap();
        link.pump();
        assert_eq!(link.client_seen.pop(), Some(Seen::Binary(data)), "{size}");
        link.server_seen.clear();
    }
    assert!(link.client_errors.is_empty(), "{:?}", link.client_errors);
    assert!(link.server_errors.is_empty(), "{:?}", link.server_errors);
}

#[test]
fn messages_of_every_size_cross_tls_both_ways() {
    let p = pki();
    let mut link = tls_link(&p, usize::MAX);
    round_trips(
        &mut link,
        &[0, 1, 125, 126, 16 << 10, (16 << 10) + 1, 100_000, 1 << 20],
    );
    // Nothing WebSocket travels in the clear: the payloads are not on the wire.
    let marker = "wss echo κόσμε".as_bytes();
    assert!(!link.client_wire.windows(marker.len()).any(|w| w == marker));
    assert!(!link.server_wire.windows(marker.len()).any(|w| w == marker));
}

#[test]
fn reads_cut_records_anywhere() {
    let p = pki();
    for read_size in [1, 2, 5, 6, 7, 100, 4096, 16_389, 16_390, 65_536] {
        let mut link = tls_link(&p, read_size);
        round_trips(&mut link, &[0, 30, 20_000]);
    }
}

#[test]
fn a_clean_close_sends_close_notify_and_shuts_down_both_sides() {
    let p = pki();
    let mut link = tls_link(&p, usize::MAX);
    link.client
        .outbox(link.now)
        .close(CloseCode::NORMAL, "bye")
        .unwrap();
    link.pump();
    assert_eq!(link.server_seen, [Seen::Close(1000, "bye".into())]);
    assert_eq!(link.client_seen, [Seen::Close(1000, String::new())]);
    assert!(link.client_errors.is_empty() && link.server_errors.is_empty());
    // §7.1.1: the server closed TCP first, after its close_notify; both are finished.
    assert!(link.server.is_finished(), "{:?}", link.server.stage());
    assert!(link.client.is_finished(), "{:?}", link.client.stage());
    assert!(link.server.take_closed().unwrap().clean);
    assert!(link.client.take_closed().unwrap().clean);
}

#[test]
fn an_idle_tls_connection_holds_no_buffers() {
    KEEP.with(|k| k.set(0));
    let p = pki();
    let mut link = tls_link(&p, 1000);
    round_trips(&mut link, &[10, 100_000]);
    let _ = link.client.poll_output();
    let _ = link.server.poll_output();
    assert_eq!(link.client.buffered_capacity(), 0);
    assert_eq!(link.server.buffered_capacity(), 0);
}

#[test]
fn certificate_failures_have_their_own_errors() {
    let p = pki();
    let now = Instant::now();
    let stranger = DevPki::new().unwrap();
    let expired = p
        .pki
        .server_cert_valid(&["localhost"], (2020, 1, 1), (2021, 1, 1))
        .unwrap();
    let expired = TlsServerConfig::with_cert_store(Arc::new(sockeye_driver::tls::CertStore::new(
        expired.certified_key().unwrap(),
    )))
    .unwrap();
    let cases: [(&TlsClientConfig, &TlsServerConfig, &str, TlsError, u8); 3] = [
        // A CA the client does not trust: unknown_ca (48) back to the server.
        (
            &stranger.client_config().unwrap(),
            &p.server,
            "localhost",
            TlsError::UnknownIssuer,
            48,
        ),
        // The certificate names localhost and 127.0.0.1 only: bad_certificate (42).
        (
            &p.client,
            &p.server,
            "example.com",
            TlsError::NameMismatch,
            42,
        ),
        // certificate_expired (45).
        (&p.client, &expired, "localhost", TlsError::Expired, 45),
    ];
    for (client_tls, server_tls, host, client_error, alert) in cases {
        let mut client = client_driver(client_tls, host, now).unwrap();
        let mut server = Driver::server(server_config(server_tls), now);
        let mut link_errors = (None, None);
        for _ in 0..10 {
            let c = take_output(&mut client);
            let fed = feed(&mut server, &c, now, false);
            link_errors.1 = link_errors.1.or(fed.error);
            let s = take_output(&mut server);
            let fed = feed(&mut client, &s, now, false);
            link_errors.0 = link_errors.0.or(fed.error);
        }
        assert_eq!(link_errors.0, Some(Error::Tls(client_error)), "{host}");
        assert_eq!(
            link_errors.1,
            Some(Error::Tls(TlsError::AlertReceived(TlsAlert(alert)))),
            "{host}"
        );
        assert_eq!(client.stage(), Stage::Closing);
        assert!(client.take_closed().is_none(), "never opened");
    }
}

#[test]
fn plain_http_on_the_tls_port_gets_a_400_in_the_clear() {
    let p = pki();
    let now = Instant::now();
    let mut server = Driver::server(server_config(&p.server), now);
    let fed = feed(&mut server, &request_bytes("/"), now, false);
    assert_eq!(fed.error, Some(Error::Tls(TlsError::NotTls)));
    let out = take_output(&mut server);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(
        head.contains(&format!("Content-Length: {}", body.len())),
        "{head}"
    );
    assert!(server.wants_write_shutdown());
}

#[test]
fn garbage_instead_of_a_client_hello_ends_at_once() {
    let p = pki();
    let now = Instant::now();
    let cases: [(&[u8], Result<usize, Error>); 5] = [
        // A handshake record announcing more than TLS allows: refused from its header.
        (
            &[0x16, 0x03, 0x01, 0xff, 0xff],
            Err(Error::Tls(TlsError::TooLarge)),
        ),
        // Not a content type at all.
        (&[0; 3], Err(Error::Tls(TlsError::NotTls))),
        (b"\xff\xfe", Err(Error::Tls(TlsError::NotTls))),
        // A record that is not a handshake message.
        (&[0x16; 64], Err(Error::Tls(TlsError::PeerMisbehaved))),
        // The start of what may become a record: wait for more.
        (b"\x16\x03", Ok(2)),
    ];
    for (garbage, expected) in cases {
        let mut server = Driver::server(server_config(&p.server), now);
        let mut input = garbage.to_vec();
        let result = server.recv(&mut input, now).map(|r| r.consumed);
        match expected {
            Ok(n) => {
                assert_eq!(result, Ok(n), "{garbage:?}");
                assert_eq!(server.stage(), Stage::Handshake);
            }
            Err(Error::Tls(TlsError::PeerMisbehaved)) => {
                assert!(
                    matches!(result, Err(Error::Tls(_))),
                    "{garbage:?}: {result:?}"
                );
                assert_eq!(server.stage(), Stage::Closing);
            }
            Err(e) => {
                assert_eq!(result, Err(e), "{garbage:?}");
                assert_eq!(server.stage(), Stage::Closing);
            }
        }
    }
}

#[test]
fn the_tls_handshake_counts_against_the_absolute_handshake_deadline() {
    let p = pki();
    let start = Instant::now();
    let mut client = client_driver(&p.client, "localhost", start).unwrap();
    let mut server = Driver::server(server_config(&p.server), start);
    let deadline = server.poll_timeout().unwrap();
    assert_eq!(deadline, start + DriverConfig::DEFAULT_HANDSHAKE_TIMEOUT);
    // The ClientHello trickles in a byte per second: progress does not move the deadline.
    let hello = take_output(&mut client);
    let mut now = start;
    for byte in &hello[..9] {
        now += Duration::from_secs(1);
        let fed = feed(&mut server, &[*byte], now, false);
        assert!(fed.error.is_none());
        assert_eq!(server.poll_timeout(), Some(deadline));
    }
    assert_eq!(
        server.handle_timeout(deadline),
        Err(Error::HandshakeTimeout)
    );
    // A client that stops mid-handshake: the same deadline, and the driver ends.
    assert!(server.is_finished(), "{:?}", server.stage());
}

#[test]
fn a_client_without_tls_configuration_or_with_a_bad_name_is_refused() {
    let now = Instant::now();
    let url = WsUrl::parse("wss://localhost/").unwrap();
    let request = ClientRequest::new(&url, *b"the sample nonce");
    let plain = Arc::new(DriverConfig::default());
    let masks = Box::new(CounterMasks::default());
    let e = Driver::client_tls(plain, request, "localhost", masks, now).unwrap_err();
    assert_eq!(e, Error::Tls(TlsError::NotConfigured));
    let p = pki();
    let mut config = DriverConfig::default();
    config.tls_client = Some(p.client.clone());
    let request = ClientRequest::new(&url, *b"the sample nonce");
    let masks = Box::new(CounterMasks::default());
    let e = Driver::client_tls(Arc::new(config), request, "bad name!", masks, now).unwrap_err();
    assert_eq!(e, Error::Tls(TlsError::InvalidServerName));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Arbitrary read sizes both ways, messages of arbitrary sizes: every echo intact.
    #[test]
    fn arbitrary_reads_and_sizes(read_size in 1usize..40_000, sizes in prop::collection::vec(0usize..70_000, 1..4)) {
        let p = pki();
        let mut link = tls_link(&p, read_size);
        round_trips(&mut link, &sizes);
    }
}

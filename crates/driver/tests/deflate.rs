//! permessage-deflate through the driver: negotiated in the handshake of both roles,
//! installed once, compressed on the wire.

mod common;

use std::sync::Arc;
use std::time::Instant;

use common::*;
use sockeye_driver::{DeflateConfig, Driver, DriverConfig, Error, Event};
use sockeye_frame::{OpCode, Rsv};
use sockeye_handshake::DeflateParams;

fn with_deflate(deflate: Option<DeflateConfig>) -> Arc<DriverConfig> {
    let mut config = DriverConfig::default();
    config.deflate = deflate;
    Arc::new(config)
}

/// Chat-shaped JSON, repetitive like the traffic compression is for.
fn json(n: usize) -> String {
    let line = r#"{"room":"general","user":"alice","text":"hello there, how is everyone?"}"#;
    let mut s = String::from("[");
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(line);
    }
    s.push(']');
    s
}

#[test]
fn on_by_default_with_no_idle_state_and_compressed_both_ways() {
    let mut link = Link::open(config(), config());
    link.echo = true;
    // The default server answers for a fresh window both ways (no zlib state while idle).
    let agreed = DeflateParams {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        ..DeflateParams::default()
    };
    assert_eq!(link.server.deflate(), Some(&agreed));
    assert_eq!(link.client.deflate(), Some(&agreed));
    let text = json(40);
    let wire_before = link.client_wire.len();
    link.client.outbox(link.now).send_text(&text).unwrap();
    link.pump();
    assert_eq!(link.server_seen, [Seen::Text(text.clone())]);
    assert_eq!(link.client_seen, [Seen::Text(text.clone())]);
    let sent = frames(&link.client_wire[wire_before..]);
    assert_eq!((sent[0].opcode, sent[0].rsv), (OpCode::Text, Rsv::RSV1));
    assert!(
        sent[0].payload.len() * 5 < text.len(),
        "{} bytes for {}",
        sent[0].payload.len(),
        text.len()
    );
    let echoed = frames(after_head(&link.server_wire));
    assert_eq!(echoed[0].rsv, Rsv::RSV1);
}

#[test]
fn every_mode_round_trips_many_messages() {
    for mode in [
        DeflateConfig::context_takeover(),
        DeflateConfig::shared_compressor(),
        DeflateConfig::no_idle_state(),
    ] {
        let mut link = Link::open(with_deflate(Some(DeflateConfig::context_takeover())), {
            with_deflate(Some(mode.clone()))
        });
        link.echo = true;
        for i in 0..20 {
            let text = format!("{} #{i}", json(i + 1));
            link.client.outbox(link.now).send_text(&text).unwrap();
            link.pump();
            assert_eq!(link.client_seen.pop(), Some(Seen::Text(text)), "{mode:?}");
        }
        assert!(link.server_errors.is_empty() && link.client_errors.is_empty());
    }
}

#[test]
fn off_on_either_side_means_uncompressed() {
    for (client, server) in [
        (None, Some(DeflateConfig::default())),
        (Some(DeflateConfig::default()), None),
    ] {
        let mut link = Link::open(with_deflate(client), with_deflate(server));
        assert_eq!(link.server.deflate(), None);
        assert_eq!(link.client.deflate(), None);
        link.client.outbox(link.now).send_text(&json(20)).unwrap();
        link.pump();
        let sent = frames(after_head(&link.client_wire));
        assert_eq!(sent[0].rsv, Rsv::NONE);
    }
}

/// §7.1.2.2: a server may not answer `client_max_window_bits` to an offer without it; the
/// client fails the connection.
#[test]
fn a_response_the_client_did_not_allow_fails_it() {
    let now = Instant::now();
    let mut config = DriverConfig::default();
    let mut deflate = DeflateConfig::default();
    deflate.client.offer_client_max_window_bits = false;
    config.deflate = Some(deflate);
    let mut client = client(Arc::new(config), now);
    let request = take_output(&mut client);
    assert!(
        String::from_utf8_lossy(&request)
            .contains("Sec-WebSocket-Extensions: permessage-deflate\r\n")
    );
    let mut server = Driver::server(common::config(), now);
    let mut input = request;
    let r = server.recv(&mut input, now).unwrap();
    let Some(Event::Request(req)) = r.event else {
        panic!("no request")
    };
    let key = req.key();
    let answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n\r\n",
        key.accept().as_str()
    );
    let fed = feed(&mut client, answer.as_bytes(), now, false);
    assert!(
        matches!(fed.error, Some(Error::Response(_))),
        "{:?}",
        fed.error
    );
    assert!(client.wants_write_shutdown());
}

/// The application can answer for the extension itself: then the driver does not.
#[test]
fn an_application_answer_is_left_alone() {
    let now = Instant::now();
    let mut client = client(config(), now);
    let mut server = Driver::server(config(), now);
    let mut input = take_output(&mut client);
    let r = server.recv(&mut input, now).unwrap();
    assert!(matches!(r.event, Some(Event::Request(_))));
    let own = sockeye_handshake::Extension::new("permessage-deflate")
        .unwrap()
        .with_param("server_no_context_takeover", None)
        .unwrap();
    server
        .accept(&sockeye_handshake::Accept::new().extension(own), now)
        .unwrap();
    let response = String::from_utf8(take_output(&mut server)).unwrap();
    assert_eq!(
        response.matches("permessage-deflate").count(),
        1,
        "{response}"
    );
    assert_eq!(server.deflate(), None, "the driver installed nothing");
}

/// A broadcast compressed once goes compressed to connections that compress without
/// context takeover (and accept our window), plain to the others.
#[test]
fn a_shared_frame_goes_compressed_where_it_may() {
    use sockeye_driver::SharedFrame;
    let text = json(30);
    let deflate = DeflateConfig::no_idle_state();
    let shared = SharedFrame::text_compressed(&text, &deflate);
    assert!(shared.deflated().unwrap().len() * 5 < shared.plain().len());
    let window_10 = {
        let mut d = DeflateConfig::context_takeover();
        d.client.server_max_window_bits = Some(10);
        Some(d)
    };
    for (server_mode, client_mode, compressed) in [
        (
            DeflateConfig::no_idle_state(),
            Some(DeflateConfig::context_takeover()),
            true,
        ),
        (
            DeflateConfig::shared_compressor(),
            Some(DeflateConfig::context_takeover()),
            true,
        ),
        // Context takeover: the connection's own compressor would not know the message.
        (
            DeflateConfig::context_takeover(),
            Some(DeflateConfig::context_takeover()),
            false,
        ),
        // The client asked for a 10-bit window: the 15-bit frame is not for it.
        (DeflateConfig::no_idle_state(), window_10.clone(), false),
        (DeflateConfig::no_idle_state(), None, false),
    ] {
        let mut link = Link::open(with_deflate(client_mode), with_deflate(Some(server_mode)));
        let before = link.server_wire.len();
        link.server.send_shared(&shared, link.now).unwrap();
        // And a message of the connection's own after it still decodes.
        link.server.outbox(link.now).send_text(&json(7)).unwrap();
        link.pump();
        assert_eq!(
            link.client_seen,
            [Seen::Text(text.clone()), Seen::Text(json(7))]
        );
        let frames = frames(&link.server_wire[before..]);
        assert_eq!(
            frames[0].rsv == Rsv::RSV1,
            compressed,
            "{:?}",
            link.server.deflate()
        );
    }
}

#[test]
fn set_level_reaches_the_shared_compressor_and_every_event_loop() {
    let text = json(40);
    let mut echoes = Vec::new();
    for level in [0, 9] {
        let mut server = DeflateConfig::default();
        server.set_level(level);
        let per_loop = server.for_event_loop();
        assert_eq!(per_loop.shared.as_ref().map(|s| s.level()), Some(level));
        let mut link = Link::open(config(), with_deflate(Some(per_loop)));
        link.echo = true;
        link.client.outbox(link.now).send_text(&text).unwrap();
        link.pump();
        assert_eq!(link.client_seen, [Seen::Text(text.clone())]);
        let echoed = frames(after_head(&link.server_wire));
        echoes.push((echoed[0].rsv, echoed[0].payload.len()));
    }
    // Level 0 only stores, which is no smaller, so without context takeover the echo goes
    // uncompressed (§6.1 allows either); level 9 compresses the repetitive JSON. With the
    // shared compressor left at the default level 1, level 0 would have compressed.
    assert_eq!(echoes[0], (Rsv::NONE, text.len()));
    assert_eq!(echoes[1].0, Rsv::RSV1);
    assert!(
        echoes[1].1 * 5 < text.len(),
        "{echoes:?} for {}",
        text.len()
    );
}

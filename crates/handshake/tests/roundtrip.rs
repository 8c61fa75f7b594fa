//! Client and server together: the client's request is accepted by the server and the
//! server's 101 is validated by the client, leftover bytes preserved on both sides.

use sockeye_handshake::{Accept, ClientRequest, Extension, Outcome, RequestParser, Status, WsUrl};

#[test]
fn client_server_round_trip() {
    let url = WsUrl::parse("ws://[::1]:9001/live/feed?topic=a%2Fb").unwrap();
    let nonce = [
        0x5a, 0x11, 0x9c, 0x03, 0xe7, 0x42, 0x88, 0x10, 0x01, 0xfe, 0x7b, 0x33, 0x00, 0x9d, 0xc4,
        0x61,
    ];
    let deflate = Extension::new("permessage-deflate")
        .unwrap()
        .with_param("client_max_window_bits", None)
        .unwrap();
    let mut to_server = Vec::new();
    let mut handshake = ClientRequest::new(&url, nonce)
        .protocol("v2.feed")
        .unwrap()
        .protocol("v1.feed")
        .unwrap()
        .extension(deflate)
        .extension(
            Extension::new("x-custom")
                .unwrap()
                .with_param("q", Some("a, b"))
                .unwrap(),
        )
        .origin("https://app.example")
        .unwrap()
        .header("Cookie", "id=42")
        .unwrap()
        .write(&mut to_server);
    // The client's first frame goes out in the same write as its request.
    let client_frame = b"\x82\x84\x01\x02\x03\x04\x01\x02\x03\x04";
    to_server.extend_from_slice(client_frame);

    // Server, fed three bytes at a time.
    let mut parser = RequestParser::default();
    let mut buf = Vec::new();
    let mut request = None;
    for piece in to_server.chunks(3) {
        buf.extend_from_slice(piece);
        if let Status::Complete(r) = parser.parse(&buf).unwrap() {
            request = Some(r);
            break;
        }
    }
    let request = request.expect("complete request");
    assert!(parser.bytes_scanned() <= 2 * to_server.len() as u64);
    // Drain the head; whatever had already arrived of the frame stays, then the rest.
    buf.drain(..request.head_len());
    let arrived = buf.len();
    buf.extend_from_slice(&to_server[to_server.len() - client_frame.len() + arrived..]);
    assert_eq!(buf, client_frame);

    assert_eq!(request.host(), "[::1]:9001");
    assert_eq!(request.path(), "/live/feed");
    assert_eq!(request.query(), Some("topic=a%2Fb"));
    assert_eq!(request.origin(), Some("https://app.example"));
    assert_eq!(request.protocols(), ["v2.feed", "v1.feed"]);
    assert_eq!(request.extensions()[1].param("q"), Some(Some("a, b")));
    assert_eq!(request.headers().get_str("cookie"), Some("id=42"));

    let mut to_client = Vec::new();
    let accept = Accept::new().protocol("v1.feed").unwrap().extension(
        Extension::new("permessage-deflate")
            .unwrap()
            .with_param("client_max_window_bits", Some("12"))
            .unwrap(),
    );
    request.accept_with(&accept, &mut to_client).unwrap();
    let server_frame = b"\x81\x02ok";
    to_client.extend_from_slice(server_frame);

    let mut outcome = None;
    for end in 1..=to_client.len() {
        if let Status::Complete(o) = handshake.parse_response(&to_client[..end]).unwrap() {
            outcome = Some((o, end));
            break;
        }
    }
    let (outcome, seen) = outcome.expect("complete response");
    let Outcome::Accepted(accepted) = outcome else {
        panic!("rejected")
    };
    assert_eq!(seen, accepted.head_len());
    assert_eq!(&to_client[accepted.head_len()..], server_frame);
    assert_eq!(accepted.protocol(), Some("v1.feed"));
    assert_eq!(accepted.extensions().len(), 1);
    assert_eq!(
        accepted.extensions()[0].param("client_max_window_bits"),
        Some(Some("12"))
    );
}

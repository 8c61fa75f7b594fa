//! Client role: request building, response checks, non-101 outcomes.

use sockeye_handshake::{
    BuildError, ClientHandshake, ClientRequest, Extension, Limits, Outcome, ResponseError, Status,
    WsUrl,
};

const NONCE: [u8; 16] = *b"the sample nonce";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fn handshake(protocols: &[&str], extensions: &[&str]) -> ClientHandshake {
    let url = WsUrl::parse("ws://example.com/chat").unwrap();
    let mut request = ClientRequest::new(&url, NONCE);
    for p in protocols {
        request = request.protocol(p).unwrap();
    }
    for e in extensions {
        request = request.extension(Extension::new(e).unwrap());
    }
    request.write(&mut Vec::new())
}

fn response(lines: &[&str]) -> Vec<u8> {
    let mut out = String::new();
    for l in lines {
        out.push_str(l);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn ok_101(extra: &[&str]) -> Vec<u8> {
    let accept = format!("Sec-WebSocket-Accept: {ACCEPT}");
    let mut lines = vec![
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        accept.as_str(),
    ];
    lines.extend_from_slice(extra);
    response(&lines)
}

fn outcome(hs: &mut ClientHandshake, buf: &[u8]) -> Result<Outcome, ResponseError> {
    match hs.parse_response(buf)? {
        Status::Complete(o) => Ok(o),
        Status::Incomplete => panic!("incomplete"),
    }
}

#[test]
fn request_bytes() {
    let url = WsUrl::parse("ws://[::1]:9001/x?y=%20z").unwrap();
    let mut out = Vec::new();
    ClientRequest::new(&url, NONCE)
        .header("Authorization", "Bearer t")
        .unwrap()
        .write(&mut out);
    assert_eq!(
        out,
        b"GET /x?y=%20z HTTP/1.1\r\nHost: [::1]:9001\r\nUpgrade: websocket\r\n\
          Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
          Sec-WebSocket-Version: 13\r\nAuthorization: Bearer t\r\n\r\n"
    );
    let url = WsUrl::parse("wss://example.com").unwrap();
    let mut out = Vec::new();
    ClientRequest::new(&url, NONCE)
        .protocol("a")
        .unwrap()
        .protocol("b")
        .unwrap()
        .write(&mut out);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("GET / HTTP/1.1\r\nHost: example.com\r\n"));
    assert!(text.contains("\r\nSec-WebSocket-Protocol: a, b\r\n"));
}

#[test]
fn builder_refuses_misuse() {
    let url = WsUrl::parse("ws://a/").unwrap();
    let request = || ClientRequest::new(&url, NONCE);
    assert_eq!(
        request().header("X-A", "1\r\nX-Injected: 2").unwrap_err(),
        BuildError::InvalidHeaderValue
    );
    assert_eq!(
        request().header("X-A", "1\n").unwrap_err(),
        BuildError::InvalidHeaderValue
    );
    assert_eq!(
        request().header("X\r\nA", "1").unwrap_err(),
        BuildError::InvalidHeaderName
    );
    assert_eq!(
        request().header("", "1").unwrap_err(),
        BuildError::InvalidHeaderName
    );
    assert_eq!(
        request().header("Host", "b").unwrap_err(),
        BuildError::ReservedHeader
    );
    assert_eq!(
        request().header("Sec-WebSocket-Key", "b").unwrap_err(),
        BuildError::ReservedHeader
    );
    assert_eq!(
        request().origin("a\rb").unwrap_err(),
        BuildError::InvalidHeaderValue
    );
    assert_eq!(
        request().protocol("a,b").unwrap_err(),
        BuildError::InvalidToken
    );
    assert_eq!(
        request().protocol("a").unwrap().protocol("a").unwrap_err(),
        BuildError::DuplicateProtocol
    );
    assert_eq!(Extension::new("a b").unwrap_err(), BuildError::InvalidToken);
    assert_eq!(
        Extension::new("a")
            .unwrap()
            .with_param("b", Some("\r"))
            .unwrap_err(),
        BuildError::InvalidParamValue
    );
}

#[test]
fn accepted() {
    let mut hs = handshake(&["chat", "superchat"], &["permessage-deflate"]);
    assert_eq!(hs.expected_accept().as_str(), ACCEPT);
    let mut buf = ok_101(&[
        "Sec-WebSocket-Protocol: superchat",
        "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10",
        "Set-Cookie: a=1",
    ]);
    let head_len = buf.len();
    buf.extend_from_slice(b"\x81\x05hello");
    let Outcome::Accepted(accepted) = outcome(&mut hs, &buf).unwrap() else {
        panic!("not accepted")
    };
    assert_eq!(accepted.protocol(), Some("superchat"));
    assert_eq!(
        accepted.extensions()[0].param("server_max_window_bits"),
        Some(Some("10"))
    );
    assert_eq!(
        accepted.response().headers().get_str("set-cookie"),
        Some("a=1")
    );
    assert_eq!(accepted.head_len(), head_len);
    assert_eq!(&buf[accepted.head_len()..], b"\x81\x05hello");
}

#[test]
fn lenient_token_lists_in_response() {
    let mut hs = handshake(&[], &[]);
    let accept = format!("sec-websocket-accept: {ACCEPT}");
    let buf = response(&[
        "HTTP/1.1 101 Switching Protocols",
        "upgrade: WebSocket",
        "connection: keep-alive, upgrade",
        &accept,
    ]);
    assert!(matches!(outcome(&mut hs, &buf), Ok(Outcome::Accepted(_))));
}

#[test]
fn rejected_is_an_outcome() {
    let mut hs = handshake(&[], &[]);
    let mut buf = response(&[
        "HTTP/1.1 302 Found",
        "Location: wss://other.example/chat",
        "Content-Length: 4",
    ]);
    buf.extend_from_slice(b"gone");
    let Outcome::Rejected(rejected) = outcome(&mut hs, &buf).unwrap() else {
        panic!("not rejected")
    };
    assert_eq!(rejected.status(), 302);
    assert_eq!(rejected.reason(), "Found");
    assert_eq!(rejected.location(), Some("wss://other.example/chat"));
    assert_eq!(&buf[rejected.head_len()..], b"gone");

    let mut hs = handshake(&[], &[]);
    let buf = response(&[
        "HTTP/1.1 401 Unauthorized",
        "WWW-Authenticate: Basic realm=\"x\"",
    ]);
    let got = outcome(&mut hs, &buf).unwrap();
    assert_eq!(got.response().status(), 401);
    assert_eq!(
        got.response().headers().get_str("www-authenticate"),
        Some("Basic realm=\"x\"")
    );
    // Even HTTP/1.0 non-101 answers are surfaced.
    let mut hs = handshake(&[], &[]);
    let got = outcome(&mut hs, &response(&["HTTP/1.0 503 Busy"])).unwrap();
    assert_eq!(got.response().status(), 503);
}

#[test]
fn every_invalid_response() {
    let accept = format!("Sec-WebSocket-Accept: {ACCEPT}");
    let wrong = "Sec-WebSocket-Accept: HSmrc0sMlYUkAGmm5OPpG2HaGWk=";
    let cases: Vec<(Vec<u8>, ResponseError)> = vec![
        (b"HTTP/1.1 abc\r\n\r\n".to_vec(), ResponseError::Malformed),
        (b"NOT HTTP\r\n\r\n".to_vec(), ResponseError::Malformed),
        (
            response(&["HTTP/1.0 101 Switching Protocols", "Upgrade: websocket"]),
            ResponseError::HttpVersionTooOld,
        ),
        (
            response(&["HTTP/1.1 101 x", "Connection: Upgrade", &accept]),
            ResponseError::UpgradeNotWebSocket,
        ),
        (
            response(&["HTTP/1.1 101 x", "Upgrade: websocket", &accept]),
            ResponseError::ConnectionNotUpgrade,
        ),
        (
            response(&[
                "HTTP/1.1 101 x",
                "Upgrade: websocket",
                "Connection: Upgrade",
            ]),
            ResponseError::MissingAccept,
        ),
        (
            response(&[
                "HTTP/1.1 101 x",
                "Upgrade: websocket",
                "Connection: Upgrade",
                wrong,
            ]),
            ResponseError::AcceptMismatch,
        ),
        (
            ok_101(&[&accept]),
            ResponseError::DuplicateHeader("Sec-WebSocket-Accept"),
        ),
        (
            ok_101(&[
                "Sec-WebSocket-Protocol: chat",
                "Sec-WebSocket-Protocol: chat",
            ]),
            ResponseError::DuplicateHeader("Sec-WebSocket-Protocol"),
        ),
        (
            ok_101(&["Sec-WebSocket-Protocol: other"]),
            ResponseError::ProtocolNotOffered,
        ),
        (
            ok_101(&["Sec-WebSocket-Protocol: chat, superchat"]),
            ResponseError::InvalidProtocol,
        ),
        (
            ok_101(&["Sec-WebSocket-Extensions: x-other"]),
            ResponseError::ExtensionNotOffered,
        ),
        (
            ok_101(&["Sec-WebSocket-Extensions: a;"]),
            ResponseError::InvalidExtensions,
        ),
    ];
    for (buf, error) in cases {
        let mut hs = handshake(&["chat", "superchat"], &["permessage-deflate"]);
        assert_eq!(
            outcome(&mut hs, &buf),
            Err(error),
            "{}",
            String::from_utf8_lossy(&buf)
        );
    }
    // A protocol answered when none was offered.
    let mut hs = handshake(&[], &[]);
    assert_eq!(
        outcome(&mut hs, &ok_101(&["Sec-WebSocket-Protocol: chat"])),
        Err(ResponseError::ProtocolNotOffered)
    );
}

#[test]
fn response_caps() {
    let url = WsUrl::parse("ws://a/").unwrap();
    let mut hs = ClientRequest::new(&url, NONCE)
        .limits(Limits::new().max_head_len(100))
        .write(&mut Vec::new());
    let buf = ok_101(&["X-Padding: 0123456789012345678901234567890123456789"]);
    assert_eq!(hs.parse_response(&buf), Err(ResponseError::HeadTooLarge));
    let mut hs = handshake(&[], &[]);
    let long = format!("X-Long: {}", "a".repeat(5000));
    assert_eq!(
        hs.parse_response(&ok_101(&[&long])),
        Err(ResponseError::LineTooLong)
    );
    let many: Vec<String> = (0..65).map(|i| format!("X-{i}: v")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let mut hs = handshake(&[], &[]);
    assert_eq!(
        hs.parse_response(&ok_101(&many)),
        Err(ResponseError::TooManyHeaders)
    );
}

#[test]
fn response_in_pieces() {
    let mut hs = handshake(&[], &[]);
    let buf = ok_101(&[]);
    for len in 0..buf.len() {
        assert_eq!(hs.parse_response(&buf[..len]), Ok(Status::Incomplete));
    }
    assert!(matches!(
        hs.parse_response(&buf),
        Ok(Status::Complete(Outcome::Accepted(_)))
    ));
    assert!(hs.bytes_scanned() <= 2 * buf.len() as u64);
}

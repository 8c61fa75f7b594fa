//! Server role: browser request shapes, every refusal and its status, responses.

mod common;

use common::{CHROME, FIREFOX, MINIMAL, complete, minimal_plus, minimal_with, parse};
use sockeye_handshake::{
    Accept, BuildError, Extension, Limits, OriginAllowList, Reject, RequestError, RequestParser,
    Status, accept_key,
};

#[test]
fn rfc_sample_key() {
    assert_eq!(
        accept_key(b"dGhlIHNhbXBsZSBub25jZQ==").as_str(),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    let request = complete(MINIMAL);
    assert_eq!(
        request.key().accept().as_str(),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

#[test]
fn chrome_request() {
    let request = complete(CHROME);
    assert_eq!(request.path(), "/chat");
    assert_eq!(request.query(), None);
    assert_eq!(request.host(), "example.com:8080");
    assert_eq!(request.origin(), Some("http://example.com:8080"));
    assert!(request.protocols().is_empty());
    let [ext] = request.extensions() else {
        panic!("one extension expected")
    };
    assert_eq!(ext.name(), "permessage-deflate");
    assert_eq!(ext.param("client_max_window_bits"), Some(None));
    assert_eq!(request.headers().len(), 12);
    assert_eq!(
        request
            .headers()
            .get_str("user-agent")
            .map(|ua| ua.contains("Chrome")),
        Some(true)
    );
    assert_eq!(request.head_len(), CHROME.len());

    let mut out = Vec::new();
    let accept = Accept::new().extension(
        Extension::new("permessage-deflate")
            .unwrap()
            .with_param("server_no_context_takeover", None)
            .unwrap(),
    );
    request.accept_with(&accept, &mut out).unwrap();
    assert_eq!(
        out,
        b"HTTP/1.1 101 Switching Protocols\r\n\
          Upgrade: websocket\r\n\
          Connection: Upgrade\r\n\
          Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
          Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\
          \r\n"
    );
}

#[test]
fn firefox_request() {
    let request = complete(FIREFOX);
    assert_eq!(request.target(), "/socket?v=2");
    assert_eq!(request.path(), "/socket");
    assert_eq!(request.query(), Some("v=2"));
    assert_eq!(request.protocols(), ["chat", "superchat"]);
    assert_eq!(request.extensions().len(), 1);
    assert_eq!(
        request.headers().get_str("cookie"),
        Some("session=abc123; theme=dark")
    );
    assert_eq!(
        request.headers().get_str("SEC-FETCH-MODE"),
        Some("websocket")
    );
    assert_eq!(request.key().as_str(), "x3JJHMbDL1EzLkh9GBhXDw==");

    let mut out = Vec::new();
    let accept = Accept::new()
        .protocol("superchat")
        .unwrap()
        .header("Set-Cookie", "seen=1")
        .unwrap();
    request.accept_with(&accept, &mut out).unwrap();
    assert_eq!(
        out,
        b"HTTP/1.1 101 Switching Protocols\r\n\
          Upgrade: websocket\r\n\
          Connection: Upgrade\r\n\
          Sec-WebSocket-Accept: HSmrc0sMlYUkAGmm5OPpG2HaGWk=\r\n\
          Sec-WebSocket-Protocol: superchat\r\n\
          Set-Cookie: seen=1\r\n\
          \r\n"
    );
}

#[test]
fn leftover_bytes_are_not_consumed() {
    let mut buf = CHROME.to_vec();
    buf.extend_from_slice(b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
    let request = complete(&buf);
    assert_eq!(
        &buf[request.head_len()..],
        b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"
    );
}

#[test]
fn incomplete_until_blank_line() {
    let mut parser = RequestParser::default();
    for len in 0..MINIMAL.len() {
        assert_eq!(
            parser.parse(&MINIMAL[..len]),
            Ok(Status::Incomplete),
            "{len}"
        );
    }
    assert!(matches!(parser.parse(MINIMAL), Ok(Status::Complete(_))));
}

/// Bytes that cannot begin a request line are refused as they arrive, not after the
/// handshake deadline: a TLS ClientHello sent to a plain port (0x16 0x03 0x01 ...), a
/// binary probe. Anything that may still become a request (empty lines first, a method
/// being spelled out, another method, answered 405 once complete) stays incomplete.
#[test]
fn a_head_that_cannot_be_http_is_refused_at_once() {
    for bytes in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"[..],
        b"\x16",
        b"\r\n\x00",
        b"G\x00T / HTTP/1.1",
        b"GET\x7f",
    ] {
        assert_eq!(
            RequestParser::default().parse(bytes),
            Err(RequestError::Malformed),
            "{bytes:?}"
        );
    }
    // The verdict does not depend on the split (found by the `handshake` fuzz target): a
    // head that breaks a cap and starts with a byte no method has is Malformed whole, as
    // its prefix is.
    let mut long = b"\x00\x00Host: a".to_vec();
    long.extend(std::iter::repeat_n(b'a', 10 << 10));
    assert_eq!(
        RequestParser::default().parse(&long),
        Err(RequestError::Malformed)
    );
    for bytes in [
        &b""[..],
        b"\r\n",
        b"\r\n\r\nGE",
        b"GET",
        b"GET / HTTP/1.1\r\nHost: \x01",
        b"POST /x HTTP/1.1\r\n",
        b"M-SEARCH * HTTP/1.1",
    ] {
        assert_eq!(
            RequestParser::default().parse(bytes),
            Ok(Status::Incomplete),
            "{bytes:?}"
        );
    }
}

#[test]
fn token_lists_are_case_insensitive_and_comma_separated() {
    let buf = minimal_with("Connection:", "connection: keep-alive ,  UPGRADE");
    let buf = String::from_utf8(buf)
        .unwrap()
        .replace("Upgrade: websocket", "upgrade: h2c, WebSocket");
    assert!(complete(buf.as_bytes()).headers().contains("upgrade"));
    // Repeated list headers combine.
    let buf = minimal_with(
        "Connection:",
        "Connection: keep-alive\r\nConnection: Upgrade",
    );
    complete(&buf);
    let buf = minimal_plus("Sec-WebSocket-Protocol: a, b\r\nSec-WebSocket-Protocol: c");
    assert_eq!(complete(&buf).protocols(), ["a", "b", "c"]);
    let buf = minimal_plus("Sec-WebSocket-Extensions: x\r\nSec-WebSocket-Extensions: y; z=1");
    let request = complete(&buf);
    let names: Vec<&str> = request.extensions().iter().map(|e| e.name()).collect();
    assert_eq!(names, ["x", "y"]);
}

/// Every refusal, with its exact status.
#[test]
fn every_invalid_case_has_its_status() {
    let long_line = format!("X-Long: {}", "a".repeat(5000));
    let many: String = (0..65).map(|i| format!("X-{i}: v\r\n")).collect();
    let many = many.trim_end();
    let cases: Vec<(Vec<u8>, RequestError, u16)> = vec![
        (b"GARBAGE\r\n\r\n".to_vec(), RequestError::Malformed, 400),
        (
            b"GET / HTTP/1.1\r\nBad Header\r\n\r\n".to_vec(),
            RequestError::Malformed,
            400,
        ),
        (
            b"GET / HTTP/2.0\r\nHost: a\r\n\r\n".to_vec(),
            RequestError::Malformed,
            400,
        ),
        (minimal_plus("X: \x01"), RequestError::Malformed, 400),
        (minimal_plus(" folded"), RequestError::Malformed, 400),
        (
            minimal_with("GET", "POST /chat HTTP/1.1"),
            RequestError::MethodNotAllowed,
            405,
        ),
        (
            minimal_with("GET", "get /chat HTTP/1.1"),
            RequestError::MethodNotAllowed,
            405,
        ),
        (
            minimal_with("GET", "GET /chat HTTP/1.0"),
            RequestError::HttpVersionTooOld,
            400,
        ),
        (
            minimal_with("GET", "GET * HTTP/1.1"),
            RequestError::InvalidTarget,
            400,
        ),
        (
            minimal_with("GET", "GET http://a/chat HTTP/1.1"),
            RequestError::InvalidTarget,
            400,
        ),
        (
            minimal_plus("Content-Length: 5"),
            RequestError::UnexpectedBody,
            400,
        ),
        (
            minimal_plus("Transfer-Encoding: chunked"),
            RequestError::UnexpectedBody,
            400,
        ),
        (minimal_with("Host:", ""), RequestError::MissingHost, 400),
        (
            minimal_with("Host:", "Host:"),
            RequestError::MissingHost,
            400,
        ),
        (
            minimal_plus("Host: b"),
            RequestError::DuplicateHeader("Host"),
            400,
        ),
        (
            minimal_plus("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="),
            RequestError::DuplicateHeader("Sec-WebSocket-Key"),
            400,
        ),
        (
            minimal_plus("sec-websocket-version: 13"),
            RequestError::DuplicateHeader("Sec-WebSocket-Version"),
            400,
        ),
        (
            minimal_plus("Origin: http://a\r\nOrigin: http://b"),
            RequestError::DuplicateHeader("Origin"),
            400,
        ),
        (
            minimal_with("Upgrade:", ""),
            RequestError::UpgradeNotWebSocket,
            400,
        ),
        (
            minimal_with("Upgrade:", "Upgrade: h2c"),
            RequestError::UpgradeNotWebSocket,
            400,
        ),
        (
            minimal_with("Upgrade:", "Upgrade: websockets"),
            RequestError::UpgradeNotWebSocket,
            400,
        ),
        (
            minimal_with("Connection:", ""),
            RequestError::ConnectionNotUpgrade,
            400,
        ),
        (
            minimal_with("Connection:", "Connection: keep-alive"),
            RequestError::ConnectionNotUpgrade,
            400,
        ),
        (
            minimal_with("Sec-WebSocket-Version:", ""),
            RequestError::MissingVersion,
            426,
        ),
        (
            minimal_with("Sec-WebSocket-Version:", "Sec-WebSocket-Version: 8"),
            RequestError::UnsupportedVersion,
            426,
        ),
        (
            minimal_with("Sec-WebSocket-Version:", "Sec-WebSocket-Version: 13, 8"),
            RequestError::UnsupportedVersion,
            426,
        ),
        (
            minimal_with("Sec-WebSocket-Key:", ""),
            RequestError::MissingKey,
            400,
        ),
        (
            minimal_with("Sec-WebSocket-Key:", "Sec-WebSocket-Key: c2hvcnQ="),
            RequestError::InvalidKey,
            400,
        ),
        (
            minimal_with(
                "Sec-WebSocket-Key:",
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=!",
            ),
            RequestError::InvalidKey,
            400,
        ),
        (
            minimal_plus("Sec-WebSocket-Protocol: chat, a b"),
            RequestError::InvalidProtocols,
            400,
        ),
        (
            minimal_plus("Sec-WebSocket-Protocol: chat/1"),
            RequestError::InvalidProtocols,
            400,
        ),
        (
            minimal_plus("Sec-WebSocket-Extensions: a; b=\"unterminated"),
            RequestError::InvalidExtensions,
            400,
        ),
        (minimal_plus(&long_line), RequestError::LineTooLong, 431),
        (minimal_plus(many), RequestError::TooManyHeaders, 431),
    ];
    for (buf, error, status) in cases {
        let got = parse(&buf);
        assert_eq!(got, Err(error), "{}", String::from_utf8_lossy(&buf));
        assert_eq!(error.status(), status, "{error:?}");
        let response = error.to_response();
        let status_line = format!("HTTP/1.1 {status} ");
        assert!(response.starts_with(status_line.as_bytes()), "{error:?}");
    }

    // A head that does not end within the cap.
    let mut endless = b"GET / HTTP/1.1\r\n".to_vec();
    while endless.len() < 9000 {
        endless.extend_from_slice(b"X-Filler: 0123456789\r\n");
    }
    let limits = Limits::new().max_headers(1000);
    let got = RequestParser::new(limits).parse(&endless);
    assert_eq!(got, Err(RequestError::HeadTooLarge));
    assert_eq!(RequestError::HeadTooLarge.status(), 431);
    // Not allowed origin.
    assert_eq!(RequestError::OriginNotAllowed.status(), 403);
}

#[test]
fn exact_error_responses() {
    assert_eq!(
        RequestError::MissingHost.to_response(),
        b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\
          Content-Type: text/plain; charset=utf-8\r\nContent-Length: 20\r\n\r\n\
          missing Host header\n"
    );
    assert_eq!(
        RequestError::UnsupportedVersion.to_response(),
        b"HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\n\
          Connection: Upgrade, close\r\nSec-WebSocket-Version: 13\r\n\
          Content-Type: text/plain; charset=utf-8\r\nContent-Length: 34\r\n\r\n\
          unsupported Sec-WebSocket-Version\n"
    );
    let response = String::from_utf8(RequestError::MethodNotAllowed.to_response()).unwrap();
    assert!(response.starts_with("HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\n"));
    let response = String::from_utf8(RequestError::TooManyHeaders.to_response()).unwrap();
    assert!(response.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    let response = String::from_utf8(RequestError::OriginNotAllowed.to_response()).unwrap();
    assert!(response.starts_with("HTTP/1.1 403 Forbidden\r\n"));
    // Content-Length is right for every variant.
    for error in [
        RequestError::Malformed,
        RequestError::DuplicateHeader("Sec-WebSocket-Key"),
        RequestError::LineTooLong,
    ] {
        let response = error.to_response();
        let text = String::from_utf8(response).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(len, body.len());
    }
}

#[test]
fn origin_allow_list() {
    let allow = OriginAllowList::new(["http://example.com:8080"]);
    assert_eq!(allow.check(&complete(CHROME)), Ok(()));
    assert_eq!(
        allow.check(&complete(FIREFOX)),
        Err(RequestError::OriginNotAllowed)
    );
    assert_eq!(
        allow.check(&complete(MINIMAL)),
        Err(RequestError::OriginNotAllowed)
    );
    let allow = allow.allow_missing(true);
    assert_eq!(allow.check(&complete(MINIMAL)), Ok(()));
    assert!(OriginAllowList::new(["https://EXAMPLE.com"]).allows(Some("https://example.COM")));
}

#[test]
fn accept_misuse_is_refused_without_writing() {
    let request = complete(FIREFOX);
    let mut out = Vec::new();
    let accept = Accept::new().protocol("graphql-ws").unwrap();
    assert_eq!(
        request.accept_with(&accept, &mut out),
        Err(BuildError::ProtocolNotOffered)
    );
    let accept = Accept::new().extension(Extension::new("x-other").unwrap());
    assert_eq!(
        request.accept_with(&accept, &mut out),
        Err(BuildError::ExtensionNotOffered)
    );
    assert!(out.is_empty());
    assert_eq!(Accept::new().protocol("a b"), Err(BuildError::InvalidToken));
    assert_eq!(
        Accept::new().header("X-A", "b\r\nX-Injected: 1"),
        Err(BuildError::InvalidHeaderValue)
    );
    assert_eq!(
        Accept::new().header("X A", "b"),
        Err(BuildError::InvalidHeaderName)
    );
    assert_eq!(
        Accept::new().header("Sec-WebSocket-Accept", "x"),
        Err(BuildError::ReservedHeader)
    );
    assert_eq!(
        Accept::new().header("connection", "x"),
        Err(BuildError::ReservedHeader)
    );

    // The simplest acceptance.
    complete(MINIMAL).accept(&mut out);
    assert_eq!(
        out,
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
    );
}

#[test]
fn reject_responses() {
    let mut out = Vec::new();
    Reject::new(302)
        .unwrap()
        .header("Location", "wss://elsewhere.example/chat")
        .unwrap()
        .write(&mut out);
    assert_eq!(
        out,
        b"HTTP/1.1 302 Found\r\nLocation: wss://elsewhere.example/chat\r\n\
          Connection: close\r\nContent-Length: 0\r\n\r\n"
    );
    out.clear();
    Reject::new(503)
        .unwrap()
        .reason("Busy")
        .unwrap()
        .body(b"try later".to_vec())
        .write(&mut out);
    assert_eq!(
        out,
        b"HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 9\r\n\r\ntry later"
    );
    assert_eq!(Reject::new(101), Err(BuildError::InvalidStatus));
    assert_eq!(Reject::new(600), Err(BuildError::InvalidStatus));
    assert_eq!(
        Reject::new(400).unwrap().reason("a\r\nb"),
        Err(BuildError::InvalidReason)
    );
    assert_eq!(
        Reject::new(400).unwrap().header("Content-Length", "1"),
        Err(BuildError::ReservedHeader)
    );
}

#[test]
fn leading_empty_lines_and_bare_lf_are_tolerated() {
    let mut buf = b"\r\n".to_vec();
    buf.extend_from_slice(MINIMAL);
    assert_eq!(complete(&buf).head_len(), buf.len());
    let bare = String::from_utf8(MINIMAL.to_vec())
        .unwrap()
        .replace("\r\n", "\n");
    assert_eq!(complete(bare.as_bytes()).head_len(), bare.len());
}

#[test]
fn limits_are_configurable() {
    let limits = Limits::new().max_head_len(64);
    assert_eq!(
        RequestParser::new(limits).parse(CHROME),
        Err(RequestError::HeadTooLarge)
    );
    let limits = Limits::new().max_headers(11);
    assert_eq!(
        RequestParser::new(limits).parse(CHROME),
        Err(RequestError::TooManyHeaders)
    );
    let limits = Limits::new().max_headers(12).max_line_len(115);
    assert!(matches!(
        RequestParser::new(limits).parse(CHROME),
        Ok(Status::Complete(_))
    ));
    let limits = Limits::new().max_line_len(100);
    assert_eq!(
        RequestParser::new(limits).parse(CHROME),
        Err(RequestError::LineTooLong)
    );
}

#[test]
fn parser_is_reusable_after_completion_and_error() {
    let mut parser = RequestParser::default();
    assert!(matches!(parser.parse(MINIMAL), Ok(Status::Complete(_))));
    assert!(matches!(parser.parse(CHROME), Ok(Status::Complete(_))));
    assert_eq!(parser.parse(b"BAD\r\n\r\n"), Err(RequestError::Malformed));
    assert!(matches!(parser.parse(FIREFOX), Ok(Status::Complete(_))));
}

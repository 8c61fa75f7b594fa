//! Request shapes shared by the integration tests, written out by hand.
#![allow(dead_code, unreachable_pub)]

use sockeye_handshake::{Request, RequestError, RequestParser, Status};

/// What Chromium sends for `new WebSocket("ws://example.com:8080/chat")` from a page on
/// that origin.
pub const CHROME: &[u8] = b"GET /chat HTTP/1.1\r\n\
Host: example.com:8080\r\n\
Connection: Upgrade\r\n\
Pragma: no-cache\r\n\
Cache-Control: no-cache\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n\
Upgrade: websocket\r\n\
Origin: http://example.com:8080\r\n\
Sec-WebSocket-Version: 13\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Accept-Language: en-US,en;q=0.9\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
\r\n";

/// What Firefox sends for `new WebSocket("wss://example.com/socket?v=2", ["chat",
/// "superchat"])`, with a cookie.
pub const FIREFOX: &[u8] = b"GET /socket?v=2 HTTP/1.1\r\n\
Host: example.com\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\r\n\
Accept: */*\r\n\
Accept-Language: en-US,en;q=0.5\r\n\
Accept-Encoding: gzip, deflate, br\r\n\
Sec-WebSocket-Version: 13\r\n\
Origin: https://example.com\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\n\
Sec-WebSocket-Extensions: permessage-deflate\r\n\
Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n\
Connection: keep-alive, Upgrade\r\n\
Cookie: session=abc123; theme=dark\r\n\
Sec-Fetch-Dest: empty\r\n\
Sec-Fetch-Mode: websocket\r\n\
Sec-Fetch-Site: same-origin\r\n\
Pragma: no-cache\r\n\
Cache-Control: no-cache\r\n\
Upgrade: websocket\r\n\
\r\n";

/// The smallest valid request: the RFC's example (§1.2) without the optional headers.
pub const MINIMAL: &[u8] = b"GET /chat HTTP/1.1\r\n\
Host: server.example.com\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n\
\r\n";

/// Parses `buf` whole with default limits.
pub fn parse(buf: &[u8]) -> Result<Status<Request>, RequestError> {
    RequestParser::default().parse(buf)
}

/// Parses a complete request, panicking if it is not.
pub fn complete(buf: &[u8]) -> Request {
    match parse(buf) {
        Ok(Status::Complete(r)) => r,
        other => panic!("expected a complete request, got {other:?}"),
    }
}

/// Replaces the first line starting with `prefix` (case-sensitive) in MINIMAL with
/// `line` (no CRLF; empty removes it).
pub fn minimal_with(prefix: &str, line: &str) -> Vec<u8> {
    let text = std::str::from_utf8(MINIMAL).unwrap();
    let mut out = String::new();
    let mut done = false;
    for l in text.split_inclusive("\r\n") {
        if !done && l.starts_with(prefix) {
            done = true;
            if !line.is_empty() {
                out.push_str(line);
                out.push_str("\r\n");
            }
        } else {
            out.push_str(l);
        }
    }
    assert!(done, "no line starts with {prefix:?}");
    out.into_bytes()
}

/// MINIMAL with `line` added before the blank line.
pub fn minimal_plus(line: &str) -> Vec<u8> {
    let mut out = MINIMAL[..MINIMAL.len() - 2].to_vec();
    out.extend_from_slice(line.as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    out
}

//! Property tests: splitting never changes the result, arbitrary bytes never panic, work
//! is linear in the bytes received.

mod common;

use common::{CHROME, FIREFOX, MINIMAL};
use proptest::prelude::*;
use sockeye_handshake::{
    ClientRequest, Limits, RequestError, RequestParser, ResponseError, Status, WsUrl,
};

/// Feeds `bytes` to a fresh parser through a growing buffer, cut at `cuts`; returns the
/// first non-incomplete result (or the last one).
fn parse_split(
    bytes: &[u8],
    cuts: &[usize],
) -> (
    Result<Status<sockeye_handshake::Request>, RequestError>,
    u64,
) {
    let mut parser = RequestParser::default();
    let mut ends: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    ends.push(bytes.len());
    ends.sort_unstable();
    let mut result = Ok(Status::Incomplete);
    for end in ends {
        result = parser.parse(&bytes[..end]);
        if !matches!(result, Ok(Status::Incomplete)) {
            break;
        }
    }
    (result, parser.bytes_scanned())
}

fn request_shape() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(CHROME.to_vec()),
        Just(FIREFOX.to_vec()),
        Just(MINIMAL.to_vec())
    ]
}

proptest! {
    #[test]
    fn valid_request_split_anywhere_parses_the_same(
        request in request_shape(),
        tail in proptest::collection::vec(any::<u8>(), 0..20),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let mut bytes = request.clone();
        bytes.extend_from_slice(&tail);
        let whole = RequestParser::default().parse(&bytes);
        let (split, work) = parse_split(&bytes, &cuts);
        prop_assert_eq!(&split, &whole);
        let Ok(Status::Complete(r)) = split else { panic!("valid request refused") };
        prop_assert_eq!(r.head_len(), request.len());
        prop_assert!(work <= 2 * bytes.len() as u64);
    }

    #[test]
    fn mutated_requests_split_anywhere_give_the_same_outcome(
        request in request_shape(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let mut bytes = request;
        for (at, b) in edits {
            let at = at % bytes.len();
            bytes[at] = b;
        }
        let whole = RequestParser::default().parse(&bytes);
        let (split, _) = parse_split(&bytes, &cuts);
        prop_assert_eq!(split, whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let whole = RequestParser::default().parse(&bytes);
        let (split, work) = parse_split(&bytes, &cuts);
        prop_assert_eq!(split, whole);
        prop_assert!(work <= 2 * bytes.len() as u64);

        let url = WsUrl::parse("ws://a/").unwrap();
        let mut hs = ClientRequest::new(&url, [0; 16]).write(&mut Vec::new());
        let _ = hs.parse_response(&bytes);
    }

    #[test]
    fn arbitrary_header_text_never_panics(
        lines in proptest::collection::vec("[ -~\t]{0,40}", 0..10),
    ) {
        let mut bytes = b"GET / HTTP/1.1\r\n".to_vec();
        for l in &lines {
            bytes.extend_from_slice(l.as_bytes());
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"\r\n");
        let _ = RequestParser::default().parse(&bytes);
    }
}

/// An endless header stream is cut off at the cap after work linear in the cap, however
/// small the pieces: the count of bytes examined is asserted, never the time.
#[test]
fn endless_header_stream_is_cut_off_after_linear_work() {
    let limits = Limits::new().max_headers(100_000);
    for piece_len in [1, 7, 100, 4096] {
        let mut parser = RequestParser::new(limits);
        let mut buf = b"GET / HTTP/1.1\r\n".to_vec();
        let mut fed = 0u64;
        let result = loop {
            for _ in 0..piece_len {
                buf.push(b"X-A: b\r\n"[buf.len() % 8]);
            }
            fed += piece_len as u64;
            match parser.parse(&buf) {
                Ok(Status::Incomplete) => assert!(buf.len() < 100_000, "never cut off"),
                other => break other,
            }
        };
        assert_eq!(result, Err(RequestError::HeadTooLarge));
        assert!(buf.len() < 8192 + 4096 + 1, "cut off at the cap");
        let work = parser.bytes_scanned();
        assert!(work <= 8192, "piece {piece_len}: {work} bytes examined");
        assert!(fed > 0);
    }

    // A single endless line is cut off at the line cap.
    let mut parser = RequestParser::default();
    let mut buf = b"GET /".to_vec();
    let result = loop {
        buf.push(b'a');
        match parser.parse(&buf) {
            Ok(Status::Incomplete) => {}
            other => break other,
        }
    };
    assert_eq!(result, Err(RequestError::LineTooLong));
    assert!(buf.len() <= 4096 + 2);
    assert!(parser.bytes_scanned() <= buf.len() as u64);

    // The same for the client's response parser.
    let url = WsUrl::parse("ws://a/").unwrap();
    let mut hs = ClientRequest::new(&url, [0; 16])
        .limits(Limits::new().max_headers(100_000))
        .write(&mut Vec::new());
    let mut buf = b"HTTP/1.1 101 Switching Protocols\r\n".to_vec();
    let result = loop {
        buf.extend_from_slice(b"X: y\r\n");
        match hs.parse_response(&buf) {
            Ok(Status::Incomplete) => {}
            other => break other,
        }
    };
    assert_eq!(result, Err(ResponseError::HeadTooLarge));
    assert!(hs.bytes_scanned() <= 8192);
}

/// Blank lines before the request line are bounded by the head cap as well.
#[test]
fn endless_blank_lines_are_cut_off() {
    let mut parser = RequestParser::default();
    let mut buf = Vec::new();
    let result = loop {
        buf.extend_from_slice(b"\r\n");
        match parser.parse(&buf) {
            Ok(Status::Incomplete) => {}
            other => break other,
        }
    };
    assert_eq!(result, Err(RequestError::HeadTooLarge));
    assert!(parser.bytes_scanned() <= 8192);
}

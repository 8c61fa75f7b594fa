//! sockeye-handshake micro benchmarks: a typical browser request (Chromium's shape,
//! ~500 bytes) parsed, validated and answered with a 101; the pieces of that; the
//! client's check of a 101.
//!
//! `cargo bench -p sockeye-benches --bench handshake`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sockeye_handshake::{
    Accept, ClientRequest, Extension, Outcome, RequestParser, Status, WsUrl, accept_key,
};

/// What Chromium sends for `new WebSocket("ws://example.com:8080/chat")`.
const CHROME: &[u8] = b"GET /chat HTTP/1.1\r\n\
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

fn server(c: &mut Criterion) {
    let mut group = c.benchmark_group("handshake/server");
    group.throughput(Throughput::Bytes(CHROME.len() as u64));
    let mut parser = RequestParser::default();
    let mut out = Vec::with_capacity(256);

    // The target: parse + validate + build the 101 (permessage-deflate accepted).
    group.bench_function("parse_validate_respond_chrome_495B", |b| {
        b.iter(|| {
            out.clear();
            let Ok(Status::Complete(request)) = parser.parse(black_box(CHROME)) else {
                unreachable!()
            };
            let accept = match request.extensions().first() {
                Some(offer) => Accept::new()
                    .extension(Extension::new(offer.name()).unwrap_or_else(|_| unreachable!())),
                None => Accept::new(),
            };
            request
                .accept_with(&accept, &mut out)
                .unwrap_or_else(|_| unreachable!());
            out.len()
        })
    });

    group.bench_function("parse_validate_chrome_495B", |b| {
        b.iter(|| match parser.parse(black_box(CHROME)) {
            Ok(Status::Complete(request)) => request.head_len(),
            _ => unreachable!(),
        })
    });

    // The same request arriving in two reads (the parser keeps its scan position).
    let (first, _) = CHROME.split_at(CHROME.len() / 2);
    group.bench_function("parse_validate_chrome_in_2_pieces", |b| {
        b.iter(|| {
            assert!(matches!(
                parser.parse(black_box(first)),
                Ok(Status::Incomplete)
            ));
            match parser.parse(black_box(CHROME)) {
                Ok(Status::Complete(request)) => request.head_len(),
                _ => unreachable!(),
            }
        })
    });
    group.finish();

    c.bench_function("handshake/accept_key", |b| {
        b.iter(|| accept_key(black_box(b"dGhlIHNhbXBsZSBub25jZQ==")))
    });
}

fn client(c: &mut Criterion) {
    let url = WsUrl::parse("ws://example.com:8080/chat").unwrap_or_else(|_| unreachable!());
    let request = ClientRequest::new(&url, *b"the sample nonce")
        .extension(Extension::new("permessage-deflate").unwrap_or_else(|_| unreachable!()));
    let mut out = Vec::new();
    let handshake = request.clone().write(&mut out);
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
        handshake.expected_accept().as_str()
    );
    c.bench_function("handshake/client/build_request", |b| {
        b.iter(|| {
            out.clear();
            black_box(request.clone()).write(&mut out).expected_accept()
        })
    });
    c.bench_function("handshake/client/parse_validate_101", |b| {
        b.iter(|| {
            let mut hs = handshake.clone();
            match hs.parse_response(black_box(response.as_bytes())) {
                Ok(Status::Complete(Outcome::Accepted(a))) => a.head_len(),
                _ => unreachable!(),
            }
        })
    });
}

criterion_group!(benches, server, client);
criterion_main!(benches);

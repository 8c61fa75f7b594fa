#![no_main]
//! sockeye-handshake: the server's request parser and the client's response parser.
//!
//! The first input byte picks where the rest is split in two pieces. Invariants:
//! - whole and split parses give the same result (server and client), and the work
//!   counter stays within twice the input;
//! - a refusal's response parses, on the client side, as a rejection with its status;
//! - an accepted request's 101 (first offered subprotocol and extension chosen) is
//!   accepted by a client that made the same offer with the same key, with the same
//!   choices, and the bytes after the head are left alone;
//! - permessage-deflate negotiation on the request's offers never panics, and its answer is
//!   accepted, with the same parameters, by a client that made the accepted offer.

use libfuzzer_sys::fuzz_target;
use sockeye_handshake::{
    Accept, ClientRequest, DeflateClientPolicy, DeflateServerPolicy, Outcome, Request,
    RequestParser, Status, WsUrl, negotiate_deflate,
};

fn split_at(data: &[u8]) -> (usize, &[u8]) {
    match data.split_first() {
        Some((&first, rest)) => (usize::from(first) * rest.len() / 255, rest),
        None => (0, data),
    }
}

/// The 16 bytes behind a valid key (standard alphabet, padded, 24 characters).
fn nonce_of(key: &str) -> [u8; 16] {
    fn sextet(c: u8) -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => 0,
        }
    }
    let mut bits = Vec::with_capacity(18);
    for quad in key.as_bytes().chunks(4) {
        let n = quad.iter().fold(0u32, |n, &c| (n << 6) | sextet(c));
        bits.extend_from_slice(&n.to_be_bytes()[1..]);
    }
    let mut nonce = [0u8; 16];
    nonce.copy_from_slice(&bits[..16]);
    nonce
}

fn server(data: &[u8]) {
    let (at, input) = split_at(data);
    let mut parser = RequestParser::default();
    let whole = parser.parse(input);
    let mut split_parser = RequestParser::default();
    let mut split = split_parser.parse(&input[..at]);
    if matches!(split, Ok(Status::Incomplete)) {
        split = split_parser.parse(input);
    }
    assert_eq!(whole, split);
    assert!(split_parser.bytes_scanned() <= 2 * input.len() as u64);

    match whole {
        Err(refused) => {
            let url = WsUrl::parse("ws://a/").unwrap();
            let mut client = ClientRequest::new(&url, [0; 16]).write(&mut Vec::new());
            let response = refused.to_response();
            match client.parse_response(&response) {
                Ok(Status::Complete(Outcome::Rejected(r))) => {
                    assert_eq!(r.status(), refused.status());
                }
                other => panic!("{refused:?} response reads as {other:?}"),
            }
        }
        Ok(Status::Incomplete) => {}
        Ok(Status::Complete(request)) => accepted(&request, input),
    }
}

fn deflate(request: &Request, input: &[u8]) {
    let mut policy = DeflateServerPolicy::new();
    let knob = input.last().copied().unwrap_or(0);
    policy.server_no_context_takeover = knob & 1 != 0;
    policy.client_no_context_takeover = knob & 2 != 0;
    policy.server_max_window_bits = 8 + (knob >> 2) % 8;
    policy.client_max_window_bits = 8 + (knob >> 5);
    let chosen = negotiate_deflate(request.extensions(), &policy);
    let first_ok = request
        .extensions()
        .iter()
        .find_map(DeflateClientPolicy::from_offer);
    assert_eq!(chosen.is_some(), first_ok.is_some());
    if let (Some((params, answer)), Some(client)) = (chosen, first_ok) {
        assert_eq!(client.accept_response(&[answer]), Ok(Some(params)));
    }
}

fn accepted(request: &Request, input: &[u8]) {
    assert!(request.head_len() <= input.len());
    deflate(request, input);
    let mut accept = Accept::new();
    if let Some(p) = request.protocols().first() {
        accept = accept.protocol(p).unwrap();
    }
    let chosen_ext = request.extensions().first().cloned();
    if let Some(ext) = &chosen_ext {
        accept = accept.extension(ext.clone());
    }
    let mut response = Vec::new();
    request.accept_with(&accept, &mut response).unwrap();
    let head_len = response.len();
    response.extend_from_slice(&input[request.head_len()..]);

    // A client that offered the same, with the same key.
    let url = WsUrl::parse("ws://a/").unwrap();
    let mut client = ClientRequest::new(&url, nonce_of(request.key().as_str()));
    let mut offered: Vec<&str> = Vec::new();
    for p in request.protocols() {
        if !offered.contains(&p.as_str()) {
            offered.push(p);
            client = client.protocol(p).unwrap();
        }
    }
    for ext in request.extensions() {
        client = client.extension(ext.clone());
    }
    assert_eq!(client.key(), request.key());
    let mut hs = client.write(&mut Vec::new());
    match hs.parse_response(&response) {
        Ok(Status::Complete(Outcome::Accepted(a))) => {
            assert_eq!(a.head_len(), head_len);
            assert_eq!(a.protocol(), accept.get_protocol());
            assert_eq!(a.extensions(), chosen_ext.as_slice());
        }
        other => panic!("our own 101 reads as {other:?}"),
    }
}

fn client(data: &[u8]) {
    let (at, input) = split_at(data);
    let url = WsUrl::parse("ws://a/").unwrap();
    let request = ClientRequest::new(&url, *b"the sample nonce")
        .protocol("chat")
        .unwrap();
    let mut whole_hs = request.clone().write(&mut Vec::new());
    let whole = whole_hs.parse_response(input);
    let mut split_hs = request.write(&mut Vec::new());
    let mut split = split_hs.parse_response(&input[..at]);
    if matches!(split, Ok(Status::Incomplete)) {
        split = split_hs.parse_response(input);
    }
    assert_eq!(whole, split);
    assert!(split_hs.bytes_scanned() <= 2 * input.len() as u64);
    if let Ok(Status::Complete(outcome)) = whole {
        assert!(outcome.head_len() <= input.len());
    }
}

fuzz_target!(|data: &[u8]| {
    server(data);
    client(data);
});

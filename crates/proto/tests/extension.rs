//! The extension seam, proven with two toy transforms on RSV1:
//!
//! - `Reverse`: the payload's bytes reversed. It must see the whole message before it can
//!   produce anything, so it exercises output that is all pending at the message's end.
//! - `Rle`: pairs `(count, byte)` expand to `count` copies (count 0 is "corrupt"). Output
//!   grows far faster than input, as with deflate: the size bound, streaming chunk bounds
//!   and pending output with no input left.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use sockeye_frame::OpCode;

use sockeye_proto::test_support::{CounterMasks, Owned, Seen, client_frame, feed, parse_frames};
use sockeye_proto::{
    CloseCode, Config, Connection, Decoded, Error, Event, Extension, ExtensionError, MessageKind,
    Rsv, STREAM_CHUNK, Violation,
};

const CORRUPT: ExtensionError = ExtensionError {
    code: CloseCode::INVALID_PAYLOAD,
};

#[derive(Debug, Default)]
struct Reverse {
    input: Vec<u8>,
    /// Reversed bytes already handed out.
    emitted: usize,
}

impl Extension for Reverse {
    fn rsv(&self) -> Rsv {
        Rsv::RSV1
    }

    fn start_message(&mut self, _kind: MessageKind, rsv: Rsv) -> Result<(), ExtensionError> {
        assert_eq!(rsv, Rsv::RSV1);
        *self = Self::default();
        Ok(())
    }

    fn decode(
        &mut self,
        input: &[u8],
        end: bool,
        out: &mut Vec<u8>,
        max_out: usize,
    ) -> Result<Decoded, ExtensionError> {
        self.input.extend_from_slice(input);
        if self.input.first() == Some(&b'!') {
            return Err(CORRUPT);
        }
        let mut done = false;
        if end {
            let left = self.input.len() - self.emitted;
            let n = left.min(max_out);
            let from = left - n;
            out.extend(self.input[from..left].iter().rev());
            self.emitted += n;
            done = self.emitted == self.input.len();
        }
        Ok(Decoded {
            consumed: input.len(),
            done,
        })
    }

    fn encode(
        &mut self,
        _kind: MessageKind,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Rsv, ExtensionError> {
        if input.len() < 3 {
            return Ok(Rsv::NONE); // too short to bother: sent as is
        }
        out.extend(input.iter().rev());
        Ok(Rsv::RSV1)
    }
}

#[derive(Debug, Default)]
struct Rle {
    /// A count whose byte has not arrived.
    half: Option<u8>,
    /// The run being written: copies left and the byte.
    run: (usize, u8),
    /// Every byte ever appended (shared with the test).
    produced: Arc<AtomicUsize>,
}

impl Rle {
    fn encode_bytes(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for run in input.chunk_by(|a, b| a == b) {
            for part in run.chunks(255) {
                out.extend([part.len() as u8, part[0]]);
            }
        }
        out
    }
}

impl Extension for Rle {
    fn rsv(&self) -> Rsv {
        Rsv::RSV1
    }

    fn start_message(&mut self, _kind: MessageKind, _rsv: Rsv) -> Result<(), ExtensionError> {
        assert!(
            self.half.is_none() && self.run.0 == 0,
            "previous message unfinished"
        );
        Ok(())
    }

    fn decode(
        &mut self,
        input: &[u8],
        end: bool,
        out: &mut Vec<u8>,
        max_out: usize,
    ) -> Result<Decoded, ExtensionError> {
        let start = out.len();
        let mut at = 0;
        loop {
            let room = max_out - (out.len() - start);
            if self.run.0 > 0 {
                let n = self.run.0.min(room);
                out.resize(out.len() + n, self.run.1);
                self.run.0 -= n;
                if self.run.0 > 0 {
                    break; // out of room
                }
                continue;
            }
            let Some(&b) = input.get(at) else { break };
            at += 1;
            match self.half.take() {
                None if b == 0 => return Err(CORRUPT),
                None => self.half = Some(b),
                Some(count) => self.run = (usize::from(count), b),
            }
        }
        self.produced
            .fetch_add(out.len() - start, Ordering::Relaxed);
        if end && at == input.len() && self.run.0 == 0 && self.half.is_some() {
            self.half = None;
            return Err(CORRUPT); // ends inside a pair
        }
        Ok(Decoded {
            consumed: at,
            done: end && at == input.len() && self.run.0 == 0,
        })
    }

    fn encode(
        &mut self,
        _kind: MessageKind,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Rsv, ExtensionError> {
        out.extend(Self::encode_bytes(input));
        Ok(Rsv::RSV1)
    }
}

fn pair() -> (Connection, Connection) {
    let now = Instant::now();
    let client = Connection::client(Config::default(), Box::new(CounterMasks::default()), now)
        .with_extension(Box::new(Reverse::default()));
    let server =
        Connection::server(Config::default(), now).with_extension(Box::new(Reverse::default()));
    (client, server)
}

fn rle_server(config: Config) -> (Connection, Arc<AtomicUsize>) {
    let rle = Rle::default();
    let produced = rle.produced.clone();
    let conn = Connection::server(config, Instant::now()).with_extension(Box::new(rle));
    (conn, produced)
}

fn streaming() -> Config {
    let mut config = Config::default();
    config.streaming = true;
    config
}

/// The bytes of all chunks, checking first/last flags and the size bound.
fn chunks_joined(seen: &Seen) -> Vec<u8> {
    let mut data = Vec::new();
    let n = seen.events.len();
    for (i, e) in seen.events.iter().enumerate() {
        let Owned::Chunk {
            data: d,
            first,
            last,
            ..
        } = e
        else {
            panic!("not a chunk: {e:?}")
        };
        assert_eq!(*first, i == 0);
        assert_eq!(*last, i + 1 == n);
        assert!(d.len() <= STREAM_CHUNK, "chunk of {}", d.len());
        data.extend_from_slice(d);
    }
    data
}

#[test]
fn transformed_messages_round_trip_and_are_validated_after_decoding() {
    let (mut client, mut server) = pair();
    let now = Instant::now();
    let mut wire = Vec::new();
    client.send_text("héllo", &mut wire).unwrap();
    client.send_text("ab", &mut wire).unwrap();
    let frames = parse_frames(&wire).unwrap();
    assert_eq!(frames[0].rsv, Rsv::RSV1);
    assert!(
        std::str::from_utf8(&frames[0].payload).is_err(),
        "reversed é"
    );
    assert_eq!(frames[1].rsv, Rsv::NONE);
    for cuts in [&[usize::MAX][..], &[1], &[3]] {
        let (_, mut server) = pair();
        let seen = feed(&mut server, &wire, cuts, now);
        assert_eq!(
            seen.events,
            [Owned::Text("héllo".into()), Owned::Text("ab".into())]
        );
    }
    // A fragmented transformed message: RSV1 on the first frame only.
    let mut wire = client_frame(0x41, b"cb");
    wire.extend(client_frame(0x80, b"a"));
    let seen = feed(&mut server, &wire, &[usize::MAX], now);
    assert_eq!(seen.events, [Owned::Text("abc".into())]);
}

#[test]
fn extension_bits_in_the_wrong_place_are_1002() {
    let now = Instant::now();
    let cases: [Vec<u8>; 4] = [
        // RSV1 on a continuation.
        [client_frame(0x01, b"a"), client_frame(0xC0, b"b")].concat(),
        // RSV1 on a control frame, inside a compressed message and alone.
        [client_frame(0x41, b"a"), client_frame(0xC9, b"")].concat(),
        client_frame(0xC9, b""),
        // RSV2: not the extension's.
        client_frame(0xA1, b"x"),
    ];
    for wire in cases {
        let (_, mut server) = pair();
        let seen = feed(&mut server, &wire, &[usize::MAX], now);
        assert_eq!(seen.close_code(), Some(1002), "{wire:02x?}");
    }
    // And RSV1 without any extension.
    let mut plain = Connection::server(Config::default(), now);
    let seen = feed(&mut plain, &client_frame(0xC1, b"x"), &[1], now);
    assert_eq!(seen.close_code(), Some(1002));
}

#[test]
fn decoding_failure_uses_the_extensions_code() {
    let (_, mut server) = pair();
    let seen = feed(
        &mut server,
        &client_frame(0xC2, b"!bad"),
        &[usize::MAX],
        Instant::now(),
    );
    assert!(matches!(
        seen.error,
        Some(Error::Protocol {
            kind: Violation::Extension,
            ..
        })
    ));
    assert_eq!(seen.close_code(), Some(1007));
    // The same for the run-length toy's corrupt pair, in a later fragment.
    let (mut server, _) = rle_server(Config::default());
    let wire = [client_frame(0x42, &[3, b'a']), client_frame(0x80, &[0, 1])].concat();
    let seen = feed(&mut server, &wire, &[2], Instant::now());
    assert_eq!(seen.close_code(), Some(1007));
}

/// A text message of many runs, RLE-encoded and cut into frames of `frame` wire bytes.
fn fragmented_rle(text: &[u8], frame: usize) -> Vec<u8> {
    let encoded = Rle::encode_bytes(text);
    let pieces: Vec<&[u8]> = encoded.chunks(frame).collect();
    let mut wire = Vec::new();
    for (i, p) in pieces.iter().enumerate() {
        let op = if i == 0 { 0x41 } else { 0x00 };
        let fin = if i + 1 == pieces.len() { 0x80 } else { 0 };
        wire.extend(client_frame(op | fin, p));
        if i == 1 {
            wire.extend(client_frame(0x89, b"mid")); // a ping between fragments
        }
    }
    wire
}

#[test]
fn a_fragmented_encoded_message_decodes_the_same_under_every_chunking() {
    let text: Vec<u8> = "aaaabbbcc déjà vu 🦀🦀 ".repeat(20).into_bytes();
    let wire = fragmented_rle(&text, 7);
    for size in 1..=wire.len().min(64) {
        let (mut server, _) = rle_server(Config::default());
        let seen = feed(&mut server, &wire, &[size], Instant::now());
        assert!(seen.error.is_none(), "cut {size}: {:?}", seen.error);
        assert_eq!(
            seen.events,
            [
                Owned::Ping(b"mid".to_vec()),
                Owned::Text(String::from_utf8(text.clone()).unwrap())
            ],
            "cut {size}"
        );
        assert_eq!(server.buffered_capacity(), 0);
        // Streaming: the same bytes, as chunks (the ping in between).
        let (mut server, _) = rle_server(streaming());
        let mut seen = feed(&mut server, &wire, &[size], Instant::now());
        seen.events.retain(|e| !matches!(e, Owned::Ping(_)));
        assert_eq!(chunks_joined(&seen), text, "streaming, cut {size}");
    }
}

#[test]
fn streaming_chunks_are_bounded_and_pending_output_drains_with_empty_input() {
    // Runs of 255 and a last one of 101 that straddles the first chunk's end: its pair is
    // the frame's last input byte, so the rest of its output waits with no input left.
    let len = STREAM_CHUNK + 100;
    let message = vec![b'z'; len];
    let encoded = Rle::encode_bytes(&message);
    let mut wire = client_frame(0xC2, &encoded);
    let (mut server, _) = rle_server(streaming());
    let now = Instant::now();
    let (mut at, mut total, mut events, mut empty_calls) = (0, 0, 0, 0);
    loop {
        if at == wire.len() {
            empty_calls += 1;
        }
        let r = server.recv(&mut wire[at..], now).unwrap();
        at += r.consumed;
        match r.event {
            Some(Event::Chunk { data, last, .. }) => {
                assert!(data.len() <= STREAM_CHUNK);
                assert!(data.iter().all(|&b| b == b'z'));
                total += data.len();
                events += 1;
                if last {
                    break;
                }
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(total, len);
    assert_eq!(events, 2);
    assert!(
        empty_calls >= 1,
        "the last chunks came from calls with no input"
    );
    assert!(
        server.buffered_capacity() <= 2 * STREAM_CHUNK,
        "the toy grows by doubling"
    );
    assert!(server.recv(&mut [], now).unwrap().event.is_none());
    assert_eq!(server.buffered_capacity(), 0, "released after the message");
    assert!(server.is_idle());
}

#[test]
fn a_frame_after_a_stalled_message_waits_for_its_chunks() {
    // The decoded message's chunks all come before the close that follows it on the wire.
    let encoded = Rle::encode_bytes(&vec![7; 300_000]);
    let mut wire = client_frame(0xC2, &encoded);
    wire.extend(client_frame(0x88, &1000u16.to_be_bytes()));
    let (mut server, _) = rle_server(streaming());
    let seen = feed(&mut server, &wire, &[usize::MAX], Instant::now());
    let (close, chunks) = seen.events.split_last().unwrap();
    assert_eq!(close, &Owned::Close(CloseCode::NORMAL, String::new()));
    let seen = Seen {
        events: chunks.to_vec(),
        ..Seen::default()
    };
    assert_eq!(chunks_joined(&seen).len(), 300_000);
}

#[test]
fn decoding_past_the_message_limit_is_1009_having_produced_at_most_one_byte_more() {
    for streaming_mode in [false, true] {
        let mut config = Config::default();
        config.max_message_size = 10_000;
        config.streaming = streaming_mode;
        let (mut server, produced) = rle_server(config);
        // 255 KiB of output announced in 2 KiB of wire bytes, in pieces.
        let wire = client_frame(0xC2, &Rle::encode_bytes(&vec![1; 255 << 10]));
        let seen = feed(&mut server, &wire, &[100], Instant::now());
        assert_eq!(seen.close_code(), Some(1009), "streaming {streaming_mode}");
        assert!(matches!(
            seen.error,
            Some(Error::Protocol {
                kind: Violation::MessageTooBig,
                ..
            })
        ));
        assert_eq!(produced.load(Ordering::Relaxed), 10_001);
    }
    // Exactly at the limit passes.
    let mut config = Config::default();
    config.max_message_size = 10_200;
    let (mut server, _) = rle_server(config);
    let wire = client_frame(0xC2, &Rle::encode_bytes(&[9; 10_200]));
    let seen = feed(&mut server, &wire, &[3], Instant::now());
    assert_eq!(seen.events, [Owned::Binary(vec![9; 10_200])]);
}

#[test]
fn decoded_text_is_checked_as_it_is_produced() {
    // An invalid byte early in a long message fails before the message has arrived.
    let mut text = b"ok".to_vec();
    text.push(0xff);
    text.extend(vec![b'a'; 100_000]);
    let encoded = Rle::encode_bytes(&text);
    let mut wire = client_frame(0xC1, &encoded);
    let (mut server, _) = rle_server(Config::default());
    let now = Instant::now();
    let failed_at = (0..wire.len()).find(|&i| server.recv(&mut wire[i..=i], now).is_err());
    assert!(failed_at.is_some_and(|i| i < 20), "{failed_at:?}");
    // A message ending inside a character is 1007 at its end.
    for config in [Config::default(), streaming()] {
        let (mut server, _) = rle_server(config);
        let wire = client_frame(0xC1, &Rle::encode_bytes(b"abc\xe2\x82"));
        let seen = feed(&mut server, &wire, &[1], now);
        assert_eq!(seen.close_code(), Some(1007));
    }
}

#[test]
fn empty_encoded_messages_and_idle_memory() {
    let (mut server, _) = rle_server(Config::default());
    let wire = [client_frame(0xC1, b""), client_frame(0xC2, &[2, 5])].concat();
    let seen = feed(&mut server, &wire, &[1], Instant::now());
    assert_eq!(
        seen.events,
        [Owned::Text(String::new()), Owned::Binary(vec![5, 5])]
    );
    assert!(
        server
            .recv(&mut [], Instant::now())
            .unwrap()
            .event
            .is_none()
    );
    assert_eq!(server.buffered_capacity(), 0);
    assert!(server.is_idle());
}

#[test]
fn sending_sets_rsv1_on_the_first_frame_only_and_masks_client_frames() {
    let now = Instant::now();
    let mut config = Config::default();
    config.max_send_frame = 5;
    let mut client = Connection::client(config.clone(), Box::new(CounterMasks::default()), now)
        .with_extension(Box::new(Rle::default()));
    let message = b"aaaaaaaaaabbbbbbbbbbbbbcdefg".to_vec(); // 14 wire bytes
    let mut out = b"earlier".to_vec();
    client.send_binary(&message, &mut out).unwrap();
    assert_eq!(&out[..7], b"earlier");
    let frames = parse_frames(&out[7..]).unwrap();
    assert_eq!(frames.len(), 3);
    assert!(frames.iter().all(|f| f.masked && f.payload.len() <= 5));
    assert_eq!(frames[0].rsv, Rsv::RSV1);
    assert!(frames[1..].iter().all(|f| f.rsv == Rsv::NONE));
    let joined: Vec<u8> = frames.iter().flat_map(|f| f.payload.clone()).collect();
    assert_eq!(joined, Rle::encode_bytes(&message));
    // The server side decodes it back.
    let (mut server, _) = rle_server(Config::default());
    let seen = feed(&mut server, &out[7..], &[4], now);
    assert_eq!(seen.events, [Owned::Binary(message)]);
    // A server sends unmasked; "sent as is" (Rsv::NONE) writes the plain payload.
    let mut server = Connection::server(config, now).with_extension(Box::new(Reverse::default()));
    let mut out = Vec::new();
    server.send_text("ab", &mut out).unwrap();
    server.send_text("abcdefgh", &mut out).unwrap();
    let frames = parse_frames(&out).unwrap();
    assert_eq!(
        (frames[0].rsv, &frames[0].payload[..]),
        (Rsv::NONE, &b"ab"[..])
    );
    assert_eq!(frames[1].rsv, Rsv::RSV1);
    assert_eq!(frames[1].payload, b"hgfed");
    assert_eq!(frames[2].payload, b"cba");
    assert!(!frames[1].masked);
}

/// An extension that breaks the progress contract: claims nothing, produces nothing.
#[derive(Debug)]
struct Stuck;

impl Extension for Stuck {
    fn rsv(&self) -> Rsv {
        Rsv::RSV1
    }
    fn start_message(&mut self, _: MessageKind, _: Rsv) -> Result<(), ExtensionError> {
        Ok(())
    }
    fn decode(
        &mut self,
        _: &[u8],
        _: bool,
        _: &mut Vec<u8>,
        _: usize,
    ) -> Result<Decoded, ExtensionError> {
        Ok(Decoded::default())
    }
    fn encode(&mut self, _: MessageKind, _: &[u8], _: &mut Vec<u8>) -> Result<Rsv, ExtensionError> {
        Err(CORRUPT)
    }
}

#[test]
fn a_broken_extension_fails_the_connection_instead_of_spinning() {
    let now = Instant::now();
    let mut server = Connection::server(streaming(), now).with_extension(Box::new(Stuck));
    let seen = feed(&mut server, &client_frame(0xC2, b"xyz"), &[usize::MAX], now);
    assert_eq!(seen.close_code(), Some(1011));
    let mut server = Connection::server(Config::default(), now).with_extension(Box::new(Stuck));
    let mut out = Vec::new();
    assert_eq!(
        server.send_text("hello", &mut out),
        Err(Error::ExtensionEncode)
    );
    assert!(out.is_empty());
}

/// A byte-wise toy (RSV1: every byte XOR 0x20) that encodes messages sent in pieces as
/// they go; it sends as is a message whose first piece starts with `#`.
#[derive(Debug, Default)]
struct Flip;

impl Extension for Flip {
    fn rsv(&self) -> Rsv {
        Rsv::RSV1
    }

    fn start_message(&mut self, _kind: MessageKind, _rsv: Rsv) -> Result<(), ExtensionError> {
        Ok(())
    }

    fn decode(
        &mut self,
        input: &[u8],
        _end: bool,
        out: &mut Vec<u8>,
        max_out: usize,
    ) -> Result<Decoded, ExtensionError> {
        let n = input.len().min(max_out);
        out.extend(input[..n].iter().map(|b| b ^ 0x20));
        Ok(Decoded {
            consumed: n,
            done: n == input.len(),
        })
    }

    fn encode(
        &mut self,
        _kind: MessageKind,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Rsv, ExtensionError> {
        out.extend(input.iter().map(|b| b ^ 0x20));
        Ok(Rsv::RSV1)
    }

    fn encode_fragment(
        &mut self,
        _kind: MessageKind,
        input: &[u8],
        first: bool,
        _fin: bool,
        out: &mut Vec<u8>,
    ) -> Result<Rsv, ExtensionError> {
        if first && input.first() == Some(&b'#') {
            return Ok(Rsv::NONE);
        }
        out.extend(input.iter().map(|b| b ^ 0x20));
        Ok(Rsv::RSV1)
    }
}

/// Pieces go through `encode_fragment` one frame each, at once: RSV1 on the first frame
/// only (RFC 7692 §6.1), FIN on the last, masked for a client; a message the extension
/// declines at its first piece goes as it is; an extension without `encode_fragment` sends
/// pieces as they are.
#[test]
fn pieces_are_encoded_as_they_are_sent() {
    let now = Instant::now();
    let mut client = Connection::client(Config::default(), Box::new(CounterMasks::default()), now)
        .with_extension(Box::new(Flip));
    let mut out = Vec::new();
    client
        .send_fragment(MessageKind::Text, b"hello ", false, &mut out)
        .unwrap();
    let first_len = out.len();
    client
        .send_fragment(MessageKind::Text, b"", false, &mut out)
        .unwrap();
    client
        .send_fragment(MessageKind::Text, b"world", true, &mut out)
        .unwrap();
    assert!(first_len > 0, "the first piece went out at once");
    let frames = parse_frames(&out).unwrap();
    let shape: Vec<_> = frames
        .iter()
        .map(|f| (f.opcode, f.fin, f.rsv, f.masked))
        .collect();
    assert_eq!(
        shape,
        [
            (OpCode::Text, false, Rsv::RSV1, true),
            (OpCode::Continuation, false, Rsv::NONE, true),
            (OpCode::Continuation, true, Rsv::NONE, true),
        ]
    );
    assert_eq!(frames[0].payload, b"HELLO\x00");
    let mut server = Connection::server(Config::default(), now).with_extension(Box::new(Flip));
    let seen = feed(&mut server, &out, &[3], now);
    assert_eq!(seen.events, [Owned::Text("hello world".into())]);

    // Declined at the first piece: the whole message as it is.
    let mut out = Vec::new();
    client
        .send_fragment(MessageKind::Text, b"#plain ", false, &mut out)
        .unwrap();
    client
        .send_fragment(MessageKind::Text, b"text", true, &mut out)
        .unwrap();
    let frames = parse_frames(&out).unwrap();
    assert!(frames.iter().all(|f| f.rsv == Rsv::NONE));
    let seen = feed(&mut server, &out, &[usize::MAX], now);
    assert_eq!(seen.events, [Owned::Text("#plain text".into())]);

    // The default `encode_fragment`: pieces as they are.
    let mut server =
        Connection::server(Config::default(), now).with_extension(Box::new(Reverse::default()));
    let mut out = Vec::new();
    server
        .send_fragment(MessageKind::Binary, b"abc", false, &mut out)
        .unwrap();
    server
        .send_fragment(MessageKind::Binary, b"def", true, &mut out)
        .unwrap();
    let frames = parse_frames(&out).unwrap();
    assert_eq!(frames[0].payload, b"abc");
    assert!(frames.iter().all(|f| f.rsv == Rsv::NONE && !f.masked));
}

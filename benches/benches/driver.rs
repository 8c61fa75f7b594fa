//! sockeye-driver's echo path, what the mio server does per read with no socket: feed one
//! read's bytes (masked 20-byte text frames), send each message back through the event's
//! outbox, take the output, mark it written, hand the lent buffer back. One message per
//! read (the 20 B echo) and 16 (the pipelined echo, `20b-d16` in the e2e bench); messages
//! whole (a handler's `on_message`) and streamed (`sockeye echo`, which echoes each
//! chunk as it comes).
//!
//! `cargo bench -p sockeye-benches --bench driver`
//!
//! As in the proto bench, unmasking is in place with the key `[1, 1, 1, 1]`: each
//! iteration unmasks the previous one's output, and ASCII XOR 1 is still ASCII, so every
//! iteration validates and echoes valid text.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sockeye_driver::{Driver, DriverConfig, Event, OutputBuffer};
use sockeye_frame::{FrameHeader, OpCode, Rsv, apply_mask};
use sockeye_handshake::Accept;

const KEY: [u8; 4] = [1, 1, 1, 1];

fn masked_text(payload: &[u8]) -> Vec<u8> {
    let h = FrameHeader::new(
        true,
        Rsv::NONE,
        OpCode::Text,
        Some(KEY),
        payload.len() as u64,
    )
    .unwrap();
    let mut out = h.encode().to_vec();
    let at = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[at..], KEY, 0);
    out
}

/// An open server-side driver, configured as the mio server configures its own.
fn open_server(now: Instant, streaming: bool) -> Driver {
    let mut config = DriverConfig::default();
    config.keep_output_capacity = 0;
    config.connection.streaming = streaming;
    let mut driver = Driver::server(Arc::new(config), now);
    let mut request = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        .to_vec();
    let r = driver.recv(&mut request, now).unwrap();
    assert!(matches!(r.event, Some(Event::Request(_))));
    driver.accept(&Accept::new(), now).unwrap();
    let head = driver.poll_output().len();
    driver.written(head);
    driver
}

/// One read through the driver, echoing every text message; returns the bytes written.
fn echo_read(
    driver: &mut Driver,
    spare: &mut OutputBuffer,
    input: &mut [u8],
    now: Instant,
) -> usize {
    driver.lend_buffer(spare);
    let mut at = 0;
    while let Some(rest) = input.get_mut(at..) {
        let r = driver.recv(rest, now).unwrap();
        at += r.consumed;
        let Some(event) = r.event else { break };
        let mut outbox = r.outbox;
        match event {
            Event::Text(text) => {
                outbox.send_text(text).unwrap();
            }
            Event::Chunk {
                kind, data, last, ..
            } => {
                outbox.send_fragment(kind, data, last).unwrap();
            }
            _ => unreachable!("only text arrives"),
        }
    }
    let n = driver.poll_output().len();
    driver.written(n);
    driver.reclaim_buffer(spare);
    n
}

fn echo(c: &mut Criterion) {
    let mut group = c.benchmark_group("driver/echo");
    for (per_read, streaming) in [(1usize, false), (16, false), (1, true), (16, true)] {
        let now = Instant::now();
        let mut driver = open_server(now, streaming);
        let mut spare = OutputBuffer::new();
        let mut input: Vec<u8> = (0..per_read)
            .flat_map(|_| masked_text(b"0123456789abcdefghij"))
            .collect();
        assert_eq!(
            echo_read(&mut driver, &mut spare, &mut input, now),
            per_read * 22,
            "every message echoed (2-byte header + 20 B)"
        );
        group.throughput(Throughput::Elements(per_read as u64));
        let mode = if streaming { "streamed" } else { "whole" };
        let name = format!("{per_read} per read, {mode}");
        group.bench_function(BenchmarkId::new("20 B text", name), |b| {
            b.iter(|| black_box(echo_read(&mut driver, &mut spare, &mut input, now)));
        });
    }
    group.finish();
}

criterion_group!(benches, echo);
criterion_main!(benches);

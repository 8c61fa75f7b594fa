//! sockeye-proto receive path: parse + unmask + validate + event, for one whole masked
//! frame in the input (what a server sees when a message arrives in one read), beside its
//! baseline: a memcpy of the payload size, and simdutf8 validation of the same text.
//! Plus the assembly path: a 16 KiB message arriving in 4 KiB reads.
//!
//! `cargo bench -p sockeye-benches --bench proto`
//!
//! Unmasking is in place, so each iteration unmasks the previous iteration's output: with
//! the key `[1, 1, 1, 1]` the payload alternates between the text and the text XOR 1,
//! both valid UTF-8 (checked below: ASCII and two-byte characters whose lead bytes stay
//! in C2..DF), so every iteration does the full work on valid text.

use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sockeye_frame::{FrameHeader, OpCode, Rsv, apply_mask};
use sockeye_proto::{Config, Connection, Event};

const KEY: [u8; 4] = [1, 1, 1, 1];

fn masked_frame(opcode: OpCode, payload: &[u8]) -> Vec<u8> {
    let h = FrameHeader::new(true, Rsv::NONE, opcode, Some(KEY), payload.len() as u64).unwrap();
    let mut out = h.encode().to_vec();
    let at = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[at..], KEY, 0);
    out
}

/// 16 KiB of Greek and Cyrillic (two-byte characters) with ASCII spaces.
fn non_ascii_text(len: usize) -> String {
    let words = ["κόσμε ", "привет ", "мир ", "λόγος ", "данные "];
    let mut s = String::new();
    'fill: loop {
        for w in words {
            if s.len() + w.len() > len {
                break 'fill;
            }
            s.push_str(w);
        }
    }
    while s.len() < len {
        s.push('.');
    }
    s
}

fn server() -> Connection {
    Connection::server(Config::default(), Instant::now())
}

/// The bytes of one event (so the compiler cannot drop the work).
fn event_len(e: Option<Event<'_>>) -> usize {
    match e {
        Some(Event::Text(t)) => t.len(),
        Some(Event::Binary(b)) => b.len(),
        _ => usize::MAX,
    }
}

fn recv(c: &mut Criterion) {
    let mut group = c.benchmark_group("proto/recv");
    let ascii20 = "Hello, WebSocket!!!!".to_owned();
    assert_eq!(ascii20.len(), 20);
    let text16k = non_ascii_text(16 << 10);
    let flipped: Vec<u8> = text16k.bytes().map(|b| b ^ 1).collect();
    assert!(
        std::str::from_utf8(&flipped).is_ok(),
        "both phases are UTF-8"
    );
    let cases: [(&str, OpCode, Vec<u8>); 4] = [
        ("text 20 B", OpCode::Text, ascii20.clone().into_bytes()),
        ("binary 16 KiB", OpCode::Binary, vec![0xA5; 16 << 10]),
        (
            "text 16 KiB non-ASCII",
            OpCode::Text,
            text16k.clone().into_bytes(),
        ),
        ("binary 1 MiB", OpCode::Binary, vec![0xA5; 1 << 20]),
    ];
    for (name, opcode, payload) in cases {
        let size = payload.len();
        group.throughput(Throughput::Bytes(size as u64));
        let mut frame = masked_frame(opcode, &payload);
        let mut conn = server();
        let now = Instant::now();
        group.bench_function(BenchmarkId::new("recv", name), |b| {
            b.iter(|| {
                let r = conn.recv(black_box(&mut frame), now).unwrap();
                event_len(r.event)
            })
        });
        // Baselines.
        let src = payload.clone();
        let mut dst = vec![0u8; size];
        group.bench_function(BenchmarkId::new("memcpy", name), |b| {
            b.iter(|| black_box(&mut dst).copy_from_slice(black_box(&src)))
        });
        if opcode == OpCode::Text {
            group.bench_function(BenchmarkId::new("simdutf8", name), |b| {
                b.iter(|| simdutf8::basic::from_utf8(black_box(&src)).map(str::len))
            });
        }
    }
    group.finish();

    // The assembly path: one 16 KiB binary message in 4 KiB reads (copied into the
    // connection's buffer, released after the event).
    let mut group = c.benchmark_group("proto/recv-assembled");
    group.throughput(Throughput::Bytes(16 << 10));
    let mut frame = masked_frame(OpCode::Binary, &[0xA5; 16 << 10]);
    let mut conn = server();
    let now = Instant::now();
    group.bench_function("binary 16 KiB in 4 KiB reads", |b| {
        b.iter(|| {
            let mut total = 0;
            for piece in frame.chunks_mut(4096) {
                let r = conn.recv(black_box(piece), now).unwrap();
                if let Some(Event::Binary(data)) = r.event {
                    total += data.len();
                }
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, recv);
criterion_main!(benches);

//! sockeye-frame micro benchmarks: header parse (2, 4, 8, 10, 14 bytes), header encode,
//! unmasking beside a memcpy of the same size.
//!
//! `cargo bench -p sockeye-benches --bench frame`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sockeye_frame::{
    ControlFrame, FrameHeader, OpCode, ParseConfig, Rsv, Status, apply_mask, parse_header,
};

/// A header of each wire length the issue names: (name, payload length, mask).
/// 2 B: 7-bit length; 4 B: 16-bit length; 8 B: masked 16-bit length; 10 B: 64-bit length;
/// 14 B: masked 64-bit length.
const SHAPES: [(&str, u64, Option<[u8; 4]>); 5] = [
    ("2B", 20, None),
    ("4B", 1000, None),
    ("8B", 1000, Some([1, 2, 3, 4])),
    ("10B", 1 << 20, None),
    ("14B", 1 << 20, Some([1, 2, 3, 4])),
];

fn header_parse(c: &mut Criterion) {
    let config = ParseConfig::new();
    let mut group = c.benchmark_group("frame/parse_header");
    for (name, len, mask) in SHAPES {
        let header = FrameHeader::new(true, Rsv::NONE, OpCode::Binary, mask, len).unwrap();
        let bytes = header.encode();
        assert_eq!(format!("{}B", bytes.len()), name);
        group.bench_function(name, |b| {
            b.iter(
                || match parse_header(black_box(&bytes), black_box(&config)) {
                    Ok(Status::Complete(h)) => h.payload_len(),
                    _ => unreachable!(),
                },
            )
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame/encode");
    for (name, len, mask) in SHAPES {
        let header = FrameHeader::new(true, Rsv::NONE, OpCode::Binary, mask, len).unwrap();
        group.bench_function(name, |b| {
            b.iter(|| {
                let h = black_box(header).encode();
                black_box(h.len())
            })
        });
    }
    group.bench_function("close frame (code + 20 B reason, masked)", |b| {
        b.iter(|| {
            ControlFrame::close(
                sockeye_frame::CloseCode::NORMAL,
                black_box("normal closure, bye!"),
                Some([1, 2, 3, 4]),
            )
            .map(|f| f.len())
        })
    });
    group.finish();
}

fn unmask(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame/unmask");
    for size in [20usize, 1 << 10, 16 << 10, 1 << 20] {
        let mut buf = vec![0xA5u8; size];
        let src = vec![0x5Au8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("apply_mask", size), &size, |b, _| {
            b.iter(|| apply_mask(black_box(&mut buf), black_box([0x37, 0xfa, 0x21, 0x3d]), 0))
        });
        group.bench_with_input(BenchmarkId::new("memcpy", size), &size, |b, _| {
            b.iter(|| black_box(&mut buf).copy_from_slice(black_box(&src)))
        });
    }
    group.finish();
}

criterion_group!(benches, header_parse, encode, unmask);
criterion_main!(benches);

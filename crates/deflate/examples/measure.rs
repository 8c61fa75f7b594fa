//! Prints the figures behind the defaults in `docs/compression.md`: compression ratio and
//! speed per level, the cost of the 8-bit window, the threshold, and re-creating versus
//! resetting a zlib state. `cargo run --release -p sockeye-deflate --example measure`
#![allow(clippy::print_stdout)]

use std::time::Instant;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};

fn corpus() -> Vec<u8> {
    // The Autobahn suite's JSON test data when present (what its sections 12 and 13
    // send), else a JSON-like text.
    let path =
        "target/autobahn/venv/lib/python2.7/site-packages/autobahntestsuite/testdata/data1.json";
    std::fs::read(path).unwrap_or_else(|_| {
        let mut s = String::new();
        for i in 0..20_000 {
            s.push_str(&format!(
                "{{\"id\":{i},\"name\":\"user{}\",\"active\":{}}},",
                i % 97,
                i % 3 == 0
            ));
        }
        s.into_bytes()
    })
}

fn deflate(level: u32, bits: u8, messages: &[&[u8]], takeover: bool) -> usize {
    let mut z = Compress::new_with_window_bits(Compression::new(level), false, bits);
    let mut total = 0;
    let mut out = Vec::with_capacity(1 << 20);
    for m in messages {
        if !takeover {
            z.reset();
        }
        out.clear();
        z.compress_vec(m, &mut out, FlushCompress::Sync).unwrap();
        total += out.len() - 4;
    }
    total
}

fn main() {
    let data = corpus();
    println!("corpus: {} bytes", data.len());
    for size in [16usize, 64, 256, 1024, 4096, 16384] {
        let messages: Vec<&[u8]> = data.chunks(size).take(2000).collect();
        let raw: usize = messages.iter().map(|m| m.len()).sum();
        let keep = deflate(1, 15, &messages, true);
        let fresh = deflate(1, 15, &messages, false);
        println!(
            "messages of {size:>5}: takeover {:.3}  fresh {:.3} (compressed/raw, level 1, 15 bits)",
            keep as f64 / raw as f64,
            fresh as f64 / raw as f64
        );
    }
    let messages: Vec<&[u8]> = data.chunks(4096).collect();
    let raw: usize = messages.iter().map(|m| m.len()).sum();
    for level in [1u32, 3, 6, 9] {
        let t = Instant::now();
        let n = deflate(level, 15, &messages, true);
        let secs = t.elapsed().as_secs_f64();
        println!(
            "level {level}: ratio {:.3}, {:.0} MB/s (4 KiB messages, takeover)",
            n as f64 / raw as f64,
            raw as f64 / secs / 1e6
        );
    }
    // 8-bit window: 9-bit compressor with a full flush every 256 bytes, versus 9 bits.
    for bits in [9u8, 15] {
        let n = deflate(1, bits, &messages, true);
        println!("{bits} bits: ratio {:.3}", n as f64 / raw as f64);
    }
    let mut z = Compress::new_with_window_bits(Compression::new(1), false, 9);
    let mut out = Vec::with_capacity(1 << 20);
    let mut total = 0;
    let t = Instant::now();
    for m in &messages {
        out.clear();
        for piece in m.chunks(256) {
            z.compress_vec(piece, &mut out, FlushCompress::Full)
                .unwrap();
        }
        total += out.len() - 4;
    }
    println!(
        "8 bits (9-bit compressor, full flush per 256 bytes): ratio {:.3}, {:.0} MB/s",
        total as f64 / raw as f64,
        raw as f64 / t.elapsed().as_secs_f64() / 1e6
    );
    // Re-creating versus resetting per message (16 KiB messages, fresh window each).
    let messages: Vec<&[u8]> = data.chunks(16384).collect();
    for (name, recreate) in [("reset", false), ("re-create", true)] {
        let t = Instant::now();
        let mut z = Compress::new_with_window_bits(Compression::new(1), false, 15);
        let mut d = Decompress::new_with_window_bits(false, 15);
        let mut out = Vec::with_capacity(1 << 20);
        let mut back = vec![0u8; 1 << 20];
        let rounds = 20;
        for _ in 0..rounds {
            for m in &messages {
                if recreate {
                    z = Compress::new_with_window_bits(Compression::new(1), false, 15);
                    d = Decompress::new_with_window_bits(false, 15);
                } else {
                    z.reset();
                    d.reset(false);
                }
                out.clear();
                z.compress_vec(m, &mut out, FlushCompress::Sync).unwrap();
                d.decompress(&out, &mut back, FlushDecompress::Sync)
                    .unwrap();
            }
        }
        let per = t.elapsed().as_secs_f64() / (rounds * messages.len()) as f64;
        println!(
            "{name}: {:.1} us per 16 KiB message (compress + inflate)",
            per * 1e6
        );
    }
    // Small messages, where a per-message state would matter most.
    let messages: Vec<&[u8]> = data.chunks(256).take(4000).collect();
    for (name, recreate) in [("reset", false), ("re-create", true)] {
        let t = Instant::now();
        let mut z = Compress::new_with_window_bits(Compression::new(1), false, 15);
        let mut out = Vec::with_capacity(4096);
        for m in &messages {
            if recreate {
                z = Compress::new_with_window_bits(Compression::new(1), false, 15);
            } else {
                z.reset();
            }
            out.clear();
            z.compress_vec(m, &mut out, FlushCompress::Sync).unwrap();
        }
        let per = t.elapsed().as_secs_f64() / messages.len() as f64;
        println!(
            "{name}: {:.2} us per 256-byte message (compress)",
            per * 1e6
        );
    }
}

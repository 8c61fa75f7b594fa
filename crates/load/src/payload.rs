//! What the load generator sends: payloads of each kind, and the frames they go in,
//! prepared once (masked; compressed when permessage-deflate is on).

use flate2::{Compress, Compression, FlushCompress};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use sockeye_frame::{FrameHeader, Rsv, apply_mask};

use super::{Kind, Protocol, VARIANTS};

/// A payload of exactly `size` bytes.
pub fn payload(kind: Kind, size: usize, variant: usize) -> Vec<u8> {
    let mut rng = SmallRng::seed_from_u64(0x5eed_0000 + variant as u64);
    match kind {
        Kind::Binary => (0..size).map(|_| rng.random::<u64>() as u8).collect(),
        Kind::Ascii => {
            const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789 ";
            (0..size)
                .map(|_| CHARS[(rng.random::<u64>() % CHARS.len() as u64) as usize])
                .collect()
        }
        Kind::Utf8 => utf8(size, variant, &mut rng),
        Kind::Chat => json(size, &mut rng, |rng, s| {
            const USERS: &[&str] = &["alice", "bob", "carol", "dave", "erin", "frank"];
            const WORDS: &[&str] = &[
                "hello", "there", "anyone", "seen", "the", "release", "notes", "yes", "looks",
                "good", "to", "me", "ship", "it", "thanks", "see", "you", "tomorrow",
            ];
            let user = USERS[(rng.random::<u64>() % USERS.len() as u64) as usize];
            let mut text = String::new();
            for _ in 0..3 + rng.random::<u64>() % 8 {
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(WORDS[(rng.random::<u64>() % WORDS.len() as u64) as usize]);
            }
            s.push_str(&format!(
                r#"{{"type":"message","room":"general","user":"{user}","id":{},"text":"{text}"}}"#,
                rng.random::<u64>() % 1_000_000
            ));
        }),
        Kind::Ticker => json(size, &mut rng, |rng, s| {
            const SYMBOLS: &[&str] = &["ACME", "GLOBEX", "INITECH", "UMBRELLA", "HOOLI", "STARK"];
            let symbol = SYMBOLS[(rng.random::<u64>() % SYMBOLS.len() as u64) as usize];
            let price = 10_000 + rng.random::<u64>() % 5_000;
            s.push_str(&format!(
                r#"{{"symbol":"{symbol}","bid":{}.{:02},"ask":{}.{:02},"volume":{},"ts":{}}}"#,
                price / 100,
                price % 100,
                (price + 3) / 100,
                (price + 3) % 100,
                rng.random::<u64>() % 100_000,
                1_700_000_000_000 + rng.random::<u64>() % 1_000_000
            ));
        }),
    }
}

/// Text of Greek, Cyrillic, CJK and 4-byte characters between ASCII spaces.
fn utf8(size: usize, variant: usize, rng: &mut SmallRng) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "κόσμε ",
        "привет ",
        "мир ",
        "λόγος ",
        "данные ",
        "日本語 ",
        "текст ",
        "🦀🐟 ",
        "ελληνικά ",
    ];
    let mut s = String::with_capacity(size);
    let mut i = variant;
    loop {
        let word = WORDS[i % WORDS.len()];
        if s.len() + word.len() > size {
            break;
        }
        s.push_str(word);
        i += 1 + (rng.random::<u64>() % 3) as usize;
    }
    while s.len() < size {
        s.push('.');
    }
    s.into_bytes()
}

/// A JSON array of records (one per call of `record`) of exactly `size` bytes: records
/// while they fit, then spaces before the closing bracket.
fn json(
    size: usize,
    rng: &mut SmallRng,
    mut record: impl FnMut(&mut SmallRng, &mut String),
) -> Vec<u8> {
    let mut s = String::from("[");
    loop {
        let mut one = String::new();
        record(rng, &mut one);
        let sep = usize::from(s.len() > 1);
        if s.len() + sep + one.len() + 1 > size {
            break;
        }
        if sep == 1 {
            s.push(',');
        }
        s.push_str(&one);
    }
    while s.len() + 1 < size {
        s.push(' ');
    }
    s.push(']');
    s.truncate(size);
    s.into_bytes()
}

/// One message as sent (`wire`) and as its echo must come back (`payload`).
#[derive(Debug)]
pub(crate) struct Message {
    pub(crate) payload: Vec<u8>,
    pub(crate) wire: Vec<u8>,
}

/// §7.2.1 of RFC 7692 with a fresh window (the load generator offers
/// `client_no_context_takeover`): compress, sync-flush, drop the 4-octet tail.
fn deflate(payload: &[u8]) -> Result<Vec<u8>, String> {
    let mut z = Compress::new(Compression::default(), false);
    let mut out = Vec::with_capacity(payload.len() + 64);
    z.compress_vec(payload, &mut out, FlushCompress::Sync)
        .map_err(|e| format!("deflate: {e}"))?;
    while z.total_in() < payload.len() as u64 || out.len() == out.capacity() {
        out.reserve(out.capacity());
        let at = z.total_in() as usize;
        z.compress_vec(&payload[at..], &mut out, FlushCompress::Sync)
            .map_err(|e| format!("deflate: {e}"))?;
    }
    if !out.ends_with(&[0, 0, 0xff, 0xff]) {
        return Err("deflate: no sync-flush tail".into());
    }
    out.truncate(out.len() - 4);
    Ok(out)
}

pub(crate) fn messages(
    protocol: Protocol,
    kind: Kind,
    size: usize,
    compressed: bool,
) -> Result<Vec<Message>, String> {
    let mut rng = SmallRng::seed_from_u64(0x6d61_736b);
    (0..VARIANTS)
        .map(|v| {
            let payload = payload(kind, size, v);
            let wire = match protocol {
                Protocol::Raw => payload.clone(),
                Protocol::WebSocket => {
                    let (body, rsv) = if compressed {
                        (deflate(&payload)?, Rsv::RSV1)
                    } else {
                        (payload.clone(), Rsv::NONE)
                    };
                    let key: [u8; 4] = rng.random();
                    let header =
                        FrameHeader::new(true, rsv, kind.opcode(), Some(key), body.len() as u64)
                            .map_err(|e| e.to_string())?;
                    let mut wire = header.encode().as_slice().to_vec();
                    let at = wire.len();
                    wire.extend_from_slice(&body);
                    apply_mask(&mut wire[at..], key, 0);
                    wire
                }
            };
            Ok(Message { payload, wire })
        })
        .collect()
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Kind, Protocol};

    #[test]
    fn payloads_have_the_size_and_kind() {
        for size in [20, 16 << 10, 1 << 20] {
            for v in 0..VARIANTS {
                assert_eq!(payload(Kind::Binary, size, v).len(), size);
                let ascii = payload(Kind::Ascii, size, v);
                assert!(ascii.len() == size && ascii.is_ascii());
                let text = payload(Kind::Utf8, size, v);
                assert_eq!(text.len(), size);
                let s = std::str::from_utf8(&text).unwrap();
                if size > 100 {
                    let multi = s
                        .chars()
                        .filter(|c| !c.is_ascii())
                        .map(char::len_utf8)
                        .sum::<usize>();
                    assert!(multi * 100 / size >= 75, "{multi} of {size}");
                }
            }
        }
    }

    #[test]
    fn chat_and_ticker_are_json_arrays_of_records_of_the_exact_size() {
        for kind in [Kind::Chat, Kind::Ticker] {
            for size in [crate::MIN_JSON_SIZE, 512, 8 << 10] {
                for v in 0..VARIANTS {
                    let p = payload(kind, size, v);
                    assert_eq!(p.len(), size, "{kind:?} {size}");
                    let value: serde_json::Value = serde_json::from_slice(&p)
                        .unwrap_or_else(|e| panic!("{kind:?} {size}: {e}"));
                    let records = value.as_array().expect("an array");
                    assert!(!records.is_empty(), "{kind:?} {size}: no record fits");
                    assert!(records.iter().all(serde_json::Value::is_object));
                }
            }
        }
    }

    #[test]
    fn every_variant_differs() {
        // a compressor keeping its window across messages must not see one payload repeated
        for kind in [
            Kind::Binary,
            Kind::Ascii,
            Kind::Utf8,
            Kind::Chat,
            Kind::Ticker,
        ] {
            let all: Vec<_> = (0..VARIANTS).map(|v| payload(kind, 512, v)).collect();
            for (i, a) in all.iter().enumerate() {
                for b in &all[i + 1..] {
                    assert_ne!(a, b, "{kind:?}");
                }
            }
        }
    }

    #[test]
    fn compressed_frames_inflate_to_their_payload() {
        use flate2::{Decompress, FlushDecompress};
        for m in messages(Protocol::WebSocket, Kind::Chat, 2048, true).unwrap() {
            assert_eq!(m.wire[0], 0x80 | 0x40 | 0x1, "FIN, RSV1, text");
            let len = usize::from(m.wire[1] & 0x7f);
            let (len, at) = match len {
                126 => (usize::from(u16::from_be_bytes([m.wire[2], m.wire[3]])), 4),
                127 => unreachable!("2 KiB compresses below 64 KiB"),
                n => (n, 2),
            };
            let key: [u8; 4] = m.wire[at..at + 4].try_into().unwrap();
            let mut body = m.wire[at + 4..].to_vec();
            assert_eq!(body.len(), len);
            assert!(len < m.payload.len() / 2, "chat JSON compresses: {len}");
            apply_mask(&mut body, key, 0);
            body.extend_from_slice(&[0, 0, 0xff, 0xff]);
            let mut z = Decompress::new(false);
            let mut out = Vec::with_capacity(m.payload.len() + 1);
            z.decompress_vec(&body, &mut out, FlushDecompress::Sync)
                .unwrap();
            assert_eq!(out, m.payload);
        }
    }
}

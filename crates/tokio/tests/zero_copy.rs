//! Large messages are slices of the read buffer (no copy): messages an application keeps
//! must never see the bytes of later reads, whatever sizes share one read.

mod support;

use sockeye_tokio::{DriverConfig, Message, MessageKind};
use support::{pair_with, within};

/// A payload whose every byte depends on its message and position: any overlap between
/// two messages, or a later read written over a held one, shows as a mismatch.
fn payload(message: usize, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + message * 131) as u8).collect()
}

#[tokio::test]
async fn held_messages_keep_their_bytes_while_later_reads_arrive() {
    for streaming in [false, true] {
        let mut config = DriverConfig::default();
        // Uncompressed, so the payloads are unmasked in place in the read buffer.
        config.deflate = None;
        config.connection.streaming = streaming;
        let (mut server, mut client) = pair_with(config, Default::default()).await;
        // Sizes around the zero-copy threshold (16 KiB) and the read size (64 KiB), small
        // ones and text between them; queued together so that reads hold several.
        let sizes: [usize; 10] = [
            16 << 10,
            20,
            (16 << 10) - 1,
            40_000,
            70_000,
            17_000,
            3,
            (64 << 10) - 10,
            16 << 10,
            100_000,
        ];
        let mut sent = Vec::new();
        for round in 0..3 {
            for (i, &len) in sizes.iter().enumerate() {
                let n = round * sizes.len() + i;
                let message = if i % 4 == 1 {
                    Message::text("é".repeat(len.div_ceil(2)))
                } else {
                    Message::binary(payload(n, len))
                };
                client.feed(message.clone()).await.unwrap();
                sent.push(message);
            }
        }
        let writer = tokio::spawn(async move {
            client.flush().await.unwrap();
            client
        });
        // Everything is kept until the end, streamed pieces as they came (`Bytes`).
        let mut held: Vec<(bool, Vec<sockeye_tokio::Bytes>)> = Vec::new();
        let mut pieces = Vec::new();
        while held.len() < sent.len() {
            let message = within("a message", server.recv()).await.unwrap().unwrap();
            match message {
                Message::Chunk(chunk) => {
                    let (text, last) = (chunk.kind == MessageKind::Text, chunk.last);
                    pieces.push(chunk.data);
                    if last {
                        held.push((text, std::mem::take(&mut pieces)));
                    }
                }
                Message::Text(text) => held.push((true, vec![text.into_bytes()])),
                Message::Binary(data) => held.push((false, vec![data])),
                other => panic!("unexpected {other:?}"),
            }
        }
        for (i, ((text, parts), want)) in held.iter().zip(&sent).enumerate() {
            let data: Vec<u8> = parts.iter().flat_map(|p| p.iter().copied()).collect();
            let got = if *text {
                Message::text(String::from_utf8(data).unwrap())
            } else {
                Message::binary(data)
            };
            assert!(&got == want, "message {i} (streaming {streaming}) changed");
        }
        drop(writer);
    }
}

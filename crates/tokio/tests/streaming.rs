//! Streaming: large messages as pieces while they arrive, and messages sent in pieces.

mod support;

use sockeye_tokio::{Bytes, Chunk, ClientBuilder, DriverConfig, Error, Message, MessageKind};
use support::{pair_with, within};

fn streaming() -> DriverConfig {
    let mut config = DriverConfig::default();
    config.connection.streaming = true;
    config
}

/// Collects one message's pieces, checking their flags and bounds.
async fn pieces<S>(ws: &mut sockeye_tokio::WebSocketStream<S>) -> (MessageKind, Vec<Chunk>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut chunks: Vec<Chunk> = Vec::new();
    loop {
        let item = within("a piece", ws.recv()).await.unwrap().unwrap();
        let Message::Chunk(chunk) = item else {
            panic!("expected a piece, got {item:?}");
        };
        assert_eq!(
            chunk.first,
            chunks.is_empty(),
            "first only on the first piece"
        );
        assert!(
            chunk.data.len() <= 64 << 10,
            "a piece of {} bytes",
            chunk.data.len()
        );
        let last = chunk.last;
        chunks.push(chunk);
        if last {
            let kind = chunks[0].kind;
            assert!(chunks.iter().all(|c| c.kind == kind));
            return (kind, chunks);
        }
    }
}

fn joined(chunks: &[Chunk]) -> Vec<u8> {
    chunks.iter().flat_map(|c| c.data.iter().copied()).collect()
}

#[tokio::test]
async fn a_large_message_arrives_in_pieces_and_echoes_in_pieces() {
    // Without compression: the pieces are what each read brought.
    let mut config = streaming();
    config.deflate = None;
    let (mut server, mut client) = pair_with(config, ClientBuilder::new()).await;
    let big: Vec<u8> = (0..(5 << 20)).map(|i| (i * 7 % 256) as u8).collect();
    let sender = tokio::spawn(async move {
        client.send(Message::binary(big)).await.unwrap();
        client
    });
    let (kind, chunks) = pieces(&mut server).await;
    assert_eq!(kind, MessageKind::Binary);
    assert!(chunks.len() >= 80, "5 MiB in {} pieces", chunks.len());
    let data = joined(&chunks);
    assert_eq!(data.len(), 5 << 20);
    assert!(
        data.iter()
            .enumerate()
            .all(|(i, &b)| b == (i * 7 % 256) as u8)
    );
    // Echoed piece by piece (while the client reads: 5 MiB do not fit in the socket
    // buffers): the client, not streaming, gets one whole message back.
    let echo = tokio::spawn(async move {
        for chunk in chunks {
            server.feed(Message::Chunk(chunk)).await.unwrap();
        }
        server.flush().await.unwrap();
        server
    });
    let mut client = within("the send", sender).await.unwrap();
    let echoed = within("the echo", client.recv()).await.unwrap().unwrap();
    within("the echo's end", echo).await.unwrap();
    assert_eq!(echoed.into_data(), Bytes::from(data));
}

#[tokio::test]
async fn compressed_text_comes_in_bounded_pieces_of_valid_utf8() {
    // permessage-deflate (on by default): pieces of decoded bytes, at most 64 KiB each,
    // that may end inside a character, and that together are the text.
    let (mut server, mut client) = pair_with(streaming(), ClientBuilder::new()).await;
    assert!(server.deflate().is_some());
    let text = "é🦀 — ünïcødé ".repeat(40_000);
    client.send(Message::text(text.as_str())).await.unwrap();
    let (kind, chunks) = pieces(&mut server).await;
    assert_eq!(kind, MessageKind::Text);
    assert!(chunks.len() > 1);
    assert_eq!(String::from_utf8(joined(&chunks)).unwrap(), text);
}

#[tokio::test]
async fn messages_sent_in_pieces_arrive_whole() {
    let (mut server, mut client) = pair_with(DriverConfig::default(), ClientBuilder::new()).await;
    let parts = ["Hel", "", "lo, ", "pieces ✓"];
    for (i, part) in parts.iter().enumerate() {
        let chunk = Chunk {
            kind: MessageKind::Text,
            data: Bytes::copy_from_slice(part.as_bytes()),
            first: i == 0,
            last: i + 1 == parts.len(),
        };
        client.feed(Message::Chunk(chunk)).await.unwrap();
        if i == 1 {
            // A whole message inside a message sent in pieces would break §5.4: refused,
            // nothing sent; a ping may go in between.
            let refused = client.feed(Message::text("inside")).await;
            assert!(matches!(refused, Err(Error::Misuse(_))), "{refused:?}");
            client
                .feed(Message::Ping(Bytes::from_static(b"between")))
                .await
                .unwrap();
        }
    }
    client.flush().await.unwrap();
    let got = within("the message", server.recv()).await.unwrap().unwrap();
    assert_eq!(got, Message::Ping(Bytes::from_static(b"between")));
    let got = within("the message", server.recv()).await.unwrap().unwrap();
    assert_eq!(got, Message::text("Hello, pieces ✓"));
}

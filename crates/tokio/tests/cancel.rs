//! Cancellation: a dropped future loses nothing that was not handed out, and leaves the
//! connection consistent.

mod support;

use std::time::Duration;

use sockeye_tokio::{ClientBuilder, DriverConfig, Message};
use support::{listener, masked_frame, pair, pair_with, raw_client, within};
use tokio::io::AsyncWriteExt;

/// `recv` dropped while a message is half arrived: the next `recv` gets it whole.
#[tokio::test]
async fn a_dropped_recv_loses_nothing() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        sockeye_tokio::accept(stream).await.unwrap()
    });
    let mut raw = raw_client(addr).await;
    let mut server = within("accept", server).await.unwrap();
    let frame = masked_frame(true, 0x1, "cancel-safe ✓".as_bytes());
    let (head, tail) = frame.split_at(7);
    for round in 0..3 {
        raw.write_all(head).await.unwrap();
        // Half a frame is in: recv has to wait for the rest, and is dropped while it does.
        tokio::select! {
            got = server.recv() => panic!("round {round}: got {got:?} from half a frame"),
            () = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
        raw.write_all(tail).await.unwrap();
        let got = within("the message", server.recv()).await.unwrap().unwrap();
        assert_eq!(got, Message::text("cancel-safe ✓"), "round {round}");
    }
    // Two messages in one read, a cancelled recv between them: both arrive, in order.
    let mut two = masked_frame(true, 0x1, b"one");
    two.extend(masked_frame(true, 0x1, b"two"));
    raw.write_all(&two).await.unwrap();
    let got = within("one", server.recv()).await.unwrap().unwrap();
    assert_eq!(got, Message::text("one"));
    tokio::select! {
        biased;
        () = std::future::ready(()) => {}
        _ = server.recv() => panic!("the biased branch runs first"),
    }
    let got = within("two", server.recv()).await.unwrap().unwrap();
    assert_eq!(got, Message::text("two"));
}

/// Sends cancelled while the peer does not read: each message arrives whole or not at
/// all, in order, and the ones that completed all arrive.
#[tokio::test]
async fn a_dropped_send_never_leaves_half_a_message() {
    let mut config = DriverConfig::default();
    config.write_high_water = 256 << 10;
    // Uncompressed, so that the bytes fill the socket buffers.
    config.deflate = None;
    let (mut server, mut client) =
        pair_with(DriverConfig::default(), ClientBuilder::new().config(config)).await;
    let payload = |i: u32| {
        let mut data = i.to_be_bytes().to_vec();
        data.resize(64 << 10, (i % 251) as u8);
        data
    };
    let mut completed = Vec::new();
    let mut cancelled = 0;
    for i in 0..2000u32 {
        match tokio::time::timeout(
            Duration::from_millis(20),
            client.send(Message::binary(payload(i))),
        )
        .await
        {
            Ok(sent) => {
                sent.unwrap();
                completed.push(i);
            }
            Err(_) => {
                cancelled += 1;
                if cancelled == 5 {
                    break;
                }
            }
        }
    }
    assert!(
        cancelled == 5,
        "the peer never pushed back ({} sends completed)",
        completed.len()
    );
    // The connection goes on after the cancelled sends.
    let last = 1_000_000;
    let flushed = tokio::spawn(async move {
        client.send(Message::binary(payload(last))).await.unwrap();
        client
    });
    let mut seen = Vec::new();
    loop {
        let Message::Binary(data) = within("a message", server.recv()).await.unwrap().unwrap()
        else {
            panic!("expected binary");
        };
        let i = u32::from_be_bytes(data[..4].try_into().unwrap());
        assert_eq!(data, payload(i), "message {i} arrived whole");
        if i == last {
            break;
        }
        seen.push(i);
    }
    within("the last send", flushed).await.unwrap();
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order: {seen:?}");
    for i in &completed {
        assert!(seen.contains(i), "completed send {i} did not arrive");
    }
}

/// `close` dropped while it waits for the peer: calling it again finishes the job.
#[tokio::test]
async fn a_dropped_close_can_be_resumed() {
    let (mut server, mut client) = pair().await;
    tokio::select! {
        _ = client.close(None) => panic!("the server has not answered yet: it is not polled"),
        () = tokio::time::sleep(Duration::from_millis(50)) => {}
    }
    assert!(
        !client.can_send(),
        "the close frame went out and stays sent"
    );
    let server_side = tokio::spawn(async move {
        let got = within("the close", server.recv()).await.unwrap().unwrap();
        assert_eq!(got, Message::Close(None));
        assert!(within("the end", server.recv()).await.is_none());
    });
    let closed = within("close again", client.close(None)).await.unwrap();
    assert!(closed.clean, "{closed:?}");
    server_side.await.unwrap();
}

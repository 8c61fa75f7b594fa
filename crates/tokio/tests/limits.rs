//! The driver's limits and timers through the tokio shell: 1009, fail-fast 1007,
//! bounded output, keepalive.

mod support;

use std::time::{Duration, Instant};

use sockeye_tokio::sockeye_proto::{Error as ProtoError, TimeoutKind};
use sockeye_tokio::{ClientBuilder, CloseCode, DriverConfig, Error, Message};
use support::{listener, masked_frame, pair_with, raw_client, read_close_code, read_frame, within};
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn a_message_over_the_limit_fails_with_1009() {
    let mut config = DriverConfig::default();
    config.connection.max_message_size = 1024;
    let (mut server, mut client) = pair_with(config, ClientBuilder::new()).await;
    client.send(Message::binary(vec![7u8; 1000])).await.unwrap();
    client.send(Message::binary(vec![7u8; 2000])).await.unwrap();
    let first = within("the first", server.recv()).await.unwrap().unwrap();
    assert_eq!(first.len(), 1000);
    let failed = within("the failure", server.recv())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        failed.close_code(),
        Some(CloseCode::MESSAGE_TOO_BIG),
        "{failed:?}"
    );
    // The client hears why, then the end.
    let got = within("the close", client.recv()).await.unwrap().unwrap();
    assert!(
        matches!(&got, Message::Close(Some(f)) if f.code == CloseCode::MESSAGE_TOO_BIG),
        "{got:?}"
    );
    assert!(within("the end", client.recv()).await.is_none());
    assert!(within("the server's end", server.recv()).await.is_none());
    assert_eq!(server.closed().unwrap().code, CloseCode::MESSAGE_TOO_BIG);
}

/// Invalid UTF-8 fails at the first byte that cannot be UTF-8, inside a message whose
/// end has not arrived (and never will).
#[tokio::test]
async fn invalid_utf8_fails_fast_with_1007() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        sockeye_tokio::accept(stream).await.unwrap()
    });
    let mut raw = raw_client(addr).await;
    let mut server = within("accept", server).await.unwrap();
    // A first fragment, not final: valid text, then 0xC0 (never valid in UTF-8).
    raw.write_all(&masked_frame(false, 0x1, b"fine so far \xc0 and more"))
        .await
        .unwrap();
    let failed = within("the failure", server.recv())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        failed.close_code(),
        Some(CloseCode::INVALID_PAYLOAD),
        "{failed:?}"
    );
    assert_eq!(read_close_code(&mut raw).await, 1007);
    drop(raw);
    assert!(within("the end", server.recv()).await.is_none());
}

/// Sends wait above the high-water mark: a peer that does not read cannot make the
/// output grow past it (by more than the message that crossed it).
#[tokio::test]
async fn output_toward_a_peer_that_does_not_read_stays_bounded() {
    let mut config = DriverConfig::default();
    config.deflate = None;
    config.write_high_water = 256 << 10;
    let high = config.write_high_water;
    let (mut server, _client) = pair_with(config, ClientBuilder::new()).await;
    let message = Message::binary(vec![1u8; 64 << 10]);
    let mut sent = 0usize;
    let mut waited = false;
    for _ in 0..2000 {
        match tokio::time::timeout(Duration::from_millis(50), server.feed(message.clone())).await {
            Ok(result) => {
                result.unwrap();
                sent += 1;
            }
            Err(_) => {
                waited = true;
                break;
            }
        }
        assert!(
            server.buffered_amount() <= high + (64 << 10) + 14,
            "{}",
            server.buffered_amount()
        );
    }
    assert!(waited, "{sent} messages of 64 KiB queued without waiting");
}

#[tokio::test]
async fn keepalive_pings_an_idle_peer_and_drops_a_silent_one() {
    let mut config = DriverConfig::default();
    config.connection.keepalive_interval = Some(Duration::from_millis(100));
    config.connection.keepalive_timeout = Duration::from_millis(200);
    // A peer that answers pings (our client, automatically) stays connected.
    let (mut server, mut client) = pair_with(config.clone(), ClientBuilder::new()).await;
    let answering = tokio::spawn(async move {
        let mut pings = 0;
        while pings < 3 {
            if let Message::Ping(_) = within("a ping", client.recv()).await.unwrap().unwrap() {
                pings += 1;
            }
        }
        client.send(Message::text("still here")).await.unwrap();
        client
    });
    // The server sees the pongs, then the message.
    let got = loop {
        match within("the message", server.recv()).await.unwrap().unwrap() {
            Message::Pong(_) => {}
            other => break other,
        }
    };
    assert_eq!(got, Message::text("still here"));
    let _client = answering.await.unwrap();

    // A peer that never answers is dropped after the interval and the timeout.
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        sockeye_tokio::accept_with_config(stream, config)
            .await
            .unwrap()
    });
    let mut raw = raw_client(addr).await;
    let mut server = within("accept", server).await.unwrap();
    let started = Instant::now();
    // The timers run while the connection is polled: here, while it waits in `recv`.
    let waiting = tokio::spawn(async move { server.recv().await });
    let (first, _) = read_frame(&mut raw).await;
    assert_eq!(first, 0x89, "a ping, unmasked, final");
    let failed = within("the keepalive timeout", waiting)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(
            failed,
            Error::Protocol(ProtoError::Timeout(TimeoutKind::Keepalive))
        ),
        "{failed:?}"
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(2),
        "{took:?}"
    );
}

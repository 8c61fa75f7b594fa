//! `close().await` from either side, after the peer closed, through the `Sink`, and
//! against a peer that never answers.

mod support;

use std::time::{Duration, Instant};

use futures_util::SinkExt;
use sockeye_tokio::{CloseCode, CloseFrame, DriverConfig, Message};
use support::{listener, pair, raw_client, read_close_code, within};

fn bye(code: CloseCode) -> Option<CloseFrame> {
    Some(CloseFrame {
        code,
        reason: "bye".into(),
    })
}

#[tokio::test]
async fn the_client_closes() {
    let (mut server, mut client) = pair().await;
    let server_side = tokio::spawn(async move {
        let got = within("the close", server.recv()).await.unwrap().unwrap();
        assert_eq!(got, Message::Close(bye(CloseCode::NORMAL)));
        assert!(within("the end", server.recv()).await.is_none());
        server.closed().cloned().unwrap()
    });
    let closed = within("close", client.close(bye(CloseCode::NORMAL)))
        .await
        .unwrap();
    assert!(closed.clean);
    assert_eq!(closed.code, CloseCode::NORMAL);
    let server_closed = server_side.await.unwrap();
    assert!(server_closed.clean);
    assert_eq!(
        (server_closed.code, server_closed.reason.as_str()),
        (CloseCode::NORMAL, "bye")
    );
    // Closed is closed: sending is refused, closing again is fine.
    assert!(client.send(Message::text("late")).await.is_err());
    assert!(
        within("close again", client.close(None))
            .await
            .unwrap()
            .clean
    );
}

#[tokio::test]
async fn the_server_closes() {
    let (mut server, mut client) = pair().await;
    let client_side = tokio::spawn(async move {
        let got = within("the close", client.recv()).await.unwrap().unwrap();
        assert_eq!(got, Message::Close(bye(CloseCode::GOING_AWAY)));
        assert!(within("the end", client.recv()).await.is_none());
    });
    let closed = within("close", server.close(bye(CloseCode::GOING_AWAY)))
        .await
        .unwrap();
    assert!(closed.clean, "{closed:?}");
    client_side.await.unwrap();
}

#[tokio::test]
async fn closing_after_the_peer_closed_only_waits_for_the_end() {
    let (mut server, mut client) = pair().await;
    client
        .send(Message::Close(bye(CloseCode::NORMAL)))
        .await
        .unwrap();
    let got = within("the close", server.recv()).await.unwrap().unwrap();
    assert!(got.is_close());
    assert!(
        !server.can_send(),
        "our reply is queued: nothing more may be sent"
    );
    let peer = tokio::spawn(async move { while client.recv().await.is_some() {} });
    let closed = within("close", server.close(None)).await.unwrap();
    assert!(closed.clean, "{closed:?}");
    within("the peer's end", peer).await.unwrap();
}

#[tokio::test]
async fn the_sink_closes_too() {
    let (mut server, mut client) = pair().await;
    let peer = tokio::spawn(async move { while server.recv().await.is_some() {} });
    within("SinkExt::close", SinkExt::close(&mut client))
        .await
        .unwrap();
    assert!(client.closed().unwrap().clean);
    within("the peer's end", peer).await.unwrap();
}

#[tokio::test]
async fn close_gives_up_on_a_silent_peer_after_the_close_timeout() {
    let (listener, addr) = listener().await;
    let mut config = DriverConfig::default();
    config.connection.close_timeout = Duration::from_millis(300);
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        sockeye_tokio::accept_with_config(stream, config)
            .await
            .unwrap()
    });
    // Completes the handshake, reads our close frame, and never answers.
    let mut raw = raw_client(addr).await;
    let mut server = within("accept", server).await.unwrap();
    let started = Instant::now();
    let closing = tokio::spawn(async move { server.close(bye(CloseCode::NORMAL)).await });
    assert_eq!(read_close_code(&mut raw).await, 1000);
    let closed = within("close", closing).await.unwrap().unwrap();
    let took = started.elapsed();
    assert!(!closed.clean, "{closed:?}");
    assert_eq!(closed.code, CloseCode::ABNORMAL);
    assert!(
        took >= Duration::from_millis(300),
        "gave up early: {took:?}"
    );
    // Resolved when the close timeout passed, not after the wait for the peer's EOF
    // (the 2 s linger bound) that follows it.
    assert!(took < Duration::from_millis(1500), "{took:?}");
}

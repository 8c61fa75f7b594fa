//! Split halves: a reader and any number of writers in different tasks, none waiting for
//! another; what dropping them does.

mod support;

use futures_util::{StreamExt, TryStreamExt, future};
use sockeye_tokio::{Bytes, CloseCode, CloseFrame, Error, Message, SharedFrame};
use support::{pair, within};

#[tokio::test]
async fn writers_send_while_the_reader_waits() {
    let (server, mut client) = pair().await;
    let (mut reader, writer) = server.into_split();
    // The reader waits for a message the client sends only after it has every message of
    // both writers: with a lock shared by the halves this would deadlock.
    let reading = tokio::spawn(async move { within("the reader", reader.recv()).await });
    let writers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let mut writer = writer.clone();
            tokio::spawn(async move {
                for i in 0..200 {
                    writer
                        .send(Message::text(format!("{name}{i}")))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    let mut next = [0, 0];
    while next != [200, 200] {
        let Message::Text(text) = within("a message", client.recv()).await.unwrap().unwrap() else {
            panic!("expected text");
        };
        let (which, i) = text.split_at(1);
        let which = usize::from(which == "b");
        assert_eq!(
            i.parse::<i32>().unwrap(),
            next[which],
            "each writer's order"
        );
        next[which] += 1;
    }
    for w in writers {
        w.await.unwrap();
    }
    client.send(Message::text("done")).await.unwrap();
    let got = reading.await.unwrap().unwrap().unwrap();
    assert_eq!(got, Message::text("done"));
}

#[tokio::test]
async fn the_writer_closes_and_the_reader_sees_the_end() {
    let (server, mut client) = pair().await;
    let (mut reader, mut writer) = server.into_split();
    let peer = tokio::spawn(async move {
        // The client answers the close (automatically) and sees the stream end.
        let got = within("the close", client.recv()).await.unwrap().unwrap();
        assert_eq!(
            got,
            Message::Close(Some(CloseFrame {
                code: CloseCode::GOING_AWAY,
                reason: "bye".into()
            }))
        );
        assert!(within("the end", client.recv()).await.is_none());
    });
    let frame = CloseFrame {
        code: CloseCode::GOING_AWAY,
        reason: "bye".into(),
    };
    let closed = within("close", writer.close(Some(frame))).await.unwrap();
    assert!(closed.clean, "{closed:?}");
    assert_eq!(closed.code, CloseCode::GOING_AWAY);
    assert!(!writer.can_send());
    assert!(matches!(
        writer.send(Message::text("late")).await,
        Err(Error::ConnectionClosed)
    ));
    // The reader gets the client's reply, then the end.
    let reply = within("the reply", reader.recv()).await.unwrap().unwrap();
    assert!(matches!(reply, Message::Close(Some(f)) if f.code == CloseCode::GOING_AWAY));
    assert!(within("the end", reader.recv()).await.is_none());
    peer.await.unwrap();
}

#[tokio::test]
async fn dropping_every_half_closes_normally() {
    let (server, mut client) = pair().await;
    let (reader, writer) = server.into_split();
    drop((reader, writer));
    let got = within("the close", client.recv()).await.unwrap().unwrap();
    assert!(
        matches!(&got, Message::Close(Some(f)) if f.code == CloseCode::NORMAL),
        "{got:?}"
    );
    assert!(within("the end", client.recv()).await.is_none());
    assert!(client.closed().unwrap().clean);
}

#[tokio::test]
async fn without_a_reader_pings_are_answered_and_writers_go_on() {
    let (server, mut client) = pair().await;
    let (reader, mut writer) = server.into_split();
    drop(reader);
    client
        .send(Message::text("nobody reads this"))
        .await
        .unwrap();
    client
        .send(Message::Ping(Bytes::from_static(b"still there?")))
        .await
        .unwrap();
    let pong = within("the pong", client.recv()).await.unwrap().unwrap();
    assert_eq!(pong, Message::Pong(Bytes::from_static(b"still there?")));
    writer.send(Message::text("from the writer")).await.unwrap();
    let got = within("the message", client.recv()).await.unwrap().unwrap();
    assert_eq!(got, Message::text("from the writer"));
    // A broadcast frame, framed once, through the writer.
    writer
        .send_shared(SharedFrame::text("shared"))
        .await
        .unwrap();
    let got = within("the shared frame", client.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, Message::text("shared"));
}

#[tokio::test]
async fn halves_are_a_stream_and_a_sink() {
    let (server, client) = pair().await;
    let (reader, writer) = server.into_split();
    // tokio-tungstenite's echo, on the halves.
    let echo = tokio::spawn(
        reader
            .try_filter(|m| future::ready(m.is_text() || m.is_binary()))
            .forward(writer),
    );
    let (mut client_reader, mut client_writer) = client.into_split();
    for i in 0..50 {
        client_writer
            .send(Message::binary(vec![i; 1000]))
            .await
            .unwrap();
    }
    for i in 0..50 {
        let got = within("an echo", client_reader.next())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, Message::binary(vec![i; 1000]));
    }
    // A client cannot send pre-framed messages (each frame needs its own mask).
    let refused = client_writer.send_shared(SharedFrame::text("x")).await;
    assert!(
        matches!(refused, Err(Error::PreframedOnClient)),
        "{refused:?}"
    );
    let closed = within("close", client_writer.close(None)).await.unwrap();
    assert!(closed.clean, "{closed:?}");
    // The forward ends with the server's stream, closing its (already closed) sink.
    within("the echo's end", echo).await.unwrap().unwrap();
    let reply = within("the reply", client_reader.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reply, Message::Close(None));
    assert!(within("the end", client_reader.next()).await.is_none());
}

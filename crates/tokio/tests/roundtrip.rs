//! Both roles over loopback: messages each way, the handshake's choices and refusals,
//! the client's URL handling.

mod support;

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use sockeye_tokio::sockeye_handshake::accept_key;
use sockeye_tokio::{
    Accept, Bytes, ClientBuilder, DriverConfig, Error, Message, Reject, Request, WebSocketStream,
};
use support::{STEP, echo, listener, pair, within};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn messages_of_every_kind_go_both_ways() {
    let (server, mut client) = pair().await;
    let echo = tokio::spawn(echo(server));
    let big: Vec<u8> = (0..(3 << 20)).map(|i| (i % 251) as u8).collect();
    let sent = [
        Message::text("hello"),
        Message::text(""),
        Message::text("ünïcødé 🦀"),
        Message::binary(vec![0, 1, 2, 255]),
        Message::binary(big.clone()),
    ];
    for message in &sent {
        client.send(message.clone()).await.unwrap();
        let got = within("echo", client.recv()).await.unwrap().unwrap();
        assert_eq!(&got, message);
    }
    // A ping is answered by the server's connection itself (the echo never sees it).
    client
        .send(Message::Ping(Bytes::from_static(b"p")))
        .await
        .unwrap();
    let pong = within("pong", client.recv()).await.unwrap().unwrap();
    assert_eq!(pong, Message::Pong(Bytes::from_static(b"p")));
    // The futures traits, as tokio-tungstenite users write it.
    client.send(Message::text("via Sink")).await.unwrap();
    SinkExt::send(&mut client, Message::text("via SinkExt"))
        .await
        .unwrap();
    assert_eq!(
        client.next().await.unwrap().unwrap(),
        Message::text("via Sink")
    );
    assert_eq!(
        client.next().await.unwrap().unwrap(),
        Message::text("via SinkExt")
    );
    let closed = within("close", client.close(None)).await.unwrap();
    assert!(closed.clean, "{closed:?}");
    within("the echo's end", echo).await.unwrap();
    assert!(client.next().await.is_none());
}

#[tokio::test]
async fn the_callback_chooses_the_subprotocol_and_headers() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        sockeye_tokio::accept_hdr(stream, |request: &Request| {
            assert_eq!(request.path(), "/room/7");
            assert_eq!(request.query(), Some("user=ann"));
            assert_eq!(request.headers().get_str("authorization"), Some("Bearer 1"));
            assert_eq!(request.protocols(), ["v1", "v2"]);
            Ok(Accept::new()
                .protocol("v2")
                .unwrap()
                .header("Set-Cookie", "session=abc")
                .unwrap())
        })
        .await
        .unwrap()
    });
    let (mut client, response) = ClientBuilder::new()
        .protocol("v1")
        .protocol("v2")
        .header("Authorization", "Bearer 1")
        .connect(&format!("ws://{addr}/room/7?user=ann"))
        .await
        .unwrap();
    let server = server.await.unwrap();
    assert_eq!(client.protocol(), Some("v2"));
    assert_eq!(server.protocol(), Some("v2"));
    assert_eq!(
        response.headers().get_str("set-cookie"),
        Some("session=abc")
    );
    tokio::spawn(echo(server));
    client
        .send(Message::text("after the handshake"))
        .await
        .unwrap();
    let got = within("echo", client.recv()).await.unwrap().unwrap();
    assert_eq!(got, Message::text("after the handshake"));
}

#[tokio::test]
async fn a_rejection_reaches_the_client_with_its_status_and_headers() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        sockeye_tokio::accept_hdr(stream, |_: &Request| {
            Err(Reject::new(401)
                .unwrap()
                .header("WWW-Authenticate", "Bearer")
                .unwrap()
                .body("log in first"))
        })
        .await
    });
    let refused = sockeye_tokio::connect(&format!("ws://{addr}/private")).await;
    let Err(Error::Rejected(rejection)) = refused else {
        panic!("expected a rejection, got {refused:?}");
    };
    assert_eq!(rejection.response.status(), 401);
    assert_eq!(
        rejection.response.headers().get_str("www-authenticate"),
        Some("Bearer")
    );
    assert_eq!(rejection.body, b"log in first");
    let server = within("the server's end", server).await.unwrap();
    assert!(
        matches!(server, Err(Error::Refused { status: 401 })),
        "{server:?}"
    );
}

#[tokio::test]
async fn an_invalid_request_gets_its_http_error_and_accept_fails() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        sockeye_tokio::accept(stream).await
    });
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    // No Sec-WebSocket-Version: §4.2.1 calls for a 400 (or 426 with the version).
    tcp.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    )
    .await
    .unwrap();
    let mut response = String::new();
    within("the error response", tcp.read_to_string(&mut response))
        .await
        .unwrap();
    assert!(
        response.starts_with("HTTP/1.1 400") || response.starts_with("HTTP/1.1 426"),
        "{response}"
    );
    let server = within("accept's end", server).await.unwrap();
    assert!(matches!(server, Err(Error::Request(_))), "{server:?}");
}

#[tokio::test]
async fn a_silent_client_runs_into_the_handshake_deadline() {
    let (listener, addr) = listener().await;
    let mut config = DriverConfig::default();
    config.handshake_timeout = Duration::from_millis(200);
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let started = Instant::now();
        (
            sockeye_tokio::accept_with_config(stream, config).await,
            started.elapsed(),
        )
    });
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\n").await.unwrap(); // and nothing more
    let (result, took) = within("accept", server).await.unwrap();
    assert!(matches!(result, Err(Error::HandshakeTimeout)), "{result:?}");
    assert!(
        took >= Duration::from_millis(200) && took < STEP,
        "{took:?}"
    );
}

#[tokio::test]
async fn urls_and_transports() {
    // With the `tls` feature (the tests have it) a wss:// URL is dialled like any other:
    // nothing listens on port 1, so the OS refuses (tests/tls.rs has the TLS itself).
    let refused = sockeye_tokio::connect("wss://127.0.0.1:1/").await;
    assert!(matches!(refused, Err(Error::Io(_))), "{refused:?}");
    assert!(matches!(
        sockeye_tokio::connect("http://x/").await,
        Err(Error::Url(_))
    ));
    // A closed port: refused by the OS.
    let (unused, addr) = listener().await;
    drop(unused);
    let closed = sockeye_tokio::connect(&format!("ws://{addr}/")).await;
    assert!(matches!(closed, Err(Error::Io(_))), "{closed:?}");

    // The seam TLS will use: any connected transport, even for a wss:// URL (the caller
    // brought the security), the URL giving Host and the target.
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        sockeye_tokio::accept_hdr(stream, |request: &Request| {
            assert_eq!(request.host(), "example.com");
            assert_eq!(request.path(), "/over/tls");
            Ok(Accept::new())
        })
        .await
        .unwrap()
    });
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut client, _): (WebSocketStream<TcpStream>, _) =
        sockeye_tokio::client_with_stream("wss://example.com/over/tls", tcp)
            .await
            .unwrap();
    tokio::spawn(echo(within("accept", server).await.unwrap()));
    client
        .send(Message::text("through the seam"))
        .await
        .unwrap();
    let got = within("echo", client.recv()).await.unwrap().unwrap();
    assert_eq!(got, Message::text("through the seam"));
}

/// A client's frames are masked (§5.3) and a server's are not: seen from a raw server.
#[tokio::test]
async fn the_client_masks_with_fresh_keys() {
    let (listener, addr) = listener().await;
    let raw = tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        while !request.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8];
            tcp.read_exact(&mut byte).await.unwrap();
            request.push(byte[0]);
        }
        let request = String::from_utf8(request).unwrap();
        let key = request
            .lines()
            .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
            .unwrap()
            .trim()
            .to_owned();
        let accept = accept_key(key.as_bytes());
        let response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n\r\n",
            accept.as_str()
        );
        tcp.write_all(response.as_bytes()).await.unwrap();
        let mut frames = [[0u8; 2 + 4 + 3]; 2];
        for frame in &mut frames {
            tcp.read_exact(frame).await.unwrap();
        }
        frames
    });
    let (mut client, _) = sockeye_tokio::connect(&format!("ws://{addr}/"))
        .await
        .unwrap();
    client.send(Message::text("abc")).await.unwrap();
    client.send(Message::text("abc")).await.unwrap();
    let frames = within("the raw server", raw).await.unwrap();
    for frame in &frames {
        assert_eq!(frame[..2], [0x81, 0x83], "masked text frame of 3 bytes");
        let key = &frame[2..6];
        let payload: Vec<u8> = frame[6..]
            .iter()
            .zip(key.iter().cycle())
            .map(|(b, k)| b ^ k)
            .collect();
        assert_eq!(payload, b"abc");
    }
    assert_ne!(frames[0][2..6], frames[1][2..6], "a fresh key per frame");
}

//! Upgrades that an HTTP server received (hyper 1, axum), answered with Sockeye's
//! handshake (`sockeye_tokio::upgrade`), then `WebSocketStream`s over the upgraded
//! transport; and `from_upgraded` over a transport whose handshake was someone else's.

mod support;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use sockeye_tokio::upgrade::{Upgrade, refusal};
use sockeye_tokio::{Accept, ClientBuilder, DriverConfig, Message, Role, WebSocketStream};
use support::{echo, listener, within};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Answers `request` with Sockeye's handshake and echoes over the upgraded connection:
/// the response (or the refusal) to return.
fn answer<B: Send + 'static>(
    request: hyper::Request<B>,
    config: Arc<DriverConfig>,
) -> hyper::Response<Bytes> {
    let upgrade = match Upgrade::new(&request, config) {
        Ok(upgrade) => upgrade,
        Err(error) => return refusal(&error),
    };
    let offered = upgrade.request().protocols().iter().any(|p| p == "echo");
    let accept = if offered {
        Accept::new().protocol("echo").unwrap()
    } else {
        Accept::new()
    };
    let (response, accepted) = upgrade.accept(&accept).unwrap();
    tokio::spawn(async move {
        let upgraded = hyper::upgrade::on(request).await.unwrap();
        echo(accepted.into_stream(TokioIo::new(upgraded))).await;
    });
    response
}

async fn hyper_server() -> SocketAddr {
    let (listener, addr) = listener().await;
    let config = Arc::new(DriverConfig::default());
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let config = Arc::clone(&config);
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                        let response = answer(request, Arc::clone(&config)).map(Full::new);
                        async move { Ok::<_, Infallible>(response) }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    addr
}

async fn axum_server() -> SocketAddr {
    let (listener, addr) = listener().await;
    let config = Arc::new(DriverConfig::default());
    let app = axum::Router::new().route(
        "/ws",
        axum::routing::get(move |request: axum::extract::Request| {
            let response = answer(request, Arc::clone(&config)).map(Body::from);
            async move { response }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn check_echo_server(addr: SocketAddr) {
    let (mut ws, response) = ClientBuilder::new()
        .protocol("echo")
        .connect(&format!("ws://{addr}/ws"))
        .await
        .unwrap();
    assert_eq!(response.status(), 101);
    assert_eq!(ws.protocol(), Some("echo"));
    assert!(
        ws.deflate().is_some(),
        "permessage-deflate negotiated by the helper"
    );
    for message in [
        Message::text("über hyper ✓".repeat(1000)),
        Message::binary(vec![9u8; 100_000]),
    ] {
        ws.send(message.clone()).await.unwrap();
        assert_eq!(
            within("the echo", ws.recv()).await.unwrap().unwrap(),
            message
        );
    }
    assert!(within("close", ws.close(None)).await.unwrap().clean);
    // A request the handshake refuses gets the status its rules call for.
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
    )
    .await
    .unwrap();
    let mut head = [0u8; 12];
    within("the refusal", tcp.read_exact(&mut head))
        .await
        .unwrap();
    assert_eq!(&head, b"HTTP/1.1 426", "{}", String::from_utf8_lossy(&head));
}

#[tokio::test]
async fn hyper_serves_upgrades_through_the_helper() {
    check_echo_server(hyper_server().await).await;
}

#[tokio::test]
async fn axum_serves_upgrades_through_the_helper() {
    check_echo_server(axum_server().await).await;
}

/// A handshake this crate never saw (here, done by hand on both ends), then
/// `from_upgraded` in each role over the raw transports.
#[tokio::test]
async fn from_upgraded_in_both_roles() {
    let (listener, addr) = listener().await;
    let accepting = tokio::spawn(async move { listener.accept().await.unwrap().0 });
    let client_tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let server_tcp = accepting.await.unwrap();
    let mut server =
        WebSocketStream::from_upgraded(server_tcp, Role::Server, DriverConfig::default());
    let mut client =
        WebSocketStream::from_upgraded(client_tcp, Role::Client, DriverConfig::default());
    assert!(
        server.deflate().is_none(),
        "no extension: none was negotiated here"
    );
    client
        .send(Message::text("masked by the client"))
        .await
        .unwrap();
    assert_eq!(
        within("the message", server.recv()).await.unwrap().unwrap(),
        Message::text("masked by the client")
    );
    server.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    assert_eq!(
        within("the reply", client.recv()).await.unwrap().unwrap(),
        Message::binary(vec![1, 2, 3])
    );
}

//! What the tests share: loopback pairs on port 0, an echo server, and a raw TCP peer for
//! what our own client would refuse to send.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sockeye_tokio::{ClientBuilder, DriverConfig, Message, WebSocketStream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Every wait in a test is bounded by this: a hang is a failure, not a stuck run.
pub const STEP: Duration = Duration::from_secs(10);

/// `future`, or a panic naming `what` after [`STEP`].
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(STEP, future).await {
        Ok(value) => value,
        Err(_) => panic!("{what}: no result within {STEP:?}"),
    }
}

/// A listener on 127.0.0.1, port 0.
pub async fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// One server connection (accepted with `config`) and the client connected to it.
pub async fn pair_with(
    config: DriverConfig,
    client: ClientBuilder,
) -> (WebSocketStream<TcpStream>, WebSocketStream<TcpStream>) {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        sockeye_tokio::accept_with_config(stream, config)
            .await
            .unwrap()
    });
    let (client, _) = within("connect", client.connect(&format!("ws://{addr}/")))
        .await
        .unwrap();
    (within("accept", server).await.unwrap(), client)
}

/// [`pair_with`] the defaults.
pub async fn pair() -> (WebSocketStream<TcpStream>, WebSocketStream<TcpStream>) {
    pair_with(DriverConfig::default(), ClientBuilder::new()).await
}

/// Echoes every text, binary and chunk until the stream ends (what `tokio-echo` does).
pub async fn echo<S>(mut ws: WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    while let Some(item) = ws.recv().await {
        if let Ok(message @ (Message::Text(_) | Message::Binary(_) | Message::Chunk(_))) = item {
            let _ = ws.feed(message).await;
        }
    }
}

/// An echo server accepting with `config` on its own runtime thread, for the whole test
/// process (the thread ends with it): its `ws://` URL.
pub fn echo_server(config: DriverConfig) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let (listener, addr) = listener().await;
            tx.send(addr).unwrap();
            let config = Arc::new(config);
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                stream.set_nodelay(true).unwrap();
                let config = Arc::clone(&config);
                tokio::spawn(async move {
                    if let Ok(ws) = sockeye_tokio::accept_with_config(stream, config).await {
                        echo(ws).await;
                    }
                });
            }
        });
    });
    format!("ws://{}", rx.recv().unwrap())
}

/// A client frame as a raw peer writes it: masked with `key`, `fin` and `opcode` as
/// given (payload under 126 bytes).
pub fn masked_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![u8::from(fin) << 7 | opcode, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&key);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    frame
}

/// A raw TCP peer that did the client handshake (without extensions): what comes after
/// the `101` is for the test to read and write.
pub async fn raw_client(addr: SocketAddr) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(
        b"GET / HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await
    .unwrap();
    let head = read_head(&mut tcp).await;
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    tcp
}

/// Reads an HTTP head byte by byte (nothing after it is consumed).
pub async fn read_head(tcp: &mut TcpStream) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        let n = within("a response head", tcp.read(&mut byte))
            .await
            .unwrap();
        assert_eq!(
            n,
            1,
            "EOF inside the head: {:?}",
            String::from_utf8_lossy(&head)
        );
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

/// Reads one unmasked server frame with a payload under 126 bytes: (first byte, payload).
pub async fn read_frame(tcp: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut header = [0u8; 2];
    within("a frame header", tcp.read_exact(&mut header))
        .await
        .unwrap();
    assert!(
        header[1] < 126,
        "unexpected frame length byte {}",
        header[1]
    );
    let mut payload = vec![0u8; usize::from(header[1])];
    within("a frame payload", tcp.read_exact(&mut payload))
        .await
        .unwrap();
    (header[0], payload)
}

/// Reads frames until a close frame: its code.
pub async fn read_close_code(tcp: &mut TcpStream) -> u16 {
    loop {
        let (first, payload) = read_frame(tcp).await;
        if first & 0x0f == 0x8 {
            assert!(payload.len() >= 2, "close without a code");
            return u16::from_be_bytes([payload[0], payload[1]]);
        }
    }
}

//! permessage-deflate: negotiated by default in both roles, compressed on the wire, off
//! on request; broadcast frames framed (and compressed) once.

mod support;

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use sockeye_tokio::{ClientBuilder, DriverConfig, Message, SharedFrame};
use support::{echo, listener, pair, pair_with, within};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A transport that counts the bytes written through it.
struct Counting {
    inner: TcpStream,
    written: Arc<AtomicUsize>,
}

impl AsyncRead for Counting {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counting {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let n = std::task::ready!(Pin::new(&mut this.inner).poll_write(cx, buf))?;
        this.written.fetch_add(n, Ordering::Relaxed);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn negotiated_by_default_and_compressed_on_the_wire() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        sockeye_tokio::accept(stream).await.unwrap()
    });
    let written = Arc::new(AtomicUsize::new(0));
    let transport = Counting {
        inner: TcpStream::connect(addr).await.unwrap(),
        written: Arc::clone(&written),
    };
    let (mut client, response) =
        sockeye_tokio::client_with_stream(&format!("ws://{addr}/"), transport)
            .await
            .unwrap();
    let server = within("accept", server).await.unwrap();
    let extensions = response
        .headers()
        .get_str("sec-websocket-extensions")
        .unwrap();
    assert!(extensions.starts_with("permessage-deflate"), "{extensions}");
    assert!(client.deflate().is_some());
    assert!(server.deflate().is_some());
    tokio::spawn(echo(server));
    let text = "a compressible line of text, again and again\n".repeat(4000);
    let before = written.load(Ordering::Relaxed);
    client.send(Message::text(text.as_str())).await.unwrap();
    let sent = written.load(Ordering::Relaxed) - before;
    assert!(
        sent < text.len() / 20,
        "{} bytes of text took {sent} on the wire",
        text.len()
    );
    let echoed = within("the echo", client.recv()).await.unwrap().unwrap();
    assert_eq!(echoed, Message::text(text));
}

#[tokio::test]
async fn off_when_either_side_says_so() {
    let mut off = DriverConfig::default();
    off.deflate = None;
    let (server, client) = pair_with(off.clone(), ClientBuilder::new()).await;
    assert!(server.deflate().is_none() && client.deflate().is_none());
    let (server, client) =
        pair_with(DriverConfig::default(), ClientBuilder::new().config(off)).await;
    assert!(server.deflate().is_none() && client.deflate().is_none());
}

/// A server connection over a [`Counting`] transport, and its client.
async fn counted_pair(
    client: ClientBuilder,
) -> (
    sockeye_tokio::WebSocketStream<Counting>,
    Arc<AtomicUsize>,
    sockeye_tokio::WebSocketStream<TcpStream>,
) {
    let (listener, addr) = listener().await;
    let written = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&written);
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let transport = Counting {
            inner: stream,
            written: counter,
        };
        sockeye_tokio::accept(transport).await.unwrap()
    });
    let (client, _) = client.connect(&format!("ws://{addr}/")).await.unwrap();
    (within("accept", server).await.unwrap(), written, client)
}

/// One frame made once goes to every connection: compressed where the connection
/// negotiated a compatible mode, plain elsewhere.
#[tokio::test]
async fn a_broadcast_is_framed_once_for_every_connection() {
    let deflate = DriverConfig::default().deflate.unwrap();
    let text = "news for everyone, ".repeat(500);
    let shared = SharedFrame::text_compressed(&text, &deflate);
    let (plain, compressed) = (shared.plain().len(), shared.deflated().unwrap().len());
    assert!(compressed < plain / 10, "{compressed} of {plain}");
    let mut plain_only = DriverConfig::default();
    plain_only.deflate = None;
    for (client, frame_len) in [
        (ClientBuilder::new(), compressed),
        (ClientBuilder::new().config(plain_only), plain),
    ] {
        let (mut server, written, mut client) = counted_pair(client).await;
        let before = written.load(Ordering::Relaxed);
        server.send_shared(&shared).await.unwrap();
        assert_eq!(written.load(Ordering::Relaxed) - before, frame_len);
        let got = within("the broadcast", client.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, Message::text(text.as_str()));
    }
    // A client cannot: every client frame needs its own mask.
    let (_, mut client) = pair().await;
    let refused = client.send_shared(&SharedFrame::text("x")).await;
    assert!(
        matches!(refused, Err(sockeye_tokio::Error::PreframedOnClient)),
        "{refused:?}"
    );
}

//! `bcast-fastws`: the fan-out bench's broadcast server on fastwebsockets, one thread.
//!
//! `bcast-fastws [--listen ADDR]` (default 127.0.0.1:9012) prints
//! `bcast-fastws listening on ws://ADDR/` and runs until killed.
//!
//! Every text message any connection sends goes to every open connection (the sender
//! included). hyper's HTTP/1 upgrade as in `echo-fastws`; the upgraded connection is split
//! (`WebSocket::split`, fastwebsockets' `unstable-split`) so that one task reads it and
//! another writes to it: the reader puts each text message on a `tokio::sync::broadcast`
//! channel (`Bytes`, cloned per receiver without a copy), the writer sends each broadcast
//! message with `write_frame` (a vectored write of header and payload). A receiver more
//! than 4,096 messages behind skips what it missed (tokio's `Lagged`). The bench's
//! clients send no pings, so the reader's obligated replies (pongs) are not sent; a close
//! ends the connection. A current-thread runtime: one core, like `bcast-sockeye`.
//! `TCP_NODELAY` is set.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::SocketAddr;

use bytes::Bytes;
use fastwebsockets::upgrade::{UpgradeFut, upgrade};
use fastwebsockets::{Frame, OpCode, Payload, WebSocketError};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use tokio::net::TcpListener;
use tokio::sync::broadcast::{self, error::RecvError};

async fn serve(upgraded: UpgradeFut, tx: broadcast::Sender<Bytes>) -> Result<(), WebSocketError> {
    let ws = upgraded.await?;
    let (mut read, mut write) = ws.split(tokio::io::split);
    let mut rx = tx.subscribe();
    let writer = tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(text) => {
                    let frame = Frame::text(Payload::Borrowed(&text));
                    if write.write_frame(frame).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
        }
    });
    let mut ignore = |_: Frame<'_>| async { Ok::<(), WebSocketError>(()) };
    let ended = loop {
        let frame = match read.read_frame(&mut ignore).await {
            Ok(frame) => frame,
            Err(e) => break Err(e),
        };
        match frame.opcode {
            OpCode::Close => break Ok(()),
            OpCode::Text => {
                let _ = tx.send(Bytes::copy_from_slice(&frame.payload));
            }
            _ => {}
        }
    };
    writer.abort();
    ended
}

fn run(listen: SocketAddr) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(listen).await?;
        println!("bcast-fastws listening on ws://{}/", listener.local_addr()?);
        std::io::Write::flush(&mut std::io::stdout())?;
        let (tx, _) = broadcast::channel::<Bytes>(4096);
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // Out of descriptors and the like: let the connections run, then retry.
                Err(_) => {
                    tokio::task::yield_now().await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let tx = tx.clone();
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let service = service_fn(move |mut request: Request<Incoming>| {
                    let tx = tx.clone();
                    async move {
                        let (response, upgraded) = upgrade(&mut request)?;
                        tokio::spawn(async move {
                            let _ = serve(upgraded, tx).await;
                        });
                        Ok::<Response<Empty<Bytes>>, WebSocketError>(response)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(io, service)
                    .with_upgrades()
                    .await;
            });
        }
    })
}

fn main() -> std::process::ExitCode {
    sockeye_benches::args::listen_main("bcast-fastws", "127.0.0.1:9012", run)
}

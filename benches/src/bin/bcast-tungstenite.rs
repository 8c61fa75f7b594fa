//! `bcast-tungstenite`: the fan-out bench's broadcast server on tokio-tungstenite, one
//! thread.
//!
//! `bcast-tungstenite [--listen ADDR]` (default 127.0.0.1:9011) prints
//! `bcast-tungstenite listening on ws://ADDR/` and runs until killed.
//!
//! Every text message any connection sends goes to every open connection (the sender
//! included). The broadcast loop a tokio-tungstenite user writes: one
//! `tokio::sync::broadcast` channel (the message's `Utf8Bytes` cloned per receiver, no
//! copy of the payload); each connection's task selects between its next incoming message
//! and the next broadcast one, which it sends (`SinkExt::send`: write and flush). A
//! receiver more than 4,096 messages behind skips what it missed (tokio's `Lagged`). A
//! current-thread runtime: one core, like `bcast-sockeye`. `TCP_NODELAY` is set.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

async fn serve(stream: TcpStream, tx: broadcast::Sender<Utf8Bytes>) {
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut incoming) = ws.split();
    let mut rx = tx.subscribe();
    loop {
        tokio::select! {
            message = incoming.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let _ = tx.send(text);
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
            out = rx.recv() => match out {
                Ok(text) => {
                    if sink.send(Message::Text(text)).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            },
        }
    }
}

fn run(listen: SocketAddr) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(listen).await?;
        println!(
            "bcast-tungstenite listening on ws://{}/",
            listener.local_addr()?
        );
        std::io::Write::flush(&mut std::io::stdout())?;
        let (tx, _) = broadcast::channel(4096);
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(serve(stream, tx.clone()));
                }
                // Out of descriptors and the like: let the connections run, then retry.
                Err(_) => tokio::task::yield_now().await,
            }
        }
    })
}

fn main() -> std::process::ExitCode {
    sockeye_benches::args::listen_main("bcast-tungstenite", "127.0.0.1:9011", run)
}

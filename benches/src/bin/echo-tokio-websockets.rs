//! `echo-tokio-websockets`: a WebSocket echo server on tokio-websockets, one thread.
//!
//! `echo-tokio-websockets [--listen ADDR]` (default 127.0.0.1:9005) prints
//! `echo-tokio-websockets listening on ws://ADDR` and runs until killed (SIGINT and
//! SIGTERM keep their default action).
//!
//! The shape of tokio-websockets' own echo server example (`examples/echo_server.rs`):
//! `ServerBuilder` with `Config::frame_size(usize::MAX)` and `Limits::unlimited()`, each
//! connection's task run `unconstrained`, every text or binary message sent back with
//! `SinkExt::send` (tokio-websockets answers pings and closes by itself; its UTF-8 check
//! is on). A current-thread runtime: one core, like `sockeye echo --threads 1`.
//! `TCP_NODELAY` is set, as Sockeye does.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::SocketAddr;
use std::process::ExitCode;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_websockets::{Config, Limits, ServerBuilder};

async fn echo(stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let accepted = ServerBuilder::new()
        .config(Config::default().frame_size(usize::MAX))
        .limits(Limits::unlimited())
        .accept(stream)
        .await;
    let Ok((_request, mut ws)) = accepted else {
        return;
    };
    while let Some(Ok(message)) = ws.next().await {
        if (message.is_text() || message.is_binary()) && ws.send(message).await.is_err() {
            return;
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
            "echo-tokio-websockets listening on ws://{}",
            listener.local_addr()?
        );
        std::io::Write::flush(&mut std::io::stdout())?;
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(tokio::task::unconstrained(echo(stream)));
                }
                // Out of descriptors and the like: let the connections run, then retry.
                Err(_) => tokio::task::yield_now().await,
            }
        }
    })
}

fn main() -> ExitCode {
    sockeye_benches::args::listen_main("echo-tokio-websockets", "127.0.0.1:9005", run)
}

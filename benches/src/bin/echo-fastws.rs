//! `echo-fastws`: a WebSocket echo server on fastwebsockets, one thread.
//!
//! `echo-fastws [--listen ADDR]` (default 127.0.0.1:9004) prints
//! `echo-fastws listening on ws://ADDR` and runs until killed (SIGINT and SIGTERM keep
//! their default action).
//!
//! The shape of fastwebsockets' echo server example: hyper's HTTP/1 server with upgrades
//! answers the handshake (`fastwebsockets::upgrade::upgrade`), the upgraded connection is
//! wrapped in a `FragmentCollector` (whole messages, UTF-8 checked) with the defaults
//! (auto-close and auto-pong on), and each text or binary message is written back with
//! `write_frame`, the connection's task run `unconstrained` as in the example. A
//! current-thread runtime: one core, like `sockeye echo --threads 1`. `TCP_NODELAY` is
//! set, as Sockeye does.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::SocketAddr;
use std::process::ExitCode;

use fastwebsockets::upgrade::{UpgradeFut, upgrade};
use fastwebsockets::{FragmentCollector, OpCode, WebSocketError};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use tokio::net::TcpListener;

async fn echo(upgraded: UpgradeFut) -> Result<(), WebSocketError> {
    let mut ws = FragmentCollector::new(upgraded.await?);
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            OpCode::Close => return Ok(()),
            OpCode::Text | OpCode::Binary => ws.write_frame(frame).await?,
            _ => {}
        }
    }
}

async fn on_request(
    mut request: Request<Incoming>,
) -> Result<Response<Empty<Bytes>>, WebSocketError> {
    let (response, upgraded) = upgrade(&mut request)?;
    tokio::spawn(async move {
        let _ = tokio::task::unconstrained(echo(upgraded)).await;
    });
    Ok(response)
}

fn run(listen: SocketAddr) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(listen).await?;
        println!("echo-fastws listening on ws://{}", listener.local_addr()?);
        std::io::Write::flush(&mut std::io::stdout())?;
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
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = http1::Builder::new()
                    .serve_connection(io, service_fn(on_request))
                    .with_upgrades()
                    .await;
            });
        }
    })
}

fn main() -> ExitCode {
    sockeye_benches::args::listen_main("echo-fastws", "127.0.0.1:9004", run)
}

//! `tokio-hyper`: WebSocket upgrades served from a hyper 1 service.
//!
//! ```text
//! cargo run -p sockeye-tokio --example tokio-hyper -- 127.0.0.1:9001
//! ```
//!
//! Prints `ws://ADDR/ws` on its first line. `GET /` is plain HTTP; `GET /ws` with an
//! upgrade request is checked by Sockeye's handshake (`sockeye_tokio::upgrade`), answered
//! with its `101` (permessage-deflate negotiated; subprotocol `echo` chosen when offered),
//! and once hyper has handed over the upgraded connection every message is echoed.
//! Invalid upgrades get the status the handshake rules call for (400, 405, 426).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use sockeye_tokio::upgrade::{Upgrade, refusal};
use sockeye_tokio::{Accept, DriverConfig, Message};
use tokio::net::TcpListener;

async fn handle(
    request: Request<Incoming>,
    config: Arc<DriverConfig>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.uri().path() != "/ws" {
        return Ok(Response::new(Full::new(Bytes::from_static(b"try /ws\n"))));
    }
    let upgrade = match Upgrade::new(&request, config) {
        Ok(upgrade) => upgrade,
        Err(error) => return Ok(refusal(&error).map(Full::new)),
    };
    let mut accept = Accept::new();
    if upgrade.request().protocols().iter().any(|p| p == "echo") {
        accept = accept.protocol("echo").unwrap_or_default();
    }
    let (response, accepted) = match upgrade.accept(&accept) {
        Ok(answer) => answer,
        Err(e) => {
            eprintln!("cannot accept: {e}");
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
            return Ok(response);
        }
    };
    // hyper hands the connection over once the 101 has gone out.
    tokio::spawn(async move {
        match hyper::upgrade::on(request).await {
            Ok(upgraded) => {
                let mut ws = accepted.into_stream(TokioIo::new(upgraded));
                while let Some(item) = ws.recv().await {
                    if let Ok(message @ (Message::Text(_) | Message::Binary(_))) = item {
                        let _ = ws.send(message).await;
                    }
                }
            }
            Err(e) => eprintln!("upgrade failed: {e}"),
        }
    });
    Ok(response.map(Full::new))
}

async fn serve(listen: SocketAddr) -> std::io::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    println!("ws://{}/ws", listener.local_addr()?);
    let config = Arc::new(DriverConfig::default());
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let config = Arc::clone(&config);
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(request, Arc::clone(&config)));
            let served = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
            if let Err(e) = served {
                eprintln!("connection: {e}");
            }
        });
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listen = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let listen = listen
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    serve(listen).await
}

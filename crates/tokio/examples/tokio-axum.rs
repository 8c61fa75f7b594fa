//! `tokio-axum`: WebSocket upgrades served from an axum router.
//!
//! ```text
//! cargo run -p sockeye-tokio --example tokio-axum -- 127.0.0.1:9001
//! ```
//!
//! Prints `ws://ADDR/ws` on its first line. The handler takes the whole request, has
//! Sockeye's handshake check and answer it (`sockeye_tokio::upgrade`: the same rules as
//! `accept`, permessage-deflate negotiated), and returns the `101`; the upgraded
//! connection (`hyper::upgrade::on`, which axum's server supports) becomes a
//! `WebSocketStream` that answers every text message with its length and echoes binary
//! ones. `/ws?room=NAME` is there to show the request is the handler's to read.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;
use hyper_util::rt::TokioIo;
use sockeye_tokio::upgrade::{Upgrade, refusal};
use sockeye_tokio::{Accept, DriverConfig, Message};

async fn ws(State(config): State<Arc<DriverConfig>>, request: Request) -> Response {
    let upgrade = match Upgrade::new(&request, config) {
        Ok(upgrade) => upgrade,
        Err(error) => return refusal(&error).map(Body::from),
    };
    let room = upgrade.request().query().unwrap_or("room=lobby").to_owned();
    let (response, accepted) = match upgrade.accept(&Accept::new()) {
        Ok(answer) => answer,
        Err(e) => {
            let mut response = Response::new(Body::from(e.to_string()));
            *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            return response;
        }
    };
    tokio::spawn(async move {
        let upgraded = match hyper::upgrade::on(request).await {
            Ok(upgraded) => upgraded,
            Err(e) => return eprintln!("upgrade failed: {e}"),
        };
        let mut ws = accepted.into_stream(TokioIo::new(upgraded));
        while let Some(item) = ws.recv().await {
            let reply = match item {
                Ok(Message::Text(text)) => Message::text(format!("{room}: {} bytes", text.len())),
                Ok(message @ Message::Binary(_)) => message,
                _ => continue,
            };
            let _ = ws.send(reply).await;
        }
    });
    response.map(Body::from)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listen = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("ws://{}/ws", listener.local_addr()?);
    let app = Router::new()
        .route("/ws", get(ws))
        .with_state(Arc::new(DriverConfig::default()));
    axum::serve(listener, app).await
}

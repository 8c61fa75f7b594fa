//! `bcast-sockeye`: the fan-out bench's broadcast server on sockeye-server, one event loop.
//!
//! `bcast-sockeye [--listen ADDR]` (default 127.0.0.1:9010) prints
//! `bcast-sockeye listening on ws://ADDR/` and runs until killed.
//!
//! Every text message any connection sends goes to every open connection (the sender
//! included), through `ServerHandle::broadcast_text`: framed once, the same bytes queued
//! to each connection. permessage-deflate is off, as in the tokio peers
//! (`bcast-tungstenite`, `bcast-fastws`); the server's defaults otherwise (a subscriber
//! that stops reading is closed with 1008 once 40 MiB wait for it).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::SocketAddr;

use sockeye_server::{
    Accept, ConnId, Context, Handler, Message, Refusal, Request, Server, ServerConfig,
};

struct Fanout;

impl Handler for Fanout {
    type State = ();

    fn on_open(&self, _: &Request, _: ConnId) -> Result<((), Accept), Refusal> {
        Ok(((), Accept::new()))
    }

    fn on_message(&self, cx: &mut Context<'_>, _: &mut (), message: Message<'_>) {
        if let Message::Text(text) = message {
            // Refused only while the server shuts down.
            let _ = cx.handle().broadcast_text(text);
        }
    }
}

fn run(listen: SocketAddr) -> std::io::Result<()> {
    let mut config = ServerConfig::default();
    config.threads = 1;
    config.deflate = None;
    let server = Server::bind(listen, config, Fanout).map_err(std::io::Error::other)?;
    println!("bcast-sockeye listening on ws://{}/", server.local_addr());
    std::io::Write::flush(&mut std::io::stdout())?;
    server.join();
    Ok(())
}

fn main() -> std::process::ExitCode {
    sockeye_benches::args::listen_main("bcast-sockeye", "127.0.0.1:9010", run)
}

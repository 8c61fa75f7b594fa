//! A chat room: every text message is broadcast to everyone in the room (framed once).
//!
//! ```text
//! cargo run --release -p sockeye-server --example chat -- 127.0.0.1:9002
//! cargo run --release -p sockeye-cli -- connect ws://127.0.0.1:9002/chat   # in two terminals
//! ```
//!
//! Or from a browser's devtools console:
//! `ws = new WebSocket("ws://127.0.0.1:9002/chat"); ws.onmessage = e => console.log(e.data); ws.send("hi")`
#![allow(clippy::print_stdout)]

use std::collections::HashSet;
use std::sync::Mutex;

use sockeye_server::{
    Accept, Closed, ConnId, Context, Handler, Message, Refusal, Reject, Request, Server,
    ServerConfig,
};

#[derive(Default)]
struct Chat {
    members: Mutex<HashSet<ConnId>>,
}

impl Chat {
    fn everyone(&self) -> Vec<ConnId> {
        self.members
            .lock()
            .map(|m| m.iter().copied().collect())
            .unwrap_or_default()
    }
}

impl Handler for Chat {
    type State = String;

    fn on_open(&self, request: &Request, id: ConnId) -> Result<(String, Accept), Refusal> {
        if request.path() != "/chat" {
            return Err(Reject::new(404).expect("404 is a valid status").into());
        }
        let name = format!("guest-{id}");
        if let Ok(mut members) = self.members.lock() {
            members.insert(id);
        }
        Ok((name, Accept::new()))
    }

    fn on_message(&self, cx: &mut Context<'_>, name: &mut String, message: Message<'_>) {
        let Message::Text(text) = message else { return };
        if let Some(new_name) = text.strip_prefix("/nick ") {
            *name = new_name.trim().chars().take(32).collect();
            return;
        }
        let line = format!("{name}: {text}");
        let _ = cx.handle().broadcast_text_to(&self.everyone(), &line);
    }

    fn on_close(&self, id: ConnId, name: String, closed: Closed) {
        if let Ok(mut members) = self.members.lock() {
            members.remove(&id);
        }
        println!("{name} left ({})", closed.code);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9002".into());
    let server = Server::bind(addr.parse()?, ServerConfig::default(), Chat::default())?;
    println!("chat room on ws://{}/chat", server.local_addr());
    // Ctrl-C or SIGTERM (what systemd, Docker and Kubernetes send): every member gets
    // 1001 (going away), then the process exits 0.
    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })?;
    let _ = stop_rx.recv();
    println!("shutting down: closing connections with 1001");
    server.shutdown(std::time::Duration::from_secs(2));
    Ok(())
}

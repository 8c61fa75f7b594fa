//! `tokio-chat`: a chat room on sockeye-tokio.
//!
//! ```text
//! cargo run -p sockeye-tokio --example tokio-chat -- 127.0.0.1:9001
//! # then, from two terminals:
//! cargo run --release -p sockeye-cli -- connect ws://127.0.0.1:9001/
//! ```
//!
//! Prints `ws://ADDR` on its first line. Every text a member sends goes to every member,
//! as `name: text`; joins and departures are announced. `/name NEW` renames.
//!
//! What it shows:
//! - split halves: each connection's reader runs in its own task, and the room holds a
//!   clone of each member's writer (no lock around a connection);
//! - broadcasts framed once: a line is framed (and compressed) a single time as a
//!   [`SharedFrame`] and the same bytes go to every member;
//! - a slow member cannot hold the room up: the broadcast hands the frame over without
//!   waiting ([`WriteHalf::try_send_shared`]) and drops a member whose queue is full.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use sockeye_tokio::{DeflateConfig, DriverConfig, Message, SharedFrame, WriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// The members' writers. The lock is held only to hand frames over (never across an
/// await): the connections themselves are never locked.
struct Room {
    members: Mutex<HashMap<u64, WriteHalf>>,
    deflate: Option<DeflateConfig>,
}

impl Room {
    fn broadcast(&self, line: &str) {
        // Framed once, compressed once, for everyone.
        let frame = match &self.deflate {
            Some(deflate) => SharedFrame::text_compressed(line, deflate),
            None => SharedFrame::text(line),
        };
        let mut members = self.members.lock().unwrap_or_else(|e| e.into_inner());
        // A member whose queue is full (or whose connection ended) leaves.
        members.retain(|_, writer| writer.try_send_shared(frame.clone()).is_ok());
    }
}

async fn member(room: Arc<Room>, id: u64, stream: TcpStream, config: Arc<DriverConfig>) {
    let Ok(ws) = sockeye_tokio::accept_with_config(stream, config).await else {
        return;
    };
    let (mut reader, writer) = ws.into_split();
    let mut name = format!("guest-{id}");
    room.members
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, writer);
    room.broadcast(&format!("* {name} joined"));
    while let Some(item) = reader.recv().await {
        let Ok(Message::Text(text)) = item else {
            continue;
        };
        match text.strip_prefix("/name ") {
            Some(new) if !new.trim().is_empty() => {
                let new = new.trim().to_owned();
                room.broadcast(&format!("* {name} is now {new}"));
                name = new;
            }
            _ => room.broadcast(&format!("{name}: {text}")),
        }
    }
    // Dropping the room's writer (with the reader gone) lets the connection task end.
    room.members
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&id);
    room.broadcast(&format!("* {name} left"));
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listen = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let listener = TcpListener::bind(listen).await?;
    println!("ws://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    let config = Arc::new(DriverConfig::default());
    let room = Arc::new(Room {
        members: Mutex::new(HashMap::new()),
        deflate: config.deflate.clone(),
    });
    for id in 1.. {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(member(Arc::clone(&room), id, stream, Arc::clone(&config)));
    }
    Ok(())
}

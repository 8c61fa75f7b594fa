//! An Autobahn client driver on tokio-tungstenite (the shape of its `autobahn-client`
//! example): the peer the harness's fuzzing server and the real suite's fuzzingserver
//! both test as a client.
//!
//! ```text
//! cargo run --release -p sockeye-conformance --example tungstenite-client -- ws://127.0.0.1:PORT AGENT
//! ```
//!
//! `/getCaseCount`, then `/runCase?case=N&agent=AGENT` for every case, echoing each text and
//! binary message (tungstenite answers pings and closes by itself) until the connection
//! ends, then `/updateReports?agent=AGENT`. No size limits (section 9 sends 16 MiB);
//! tungstenite has no permessage-deflate, so sections 12 and 13 are UNIMPLEMENTED. A
//! current-thread runtime. Prints `tokio-tungstenite 0.30` first and one line per case.
#![allow(clippy::print_stdout, clippy::print_stderr, dead_code)]

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::connect_async_with_config;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(None)
        .max_frame_size(None)
}

/// One connection to `url`: echoes until it ends; returns the text messages received.
async fn session(url: &str, echo: bool) -> (Vec<String>, String) {
    let (mut ws, _) = match connect_async_with_config(url, Some(config()), true).await {
        Ok(c) => c,
        Err(e) => return (Vec::new(), format!("connect failed: {e}")),
    };
    let mut texts = Vec::new();
    while let Some(msg) = ws.next().await {
        match msg {
            Ok(m @ (Message::Text(_) | Message::Binary(_))) => {
                if let Message::Text(t) = &m {
                    texts.push(t.to_string());
                }
                if echo && ws.send(m).await.is_err() {
                    break;
                }
            }
            Ok(_) => {}
            Err(e) => return (texts, format!("ended: {e}")),
        }
    }
    (texts, "closed".to_owned())
}

/// Drives every case of the fuzzing server at `base` as `agent`.
pub(crate) fn drive(base: &str, agent: &str) -> Result<usize, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let (texts, how) = session(&format!("{base}/getCaseCount"), false).await;
        let count: usize = texts
            .first()
            .and_then(|t| t.trim().parse().ok())
            .ok_or_else(|| format!("no case count ({how})"))?;
        for n in 1..=count {
            let (_, how) = session(&format!("{base}/runCase?case={n}&agent={agent}"), true).await;
            println!("case {n}/{count}: {how}");
        }
        session(&format!("{base}/updateReports?agent={agent}"), false).await;
        Ok(count)
    })
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(base), Some(agent)) = (args.first(), args.get(1)) else {
        eprintln!("usage: tungstenite-client ws://HOST:PORT AGENT");
        return std::process::ExitCode::from(2);
    };
    println!("tokio-tungstenite 0.30");
    match drive(base.trim_end_matches('/'), agent) {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tungstenite-client: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

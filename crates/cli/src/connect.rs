//! `sockeye connect`: stdin lines out as messages, received messages to stdout.

use std::io::{BufRead, Write};
use std::sync::mpsc::{self, TryRecvError};
use std::time::Duration;

use sockeye_client::{ClientBuilder, Error, Message, Timeout};
use sockeye_server::CloseCode;
use sockeye_server::tls::TlsClientConfig;

use crate::args::ConnectArgs;

/// How often the loop looks at stdin while waiting for messages.
const POLL: Duration = Duration::from_millis(20);

pub(crate) fn run(args: ConnectArgs) -> Result<(), String> {
    let mut builder = ClientBuilder::new().read_timeout(Some(POLL));
    if args.no_compression {
        builder = builder.deflate(None);
    }
    for protocol in &args.subprotocols {
        builder = builder.protocol(protocol.clone());
    }
    if let Some(ca) = &args.ca {
        let tls = TlsClientConfig::system(&[ca.as_path()])
            .or_else(|_| TlsClientConfig::with_ca_file(ca))
            .map_err(|e| format!("--ca: {e}"))?;
        builder = builder.tls(tls);
    }
    let mut ws = builder
        .connect(&args.url)
        .map_err(|e| format!("{}: {e}", args.url))?;
    let subprotocol = ws.protocol().map(|p| format!(", subprotocol {p}"));
    let compression = ws.deflate().map(|_| ", permessage-deflate");
    eprintln!(
        "connected to {}{}{}",
        args.url,
        subprotocol.unwrap_or_default(),
        compression.unwrap_or_default()
    );

    // stdin is read on its own thread; lines come over a channel.
    let (lines_tx, lines_rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });

    let stdout = std::io::stdout();
    let mut input_done = false;
    loop {
        while !input_done {
            match lines_rx.try_recv() {
                Ok(line) => {
                    let sent = if args.binary {
                        ws.send_binary(line.as_bytes())
                    } else {
                        ws.send_text(&line)
                    };
                    sent.map_err(|e| format!("send: {e}"))?;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    // End of input: start the closing handshake; replies still on their
                    // way are printed until the server's close frame and TCP close.
                    ws.start_close(CloseCode::NORMAL, "")
                        .map_err(|e| format!("close: {e}"))?;
                    input_done = true;
                }
            }
        }
        match ws.recv() {
            Ok(Message::Text(text)) => {
                let mut out = stdout.lock();
                let _ = writeln!(out, "{text}");
                let _ = out.flush();
            }
            Ok(Message::Binary(data)) => {
                let mut out = stdout.lock();
                let _ = out.write_all(&data);
                let _ = writeln!(out);
                let _ = out.flush();
            }
            Ok(Message::Close { code, reason }) => {
                eprintln!("server closed: {code} {reason}");
            }
            Ok(_) => {}
            Err(e) if e.is_timeout(Timeout::Read) => {}
            Err(Error::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e.to_string()),
        }
    }
}

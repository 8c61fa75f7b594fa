//! `sockeye connect`: stdin lines out as messages, received messages to stdout.

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::sync::mpsc::{self, TryRecvError};
use std::time::Duration;

use sockeye_client::{ClientBuilder, Error, Message, Timeout};
use sockeye_server::CloseCode;
use sockeye_server::tls::TlsClientConfig;

use crate::args::ConnectArgs;
use crate::exit;

/// How often the loop looks at stdin while waiting for messages.
const POLL: Duration = Duration::from_millis(20);

pub(crate) fn run(args: ConnectArgs) -> Result<ExitCode, String> {
    if args.verbose {
        // The client's own events: the request and response heads, the end.
        crate::log::init("sockeye_client=debug");
    }
    let mut builder = ClientBuilder::new().read_timeout(Some(POLL));
    if let Some(interval) = args.ping_interval {
        // The core's keepalive: a ping after `interval` without input, the connection
        // given up (1006) when nothing answers within `interval` more.
        let mut config = builder.get_config().clone();
        config.keepalive_interval = Some(interval);
        config.keepalive_timeout = interval;
        builder = builder.config(config);
    }
    builder = builder.max_message_size(args.max_message);
    if args.no_compression {
        builder = builder.deflate(None);
    }
    for protocol in &args.subprotocols {
        builder = builder.protocol(protocol.clone());
    }
    for (name, value) in &args.headers {
        builder = builder.header(name.clone(), value.clone());
    }
    if let Some(origin) = &args.origin {
        builder = builder.origin(origin.clone());
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

    let verbose = args.verbose;
    let stdout = std::io::stdout();
    let mut input_done = false;
    let mut server_close: Option<CloseCode> = None;
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
                    if verbose {
                        let kind = if args.binary { "binary" } else { "text" };
                        eprintln!("> {kind} {} B", line.len());
                    }
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    // End of input: start the closing handshake; replies still on their
                    // way are printed until the server's close frame and TCP close.
                    ws.start_close(CloseCode::NORMAL, "")
                        .map_err(|e| format!("close: {e}"))?;
                    if verbose {
                        eprintln!("> close 1000");
                    }
                    input_done = true;
                }
            }
        }
        match ws.recv() {
            Ok(Message::Text(text)) => {
                if verbose {
                    eprintln!("< text {} B", text.len());
                }
                let mut out = stdout.lock();
                let _ = writeln!(out, "{text}");
                let _ = out.flush();
            }
            Ok(Message::Binary(data)) => {
                if verbose {
                    eprintln!("< binary {} B", data.len());
                }
                let mut out = stdout.lock();
                let _ = out.write_all(&data);
                let _ = writeln!(out);
                let _ = out.flush();
            }
            Ok(Message::Ping(payload)) => {
                if verbose {
                    eprintln!("< ping {} B (answered with a pong)", payload.len());
                }
            }
            Ok(Message::Pong(payload)) => {
                if verbose {
                    eprintln!("< pong {} B", payload.len());
                }
            }
            Ok(Message::Close { code, reason }) => {
                eprintln!("server closed: {code} {reason}");
                server_close = Some(code);
            }
            Err(e) if e.is_timeout(Timeout::Read) => {}
            Err(Error::ConnectionClosed) => return Ok(exit::for_close(server_close)),
            Err(e) => {
                eprintln!("sockeye: connection ended abnormally: {e}");
                return Ok(ExitCode::from(exit::ABNORMAL));
            }
        }
    }
}

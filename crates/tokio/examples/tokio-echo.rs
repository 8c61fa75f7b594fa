//! `tokio-echo`: a WebSocket echo server on sockeye-tokio.
//!
//! ```text
//! cargo run --release -p sockeye-tokio --example tokio-echo -- 127.0.0.1:9001
//! cargo run --release -p sockeye-tokio --example tokio-echo -- --listen 127.0.0.1:0
//! cargo run --release -p sockeye-tokio --example tokio-echo -- \
//!     --tls-cert cert.pem --tls-key key.pem --listen 127.0.0.1:9443
//! ```
//!
//! Prints `ws://ADDR` (`wss://ADDR` with a certificate: TLS in the driver, rustls) on its
//! first line and runs until killed. One current-thread runtime
//! (one core, like `sockeye echo --threads 1`), a task per connection, `TCP_NODELAY` on.
//! Every message is echoed as it arrives, in pieces (streaming: a 16 MiB message needs no
//! 16 MiB buffer, and its echo starts before it has all arrived); pings are answered by
//! the connection; permessage-deflate is on. Replies are queued (`feed`) and written
//! together when the connection waits for input: the echoes of one read leave in one
//! write.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use sockeye_tokio::{DriverConfig, Message};
use tokio::net::{TcpListener, TcpStream};

/// What the command line says.
struct Options {
    listen: SocketAddr,
    tls: Option<sockeye_tokio::tls::TlsServerConfig>,
}

/// `[ADDR | --listen ADDR] [--tls-cert FILE --tls-key FILE]` (what the end-to-end
/// benchmark passes), default 127.0.0.1:9001.
fn options() -> Result<Options, String> {
    const USAGE: &str = "usage: tokio-echo [ADDR | --listen ADDR] [--tls-cert FILE --tls-key FILE]";
    let mut listen = None;
    let (mut cert, mut key) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let slot = match arg.as_str() {
            "--listen" => &mut listen,
            "--tls-cert" => &mut cert,
            "--tls-key" => &mut key,
            addr if !addr.starts_with('-') && listen.is_none() => {
                listen = Some(addr.to_owned());
                continue;
            }
            _ => return Err(USAGE.into()),
        };
        *slot = Some(args.next().ok_or(USAGE)?);
    }
    let listen = match listen {
        Some(value) => value.parse().map_err(|e| format!("{value}: {e}"))?,
        None => SocketAddr::from(([127, 0, 0, 1], 9001)),
    };
    let tls = match (cert, key) {
        (Some(cert), Some(key)) => Some(
            sockeye_tokio::tls::TlsServerConfig::from_pem_files(cert.as_ref(), key.as_ref())
                .map_err(|e| format!("TLS: {e}"))?,
        ),
        (None, None) => None,
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    Ok(Options { listen, tls })
}

/// One connection's task, written as one `async` block: an `async fn` taking the stream
/// would keep the stream twice in the task (its argument and its local copy).
async fn serve_one(stream: TcpStream, config: Arc<DriverConfig>) {
    let Ok(mut ws) = sockeye_tokio::accept_with_config(stream, config).await else {
        return;
    };
    while let Some(item) = ws.recv().await {
        match item {
            Ok(message @ (Message::Chunk(_) | Message::Text(_) | Message::Binary(_))) => {
                // Refused once a close was received: the stream ends next.
                let _ = ws.feed(message).await;
            }
            Ok(_) => {}
            // The connection failed (its close frame is queued): polling on lets it out
            // and ends the stream.
            Err(_) => {}
        }
    }
}

async fn serve(options: Options) -> std::io::Result<()> {
    let listener = TcpListener::bind(options.listen).await?;
    let scheme = if options.tls.is_some() { "wss" } else { "ws" };
    println!("{scheme}://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    let mut config = DriverConfig::default();
    config.connection.streaming = true;
    // TLS is the driver's: the connections below read and write ciphertext unawares.
    config.tls_server = options.tls;
    let config = Arc::new(config);
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
        tokio::spawn(serve_one(stream, Arc::clone(&config)));
    }
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("tokio-echo: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio-echo: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tokio-echo: {e}");
            ExitCode::FAILURE
        }
    }
}

//! `echo-tungstenite`: a WebSocket echo server on tokio-tungstenite, one thread.
//!
//! `echo-tungstenite [--listen ADDR] [--read-buffer BYTES] [--tls-cert FILE --tls-key FILE]`
//! (default 127.0.0.1:9003, and tungstenite's default read buffer, 128 KiB) prints
//! `echo-tungstenite listening on ws://ADDR ...` (`wss://` with a certificate) and runs
//! until killed (SIGINT and SIGTERM keep their default action).
//!
//! With `--tls-cert` and `--tls-key`, each connection is accepted by tokio-rustls first
//! (ring, TLS 1.3 and 1.2, ALPN `http/1.1`): what a tokio-tungstenite user serving
//! `wss://` writes.
//!
//! The shape of tokio-tungstenite's echo example: accept, `accept_async_with_config`,
//! split the stream, forward text and binary messages back to the sink (tungstenite
//! answers pings and closes by itself). A current-thread runtime: one core, like
//! `sockeye echo --threads 1`. `TCP_NODELAY` is set, as Sockeye does.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use futures_util::{StreamExt, TryStreamExt, future};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(stream: S, config: WebSocketConfig) {
    let Ok(ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await else {
        return;
    };
    let (sink, stream) = ws.split();
    let _ = stream
        .try_filter(|message| future::ready(message.is_text() || message.is_binary()))
        .forward(sink)
        .await;
}

fn run(
    listen: SocketAddr,
    read_buffer: Option<usize>,
    tls: Option<TlsAcceptor>,
) -> std::io::Result<()> {
    let mut config = WebSocketConfig::default();
    if let Some(bytes) = read_buffer {
        config = config.read_buffer_size(bytes);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(listen).await?;
        println!(
            "echo-tungstenite listening on {}://{} (read buffer {} bytes)",
            if tls.is_some() { "wss" } else { "ws" },
            listener.local_addr()?,
            config.read_buffer_size
        );
        std::io::Write::flush(&mut std::io::stdout())?;
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    match &tls {
                        Some(acceptor) => {
                            let accept = acceptor.accept(stream);
                            tokio::spawn(async move {
                                if let Ok(stream) = accept.await {
                                    serve(stream, config).await;
                                }
                            });
                        }
                        None => {
                            tokio::spawn(serve(stream, config));
                        }
                    }
                }
                // Out of descriptors and the like: let the connections run, then retry.
                Err(_) => tokio::task::yield_now().await,
            }
        }
    })
}

/// tokio-tungstenite's echo (current-thread runtime), a peer of the benchmark.
#[derive(Debug, clap::Parser)]
struct Cli {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:9003", value_name = "ADDR")]
    listen: SocketAddr,
    /// tungstenite's read buffer size.
    #[arg(long, value_name = "BYTES")]
    read_buffer: Option<usize>,
    /// Serve wss:// with this certificate chain (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli: Cli = clap::Parser::parse();
    let parsed = (|| {
        let tls = match (cli.tls_cert, cli.tls_key) {
            (Some(cert), Some(key)) => Some(TlsAcceptor::from(
                sockeye_benches::tls::server_config(&cert, &key)?,
            )),
            _ => None,
        };
        Ok::<_, String>((cli.listen, cli.read_buffer, tls))
    })();
    let (listen, read_buffer, tls) = match parsed {
        Ok(p) => p,
        Err(e) => {
            eprintln!("echo-tungstenite: {e}");
            return ExitCode::FAILURE;
        }
    };
    match run(listen, read_buffer, tls) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo-tungstenite: {e}");
            ExitCode::FAILURE
        }
    }
}

//! `tokio-tcp-echo`: a bare tokio TCP echo, no WebSocket: the baseline `tokio-echo`'s
//! memory per idle connection is measured against (the end-to-end benchmark's `tokio-raw`).
//!
//! ```text
//! cargo run --release -p sockeye-tokio --example tokio-tcp-echo -- --listen 127.0.0.1:0
//! ```
//!
//! Prints `tcp://ADDR` on its first line and runs until killed. The same runtime shape as
//! `tokio-echo` (one current-thread runtime, a task per connection, `TCP_NODELAY`), and
//! the per-connection loop of tokio's own echo example: a 1 KiB buffer in the task, read,
//! `write_all` what was read.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

async fn serve(listen: SocketAddr) -> std::io::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    println!("tcp://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    loop {
        let (mut stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(_) => {
                tokio::task::yield_now().await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            loop {
                let n = match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        });
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let listen = match args.as_slice() {
        [] => Ok(SocketAddr::from(([127, 0, 0, 1], 9006))),
        [flag, addr] if flag == "--listen" => addr.parse().map_err(|e| format!("{addr}: {e}")),
        [addr] => addr.parse().map_err(|e| format!("{addr}: {e}")),
        _ => Err("usage: tokio-tcp-echo [ADDR | --listen ADDR]".to_owned()),
    };
    let listen = match listen {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("tokio-tcp-echo: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    match runtime.and_then(|rt| rt.block_on(serve(listen))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tokio-tcp-echo: {e}");
            ExitCode::FAILURE
        }
    }
}

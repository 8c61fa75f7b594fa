//! `echo-rustls`: a TLS echo server on `mio` and rustls, one thread, no WebSocket: the
//! ceiling the wss:// scenarios compare Sockeye with (what TLS alone costs here).
//!
//! `echo-rustls --tls-cert FILE --tls-key FILE [--listen ADDR]` (default 127.0.0.1:9003)
//! prints `echo-rustls listening on tls://ADDR` and runs until killed.
//!
//! rustls' buffered `ServerConnection` with ring (Sockeye's default provider), TLS 1.3 and
//! 1.2, ALPN `http/1.1`. Per readable edge: ciphertext in until the socket would block,
//! the plaintext it held written straight back into the session, its records out in as
//! few writes as the socket takes. While records wait for the socket, the connection is
//! not read (back-pressure), and reading resumes when they are gone.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use rustls::ServerConnection;

const LISTENER: Token = Token(usize::MAX);
const READ_BUF: usize = 64 << 10;

struct Conn {
    stream: TcpStream,
    tls: ServerConnection,
    write_interest: bool,
}

/// What one pass over a connection ended with.
enum Pass {
    Open,
    Closed,
}

/// Reads, echoes and writes until the socket would block either way.
fn pass(conn: &mut Conn, buf: &mut [u8]) -> Pass {
    // Records still waiting for the socket: write those first, read nothing new.
    if flush(conn).is_err() {
        return Pass::Closed;
    }
    if conn.tls.wants_write() {
        return Pass::Open;
    }
    loop {
        match conn.tls.read_tls(&mut conn.stream) {
            Ok(0) => return Pass::Closed,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Pass::Open,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Pass::Closed,
        }
        if conn.tls.process_new_packets().is_err() {
            let _ = flush(conn); // the alert
            return Pass::Closed;
        }
        loop {
            match conn.tls.reader().read(buf) {
                Ok(0) => return Pass::Closed, // close_notify
                Ok(n) => {
                    if conn.tls.writer().write_all(&buf[..n]).is_err() {
                        return Pass::Closed;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return Pass::Closed,
            }
        }
        if flush(conn).is_err() {
            return Pass::Closed;
        }
        if conn.tls.wants_write() {
            return Pass::Open; // the socket is full: stop reading until it drains
        }
    }
}

/// Writes records until none are left or the socket would block.
fn flush(conn: &mut Conn) -> io::Result<()> {
    while conn.tls.wants_write() {
        match conn.tls.write_tls(&mut conn.stream) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A TLS echo on mio and rustls, no framing: the wss:// ceiling of the benchmark.
#[derive(Debug, clap::Parser)]
struct Cli {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:9003", value_name = "ADDR")]
    listen: SocketAddr,
    /// The certificate chain (PEM).
    #[arg(long, value_name = "FILE")]
    tls_cert: PathBuf,
    /// Its key (PEM).
    #[arg(long, value_name = "FILE")]
    tls_key: PathBuf,
}

fn run() -> Result<(), String> {
    let Cli {
        listen,
        tls_cert: cert,
        tls_key: key,
    } = clap::Parser::parse();
    let config = sockeye_benches::tls::server_config(&cert, &key)?;
    let mut poll = Poll::new().map_err(|e| e.to_string())?;
    let mut listener = TcpListener::bind(listen).map_err(|e| format!("bind {listen}: {e}"))?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("echo-rustls listening on tls://{addr}");
    let mut conns: Vec<Option<Conn>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut buf = vec![0u8; READ_BUF];
    let mut events = Events::with_capacity(1024);
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e.to_string());
        }
        for event in &events {
            if event.token() == LISTENER {
                loop {
                    let mut stream = match listener.accept() {
                        Ok((stream, _)) => stream,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(_) => break,
                    };
                    let _ = stream.set_nodelay(true);
                    let Ok(tls) = ServerConnection::new(config.clone()) else {
                        continue;
                    };
                    let slot = free.pop().unwrap_or(conns.len());
                    if poll
                        .registry()
                        .register(&mut stream, Token(slot), Interest::READABLE)
                        .is_err()
                    {
                        free.push(slot);
                        continue;
                    }
                    let conn = Conn {
                        stream,
                        tls,
                        write_interest: false,
                    };
                    if slot == conns.len() {
                        conns.push(Some(conn));
                    } else {
                        conns[slot] = Some(conn);
                    }
                }
                continue;
            }
            let slot = event.token().0;
            let Some(Some(conn)) = conns.get_mut(slot) else {
                continue;
            };
            let closed = matches!(pass(conn, &mut buf), Pass::Closed);
            let want_write = conn.tls.wants_write();
            if closed {
                let _ = poll.registry().deregister(&mut conn.stream);
                conns[slot] = None;
                free.push(slot);
                continue;
            }
            if want_write != conn.write_interest {
                let interest = if want_write {
                    Interest::READABLE | Interest::WRITABLE
                } else {
                    Interest::READABLE
                };
                let _ = poll
                    .registry()
                    .reregister(&mut conn.stream, Token(slot), interest);
                conn.write_interest = want_write;
            }
        }
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo-rustls: {e}");
            ExitCode::FAILURE
        }
    }
}

//! A tiny WebSocket test server on `std::net` + sockeye-handshake + sockeye-proto, one
//! thread per connection, so that the client can be tested before (and independently
//! of) the Sockeye server crate. Loopback, port 0.
//!
//! The request path picks the behaviour:
//! - `/noanswer`: reads the request, never answers (holds the socket 3 s);
//! - `/401`, `/redirect`: refuses the upgrade;
//! - `/bad-protocol`: answers a subprotocol the client did not offer;
//! - `/greet`: sends a text frame and a ping in the same write as the 101;
//! - `/trickle?ms=N`: sends the 101 and a text frame one byte at a time, N ms apart;
//! - `/drop`: closes TCP right after the handshake, without a close frame;
//! - `/no-close-reply`: reads but never answers a close frame;
//! - anything else: echo, with commands in text messages (`cmd:close`, `cmd:ping`,
//!   `cmd:fragments`, `cmd:bad-rsv`, `cmd:bad-utf8`, `cmd:masked`, `cmd:big`).
//!
//! What the server saw at the end of each connection is sent on the report channel.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;
use std::time::{Duration, Instant};

use sockeye_handshake::{Accept, RequestParser, Status};
use sockeye_proto::{CloseCode, Config, Connection, Event, MessageKind};

/// What the server saw at the end of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// The client's close frame, with its code.
    Close(u16),
    /// TCP ended without a close frame.
    Eof,
    /// The server's connection failed (the client broke the protocol).
    Failed(String),
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub reports: Receiver<Report>,
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("ws://{}{}", self.addr, path)
    }

    /// The next report, waiting at most 5 s.
    pub fn report(&self) -> Report {
        self.reports
            .recv_timeout(Duration::from_secs(5))
            .expect("no report from the test server")
    }
}

/// Starts the server; the accept thread lives as long as the test process.
pub fn start() -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = channel();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let tx = tx.clone();
            thread::spawn(move || serve(stream, tx));
        }
    });
    TestServer { addr, reports: rx }
}

fn serve(mut stream: TcpStream, reports: Sender<Report>) {
    stream.set_nodelay(true).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut parser = RequestParser::default();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let request = loop {
        let n = match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        match parser.parse(&buf) {
            Ok(Status::Complete(request)) => break request,
            Ok(Status::Incomplete) => {}
            Err(e) => {
                let mut out = Vec::new();
                e.write_response(&mut out);
                let _ = stream.write_all(&out);
                return;
            }
        }
    };
    let leftover = buf.split_off(request.head_len());
    let mut out = Vec::new();
    match request.path() {
        "/noanswer" => {
            thread::sleep(Duration::from_secs(3));
            return;
        }
        "/401" => {
            out.extend_from_slice(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"test\"\r\n\
                  Content-Length: 5\r\n\r\nnope!",
            );
            let _ = stream.write_all(&out);
            return;
        }
        "/redirect" => {
            out.extend_from_slice(
                b"HTTP/1.1 302 Found\r\nLocation: ws://example.com/elsewhere\r\n\
                  Content-Length: 0\r\n\r\n",
            );
            let _ = stream.write_all(&out);
            return;
        }
        "/bad-protocol" => {
            // Written by hand: the handshake crate refuses to build this mistake.
            let head = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\
                 Sec-WebSocket-Protocol: never-offered\r\n\r\n",
                request.key().accept().as_str()
            );
            out.extend_from_slice(head.as_bytes());
            let _ = stream.write_all(&out);
            thread::sleep(Duration::from_millis(500));
            return;
        }
        _ => {}
    }
    // Subprotocol: the first offered one the server supports.
    let supported = ["chat", "superchat"];
    let mut accept = Accept::new();
    if let Some(p) = request
        .protocols()
        .iter()
        .find(|p| supported.contains(&p.as_str()))
    {
        accept = accept.protocol(p).unwrap();
    }
    request.accept_with(&accept, &mut out).unwrap();
    let now = Instant::now();
    let conn = Connection::server(Config::default(), now);
    match request.path() {
        "/greet" => {
            Connection::encode_server_text("welcome", &mut out);
            out.extend_from_slice(&[0x89, 0x01, b'p']);
        }
        // The 101 and a text frame, one byte at a time, `ms` milliseconds apart.
        "/trickle" => {
            let ms = request
                .query()
                .and_then(|q| q.strip_prefix("ms="))
                .and_then(|v| v.parse().ok())
                .unwrap_or(10);
            Connection::encode_server_text("trickled", &mut out);
            for byte in &out {
                if stream.write_all(&[*byte]).is_err() {
                    return;
                }
                thread::sleep(Duration::from_millis(ms));
            }
            out.clear();
        }
        "/drop" => {
            let _ = stream.write_all(&out);
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
        _ => {}
    }
    if stream.write_all(&out).is_err() {
        return;
    }
    out.clear();
    let ignore_close = request.path() == "/no-close-reply";
    run(stream, conn, leftover, ignore_close, &reports);
}

fn run(
    mut stream: TcpStream,
    mut conn: Connection,
    leftover: Vec<u8>,
    ignore_close: bool,
    reports: &Sender<Report>,
) {
    let mut rbuf = vec![0u8; 64 * 1024];
    let mut pending = leftover;
    let mut out = Vec::new();
    loop {
        let mut input = std::mem::take(&mut pending);
        let mut at = 0;
        // Until no event (sockeye-proto's contract), not just until the input is used.
        loop {
            let r = match conn.recv(&mut input[at..], Instant::now()) {
                Ok(r) => r,
                Err(e) => {
                    let _ = reports.send(Report::Failed(e.to_string()));
                    conn.poll_transmit(&mut out);
                    let _ = stream.write_all(&out);
                    let _ = stream.shutdown(Shutdown::Both);
                    return;
                }
            };
            at += r.consumed;
            let sender = r.sender;
            match r.event {
                None => break,
                Some(Event::Text(text)) => match text {
                    "cmd:close" => sender
                        .close(CloseCode::new(4000), "bye", Instant::now(), &mut out)
                        .unwrap(),
                    "cmd:ping" => sender.ping(b"srv", &mut out).unwrap(),
                    "cmd:fragments" => {
                        sender
                            .send_fragment(MessageKind::Text, b"Hello, ", false, &mut out)
                            .unwrap();
                        sender.ping(b"in-between", &mut out).unwrap();
                        sender
                            .send_fragment(MessageKind::Text, b"fragmented ", false, &mut out)
                            .unwrap();
                        sender
                            .send_fragment(MessageKind::Text, b"", false, &mut out)
                            .unwrap();
                        sender
                            .send_fragment(MessageKind::Text, b"World", true, &mut out)
                            .unwrap();
                    }
                    // RSV1 set without an extension: 1002.
                    "cmd:bad-rsv" => out.extend_from_slice(&[0xC1, 0x00]),
                    // A text frame with invalid UTF-8: 1007.
                    "cmd:bad-utf8" => out.extend_from_slice(&[0x81, 0x02, 0xC3, 0x28]),
                    // A masked frame from a server: 1002.
                    "cmd:masked" => out.extend_from_slice(&[0x81, 0x81, 1, 2, 3, 4, b'x' ^ 1]),
                    // 2 MiB binary message, written before this thread reads again: the
                    // client must drain it (linger) after failing with 1009, or its
                    // reset would destroy its close frame before we read it.
                    "cmd:big" => sender.send_binary(&vec![7u8; 2 << 20], &mut out).unwrap(),
                    _ => sender.send_text(text, &mut out).unwrap(),
                },
                Some(Event::Binary(data)) => sender.send_binary(data, &mut out).unwrap(),
                Some(Event::Pong(data)) => {
                    let text = format!("pong:{}", String::from_utf8_lossy(data));
                    sender.send_text(&text, &mut out).unwrap();
                }
                Some(Event::Close { code, .. }) => {
                    let _ = reports.send(Report::Close(code.as_u16()));
                }
                Some(_) => {}
            }
        }
        if ignore_close {
            // Drop everything the connection produced (including the close reply).
            let mut discard = Vec::new();
            conn.poll_transmit(&mut discard);
            out.clear();
        } else {
            conn.poll_transmit(&mut out);
        }
        if !out.is_empty() {
            if stream.write_all(&out).is_err() {
                let _ = reports.send(Report::Eof);
                return;
            }
            out.clear();
        }
        if conn.should_close_tcp() && !ignore_close {
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
        let n = match stream.read(&mut rbuf) {
            Ok(0) => {
                if conn.recv_eof().is_err() {
                    let _ = reports.send(Report::Eof);
                }
                return;
            }
            Ok(n) => n,
            Err(_) => {
                let _ = reports.send(Report::Eof);
                return;
            }
        };
        pending = rbuf[..n].to_vec();
    }
}

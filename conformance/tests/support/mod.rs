//! Test peers: a blocking echo server and an Autobahn-style client driver built directly
//! on `sockeye-proto` and `sockeye-handshake` over `std::net`, so that the TCP drivers
//! can be tested on loopback without the real `sockeye` server and client crates.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sockeye_handshake::{ClientRequest, Outcome, RequestParser, Status, WsUrl};
use sockeye_proto::{Config, Connection, Event};

/// Runs an echo loop on `stream` until the connection ends; returns the text messages
/// received (the fuzzing server's answers to `/getCaseCount`).
pub fn echo_loop(
    mut conn: Connection,
    mut stream: TcpStream,
    mut leftover: Vec<u8>,
) -> Vec<String> {
    stream
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let mut texts = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut out = Vec::new();
    let started = Instant::now();
    loop {
        let n = if leftover.is_empty() {
            match stream.read(&mut buf) {
                Ok(0) => {
                    let _ = conn.recv_eof();
                    break;
                }
                Ok(n) => n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => 0,
                Err(_) => break,
            }
        } else {
            let n = leftover.len();
            buf[..n].copy_from_slice(&leftover);
            leftover.clear();
            n
        };
        let now = Instant::now();
        let mut at = 0;
        // Until no event (sockeye-proto's contract), not just until the input is used.
        loop {
            // Pongs for earlier pings go out before the echoes of later messages.
            conn.poll_transmit(&mut out);
            match conn.recv(&mut buf[at..n], now) {
                Ok(r) => {
                    at += r.consumed;
                    match r.event {
                        Some(Event::Text(t)) => {
                            texts.push(t.to_owned());
                            let _ = r.sender.send_text(t, &mut out);
                        }
                        Some(Event::Binary(b)) => {
                            let _ = r.sender.send_binary(b, &mut out);
                        }
                        Some(_) => {}
                        None => break,
                    }
                }
                Err(_) => break,
            }
        }
        if let Some(deadline) = conn.poll_timeout()
            && deadline <= now
        {
            let _ = conn.handle_timeout(now);
        }
        conn.poll_transmit(&mut out);
        if !out.is_empty() {
            if stream.write_all(&out).is_err() {
                break;
            }
            out.clear();
        }
        if conn.should_close_tcp() || started.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
    texts
}

/// A blocking echo server on 127.0.0.1:0, one thread per connection.
pub struct EchoServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EchoServer {
    pub fn start(config: Config) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut workers = Vec::new();
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let config = config.clone();
                workers.push(std::thread::spawn(move || serve_one(stream, config)));
            }
            for w in workers {
                let _ = w.join();
            }
        });
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve_one(mut stream: TcpStream, config: Config) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut parser = RequestParser::default();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match parser.parse(&buf) {
            Ok(Status::Complete(req)) => {
                let mut out = Vec::new();
                req.accept(&mut out);
                if stream.write_all(&out).is_err() {
                    return;
                }
                let leftover = buf[req.head_len()..].to_vec();
                echo_loop(Connection::server(config, Instant::now()), stream, leftover);
                return;
            }
            Ok(Status::Incomplete) => {}
            Err(_) => return,
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Opens a WebSocket to `url` as a client; returns the connection, the stream and the
/// bytes read past the handshake.
pub fn open(url: &str, config: Config) -> (Connection, TcpStream, Vec<u8>) {
    let url = WsUrl::parse(url).unwrap();
    let mut stream = TcpStream::connect((url.host(), url.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut out = Vec::new();
    let mut hs = ClientRequest::new(&url, [9; 16]).write(&mut out);
    stream.write_all(&out).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Status::Complete(Outcome::Accepted(a)) = hs.parse_response(&buf).unwrap() {
            let leftover = buf[a.head_len()..].to_vec();
            let mut rng = <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(0x6d61736b);
            let masks = move || rand::RngExt::random::<[u8; 4]>(&mut rng);
            return (
                Connection::client(config, Box::new(masks), Instant::now()),
                stream,
                leftover,
            );
        }
        let k = stream.read(&mut chunk).unwrap();
        assert!(k > 0, "closed during the handshake");
        buf.extend_from_slice(&chunk[..k]);
    }
}

/// What an Autobahn client driver does: `/getCaseCount`, every `/runCase`, then
/// `/updateReports`.
pub fn autobahn_client_driver(base: &str, agent: &str, config: &Config) -> usize {
    let (c, s, l) = open(&format!("{base}/getCaseCount"), config.clone());
    let count: usize = echo_loop(c, s, l)[0].parse().unwrap();
    for i in 1..=count {
        let (c, s, l) = open(
            &format!("{base}/runCase?case={i}&agent={agent}"),
            config.clone(),
        );
        echo_loop(c, s, l);
    }
    let (c, s, l) = open(
        &format!("{base}/updateReports?agent={agent}"),
        config.clone(),
    );
    echo_loop(c, s, l);
    count
}

//! Drivers 2 and 3: the peer under test is at the other end of a TCP connection.
//!
//! A reader thread moves received bytes into a channel so that the tester never stops
//! reading while it writes (an echo server that applies back-pressure would otherwise
//! deadlock a 16 MiB case).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sockeye_handshake::{ClientRequest, Outcome, RequestParser, Status, WsUrl};

use crate::rng::Rng;
use crate::transport::{Incoming, Transport};

/// A TCP connection after the opening handshake.
#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
    rx: Receiver<Option<Vec<u8>>>,
    pending: Vec<u8>,
    reader: Option<JoinHandle<()>>,
    eof: bool,
}

impl TcpTransport {
    /// Wraps `stream`; `leftover` are bytes read past the handshake (the first frames).
    ///
    /// # Errors
    /// If the socket cannot be cloned or configured.
    pub fn new(stream: TcpStream, leftover: Vec<u8>) -> std::io::Result<Self> {
        stream.set_nodelay(true)?;
        stream.set_read_timeout(None)?;
        stream.set_write_timeout(Some(Duration::from_secs(30)))?;
        let mut read_half = stream.try_clone()?;
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match read_half.read(&mut buf) {
                    Ok(0) | Err(_) => {
                        let _ = tx.send(None);
                        return;
                    }
                    Ok(n) => {
                        if tx.send(Some(buf[..n].to_vec())).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Ok(Self {
            stream,
            rx,
            pending: leftover,
            reader: Some(reader),
            eof: false,
        })
    }
}

impl Transport for TcpTransport {
    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.stream.write_all(bytes).map_err(|e| e.to_string())
    }

    fn recv(&mut self, timeout: Duration) -> Incoming {
        if !self.pending.is_empty() {
            return Incoming::Data(std::mem::take(&mut self.pending));
        }
        if self.eof {
            return Incoming::Eof;
        }
        let first = if timeout.is_zero() {
            self.rx.try_recv().map_err(|_| RecvTimeoutError::Timeout)
        } else {
            self.rx.recv_timeout(timeout)
        };
        match first {
            Ok(Some(mut data)) => {
                // Take whatever else is queued too.
                while let Ok(more) = self.rx.try_recv() {
                    match more {
                        Some(d) => data.extend_from_slice(&d),
                        None => {
                            self.eof = true;
                            break;
                        }
                    }
                }
                Incoming::Data(data)
            }
            Ok(None) | Err(RecvTimeoutError::Disconnected) => {
                self.eof = true;
                Incoming::Eof
            }
            Err(RecvTimeoutError::Timeout) => Incoming::Timeout,
        }
    }

    fn close(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    fn pause(&mut self, d: Duration) {
        std::thread::sleep(d);
    }
}

impl Drop for TcpTransport {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

/// What the server said in the opening handshake.
#[derive(Debug, Clone, Default)]
pub struct ServerInfo {
    /// The `Server` header, if any.
    pub server: Option<String>,
}

/// Connects to `url` and performs the client's opening handshake.
///
/// # Errors
/// A description of what failed (connect, refusal, a bad response, a timeout).
pub fn connect(
    url: &WsUrl,
    timeout: Duration,
    rng: &mut Rng,
) -> Result<(TcpTransport, ServerInfo), String> {
    if url.is_secure() {
        return Err("wss:// is not supported; use ws://".into());
    }
    let addr: SocketAddr = (
        url.host().trim_start_matches('[').trim_end_matches(']'),
        url.port(),
    )
        .to_socket_addrs()
        .map_err(|e| format!("resolve {}: {e}", url.host()))?
        .next()
        .ok_or_else(|| format!("no address for {}", url.host()))?;
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("connect {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let mut nonce = [0u8; 16];
    nonce[..8].copy_from_slice(&rng.next_u64().to_be_bytes());
    nonce[8..].copy_from_slice(&rng.next_u64().to_be_bytes());
    let mut out = Vec::new();
    let mut handshake = ClientRequest::new(url, nonce).write(&mut out);
    stream
        .write_all(&out)
        .map_err(|e| format!("write handshake: {e}"))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = Instant::now() + timeout;
    loop {
        match handshake.parse_response(&buf) {
            Ok(Status::Complete(Outcome::Accepted(accepted))) => {
                let info = ServerInfo {
                    server: accepted
                        .response()
                        .headers()
                        .get_str("server")
                        .map(str::to_owned),
                };
                let leftover = buf[accepted.head_len()..].to_vec();
                let t = TcpTransport::new(stream, leftover).map_err(|e| e.to_string())?;
                return Ok((t, info));
            }
            Ok(Status::Complete(Outcome::Rejected(r))) => {
                return Err(format!("handshake refused: {} {}", r.status(), r.reason()));
            }
            Ok(Status::Incomplete) => {}
            Err(e) => return Err(format!("bad handshake response: {e}")),
        }
        if Instant::now() > deadline {
            return Err("handshake timed out".into());
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Err("connection closed during the handshake".into()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(format!("read handshake: {e}")),
        }
    }
}

/// A request accepted by the fuzzing server: its path, query and the transport.
#[derive(Debug)]
pub struct Accepted {
    /// Path, e.g. `/runCase`.
    pub path: String,
    /// Query parameters, percent-decoded.
    pub params: Vec<(String, String)>,
    /// The connection, after the 101.
    pub transport: TcpTransport,
}

impl Accepted {
    /// A query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads a client's opening handshake and accepts it (any path).
///
/// # Errors
/// A description; a refusal response has been written then.
pub fn accept(mut stream: TcpStream, timeout: Duration) -> Result<Accepted, String> {
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let mut parser = RequestParser::default();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match parser.parse(&buf) {
            Ok(Status::Complete(request)) => {
                let mut out = Vec::new();
                request.accept(&mut out);
                stream.write_all(&out).map_err(|e| e.to_string())?;
                let leftover = buf[request.head_len()..].to_vec();
                let params = request.query().map(parse_query).unwrap_or_default();
                let path = request.path().to_owned();
                let transport = TcpTransport::new(stream, leftover).map_err(|e| e.to_string())?;
                return Ok(Accepted {
                    path,
                    params,
                    transport,
                });
            }
            Ok(Status::Incomplete) => {}
            Err(e) => {
                let mut out = Vec::new();
                e.write_response(&mut out);
                let _ = stream.write_all(&out);
                return Err(format!("bad request: {e}"));
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Err("closed during the handshake".into()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(format!("read: {e}")),
        }
    }
}

/// `a=1&b=x%20y` → pairs, percent- and plus-decoded.
pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query() {
        assert_eq!(
            parse_query("case=12&agent=my%20client+1"),
            vec![
                ("case".into(), "12".into()),
                ("agent".into(), "my client 1".into())
            ]
        );
        assert_eq!(
            parse_query("a=%zz&b=%4"),
            vec![("a".into(), "%zz".into()), ("b".into(), "%4".into())]
        );
    }
}

//! Drivers 2 and 3: the peer under test is at the other end of a TCP connection.
//!
//! A reader thread moves received bytes into a channel and a writer thread takes the
//! tester's writes from another, so the tester never blocks: it keeps reading while a
//! 16 MiB message goes out, and its timers run even when the peer stops reading (as the
//! suite's reactor, which buffers writes, never blocks either). Both threads end when
//! the connection is dropped: the socket is shut down first, which wakes them.
//!
//! Timing matters where the suite's writes race the peer's answers (chops 40 µs apart):
//! a write while the writer is idle goes straight to the socket (a thread hand-off costs
//! tens of microseconds), and waits shorter than a millisecond poll instead of sleeping
//! (a sleep of 40 µs lasts over 100).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sockeye_handshake::{Request, WsUrl};

use crate::handshake;
use crate::transport::{Incoming, Transport};

/// What the writer thread is asked to do.
enum Out {
    Bytes(Vec<u8>),
    /// Write what came before, then close TCP.
    Close,
}

/// A TCP connection to the peer under test.
#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
    rx: Receiver<Option<Vec<u8>>>,
    tx: Option<Sender<Out>>,
    /// Items handed to the writer and not written yet.
    pending: Arc<AtomicUsize>,
    /// The connection is being dropped: the writer stops retrying.
    dropping: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
    writer: Option<JoinHandle<()>>,
    eof: bool,
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bytes(b) => write!(f, "Bytes({})", b.len()),
            Self::Close => f.write_str("Close"),
        }
    }
}

impl TcpTransport {
    /// Wraps a connected `stream`.
    ///
    /// # Errors
    /// If the socket cannot be cloned or configured.
    pub fn new(stream: TcpStream) -> std::io::Result<Self> {
        stream.set_nodelay(true)?;
        stream.set_read_timeout(None)?;
        // Bounds a direct write on a peer that stopped reading; the writer retries.
        stream.set_write_timeout(Some(Duration::from_millis(2)))?;
        let mut read_half = stream.try_clone()?;
        let mut write_half = stream.try_clone()?;
        let (tx_in, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match read_half.read(&mut buf) {
                    Ok(0) | Err(_) => {
                        let _ = tx_in.send(None);
                        return;
                    }
                    Ok(n) => {
                        if tx_in.send(Some(buf[..n].to_vec())).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        let (tx, rx_out) = mpsc::channel::<Out>();
        let pending = Arc::new(AtomicUsize::new(0));
        let dropping = Arc::new(AtomicBool::new(false));
        let (p, d) = (Arc::clone(&pending), Arc::clone(&dropping));
        let writer = std::thread::spawn(move || {
            let mut failed = false;
            for item in rx_out {
                match item {
                    Out::Bytes(b) => {
                        if !failed {
                            failed = !write_patiently(&mut write_half, &b, &d);
                        }
                        p.fetch_sub(1, Ordering::SeqCst);
                    }
                    Out::Close => {
                        let _ = write_half.shutdown(Shutdown::Both);
                        return;
                    }
                }
            }
        });
        Ok(Self {
            stream,
            rx,
            tx: Some(tx),
            pending,
            dropping,
            reader: Some(reader),
            writer: Some(writer),
            eof: false,
        })
    }
}

/// `write_all` that waits out the socket's short write timeout until the connection is
/// dropped. False when the connection failed.
fn write_patiently(s: &mut TcpStream, mut b: &[u8], dropping: &AtomicBool) -> bool {
    while !b.is_empty() {
        match s.write(b) {
            Ok(0) => return false,
            Ok(n) => b = &b[n..],
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) =>
            {
                if dropping.load(Ordering::SeqCst) {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
    true
}

impl TcpTransport {
    /// The first bytes of `bytes` the socket takes at once (nothing queued ahead of them).
    fn write_direct(&mut self, bytes: &[u8]) -> usize {
        if self.pending.load(Ordering::SeqCst) != 0 || bytes.len() > 256 << 10 {
            return 0;
        }
        // WouldBlock, or an error the queued path meets and reports on its next write.
        self.stream.write(bytes).unwrap_or_default()
    }
}

impl Transport for TcpTransport {
    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        if self.tx.is_none() {
            return Err("the connection is closed".into());
        }
        let done = self.write_direct(bytes);
        if done == bytes.len() {
            return Ok(());
        }
        let rest = bytes[done..].to_vec();
        self.pending.fetch_add(1, Ordering::SeqCst);
        match &self.tx {
            Some(tx) => tx.send(Out::Bytes(rest)).map_err(|_| {
                self.pending.fetch_sub(1, Ordering::SeqCst);
                "the connection is closed".to_owned()
            }),
            None => Err("the connection is closed".into()),
        }
    }

    fn recv(&mut self, timeout: Duration) -> Incoming {
        if self.eof {
            return Incoming::Eof;
        }
        let first = if timeout.is_zero() {
            self.rx.try_recv().map_err(|_| RecvTimeoutError::Timeout)
        } else if timeout < Duration::from_millis(1) {
            // A sleep this short oversleeps by far: poll until the deadline.
            let deadline = Instant::now() + timeout;
            loop {
                match self.rx.try_recv() {
                    Ok(v) => break Ok(v),
                    Err(TryRecvError::Disconnected) => break Err(RecvTimeoutError::Disconnected),
                    Err(TryRecvError::Empty) if Instant::now() >= deadline => {
                        break Err(RecvTimeoutError::Timeout);
                    }
                    Err(TryRecvError::Empty) => std::thread::yield_now(),
                }
            }
        } else {
            self.rx.recv_timeout(timeout)
        };
        match first {
            Ok(Some(data)) => Incoming::Data(data),
            Ok(None) | Err(RecvTimeoutError::Disconnected) => {
                self.eof = true;
                Incoming::Eof
            }
            Err(RecvTimeoutError::Timeout) => Incoming::Timeout,
        }
    }

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn close(&mut self) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Out::Close);
        }
    }
}

impl Drop for TcpTransport {
    fn drop(&mut self) {
        // Wakes both threads whatever they are blocked in.
        self.dropping.store(true, Ordering::SeqCst);
        let _ = self.stream.shutdown(Shutdown::Both);
        self.tx = None;
        for t in [self.writer.take(), self.reader.take()]
            .into_iter()
            .flatten()
        {
            let _ = t.join();
        }
    }
}

/// Resolves a `ws://` URL's address.
///
/// # Errors
/// `wss://`, or an address that does not resolve.
pub fn resolve(url: &WsUrl) -> Result<SocketAddr, String> {
    if url.is_secure() {
        return Err("wss:// is not supported; use ws://".into());
    }
    (
        url.host().trim_start_matches('[').trim_end_matches(']'),
        url.port(),
    )
        .to_socket_addrs()
        .map_err(|e| format!("resolve {}: {e}", url.host()))?
        .next()
        .ok_or_else(|| format!("no address for {}", url.host()))
}

/// Opens a TCP connection to `addr` (the opening handshake is the case's).
///
/// # Errors
/// What failed.
pub fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpTransport, String> {
    let stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("connect {addr}: {e}"))?;
    TcpTransport::new(stream).map_err(|e| e.to_string())
}

/// A request accepted by the fuzzing server: its path, query and the transport.
#[derive(Debug)]
pub struct Accepted {
    /// Path, e.g. `/runCase`.
    pub path: String,
    /// Query parameters, percent-decoded.
    pub params: Vec<(String, String)>,
    /// The request (not answered yet).
    pub request: Request,
    /// Bytes after the request.
    pub leftover: Vec<u8>,
    /// The connection.
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

/// Reads a client's opening handshake request (not answered yet).
///
/// # Errors
/// A description; a refusal response has been written for a malformed request.
pub fn accept(stream: TcpStream, timeout: Duration) -> Result<Accepted, String> {
    let mut transport = TcpTransport::new(stream).map_err(|e| e.to_string())?;
    let (request, leftover) = handshake::read_request(&mut transport, timeout)?;
    let params = request.query().map(parse_query).unwrap_or_default();
    Ok(Accepted {
        path: request.path().to_owned(),
        params,
        request,
        leftover,
        transport,
    })
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

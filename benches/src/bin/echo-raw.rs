//! `echo-raw`: a TCP echo server on `mio`, one thread, no WebSocket framing: the ceiling
//! the end-to-end benchmark compares Sockeye with.
//!
//! `echo-raw [--listen ADDR]` (default 127.0.0.1:9002) prints
//! `echo-raw listening on tcp://ADDR` and runs until killed (SIGINT and SIGTERM keep
//! their default action).
//!
//! It has the shape of the Sockeye server's loop, minus the protocol: edge-triggered
//! readiness, one read buffer shared by all connections, `TCP_NODELAY`, and per read one
//! `write` of what was read (so many messages pipelined in one read go back in one
//! write). A short read is taken to have emptied the socket (the next arrival raises a
//! new edge), which saves the read that would only say `WouldBlock`, as Sockeye does.
//! Output the socket does not take is kept for that connection, and reading from it
//! stops until that drains. An idle connection owns no buffer.
//!
//! `--whole BYTES` echoes whole messages instead: input is collected until `BYTES` have
//! arrived and only then written back, in one `write` from the collecting buffer (one copy,
//! no framing). Not part of the default comparison: it shows what waiting for a whole
//! message costs by itself, without any WebSocket work (`e2e --servers raw-whole`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(usize::MAX);
const READ_BUF: usize = 64 << 10;
/// Reads of a full buffer from one connection per turn, before others get a go.
const MAX_READS_PER_TURN: usize = 4;

struct Conn {
    stream: TcpStream,
    /// Output not yet written: `out[out_pos..]`.
    out: Vec<u8>,
    out_pos: usize,
    write_interest: bool,
    /// `--whole`: the message being collected.
    acc: Vec<u8>,
}

struct Server {
    poll: Poll,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    buf: Vec<u8>,
    /// Connections to read again at the end of the turn (fairness cut-off, or reading
    /// resumed after their output drained: no edge reports what came meanwhile).
    resume: Vec<usize>,
    /// `--whole BYTES`, or 0 to echo what each read brings.
    whole: usize,
}

impl Server {
    fn accept(&mut self, listener: &TcpListener) {
        loop {
            let mut stream = match listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return, // out of descriptors and the like: try on the next edge
            };
            let _ = stream.set_nodelay(true);
            let slot = self.free.pop().unwrap_or(self.conns.len());
            if self
                .poll
                .registry()
                .register(&mut stream, Token(slot), Interest::READABLE)
                .is_err()
            {
                self.free.push(slot);
                continue;
            }
            let conn = Conn {
                stream,
                out: Vec::new(),
                out_pos: 0,
                write_interest: false,
                acc: Vec::new(),
            };
            if slot == self.conns.len() {
                self.conns.push(Some(conn));
            } else {
                self.conns[slot] = Some(conn);
            }
        }
    }

    fn close(&mut self, slot: usize) {
        if let Some(mut conn) = self.conns.get_mut(slot).and_then(Option::take) {
            let _ = self.poll.registry().deregister(&mut conn.stream);
            self.free.push(slot);
        }
    }

    /// Reads and echoes; `drain`: read until `WouldBlock` even after a short read.
    fn on_readable(&mut self, slot: usize, drain: bool) {
        let Some(Some(conn)) = self.conns.get_mut(slot) else {
            return;
        };
        let mut failed = false;
        for round in 0..MAX_READS_PER_TURN {
            if conn.out_pos < conn.out.len() {
                break; // paused until the output drains
            }
            let n = match conn.stream.read(&mut self.buf) {
                Ok(0) => {
                    failed = true;
                    break;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => {
                    failed = true;
                    break;
                }
            };
            let data = &self.buf[..n];
            if self.whole > 0 {
                collect(conn, data, self.whole);
            } else {
                match conn.stream.write(data) {
                    Ok(k) if k == n => {}
                    Ok(k) => conn.out.extend_from_slice(&data[k..]),
                    Err(e)
                        if e.kind() == io::ErrorKind::WouldBlock
                            || e.kind() == io::ErrorKind::Interrupted =>
                    {
                        conn.out.extend_from_slice(data);
                    }
                    Err(_) => {
                        failed = true;
                        break;
                    }
                }
            }
            if n < self.buf.len() && !drain {
                break;
            }
            if round + 1 == MAX_READS_PER_TURN {
                self.resume.push(slot);
            }
        }
        if failed {
            self.close(slot);
        } else {
            self.settle(slot);
        }
    }

    /// Flushes queued output and sets the interest to match.
    fn settle(&mut self, slot: usize) {
        let Some(Some(conn)) = self.conns.get_mut(slot) else {
            return;
        };
        let was_paused = conn.out_pos < conn.out.len();
        while conn.out_pos < conn.out.len() {
            match conn.stream.write(&conn.out[conn.out_pos..]) {
                Ok(0) => return self.close(slot),
                Ok(k) => conn.out_pos += k,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return self.close(slot),
            }
        }
        let pending = conn.out_pos < conn.out.len();
        if !pending {
            // Idle connections own no buffer.
            conn.out = Vec::new();
            conn.out_pos = 0;
        }
        if pending != conn.write_interest {
            let interest = if pending {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            if self
                .poll
                .registry()
                .reregister(&mut conn.stream, Token(slot), interest)
                .is_err()
            {
                return self.close(slot);
            }
            conn.write_interest = pending;
        }
        if was_paused && !pending {
            self.resume.push(slot);
        }
    }
}

/// `--whole`: collects input; each whole message moves to the output (no copy when the
/// output is empty, as it is between echoes).
fn collect(conn: &mut Conn, mut data: &[u8], whole: usize) {
    while !data.is_empty() {
        if conn.acc.capacity() == 0 {
            conn.acc.reserve_exact(whole);
        }
        let take = (whole - conn.acc.len()).min(data.len());
        conn.acc.extend_from_slice(&data[..take]);
        data = &data[take..];
        if conn.acc.len() == whole {
            let message = std::mem::take(&mut conn.acc);
            if conn.out.is_empty() {
                conn.out = message;
                conn.out_pos = 0;
            } else {
                conn.out.extend_from_slice(&message);
            }
        }
    }
}

fn run(listen: SocketAddr, whole: usize) -> io::Result<()> {
    let mut listener = TcpListener::bind(listen)?;
    let poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    println!("echo-raw listening on tcp://{}", listener.local_addr()?);
    io::stdout().flush()?;
    let mut server = Server {
        poll,
        conns: Vec::new(),
        free: Vec::new(),
        buf: vec![0; READ_BUF],
        resume: Vec::new(),
        whole,
    };
    let mut events = Events::with_capacity(1024);
    loop {
        let timeout = (!server.resume.is_empty()).then_some(std::time::Duration::ZERO);
        match server.poll.poll(&mut events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        for event in &events {
            match event.token() {
                LISTENER => server.accept(&listener),
                Token(slot) => {
                    let drain = event.is_read_closed() || event.is_error();
                    if event.is_readable() || drain {
                        server.on_readable(slot, drain);
                    }
                    if event.is_writable() {
                        server.settle(slot);
                    }
                }
            }
        }
        for slot in std::mem::take(&mut server.resume) {
            server.on_readable(slot, true);
        }
    }
}

/// A raw TCP echo on mio, no framing: the ceiling of the end-to-end benchmark.
#[derive(Debug, clap::Parser)]
struct Cli {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:9002", value_name = "ADDR")]
    listen: SocketAddr,
    /// Echo in units of this many bytes (0: whatever a read returned).
    #[arg(long, default_value_t = 0, value_name = "BYTES")]
    whole: usize,
}

fn main() -> ExitCode {
    let Cli { listen, whole } = clap::Parser::parse();
    match run(listen, whole) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo-raw: {e}");
            ExitCode::FAILURE
        }
    }
}

//! One load-generator connection: queued frames out (vectored, from the prepared
//! messages), echoes in, checked byte for byte; compressed echoes assembled and inflated.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::time::Instant;

use flate2::{Decompress, FlushDecompress};
use mio::{Interest, Registry, Token};
use sockeye_frame::{MAX_HEADER_LEN, OpCode, ParseConfig, Rsv, Status, parse_header};

use super::link::Link;
use super::payload::Message;
use super::{Protocol, VARIANTS};

/// The frame being received.
#[derive(Debug, Clone, Copy)]
struct Frame {
    left: u64,
    fin: bool,
    /// A ping or pong: its payload is skipped.
    control: bool,
}

/// What every connection of a run shares.
pub(crate) struct Shared<'a> {
    pub(crate) protocol: Protocol,
    pub(crate) size: usize,
    pub(crate) opcode: OpCode,
    /// The messages as sent uncompressed (connections without permessage-deflate).
    pub(crate) messages: &'a [Message],
    /// The same compressed (connections that negotiated it).
    pub(crate) compressed: &'a [Message],
    pub(crate) parse: ParseConfig,
}

/// The measuring window's counters.
#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) measuring: bool,
    pub(crate) completed: u64,
    pub(crate) rtt_ns: Vec<u64>,
    /// Bytes written and read while measuring (what went over the wire).
    pub(crate) bytes_out: u64,
    pub(crate) bytes_in: u64,
}

pub(crate) struct Conn {
    /// The socket, or TLS over it.
    pub(crate) link: Link,
    /// permessage-deflate was negotiated: messages go compressed, echoes may come so.
    pub(crate) deflate: bool,
    /// A compressed echo being assembled (its frames' payloads), inflated at its end.
    assembling: Option<Vec<u8>>,
    inflater: Option<Decompress>,
    /// Frames to write: (message variant, bytes of it already written).
    out: VecDeque<(usize, usize)>,
    write_interest: bool,
    /// A partial frame header (WebSocket).
    header: [u8; MAX_HEADER_LEN],
    header_len: usize,
    frame: Option<Frame>,
    /// Between a data frame without FIN and the final continuation.
    continuing: bool,
    /// Payload bytes of the current echo checked so far.
    got: usize,
    sent: u64,
    done: u64,
    sent_at: VecDeque<Instant>,
}

impl Conn {
    pub(crate) fn new(link: Link) -> Self {
        Self {
            link,
            deflate: false,
            assembling: None,
            inflater: None,
            out: VecDeque::new(),
            write_interest: false,
            header: [0; MAX_HEADER_LEN],
            header_len: 0,
            frame: None,
            continuing: false,
            got: 0,
            sent: 0,
            done: 0,
            sent_at: VecDeque::new(),
        }
    }

    pub(crate) fn queue(&mut self, now: Instant) {
        self.out.push_back((self.sent as usize % VARIANTS, 0));
        self.sent_at.push_back(now);
        self.sent += 1;
    }

    /// The frames this connection sends.
    pub(crate) fn wire<'a>(&self, shared: &Shared<'a>) -> &'a [Message] {
        if self.deflate {
            shared.compressed
        } else {
            shared.messages
        }
    }

    /// Writes queued frames until done or the socket would block; returns the bytes
    /// written.
    /// (Under TLS, plaintext bytes handed to rustls; its records follow as the socket
    /// takes them.)
    pub(crate) fn flush(&mut self, messages: &[Message]) -> io::Result<u64> {
        let mut written = 0u64;
        match self.link.flush_tls() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(0),
            other => other?,
        }
        while !self.out.is_empty() {
            let mut iov = [IoSlice::new(&[]); 64];
            let mut k = 0;
            for (slot, &(v, off)) in iov.iter_mut().zip(self.out.iter()) {
                *slot = IoSlice::new(&messages[v].wire[off..]);
                k += 1;
            }
            match self.link.write_vectored(&iov[..k]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(mut n) => {
                    written += n as u64;
                    while n > 0 {
                        let Some(front) = self.out.front_mut() else {
                            break;
                        };
                        let left = messages[front.0].wire.len() - front.1;
                        if n >= left {
                            n -= left;
                            self.out.pop_front();
                        } else {
                            front.1 += n;
                            n = 0;
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(written),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(written)
    }

    /// Writable interest while output is queued.
    pub(crate) fn update_interest(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        let want = !self.out.is_empty() || self.link.wants_write();
        if want != self.write_interest {
            let interest = if want {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            registry.reregister(&mut self.link.stream, token, interest)?;
            self.write_interest = want;
        }
        Ok(())
    }

    /// Reads what the socket has and checks it; each completed echo is answered by the
    /// next message while `send_more`.
    pub(crate) fn on_readable(
        &mut self,
        buf: &mut [u8],
        drain: bool,
        shared: &Shared<'_>,
        stats: &mut Stats,
        send_more: bool,
    ) -> Result<(), String> {
        loop {
            match self.link.read(buf) {
                Ok(0) => return Err("the server closed the connection".into()),
                Ok(n) => {
                    let now = Instant::now();
                    if stats.measuring {
                        stats.bytes_in += n as u64;
                    }
                    self.receive(&buf[..n], shared, stats, send_more, now)?;
                    // Edge-triggered: a short read took everything this edge reported
                    // (not under TLS: a short read of plaintext says nothing of the
                    // socket).
                    if n < buf.len() && !drain && !self.link.is_tls() {
                        return Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("read: {e}")),
            }
        }
    }

    fn receive(
        &mut self,
        mut data: &[u8],
        shared: &Shared<'_>,
        stats: &mut Stats,
        send_more: bool,
        now: Instant,
    ) -> Result<(), String> {
        while !data.is_empty() {
            let expected = &shared.messages[self.done as usize % VARIANTS].payload;
            if shared.protocol == Protocol::Raw {
                let n = (shared.size - self.got).min(data.len());
                if data[..n] != expected[self.got..self.got + n] {
                    return Err(format!("echo {} differs from what was sent", self.done));
                }
                self.got += n;
                data = &data[n..];
                if self.got == shared.size {
                    self.complete(stats, send_more, now);
                }
                continue;
            }
            let Some(frame) = &mut self.frame else {
                let (rest, ended) = self.read_header(data, shared)?;
                data = rest;
                if ended {
                    self.complete(stats, send_more, now);
                }
                continue;
            };
            let n = usize::try_from(frame.left)
                .unwrap_or(usize::MAX)
                .min(data.len());
            if let (false, Some(assembling)) = (frame.control, &mut self.assembling) {
                assembling.extend_from_slice(&data[..n]);
            } else if !frame.control {
                if data[..n] != expected[self.got..self.got + n] {
                    return Err(format!("echo {} differs from what was sent", self.done));
                }
                self.got += n;
            }
            frame.left -= n as u64;
            data = &data[n..];
            if frame.left == 0 {
                let Frame { fin, control, .. } = *frame;
                self.frame = None;
                if fin && !control {
                    self.continuing = false;
                    if let Some(compressed) = self.assembling.take() {
                        self.inflate_and_check(&compressed, expected)?;
                    }
                    if self.got != shared.size {
                        return Err(format!(
                            "echo {} is {} bytes short",
                            self.done,
                            shared.size - self.got
                        ));
                    }
                    self.complete(stats, send_more, now);
                }
            }
        }
        Ok(())
    }

    /// Parses a frame header from `data` (after any partial header kept from the last
    /// read) and returns the bytes after it, and whether an empty final frame ended an
    /// echo.
    fn read_header<'d>(
        &mut self,
        data: &'d [u8],
        shared: &Shared<'_>,
    ) -> Result<(&'d [u8], bool), String> {
        let (header, rest) = if self.header_len == 0 {
            match parse_header(data, &shared.parse).map_err(|e| format!("echo frame: {e}"))? {
                Status::Complete(h) => (h, &data[h.len()..]),
                Status::Incomplete(_) => {
                    self.header[..data.len()].copy_from_slice(data);
                    self.header_len = data.len();
                    return Ok((&[], false));
                }
            }
        } else {
            let old = self.header_len;
            let take = (MAX_HEADER_LEN - old).min(data.len());
            self.header[old..old + take].copy_from_slice(&data[..take]);
            match parse_header(&self.header[..old + take], &shared.parse)
                .map_err(|e| format!("echo frame: {e}"))?
            {
                Status::Complete(h) => {
                    self.header_len = 0;
                    (h, &data[h.len() - old..])
                }
                Status::Incomplete(_) => {
                    self.header_len = old + take;
                    return Ok((&[], false));
                }
            }
        };
        if header.is_masked() {
            return Err("the server masked a frame".into());
        }
        let left = header.payload_len();
        let control = match header.opcode() {
            OpCode::Ping | OpCode::Pong => true,
            OpCode::Close => return Err("the server sent a close frame".into()),
            OpCode::Continuation if self.continuing => false,
            op if op == shared.opcode && !self.continuing => {
                self.continuing = !header.fin();
                if header.rsv().contains(Rsv::RSV1) {
                    // RFC 7692 §6: a compressed message, inflated once it is whole.
                    if !self.deflate {
                        return Err("RSV1 without permessage-deflate".into());
                    }
                    self.assembling = Some(Vec::new());
                }
                false
            }
            op => return Err(format!("unexpected {op:?} frame")),
        };
        if !control && self.assembling.is_none() && self.got as u64 + left > shared.size as u64 {
            return Err(format!("echo {} is longer than what was sent", self.done));
        }
        self.frame = Some(Frame {
            left,
            fin: header.fin(),
            control,
        });
        if left == 0 {
            // An empty frame: nothing more will come for it.
            let frame = self.frame.take();
            if let Some(Frame {
                fin: true,
                control: false,
                ..
            }) = frame
            {
                self.continuing = false;
                let expected = &shared.messages[self.done as usize % VARIANTS].payload;
                if let Some(compressed) = self.assembling.take() {
                    self.inflate_and_check(&compressed, expected)?;
                }
                if self.got != shared.size {
                    return Err(format!("echo {} is short", self.done));
                }
                return Ok((rest, true));
            }
        }
        Ok((rest, false))
    }

    /// §7.2.2: a compressed echo, whole, with the 4-octet tail put back, through a fresh
    /// inflater (the server was asked for `server_no_context_takeover`); it must be what
    /// was sent.
    fn inflate_and_check(&mut self, compressed: &[u8], expected: &[u8]) -> Result<(), String> {
        let z = self.inflater.get_or_insert_with(|| Decompress::new(false));
        z.reset(false);
        let mut out = Vec::with_capacity(expected.len() + 1);
        for part in [compressed, &[0, 0, 0xff, 0xff][..]] {
            let at = z.total_in();
            z.decompress_vec(part, &mut out, FlushDecompress::Sync)
                .map_err(|e| format!("echo {}: inflate: {e}", self.done))?;
            if z.total_in() - at != part.len() as u64 {
                return Err(format!("echo {} inflates past what was sent", self.done));
            }
        }
        if out != expected {
            return Err(format!("echo {} differs from what was sent", self.done));
        }
        self.got = expected.len();
        Ok(())
    }

    fn complete(&mut self, stats: &mut Stats, send_more: bool, now: Instant) {
        self.got = 0;
        self.done += 1;
        if let Some(at) = self.sent_at.pop_front()
            && stats.measuring
        {
            stats.completed += 1;
            stats
                .rtt_ns
                .push(u64::try_from(now.duration_since(at).as_nanos()).unwrap_or(u64::MAX));
        }
        if send_more {
            self.queue(now);
        }
    }
}

//! A minimal raw WebSocket client for the server's tests: handshake with
//! sockeye-handshake, frames with sockeye-frame, blocking std sockets with timeouts. It
//! lets tests send exactly the bytes they want (partial frames, violations).

#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use sockeye_frame::{
    CloseCode, ControlFrame, FrameHeader, OpCode, ParseConfig, Rsv, Status, apply_mask,
    parse_close_payload, parse_header,
};
use sockeye_handshake::{ClientRequest, Outcome, Status as HsStatus, WsUrl};

pub struct RawClient {
    pub stream: TcpStream,
    buf: Vec<u8>,
    /// Seeded masking keys (a test's: reproducible, not secret).
    keys: rand::rngs::SmallRng,
}

/// A frame as the client received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    pub opcode: OpCode,
    pub payload: Vec<u8>,
}

impl Frame {
    pub fn close_code(&self) -> Option<u16> {
        match parse_close_payload(&self.payload) {
            Ok(Some(body)) => Some(body.code.as_u16()),
            _ => None,
        }
    }
}

impl RawClient {
    /// Connects and completes the opening handshake.
    pub fn connect(addr: SocketAddr, path: &str) -> Self {
        let mut client = Self::connect_tcp(addr);
        let url = WsUrl::parse(&format!("ws://{addr}{path}")).unwrap();
        let mut out = Vec::new();
        let mut handshake = ClientRequest::new(&url, *b"0123456789abcdef").write(&mut out);
        client.stream.write_all(&out).unwrap();
        loop {
            match handshake.parse_response(&client.buf).unwrap() {
                HsStatus::Complete(Outcome::Accepted(accepted)) => {
                    client.buf.drain(..accepted.head_len());
                    return client;
                }
                HsStatus::Complete(Outcome::Rejected(r)) => panic!("rejected: {}", r.status()),
                HsStatus::Incomplete => client.fill(),
            }
        }
    }

    /// Sends `extensions` as the `Sec-WebSocket-Extensions` of a hand-written upgrade
    /// request (hostile values included) and reads the response head: its status code
    /// and the `Sec-WebSocket-Extensions` it answered with, if any. After a `101` the
    /// client is ready for frames.
    pub fn connect_offering(addr: SocketAddr, extensions: &str) -> (Self, u16, Option<String>) {
        let mut client = Self::connect_tcp(addr);
        let request = format!(
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Extensions: {extensions}\r\n\r\n"
        );
        client.stream.write_all(request.as_bytes()).unwrap();
        let end = loop {
            if let Some(at) = client.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            if !client.try_fill() {
                break client.buf.len();
            }
        };
        let head = String::from_utf8_lossy(&client.buf[..end]).into_owned();
        client.buf.drain(..end);
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let agreed = head.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("sec-websocket-extensions")
                .then(|| value.trim().to_owned())
        });
        (client, status, agreed)
    }

    pub fn connect_tcp(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.set_nodelay(true).unwrap();
        Self {
            stream,
            buf: Vec::new(),
            keys: rand::SeedableRng::seed_from_u64(1),
        }
    }

    /// Reads more bytes; panics on EOF.
    fn fill(&mut self) {
        assert!(self.try_fill(), "unexpected EOF");
    }

    /// Reads more bytes; false on EOF.
    fn try_fill(&mut self) -> bool {
        let mut chunk = [0u8; 65536];
        match self.stream.read(&mut chunk) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => false,
            Err(e) => panic!("read: {e}"),
        }
    }

    /// Reads everything until EOF (for HTTP error responses).
    pub fn read_to_end(&mut self) -> Vec<u8> {
        while self.try_fill() {}
        std::mem::take(&mut self.buf)
    }

    pub fn next_key(&mut self) -> [u8; 4] {
        rand::RngExt::random(&mut self.keys)
    }

    /// Encodes a masked frame.
    pub fn frame(&mut self, fin: bool, opcode: OpCode, payload: &[u8]) -> Vec<u8> {
        self.frame_rsv(fin, Rsv::NONE, opcode, payload)
    }

    /// Encodes a masked frame with reserved bits (RSV1: "Per-Message Compressed").
    pub fn frame_rsv(&mut self, fin: bool, rsv: Rsv, opcode: OpCode, payload: &[u8]) -> Vec<u8> {
        let key = self.next_key();
        let h = FrameHeader::new(fin, rsv, opcode, Some(key), payload.len() as u64).unwrap();
        let mut out = h.encode().to_vec();
        let at = out.len();
        out.extend_from_slice(payload);
        apply_mask(&mut out[at..], key, 0);
        out
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    pub fn send(&mut self, opcode: OpCode, payload: &[u8]) {
        let frame = self.frame(true, opcode, payload);
        self.send_raw(&frame);
    }

    pub fn send_close(&mut self, code: u16, reason: &str) {
        let key = self.next_key();
        let frame = ControlFrame::close(CloseCode::new(code), reason, Some(key)).unwrap();
        self.send_raw(&frame);
    }

    /// The next frame, or None on EOF.
    pub fn recv(&mut self) -> Option<Frame> {
        self.recv_rsv().map(|(_, frame)| frame)
    }

    /// The next frame and its reserved bits, or None on EOF.
    /// RSV1 is let through (it is the permessage-deflate tests' business to check it).
    pub fn recv_rsv(&mut self) -> Option<(Rsv, Frame)> {
        let config = ParseConfig::new()
            .max_payload_len(1 << 26)
            .allowed_rsv(Rsv::RSV1);
        loop {
            let parsed = parse_header(&self.buf, &config);
            assert!(
                parsed.is_ok(),
                "a malformed frame from the server: {parsed:?}"
            );
            if let Ok(Status::Complete(h)) = parsed {
                let total = h.len() + h.payload_len() as usize;
                if self.buf.len() >= total {
                    assert!(h.mask().is_none(), "server frames are unmasked (§5.1)");
                    let payload = self.buf[h.len()..total].to_vec();
                    self.buf.drain(..total);
                    return Some((
                        h.rsv(),
                        Frame {
                            fin: h.fin(),
                            opcode: h.opcode(),
                            payload,
                        },
                    ));
                }
            }
            if !self.try_fill() {
                return None;
            }
        }
    }

    /// The next whole data message, assembled from its fragments (§5.4), with the control
    /// frames that arrived before it completed, in order.
    pub fn recv_message(&mut self) -> (Vec<Frame>, OpCode, Vec<u8>) {
        let mut controls = Vec::new();
        let mut kind = None;
        let mut data = Vec::new();
        loop {
            let frame = self.recv().expect("a frame");
            if frame.opcode.is_control() {
                controls.push(frame);
                continue;
            }
            match (kind, frame.opcode) {
                (None, OpCode::Text | OpCode::Binary) => kind = Some(frame.opcode),
                (Some(_), OpCode::Continuation) => {}
                (k, op) => panic!("{op:?} frame while in message {k:?} (§5.4)"),
            }
            data.extend_from_slice(&frame.payload);
            if frame.fin {
                return (controls, kind.unwrap_or(OpCode::Binary), data);
            }
        }
    }

    /// Reads frames until a close frame; returns its code (None if EOF came first).
    pub fn expect_close(&mut self) -> Option<u16> {
        while let Some(frame) = self.recv() {
            if frame.opcode == OpCode::Close {
                return Some(frame.close_code().unwrap_or(1005));
            }
        }
        None
    }

    /// Whether the server closes TCP (EOF, or a reset) within `within`, discarding what
    /// arrives meanwhile. False when the time runs out with the connection still open.
    pub fn expect_eof_within(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        let mut chunk = [0u8; 65536];
        loop {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            self.stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .unwrap();
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    /// [`expect_eof_within`](Self::expect_eof_within) 5 s.
    pub fn expect_eof(&mut self) -> bool {
        self.expect_eof_within(Duration::from_secs(5))
    }
}

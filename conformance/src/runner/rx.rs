//! Reading the peer's frames the way the suite does (`processDataHybi`, `onFrameBegin`,
//! `onFrameData`, `onFrameEnd`, `processControlFrame` in `autobahn/websocket/
//! protocol.py`): incrementally, payload as it arrives, every rule of §5.3 of the
//! research notes checked in the suite's order. A broken rule is reported
//! ([`RxEvent::Violation`]) and the frame is still processed, as the suite does with
//! `failByDrop = False`: the runner fails the connection and stops recording data
//! messages, but pongs and close frames are still taken.

use std::collections::VecDeque;

use super::codec::Codec;
use super::utf8::Utf8Validator;
use crate::observation::ascii_log_data;

/// Something the peer's bytes amount to, in order.
#[derive(Debug)]
pub(crate) enum RxEvent {
    /// A rule broken: fail the connection with this code (1002 protocol error, 1007
    /// invalid payload) and reason.
    Violation(u16, String),
    /// A whole data message (delivered unless the tester failed the connection).
    Message {
        /// Binary.
        binary: bool,
        /// The (inflated) payload.
        payload: Vec<u8>,
    },
    /// A ping.
    Ping(Vec<u8>),
    /// A pong.
    Pong(Vec<u8>),
    /// A close frame: its code (none for a body under 2 bytes) and reason bytes.
    Close {
        /// Code.
        code: Option<u16>,
        /// Reason (bytes after the code), if any.
        reason: Option<Vec<u8>>,
    },
    /// A frame for the log (`RF`).
    Frame(String),
}

#[derive(Debug)]
struct Current {
    opcode: u8,
    fin: bool,
    rsv: u8,
    len: u64,
    mask: Option<[u8; 4]>,
    /// Payload bytes of this frame processed so far.
    at: u64,
    /// Control frame payload, or this data frame's payload (for the log).
    data: Vec<u8>,
}

/// The reader of one connection.
#[derive(Debug)]
pub(crate) struct Rx {
    /// The tester is the server (frames must be masked) or the client (must not be).
    tester_is_server: bool,
    buf: Vec<u8>,
    frame: Option<Current>,
    inside_message: bool,
    message_binary: bool,
    message: Vec<u8>,
    compressed: bool,
    validate: bool,
    utf8: Utf8Validator,
    /// The last validation result: (valid, ends on a code point).
    utf8_last: (bool, bool),
    codec: Option<Codec>,
    events: VecDeque<RxEvent>,
    /// A header was incomplete: nothing more to do until more bytes arrive.
    stalled: bool,
}

impl Rx {
    pub(crate) fn new(tester_is_server: bool, codec: Option<Codec>) -> Self {
        Self {
            tester_is_server,
            buf: Vec::new(),
            frame: None,
            inside_message: false,
            message_binary: false,
            message: Vec::new(),
            compressed: false,
            validate: false,
            utf8: Utf8Validator::default(),
            utf8_last: (true, true),
            codec,
            events: VecDeque::new(),
            stalled: false,
        }
    }

    /// The tester's compressor, if permessage-deflate is in force.
    pub(crate) fn codec_mut(&mut self) -> Option<&mut Codec> {
        self.codec.as_mut()
    }

    /// Bytes from the peer.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        self.stalled = false;
    }

    /// The next event, parsing as far as needed; `None` when more bytes are needed.
    pub(crate) fn next_event(&mut self) -> Option<RxEvent> {
        while self.events.is_empty() {
            if !self.process() {
                break;
            }
        }
        self.events.pop_front()
    }

    fn violation(&mut self, reason: impl Into<String>) {
        self.events
            .push_back(RxEvent::Violation(1002, reason.into()));
    }

    /// One step of `processData`; false when it needs more bytes.
    fn process(&mut self) -> bool {
        if self.stalled {
            return false;
        }
        if self.frame.is_some() {
            return self.payload();
        }
        if self.buf.len() < 2 {
            return false;
        }
        let (b0, b1) = (self.buf[0], self.buf[1]);
        let fin = b0 & 0x80 != 0;
        let rsv = (b0 >> 4) & 7;
        let opcode = b0 & 0x0f;
        let masked = b1 & 0x80 != 0;
        let len1 = b1 & 0x7f;
        let deflate = self.codec.is_some();
        let mask_len = if masked { 4 } else { 0 };
        let header_len = 2
            + mask_len
            + match len1 {
                126 => 2,
                127 => 8,
                _ => 0,
            };
        if rsv != 0 && !(deflate && rsv == 4) {
            self.violation(format!("RSV = {rsv} and no extension negotiated"));
        }
        if self.tester_is_server && !masked {
            self.violation("unmasked client-to-server frame");
        }
        if !self.tester_is_server && masked {
            self.violation("masked server-to-client frame");
        }
        if opcode > 7 {
            if !fin {
                self.violation("fragmented control frame");
            }
            if len1 > 125 {
                self.violation("control frame with payload length > 125 octets");
            }
            if ![8, 9, 10].contains(&opcode) {
                self.violation(format!("control frame using reserved opcode {opcode}"));
            }
            if opcode == 8 && len1 == 1 {
                self.violation("received close control frame with payload len 1");
            }
            if deflate && rsv == 4 {
                self.violation("received compressed control frame [permessage-deflate]");
            }
        } else {
            if opcode > 2 {
                self.violation(format!("data frame using reserved opcode {opcode}"));
            }
            if !self.inside_message && opcode == 0 {
                self.violation("received continuation data frame outside fragmented message");
            }
            if self.inside_message && opcode != 0 {
                self.violation(
                    "received non-continuation data frame while inside fragmented message",
                );
            }
            if deflate && rsv == 4 && self.inside_message {
                self.violation(
                    "received continuation data frame with compress bit set [permessage-deflate]",
                );
            }
        }
        if self.buf.len() < header_len {
            // The suite checks the first two octets again when more arrive (and a second
            // violation then drops the connection); `stalled` makes that once per read.
            self.stalled = true;
            return false;
        }
        let len = match len1 {
            126 => {
                let l = u64::from(u16::from_be_bytes([self.buf[2], self.buf[3]]));
                if l < 126 {
                    self.violation("invalid data frame length (not using minimal length encoding)");
                }
                l
            }
            127 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&self.buf[2..10]);
                let l = u64::from_be_bytes(b);
                if l > 0x7FFF_FFFF_FFFF_FFFF {
                    self.violation("invalid data frame length (>2^63)");
                }
                if l < 65536 {
                    self.violation("invalid data frame length (not using minimal length encoding)");
                }
                l
            }
            n => u64::from(n),
        };
        let mask = masked.then(|| {
            let at = header_len - 4;
            [
                self.buf[at],
                self.buf[at + 1],
                self.buf[at + 2],
                self.buf[at + 3],
            ]
        });
        self.buf.drain(..header_len);
        self.frame = Some(Current {
            opcode,
            fin,
            rsv,
            len,
            mask,
            at: 0,
            data: Vec::new(),
        });
        self.frame_begin();
        // Reprocess when the frame has no payload or data is left.
        len == 0 || !self.buf.is_empty() || self.frame_done()
    }

    fn frame_done(&self) -> bool {
        self.frame.as_ref().is_some_and(|f| f.at == f.len)
    }

    fn frame_begin(&mut self) {
        let Some(f) = &self.frame else { return };
        if f.opcode > 7 || self.inside_message {
            return;
        }
        let (opcode, rsv) = (f.opcode, f.rsv);
        self.inside_message = true;
        self.message.clear();
        self.compressed = self.codec.is_some() && rsv == 4;
        self.validate = opcode == 1;
        self.utf8 = Utf8Validator::default();
        self.utf8_last = (true, true);
        self.message_binary = opcode == 2;
        if self.compressed
            && let Some(c) = self.codec.as_mut()
            && let Err(e) = c.start(opcode == 1)
        {
            self.events.push_back(RxEvent::Violation(1007, e));
        }
    }

    /// Payload of the current frame (`onFrameData`, then `onFrameEnd` when complete).
    fn payload(&mut self) -> bool {
        let Some(f) = self.frame.as_mut() else {
            return false;
        };
        let rest = (f.len - f.at).min(self.buf.len() as u64) as usize;
        let mut data: Vec<u8> = self.buf.drain(..rest).collect();
        if let Some(key) = f.mask {
            sockeye_frame::apply_mask(&mut data, key, (f.at % 4) as usize);
        }
        f.at += rest as u64;
        let control = f.opcode > 7;
        let complete = f.at == f.len;
        if control {
            f.data.extend_from_slice(&data);
        } else {
            self.frame_data(&data);
        }
        if complete {
            self.frame_end();
        }
        !self.buf.is_empty()
    }

    fn frame_data(&mut self, data: &[u8]) {
        let mut plain = Vec::new();
        let payload: &[u8] = if self.compressed {
            if let Some(c) = self.codec.as_mut()
                && let Err(e) = c.inflate(data, false, &mut plain)
            {
                self.events.push_back(RxEvent::Violation(1007, e));
            }
            &plain
        } else {
            data
        };
        if let Some(f) = self.frame.as_mut()
            && f.data.len() < 256
        {
            f.data.extend_from_slice(&payload[..payload.len().min(256)]);
        }
        if self.validate {
            self.utf8_last = self.utf8.validate(payload);
            if !self.utf8_last.0 {
                let at = self.utf8.index();
                self.events.push_back(RxEvent::Violation(
                    1007,
                    format!("encountered invalid UTF-8 while processing text message at payload octet index {at}"),
                ));
            }
        }
        self.message.extend_from_slice(payload);
    }

    fn frame_end(&mut self) {
        let Some(f) = self.frame.take() else { return };
        self.events.push_back(RxEvent::Frame(format!(
            "op={} fin={} rsv={} len={} masked={} {}",
            f.opcode,
            u8::from(f.fin),
            f.rsv,
            f.len,
            u8::from(f.mask.is_some()),
            ascii_log_data(&f.data)
        )));
        if f.opcode > 7 {
            let payload = f.data;
            match f.opcode {
                8 => {
                    let code =
                        (payload.len() > 1).then(|| u16::from_be_bytes([payload[0], payload[1]]));
                    let reason = (payload.len() > 2).then(|| payload[2..].to_vec());
                    self.events.push_back(RxEvent::Close { code, reason });
                }
                9 => self.events.push_back(RxEvent::Ping(payload)),
                10 => self.events.push_back(RxEvent::Pong(payload)),
                // Reserved control opcodes: already reported, otherwise ignored.
                _ => {}
            }
            return;
        }
        if !f.fin {
            return;
        }
        if self.compressed {
            let mut tail = Vec::new();
            if let Some(c) = self.codec.as_mut()
                && let Err(e) = c.inflate(&[], true, &mut tail)
            {
                self.events.push_back(RxEvent::Violation(1007, e));
            }
            // The suite inflates the removed tail and ignores what it gives (nothing, for
            // a stream that ends at a sync flush); we keep it so no byte goes missing.
            self.message.extend_from_slice(&tail);
        }
        if self.validate && !self.utf8_last.1 {
            let at = self.utf8.index();
            self.events.push_back(RxEvent::Violation(
                1007,
                format!("UTF-8 text message payload ended within Unicode code point at payload octet index {at}"),
            ));
        }
        self.inside_message = false;
        let payload = std::mem::take(&mut self.message);
        self.events.push_back(RxEvent::Message {
            binary: self.message_binary,
            payload,
        });
    }
}

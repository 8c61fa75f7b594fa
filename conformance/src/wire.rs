//! Bytes on the wire: encoding what the tester sends (any bits, any opcode, any control
//! payload length) and decoding what the peer sends, checked against its role.

use sockeye_frame::{OpCode, ParseConfig, Rsv, Status, apply_mask, parse_header};

/// Encodes one frame with the minimal length encoding. Unlike `sockeye_frame` it allows
/// anything: reserved opcodes, fragmented or oversized control frames.
pub fn encode_frame(
    fin: bool,
    rsv: u8,
    opcode: u8,
    mask: Option<[u8; 4]>,
    payload: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    encode_frame_into(fin, rsv, opcode, mask, payload, &mut out);
    out
}

/// [`encode_frame`] appending to `out`.
pub fn encode_frame_into(
    fin: bool,
    rsv: u8,
    opcode: u8,
    mask: Option<[u8; 4]>,
    payload: &[u8],
    out: &mut Vec<u8>,
) {
    out.push(u8::from(fin) << 7 | (rsv & 7) << 4 | (opcode & 0xF));
    let m = if mask.is_some() { 0x80 } else { 0 };
    let len = payload.len();
    if len < 126 {
        out.push(m | len as u8);
    } else if len <= 0xFFFF {
        out.push(m | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    if let Some(key) = mask {
        out.extend_from_slice(&key);
    }
    let at = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        apply_mask(&mut out[at..], key, 0);
    }
}

/// The header length [`encode_frame`] uses.
pub fn header_len(masked: bool, payload_len: usize) -> usize {
    let ext = if payload_len < 126 {
        0
    } else if payload_len <= 0xFFFF {
        2
    } else {
        8
    };
    2 + ext + if masked { 4 } else { 0 }
}

/// A frame from the peer, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxFrame {
    /// FIN.
    pub fin: bool,
    /// RSV bits (`0b100` = RSV1).
    pub rsv: u8,
    /// Opcode.
    pub opcode: OpCode,
    /// Masked.
    pub masked: bool,
    /// Payload.
    pub payload: Vec<u8>,
}

/// Takes whole frames off the front of `buf`. Returns the frames and, if the bytes are
/// not a frame at all, the error (the rest of the buffer is then garbage).
pub fn take_frames(buf: &mut Vec<u8>) -> (Vec<RxFrame>, Option<String>) {
    let config = ParseConfig::new()
        .allowed_rsv(Rsv::ALL)
        .max_payload_len(1 << 40);
    let mut frames = Vec::new();
    let mut at = 0;
    let mut error = None;
    loop {
        match parse_header(&buf[at..], &config) {
            Ok(Status::Complete(h)) => {
                let Ok(len) = usize::try_from(h.payload_len()) else {
                    error = Some("frame too long".into());
                    break;
                };
                let start = at + h.len();
                let Some(end) = start.checked_add(len).filter(|e| *e <= buf.len()) else {
                    break;
                };
                let mut payload = buf[start..end].to_vec();
                if let Some(key) = h.mask() {
                    apply_mask(&mut payload, key, 0);
                }
                frames.push(RxFrame {
                    fin: h.fin(),
                    rsv: h.rsv().bits(),
                    opcode: h.opcode(),
                    masked: h.is_masked(),
                    payload,
                });
                at = end;
            }
            Ok(Status::Incomplete(_)) => break,
            Err(e) => {
                error = Some(format!("invalid frame from the peer: {e}"));
                at = buf.len();
                break;
            }
        }
    }
    buf.drain(..at);
    (frames, error)
}

/// Opcode name for logs.
pub fn opcode_name(op: u8) -> String {
    match op {
        0 => "continuation".into(),
        1 => "text".into(),
        2 => "binary".into(),
        8 => "close".into(),
        9 => "ping".into(),
        10 => "pong".into(),
        n => format!("reserved-{n}"),
    }
}

/// A short printable preview of a payload for reports.
pub fn preview(payload: &[u8]) -> String {
    const MAX: usize = 48;
    let cut = &payload[..payload.len().min(MAX)];
    let more = if payload.len() > MAX { "…" } else { "" };
    match core::str::from_utf8(cut) {
        Ok(s) if s.chars().all(|c| !c.is_control()) => format!("{s:?}{more}"),
        _ => {
            let hex: String = cut.iter().map(|b| format!("{b:02x}")).collect();
            format!("0x{hex}{more}")
        }
    }
}

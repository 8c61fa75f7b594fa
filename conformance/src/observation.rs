//! What happened during a case: the events the tester recorded and the protocol flags
//! the suite's verdict rules read (`closedByMe`, `wasClean`, `remoteCloseCode`, …), plus
//! the exchange log and what the harness noticed beyond the suite's rules.

use std::time::Duration;

use serde::Serialize;

use crate::verdict::Verdict;

/// An event the tester recorded (the suite's `received`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A data message.
    Message {
        /// Binary (`true`) or text.
        binary: bool,
        /// Payload.
        payload: Vec<u8>,
    },
    /// A pong.
    Pong(Vec<u8>),
    /// The tester's own marker (6.4.x).
    Timeout(&'static str),
}

/// One line of the exchange log, in the suite's wire-log vocabulary: `TF` a frame the
/// tester sent, `TO` octets it wrote (one per `sendData`, as the suite logs them), `RF` a
/// frame it received, `RO` octets it read, and the timers `CT`/`CTE` (continue later and
/// its execution), `KL`/`KLE` (kill), `TI`/`TIE` (close after); `EV` anything else.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    /// Milliseconds since the connection opened.
    pub t_ms: f64,
    /// The kind, as above.
    pub kind: &'static str,
    /// What.
    pub what: String,
}

/// A frame the tester sent, in the shape of the suite's `TF` wire-log entries, for
/// comparing transcripts: opcode, FIN, RSV, payload length, the payload as the suite
/// previews it (`asciiLogData`), chop size, sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TxFrame {
    /// Opcode.
    pub opcode: u8,
    /// FIN.
    pub fin: bool,
    /// RSV bits.
    pub rsv: u8,
    /// Payload length.
    pub len: usize,
    /// `asciiLogData(payload)`.
    pub preview: String,
    /// Chop size, if chopped.
    pub chop: Option<usize>,
    /// Written through the send queue.
    pub sync: bool,
}

/// What the peer did during a case, and the tester's protocol state at the end.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// The tester played the server (the peer is a client).
    pub tester_is_server: bool,
    /// The opening handshake completed (`connectionWasOpen`).
    pub connection_was_open: bool,
    /// Why the opening handshake failed, if it did.
    pub handshake_error: Option<String>,
    /// The server's `Server` header (the tester is the client).
    pub server_header: Option<String>,
    /// `Sec-WebSocket-Extensions` in force (the negotiated permessage-deflate), if any.
    pub extension: Option<String>,
    /// Events recorded.
    pub received: Vec<Received>,
    /// `closedByMe`: the tester sent a close frame that was not a reply.
    pub closed_by_me: bool,
    /// `failedByMe`: the tester failed the connection (a peer violation, or the kill timer).
    pub failed_by_me: bool,
    /// `droppedByMe`: the tester closed TCP.
    pub dropped_by_me: bool,
    /// `wasClean`: the peer's close frame arrived and nothing undid that.
    pub was_clean: bool,
    /// `remoteCloseCode`: the code of the peer's close frame (`None` for one without a
    /// code); set before the code was checked.
    pub remote_close_code: Option<u16>,
    /// The peer's close reason, if any (lossy UTF-8).
    pub remote_close_reason: Option<String>,
    /// The peer sent a close frame at all.
    pub peer_sent_close: bool,
    /// The close-handshake timer fired (the peer never answered the tester's close).
    pub close_handshake_timeout: bool,
    /// The server-drop timer fired (client role: the server kept TCP open after the
    /// closing handshake).
    pub server_drop_timeout: bool,
    /// The harness gave up where the suite would have waited forever (no timer pending).
    pub harness_gave_up: bool,
    /// The peer closed TCP (as opposed to the tester).
    pub peer_closed_tcp: bool,
    /// The verdict a round-trip rule (9.x, 12, 13) set, with its text.
    pub logic: Option<(Verdict, String)>,
    /// Why the tester failed the connection, in order (the suite's violation texts).
    pub violations: Vec<String>,
    /// Things the harness noticed that the suite's rules do not judge (notes beside the
    /// verdict, never a different verdict).
    pub notes: Vec<String>,
    /// The exchange, truncated.
    pub log: Vec<LogEntry>,
    /// Log entries left out.
    pub log_dropped: usize,
    /// The tester's frames (until the log is full).
    pub tx_frames: Vec<TxFrame>,
    /// The tester's writes (the suite's `TO` entries): octets and whether queued.
    pub tx_octets: Vec<(usize, bool)>,
    /// How many of those writes were made before the peer's first bytes arrived.
    pub writes_before_answer: Option<usize>,
    /// The case timers armed, in order: `CT` (continue later), `KL` (kill), `TI` (close
    /// after), with their delays in ms.
    pub timers: Vec<(&'static str, u64)>,
    /// Bytes the tester wrote, read.
    pub tx_bytes: u64,
    /// Bytes read from the peer.
    pub rx_bytes: u64,
    /// Transport writes (one per coalesced batch or queued piece).
    pub tx_writes: u64,
    /// From the opened connection to its end.
    pub duration: Duration,
    /// The transport's notes (e.g. what the in-memory connection reported).
    pub transport_notes: Vec<String>,
}

impl Observation {
    /// Adds a note once.
    pub fn note(&mut self, n: impl Into<String>) {
        let n = n.into();
        if self.notes.len() < 20 && !self.notes.contains(&n) {
            self.notes.push(n);
        }
    }
}

/// The suite's `asciiLogData(data)` (64 bytes at most, `" ..."` after a longer payload;
/// hex with `0x` when the bytes are not UTF-8), for transcripts that compare with its
/// wire logs.
pub fn ascii_log_data(data: &[u8]) -> String {
    const MAX: usize = 64;
    let long = data.len() > MAX - 4;
    let cut = &data[..data.len().min(MAX)];
    let ellipses = if long { " ..." } else { "" };
    match core::str::from_utf8(cut) {
        Ok(s) => format!("{s}{ellipses}"),
        Err(_) => {
            let hex: String = cut.iter().map(|b| format!("{b:02x}")).collect();
            format!("0x{hex}{ellipses}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ascii_log_data;

    #[test]
    fn previews_like_the_suite() {
        assert_eq!(ascii_log_data(b"Hello"), "Hello");
        assert_eq!(ascii_log_data(&[3, 0xe8]), "0x03e8");
        assert_eq!(
            ascii_log_data(&[b'*'; 61]),
            format!("{} ...", "*".repeat(61))
        );
        assert_eq!(
            ascii_log_data(&[b'*'; 100]),
            format!("{} ...", "*".repeat(64))
        );
        assert_eq!(
            ascii_log_data(&[0xfe; 60]),
            format!("0x{}", "fe".repeat(60))
        );
    }
}

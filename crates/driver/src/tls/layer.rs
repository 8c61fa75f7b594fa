//! One connection's TLS session on rustls' sans-IO (unbuffered) API: records decrypted in
//! the caller's read buffer, plaintext handed to the WebSocket layer, plaintext output
//! encrypted on its way to the transport.
//!
//! Buffers, all empty (no capacity) while the connection is idle:
//! - `stash`: received bytes rustls has not discarded yet, kept between reads: the start
//!   of a record cut by the end of a read, or handshake records it is still joining. At
//!   most [`MAX_STASH`].
//! - `plain`: decrypted bytes the WebSocket layer has not taken yet (`plain[plain_pos..]`).
//!   A read's records are all decrypted before any of it is handed on (see
//!   `crate::tls::recv`), so this holds at most one read's worth.
//! - `wire`: ciphertext waiting for the transport. Plaintext waits in the driver's own
//!   output and is encrypted [`ENCRYPT_CHUNK`] at a time while `wire` is short, so a
//!   large message is never held twice in full.

use std::sync::Arc;

use rustls::client::UnbufferedClientConnection;
use rustls::pki_types::ServerName;
use rustls::server::UnbufferedServerConnection;
use rustls::unbuffered::{
    ConnectionState, EncodeError, EncodeTlsData, EncryptError, ReadEarlyData, UnbufferedStatus,
    WriteTraffic,
};

use crate::output::Output;
use crate::tls::TlsError;

/// A TLS record header: content type, version, length (RFC 8446 §5.1).
const HEADER: usize = 5;
/// The largest record body a peer may send: 2^14 plus TLS 1.2's 2048 bytes of expansion
/// (RFC 5246 §6.2.3; TLS 1.3 allows 2^14 + 256).
const MAX_RECORD: usize = (1 << 14) + 2048;
/// Most bytes kept between reads: a handshake message of up to 64 KiB spread over records
/// (rustls' own limit), plus one record.
pub(crate) const MAX_STASH: usize = (64 << 10) + HEADER + MAX_RECORD;
/// Plaintext encrypted per step while `wire` is below [`WIRE_LOW`].
const ENCRYPT_CHUNK: usize = 256 << 10;
/// Ciphertext below which more plaintext is encrypted.
const WIRE_LOW: usize = 64 << 10;
/// Room for one record's framing and tag, over its plaintext (TLS 1.2's AES-GCM is 29).
const RECORD_OVERHEAD: usize = 64;

enum Session {
    Server(Box<UnbufferedServerConnection>),
    Client(Box<UnbufferedClientConnection>),
    /// The session could not be made (reported by the first `recv`).
    Broken,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Keys and secrets stay out of `Debug`.
        f.write_str(match self {
            Self::Server(_) => "Server",
            Self::Client(_) => "Client",
            Self::Broken => "Broken",
        })
    }
}

/// The TLS state of one connection (boxed in the driver: a plain connection pays one
/// pointer).
#[derive(Debug)]
pub(crate) struct TlsLayer {
    session: Session,
    stash: Vec<u8>,
    pub(crate) plain: Vec<u8>,
    pub(crate) plain_pos: usize,
    pub(crate) wire: Output,
    /// The peer's close_notify arrived: nothing after it is read.
    pub(crate) peer_closed: bool,
    /// Our close_notify is queued.
    pub(crate) close_sent: bool,
    /// The session failed: nothing more is encrypted (an alert may wait in `wire`).
    pub(crate) failed: Option<TlsError>,
    /// rustls was asked for its first output (a client's ClientHello).
    started: bool,
}

/// What rustls is asked to do besides reading.
struct Send<'x> {
    /// Plaintext to encrypt once the handshake allows.
    out: Option<&'x mut Output>,
    /// Queue close_notify once `out` is empty.
    close: bool,
    keep_capacity: usize,
}

/// The buffers a step of rustls writes to.
struct Io<'x> {
    plain: &'x mut Vec<u8>,
    wire: &'x mut Vec<u8>,
    peer_closed: &'x mut bool,
    close_sent: &'x mut bool,
}

/// The two kinds of session, driven by one function.
trait Records {
    type Data;
    fn records<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, Self::Data>;
    /// Drains early data (never accepted: rustls' default `max_early_data_size` is 0), so
    /// that the state machine goes on; the bytes to discard.
    fn skip_early_data(early: &mut ReadEarlyData<'_, '_, Self::Data>) -> Result<usize, TlsError>;
}

impl Records for UnbufferedServerConnection {
    type Data = rustls::server::ServerConnectionData;
    fn records<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, Self::Data> {
        self.process_tls_records(incoming)
    }
    fn skip_early_data(early: &mut ReadEarlyData<'_, '_, Self::Data>) -> Result<usize, TlsError> {
        let mut discard = 0;
        while let Some(record) = early.next_record() {
            discard += record.map_err(|e| TlsError::from(&e))?.discard;
        }
        Ok(discard)
    }
}

impl Records for UnbufferedClientConnection {
    type Data = rustls::client::ClientConnectionData;
    fn records<'c, 'i>(
        &'c mut self,
        incoming: &'i mut [u8],
    ) -> UnbufferedStatus<'c, 'i, Self::Data> {
        self.process_tls_records(incoming)
    }
    fn skip_early_data(_: &mut ReadEarlyData<'_, '_, Self::Data>) -> Result<usize, TlsError> {
        // Servers send no early data.
        Err(TlsError::PeerMisbehaved)
    }
}

impl TlsLayer {
    fn new(session: Session, failed: Option<TlsError>) -> Self {
        Self {
            session,
            stash: Vec::new(),
            plain: Vec::new(),
            plain_pos: 0,
            wire: Output::default(),
            peer_closed: false,
            close_sent: false,
            failed,
            started: false,
        }
    }

    /// A server session with the application's configuration.
    pub(crate) fn server(config: &Arc<rustls::ServerConfig>) -> Self {
        match UnbufferedServerConnection::new(config.clone()) {
            Ok(conn) => Self::new(Session::Server(Box::new(conn)), None),
            Err(e) => Self::new(Session::Broken, Some(TlsError::from(&e))),
        }
    }

    /// A client session to `host` (a DNS name or an IP address, verified against the
    /// server's certificate).
    pub(crate) fn client(config: &Arc<rustls::ClientConfig>, host: &str) -> Result<Self, TlsError> {
        let name =
            ServerName::try_from(host.to_owned()).map_err(|_| TlsError::InvalidServerName)?;
        let conn = UnbufferedClientConnection::new(config.clone(), name)
            .map_err(|e| TlsError::from(&e))?;
        Ok(Self::new(Session::Client(Box::new(conn)), None))
    }

    /// Whether application data may be encrypted: the handshake is done and nothing
    /// failed.
    fn traffic_ready(&self) -> bool {
        self.failed.is_none()
            && match &self.session {
                Session::Server(conn) => !conn.is_handshaking(),
                Session::Client(conn) => !conn.is_handshaking(),
                Session::Broken => false,
            }
    }

    /// Whether there is something to write: ciphertext, plaintext that can be encrypted
    /// (`plain`: the driver's output holds some), our close_notify (`closing`), or a
    /// client's first flight.
    pub(crate) fn wants_write(&self, plain: bool, closing: bool) -> bool {
        if !self.wire.is_empty() {
            return true;
        }
        if self.failed.is_some() {
            return false;
        }
        let ready = self.traffic_ready();
        (plain && ready)
            || (closing && ready && !self.close_sent)
            || (!self.started && matches!(self.session, Session::Client(_)))
    }

    /// Everything that must go out before our side is shut down went out: the ciphertext,
    /// and our close_notify once the session got that far.
    pub(crate) fn is_flushed(&self) -> bool {
        self.wire.is_empty() && (self.close_sent || !self.traffic_ready())
    }

    /// Whether decrypted bytes wait for the WebSocket layer.
    pub(crate) fn has_plain(&self) -> bool {
        self.plain_pos < self.plain.len()
    }

    /// Decrypts every complete record of the stash and `input` into `plain`; keeps the
    /// rest (a cut record) in the stash. Handshake records rustls answers go to `wire`.
    pub(crate) fn absorb(&mut self, input: &mut [u8]) -> Result<(), TlsError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if !self.has_plain() {
            self.plain.clear();
            self.plain_pos = 0;
        }
        if self.peer_closed {
            // §6.1 of RFC 8446: nothing after close_notify is read.
            return Ok(());
        }
        let mut pos = 0;
        while !self.stash.is_empty() {
            let need = missing(&self.stash).map_err(|e| self.fail(e))?;
            let take = need.min(input.len() - pos);
            self.stash.extend_from_slice(&input[pos..pos + take]);
            pos += take;
            if take < need {
                return Ok(());
            }
            let mut stash = core::mem::take(&mut self.stash);
            let done = self.step(&mut stash, None);
            match done {
                Ok(discarded) => {
                    stash.drain(..discarded.min(stash.len()));
                    self.stash = if stash.is_empty() || self.peer_closed {
                        Vec::new()
                    } else {
                        stash
                    };
                }
                Err(e) => return Err(e),
            }
            if self.stash.len() > MAX_STASH {
                return Err(self.fail(TlsError::TooLarge));
            }
            if self.peer_closed {
                return Ok(());
            }
        }
        let rest = &mut input[pos..];
        if rest.is_empty() {
            return Ok(());
        }
        let discarded = self.step(rest, None)?;
        if !self.peer_closed && discarded < rest.len() {
            let left = &rest[discarded..];
            if left.len() > MAX_STASH {
                return Err(self.fail(TlsError::TooLarge));
            }
            missing(left).map_err(|e| self.fail(e))?;
            self.stash.extend_from_slice(left);
        }
        Ok(())
    }

    /// Encrypts what `out` holds (as far as `wire` has room), and queues close_notify
    /// after it when `close`. Before the handshake completes `out` waits (a client's
    /// upgrade request). A failed session drops `out`.
    pub(crate) fn flush(&mut self, out: &mut Output, close: bool, keep_capacity: usize) {
        if self.failed.is_some() {
            out.clear();
            return;
        }
        let close = close && !self.close_sent;
        if self.started && out.is_empty() && !close {
            return;
        }
        if self.started && self.wire.len() >= WIRE_LOW && !close {
            return;
        }
        self.started = true;
        let mut stash = core::mem::take(&mut self.stash);
        let send = Send {
            out: Some(out),
            close,
            keep_capacity,
        };
        match self.step(&mut stash, Some(send)) {
            Ok(discarded) => {
                stash.drain(..discarded.min(stash.len()));
                if !stash.is_empty() && !self.peer_closed {
                    self.stash = stash;
                }
            }
            Err(_) => out.clear(),
        }
    }

    /// Heap bytes held.
    pub(crate) fn capacity(&self) -> usize {
        self.stash.capacity() + self.plain.capacity() + self.wire.capacity()
    }

    /// Drops buffers that hold nothing.
    pub(crate) fn release_idle(&mut self) {
        if !self.has_plain() {
            self.plain = Vec::new();
            self.plain_pos = 0;
        }
        if self.stash.is_empty() {
            self.stash = Vec::new();
        }
    }

    /// Records a failure: rustls is not called again (the alert for one of its own
    /// errors is already in `wire`, see [`drive`]).
    fn fail(&mut self, e: TlsError) -> TlsError {
        *self.failed.get_or_insert(e)
    }

    /// One pass of rustls over `incoming`: how many of its bytes are done with.
    fn step(&mut self, incoming: &mut [u8], send: Option<Send<'_>>) -> Result<usize, TlsError> {
        let mut io = Io {
            plain: &mut self.plain,
            wire: &mut self.wire.buf,
            peer_closed: &mut self.peer_closed,
            close_sent: &mut self.close_sent,
        };
        let result = match &mut self.session {
            Session::Server(conn) => drive(&mut **conn, incoming, &mut io, send),
            Session::Client(conn) => drive(&mut **conn, incoming, &mut io, send),
            Session::Broken => Err(self.failed.unwrap_or(TlsError::Other)),
        };
        result.map_err(|e| self.fail(e))
    }
}

/// How many more bytes the first incomplete record of `buf` needs (its header, then its
/// body); a record boundary at the end needs the next header. Rejects what cannot be a
/// TLS record before it is buffered.
fn missing(buf: &[u8]) -> Result<usize, TlsError> {
    let mut at = 0;
    loop {
        let rest = &buf[at..];
        if rest.len() < HEADER {
            if let Some(&kind) = rest.first() {
                check_type(kind)?;
            }
            return Ok(HEADER - rest.len());
        }
        check_type(rest[0])?;
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        if len > MAX_RECORD {
            return Err(TlsError::TooLarge);
        }
        if rest.len() < HEADER + len {
            return Ok(HEADER + len - rest.len());
        }
        at += HEADER + len;
    }
}

/// RFC 8446 §5.1: change_cipher_spec (20), alert (21), handshake (22), application_data
/// (23). A plain HTTP request starts with a letter.
fn check_type(kind: u8) -> Result<(), TlsError> {
    if (20..=23).contains(&kind) {
        Ok(())
    } else {
        Err(TlsError::NotTls)
    }
}

/// rustls' states, handled until it needs more input or may write: decrypted records go
/// to `plain`, its own records (handshake, alerts, key updates, tickets) to `wire`, and,
/// once application data may be sent, `send`'s plaintext is encrypted. Every state must
/// be handled before the next call: a record rustls asked to encode and that is not is
/// lost.
fn drive<C: Records>(
    conn: &mut C,
    incoming: &mut [u8],
    io: &mut Io<'_>,
    mut send: Option<Send<'_>>,
) -> Result<usize, TlsError> {
    let mut done = 0;
    loop {
        let UnbufferedStatus { mut discard, state } = conn.records(&mut incoming[done..]);
        let state = match state {
            Ok(state) => state,
            Err(e) => {
                let e = TlsError::from(&e);
                flush_alert(conn, &mut incoming[done..], io);
                return Err(e);
            }
        };
        match state {
            ConnectionState::ReadTraffic(mut traffic) => {
                while let Some(record) = traffic.next_record() {
                    let record = record.map_err(|e| TlsError::from(&e))?;
                    discard += record.discard;
                    sockeye_proto::extend_payload(io.plain, record.payload);
                }
            }
            ConnectionState::ReadEarlyData(mut early) => discard += C::skip_early_data(&mut early)?,
            ConnectionState::EncodeTlsData(mut data) => encode(&mut data, io.wire)?,
            ConnectionState::TransmitTlsData(transmit) => {
                // `wire` is written in order, so its records count as sent now.
                transmit.done();
            }
            ConnectionState::PeerClosed => *io.peer_closed = true,
            ConnectionState::WriteTraffic(mut traffic) => {
                if let Some(send) = send.as_mut() {
                    write_traffic(&mut traffic, send, io)?;
                }
                return Ok(finish(done + discard, incoming.len(), io));
            }
            ConnectionState::Closed | ConnectionState::BlockedHandshake => {
                return Ok(finish(done + discard, incoming.len(), io));
            }
            _ => return Ok(finish(done + discard, incoming.len(), io)),
        }
        done += discard;
    }
}

/// After the peer's close_notify rustls reads nothing more: all of the input is done.
fn finish(done: usize, len: usize, io: &Io<'_>) -> usize {
    if *io.peer_closed { len } else { done.min(len) }
}

/// Encrypts `send`'s plaintext while `wire` is short, then close_notify if asked.
fn write_traffic<D>(
    traffic: &mut WriteTraffic<'_, D>,
    send: &mut Send<'_>,
    io: &mut Io<'_>,
) -> Result<(), TlsError> {
    if let Some(out) = send.out.as_deref_mut() {
        while !out.is_empty() && io.wire.len() < WIRE_LOW {
            let pending = out.pending();
            let chunk = &pending[..pending.len().min(ENCRYPT_CHUNK)];
            let n = chunk.len();
            encrypt(traffic, chunk, io.wire)?;
            out.advance(n, send.keep_capacity);
        }
    }
    let drained = send.out.as_deref().is_none_or(Output::is_empty);
    if send.close && drained && !*io.close_sent {
        let at = io.wire.len();
        io.wire.resize(at + HEADER + RECORD_OVERHEAD, 0);
        match traffic.queue_close_notify(&mut io.wire[at..]) {
            Ok(n) => io.wire.truncate(at + n),
            Err(_) => io.wire.truncate(at),
        }
        *io.close_sent = true;
    }
    Ok(())
}

fn encrypt<D>(
    traffic: &mut WriteTraffic<'_, D>,
    data: &[u8],
    wire: &mut Vec<u8>,
) -> Result<(), TlsError> {
    let at = wire.len();
    let mut room = data.len() + (data.len() / (1 << 14) + 1) * RECORD_OVERHEAD;
    loop {
        wire.resize(at + room, 0);
        match traffic.encrypt(data, &mut wire[at..]) {
            Ok(n) => {
                wire.truncate(at + n);
                return Ok(());
            }
            Err(EncryptError::InsufficientSize(s)) if s.required_size > room => {
                room = s.required_size;
            }
            Err(_) => {
                wire.truncate(at);
                return Err(TlsError::Other);
            }
        }
    }
}

/// One of rustls' own records into `wire`.
fn encode<D>(data: &mut EncodeTlsData<'_, D>, wire: &mut Vec<u8>) -> Result<(), TlsError> {
    let at = wire.len();
    let needed = match data.encode(&mut []) {
        Ok(_) | Err(EncodeError::AlreadyEncoded) => return Ok(()),
        Err(EncodeError::InsufficientSize(s)) => s.required_size,
    };
    wire.resize(at + needed, 0);
    match data.encode(&mut wire[at..]) {
        Ok(n) => {
            wire.truncate(at + n);
            Ok(())
        }
        Err(_) => {
            wire.truncate(at);
            Err(TlsError::Other)
        }
    }
}

/// After a failure rustls queues an alert: encode it (then it reports the failure
/// again). `incoming` is the same buffer as the failed call's: rustls may hold positions
/// in it (handshake messages it was joining), and another buffer would break them.
///
/// Called once: a second call would make rustls read the failed bytes again (and, for a
/// record it cannot parse, queue a second fatal alert).
fn flush_alert<C: Records>(conn: &mut C, incoming: &mut [u8], io: &mut Io<'_>) {
    if let Ok(ConnectionState::EncodeTlsData(mut data)) = conn.records(incoming).state {
        let _ = encode(&mut data, io.wire);
    }
}

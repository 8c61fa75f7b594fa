//! The driver: one connection's phases, what it asks of the front end, and the moves
//! between phases.
//!
//! ```text
//! Driver::server ─► Accepting ─ accept ─►┐
//! Driver::client ─► Connecting ─ 101 ───►├─► Open ─► Closing ─► Done
//! Driver::from_connection ──────────────►┘           ▲
//!      refusals, rejections, handshake errors ───────┘
//! ```
//!
//! Closing: what is queued is written, the front end shuts down our sending side, input is
//! discarded until the peer's EOF or the linger deadline. Done: drop the transport.
//!
//! In the open phase `recv` returns events that borrow the connection, so it cannot also
//! move the driver to Closing when the connection ends there (the borrow checker cannot
//! see that the error path holds no borrow). `Driver::advance`, run at the start of every
//! other `&mut` method ([`poll_output`] first among them, which a front end calls after
//! every `recv` loop), makes that move. The handshake phases decide on owned results and
//! move at once.
//!
//! [`poll_output`]: Driver::poll_output

use std::sync::Arc;
use std::time::Instant;

use sockeye_handshake::{Accepted, ClientRequest, RequestParser, Response};
use sockeye_proto::{CloseCode, Connection, MaskSource, Role, State};

use crate::closed::Closed;
use crate::output::{Boxed, OutputBuffer};
pub(crate) use crate::phase::{Accepting, Closing, Connecting, Open, Phase};
use crate::{DriverConfig, Outbox};

/// Where a connection is in its life (see [`Driver::stage`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// Client: waiting for the TCP connect ([`Driver::connected`]).
    Connecting,
    /// The opening handshake (§4).
    Handshake,
    /// The WebSocket connection (§5–§7).
    Open,
    /// Over: flushing, then waiting for the peer's EOF (bounded by the linger timeout).
    Closing,
    /// Nothing more to do: drop the transport.
    Finished,
}

/// A server's answer to a non-`101` response, kept for the client (see
/// [`Driver::take_rejection`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The response head.
    pub response: Response,
    /// The bytes of the body that arrived with the head, at most 64 KiB.
    pub body: Vec<u8>,
}

/// The life of one WebSocket connection, without I/O: bytes, time and randomness in;
/// bytes to write, events, deadlines and "close the transport now" out.
///
/// See the [crate documentation](crate) for the loop a front end runs.
#[derive(Debug)]
pub struct Driver {
    pub(crate) phase: Phase,
    pub(crate) out: Boxed,
    pub(crate) config: Arc<DriverConfig>,
    /// Back-pressure: reading stopped at the high-water mark, until the low-water mark.
    pub(crate) paused: bool,
    /// How the connection ended, until taken (boxed: most of a connection's life it is
    /// `None`).
    pub(crate) ends: Option<Box<Ends>>,
    /// TLS: input and output pass through it (boxed: a plain connection pays a pointer).
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<Box<crate::tls::TlsLayer>>,
}

/// The parts of a driver that receiving works on, borrowed apart from the rest, so that
/// the input can live in the driver itself (the TLS layer's decrypted bytes).
pub(crate) struct Core<'a> {
    pub(crate) phase: &'a mut Phase,
    pub(crate) out: &'a mut Boxed,
    pub(crate) config: &'a Arc<DriverConfig>,
    pub(crate) ends: &'a mut Option<Box<Ends>>,
}

impl Core<'_> {
    /// The Closing phase, with the linger deadline from `now`.
    pub(crate) fn closing(&self, now: Instant) -> Phase {
        Phase::Closing(Box::new(Closing::new(now + self.config.linger_timeout)))
    }

    pub(crate) fn ends_mut(&mut self) -> &mut Ends {
        self.ends.get_or_insert_with(Box::default)
    }
}

/// What the application is told once the connection has ended.
#[derive(Debug, Default)]
pub(crate) struct Ends {
    /// How the open connection ended, until [`Driver::take_closed`].
    pub(crate) closed: Option<Closed>,
    /// Client: the server's non-`101` answer, until [`Driver::take_rejection`].
    pub(crate) rejection: Option<Rejection>,
    /// Client: the server's `101` (here, not in the open phase, so that the `Open` event
    /// can borrow it while its outbox borrows the open phase).
    pub(crate) accepted: Option<Accepted>,
}

impl Driver {
    /// A server connection just accepted: it expects the client's opening handshake, by
    /// [`DriverConfig::handshake_timeout`] from `now`.
    pub fn server(config: Arc<DriverConfig>, now: Instant) -> Self {
        let phase = Phase::Accepting(Box::new(Accepting {
            parser: RequestParser::new(config.handshake_limits),
            buf: Vec::new(),
            deadline: now + config.handshake_timeout,
            request: None,
            http: None,
        }));
        #[cfg(feature = "tls")]
        let tls = config
            .tls_server
            .as_ref()
            .map(|t| Box::new(crate::tls::TlsLayer::server(t.rustls())));
        #[allow(unused_mut)]
        let mut driver = Self::with_phase(config, phase);
        #[cfg(feature = "tls")]
        {
            driver.tls = tls;
        }
        driver
    }

    /// A client connection: `request` is queued at once (write it once
    /// [`connected`](Self::connected)); frames will be masked with keys from `masks`
    /// (§5.3: a strong random source, fresh per frame). The TCP connect must complete
    /// within [`DriverConfig::connect_timeout`] from `now`.
    pub fn client(
        config: Arc<DriverConfig>,
        request: ClientRequest,
        masks: Box<dyn MaskSource>,
        now: Instant,
    ) -> Self {
        let mut out = Boxed::default();
        #[cfg(feature = "deflate")]
        let request = match crate::deflate::client_offer(config.deflate.as_ref()) {
            Some(offer) => request.extension(offer),
            None => request,
        };
        let handshake = request.write(out.buf());
        let phase = Phase::Connecting(Box::new(Connecting {
            handshake,
            buf: Vec::new(),
            deadline: now + config.connect_timeout,
            connected: false,
            masks: Some(masks),
        }));
        let mut driver = Self::with_phase(config, phase);
        driver.out = out;
        driver
    }

    /// A client connection over TLS (`wss://`) to `host`, the URL's host: its name (or IP
    /// address) is what the server's certificate must be valid for. As
    /// [`client`](Self::client) otherwise; the request goes out once the TLS handshake is
    /// done, within the same [`DriverConfig::handshake_timeout`].
    ///
    /// # Errors
    /// [`Error::Tls`]: no [`DriverConfig::tls_client`] ([`TlsError::NotConfigured`]), or
    /// `host` is not a valid server name ([`TlsError::InvalidServerName`]).
    ///
    /// [`TlsError::NotConfigured`]: crate::tls::TlsError::NotConfigured
    /// [`TlsError::InvalidServerName`]: crate::tls::TlsError::InvalidServerName
    #[cfg(feature = "tls")]
    pub fn client_tls(
        config: Arc<DriverConfig>,
        request: ClientRequest,
        host: &str,
        masks: Box<dyn MaskSource>,
        now: Instant,
    ) -> Result<Self, crate::Error> {
        use crate::tls::{TlsError, TlsLayer};
        let tls = config
            .tls_client
            .as_ref()
            .ok_or(crate::Error::Tls(TlsError::NotConfigured))?;
        let layer = TlsLayer::client(tls.rustls(), host).map_err(crate::Error::Tls)?;
        let mut driver = Self::client(config, request, masks, now);
        driver.tls = Some(Box::new(layer));
        Ok(driver)
    }

    /// Whether the connection runs over TLS.
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }

    /// A connection whose opening handshake was done elsewhere (an HTTP server's upgrade,
    /// a test): it starts open, in `ws`'s role and with its configuration.
    pub fn from_connection(config: Arc<DriverConfig>, ws: Connection, now: Instant) -> Self {
        let phase = Phase::Open(Box::new(Open::new(ws, now)));
        Self::with_phase(config, phase)
    }

    fn with_phase(config: Arc<DriverConfig>, phase: Phase) -> Self {
        Self {
            phase,
            out: Boxed::default(),
            config,
            paused: false,
            ends: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Client: the TCP connection is established; the handshake deadline starts now.
    pub fn connected(&mut self, now: Instant) {
        if let Phase::Connecting(c) = &mut self.phase
            && !c.connected
        {
            c.connected = true;
            c.deadline = now + self.config.handshake_timeout;
        }
    }

    /// Where the connection is.
    pub fn stage(&self) -> Stage {
        match &self.phase {
            Phase::Connecting(c) if !c.connected => Stage::Connecting,
            Phase::Accepting(_) | Phase::Connecting(_) => Stage::Handshake,
            Phase::Open(_) => Stage::Open,
            Phase::Closing(_) => Stage::Closing,
            Phase::Done => Stage::Finished,
        }
    }

    /// Whether the WebSocket connection is open (possibly in its closing handshake).
    pub fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Open(_))
    }

    /// Whether data may be sent: open, no close sent or received.
    pub fn can_send(&self) -> bool {
        matches!(&self.phase, Phase::Open(o) if o.ws.can_send())
    }

    /// The close state of the open connection (`None` before it opened).
    pub fn state(&self) -> Option<State> {
        match &self.phase {
            Phase::Open(o) => Some(o.ws.state()),
            Phase::Closing(_) | Phase::Done => Some(State::Closed),
            Phase::Accepting(_) | Phase::Connecting(_) => None,
        }
    }

    /// The WebSocket connection, while open.
    pub fn connection(&self) -> Option<&Connection> {
        match &self.phase {
            Phase::Open(o) => Some(&o.ws),
            _ => None,
        }
    }

    /// The permessage-deflate parameters the handshake agreed on, while open (`None`:
    /// messages go uncompressed).
    #[cfg(feature = "deflate")]
    pub fn deflate(&self) -> Option<&sockeye_handshake::DeflateParams> {
        match &self.phase {
            Phase::Open(o) => o.rare.as_ref()?.deflate.as_ref(),
            _ => None,
        }
    }

    /// Client: the server's `101` response, while open.
    pub fn accepted(&self) -> Option<&Accepted> {
        match &self.phase {
            Phase::Open(_) => self.ends.as_ref()?.accepted.as_ref(),
            _ => None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Arc<DriverConfig> {
        &self.config
    }

    /// The sending side, for sends outside an event (commands, broadcasts, timers of the
    /// application). Inert unless open.
    pub fn outbox(&mut self, now: Instant) -> Outbox<'_> {
        self.advance();
        match &mut self.phase {
            Phase::Open(open) => {
                open.now = now;
                open.outbox(&mut self.out, &self.config, now)
            }
            _ => Outbox::inert(),
        }
    }

    /// Brings the driver up to date and returns the bytes to write now. Call it after
    /// every `recv` loop, `handle_timeout` and `recv_eof`, and after sending; write what
    /// you can and report it with [`written`](Self::written). Empty while a client's TCP
    /// connect is in progress.
    pub fn poll_output(&mut self) -> &[u8] {
        self.advance();
        if let Phase::Connecting(c) = &self.phase
            && !c.connected
        {
            return &[];
        }
        #[cfg(feature = "tls")]
        if self.tls.is_some() {
            return self.tls_output().unwrap_or_default();
        }
        self.out.pending()
    }

    /// Whether output waits to be written (what a front end's writable interest follows).
    pub fn wants_write(&self) -> bool {
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            if matches!(&self.phase, Phase::Connecting(c) if !c.connected) {
                return false;
            }
            let closing = matches!(self.phase, Phase::Closing(_));
            let plain = !self.out.is_empty()
                || matches!(&self.phase, Phase::Open(o) if o.ws.has_pending_output());
            return tls.wants_write(plain, closing);
        }
        match &self.phase {
            Phase::Connecting(c) if !c.connected => false,
            Phase::Open(o) => !self.out.is_empty() || o.ws.has_pending_output(),
            _ => !self.out.is_empty(),
        }
    }

    /// `n` bytes of [`poll_output`](Self::poll_output) were written.
    pub fn written(&mut self, n: usize) {
        #[cfg(feature = "tls")]
        if let Some(tls) = self.tls.as_deref_mut() {
            tls.wire.advance(n, self.config.keep_output_capacity);
            self.update_pressure();
            self.advance();
            return;
        }
        self.out.advance(n, self.config.keep_output_capacity);
        self.update_pressure();
        self.advance();
    }

    /// Bytes queued and not yet written (waiting pre-framed messages included).
    pub fn queued(&self) -> usize {
        #[cfg(feature = "tls")]
        let wire = self.tls.as_ref().map_or(0, |t| t.wire.len());
        #[cfg(not(feature = "tls"))]
        let wire = 0;
        let plain = match &self.phase {
            Phase::Open(o) => {
                let waiting = o.rare.as_ref().map_or(0, |r| r.waiting.bytes());
                self.out.len().saturating_add(waiting)
            }
            _ => self.out.len(),
        };
        plain.saturating_add(wire)
    }

    /// Whether the front end should read from the transport: false under back-pressure
    /// (queued output went over the high-water mark and has not drained to half of it),
    /// after the peer's EOF, and once finished.
    pub fn wants_read(&self) -> bool {
        match &self.phase {
            Phase::Open(o) => !self.paused && !o.peer_eof(),
            Phase::Closing(c) => !c.peer_eof,
            Phase::Accepting(a) => !a.pending(),
            Phase::Connecting(c) => c.connected,
            Phase::Done => false,
        }
    }

    /// Whether reading is paused by back-pressure: the open connection's queued output
    /// went over the high-water mark and has not drained to half of it.
    pub fn is_paused(&self) -> bool {
        self.paused && matches!(self.phase, Phase::Open(_))
    }

    /// Whether to shut down our sending side now (TCP FIN): the connection is over and
    /// everything was written. Then call [`write_shut`](Self::write_shut).
    pub fn wants_write_shutdown(&self) -> bool {
        #[cfg(feature = "tls")]
        let tls_done = self.tls.as_ref().is_none_or(|t| t.is_flushed());
        #[cfg(not(feature = "tls"))]
        let tls_done = true;
        matches!(&self.phase, Phase::Closing(c) if !c.write_shut) && self.out.is_empty() && tls_done
    }

    /// Our sending side was shut down.
    pub fn write_shut(&mut self) {
        self.advance();
        if let Phase::Closing(c) = &mut self.phase {
            c.write_shut = true;
            if c.peer_eof {
                self.phase = Phase::Done;
            }
        }
    }

    /// Whether the connection is over: drop the transport.
    pub fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// The transport failed (reset, write error) or is being dropped: the connection ends
    /// now. An open connection is reported as ended abnormally (1006) unless its closing
    /// handshake had completed and the peer had closed its side.
    pub fn abort(&mut self) {
        self.advance();
        if let Phase::Open(open) = core::mem::replace(&mut self.phase, Phase::Done) {
            let peer_eof = open.peer_eof();
            let mut closed = open.into_closed();
            if closed.clean && !peer_eof {
                closed = Closed::unclean(CloseCode::ABNORMAL, closed.by);
            }
            self.ends_mut().closed = Some(closed);
        }
        self.out.clear();
        #[cfg(feature = "tls")]
        {
            self.tls = None;
        }
    }

    /// How the open connection ended, once, when it has: hand it to the application.
    /// `None` for a connection that never opened (a refused or failed handshake).
    pub fn take_closed(&mut self) -> Option<Closed> {
        self.advance();
        self.ends.as_mut()?.closed.take()
    }

    /// Client: the server's non-`101` response, once, after [`Error::Rejected`].
    pub fn take_rejection(&mut self) -> Option<Rejection> {
        self.ends.as_mut()?.rejection.take()
    }

    /// Lends `spare` (empty) as the output buffer if the connection has none: a front end
    /// with one buffer for all its connections lends it to the one it works on and takes
    /// it back with [`reclaim_buffer`](Self::reclaim_buffer), so idle connections own no
    /// output buffer.
    pub fn lend_buffer(&mut self, spare: &mut OutputBuffer) {
        self.out.lend(spare);
    }

    /// If nothing is queued, hands the larger of the connection's and `spare`'s buffers
    /// back as `spare` (empty) and keeps none.
    pub fn reclaim_buffer(&mut self, spare: &mut OutputBuffer) {
        self.out.reclaim(spare);
    }

    /// Heap bytes the driver holds beyond its fixed size (output buffer, the
    /// connection's receive buffer, handshake buffers).
    pub fn buffered_capacity(&self) -> usize {
        let phase = match &self.phase {
            Phase::Open(o) => o.ws.buffered_capacity(),
            Phase::Accepting(a) => a.buf.capacity(),
            Phase::Connecting(c) => c.buf.capacity(),
            Phase::Closing(_) | Phase::Done => 0,
        };
        #[cfg(feature = "tls")]
        let phase = phase.saturating_add(self.tls.as_ref().map_or(0, |t| t.capacity()));
        self.out.capacity().saturating_add(phase)
    }

    /// Brings the open connection's own frames into the output and, once it says TCP is
    /// to be closed, moves to Closing: `recv` cannot (its events borrow the connection).
    #[inline]
    pub(crate) fn advance(&mut self) {
        if let Phase::Open(open) = &self.phase
            && (open.ws.has_pending_output() || open.ws.state() == State::Closed)
        {
            self.advance_open();
        }
        self.update_pressure();
    }

    /// The open connection produced frames of its own, or its close state says it may be
    /// over (out of line: rare).
    fn advance_open(&mut self) {
        if let Phase::Open(open) = &mut self.phase {
            // Only with something to write: an idle connection keeps no output box.
            if open.ws.has_pending_output() {
                open.ws.poll_transmit(self.out.buf());
            }
            if open.ws.should_close_tcp() {
                let closing = Closing {
                    peer_eof: open.peer_eof(),
                    ..Closing::new(open.now + self.config.linger_timeout)
                };
                if let Phase::Open(open) =
                    core::mem::replace(&mut self.phase, Phase::Closing(Box::new(closing)))
                {
                    self.ends_mut().closed = Some(open.into_closed());
                }
            }
        }
    }

    pub(crate) fn ends_mut(&mut self) -> &mut Ends {
        self.ends.get_or_insert_with(Box::default)
    }

    /// The receiving parts (see [`Core`]).
    pub(crate) fn core(&mut self) -> Core<'_> {
        Core {
            phase: &mut self.phase,
            out: &mut self.out,
            config: &self.config,
            ends: &mut self.ends,
        }
    }

    /// Back-pressure: pause over the high-water mark, resume at the low-water mark.
    #[inline]
    fn update_pressure(&mut self) {
        let queued = self.queued();
        if queued > self.config.write_high_water {
            self.paused = true;
        } else if queued <= self.config.low_water() {
            self.paused = false;
        }
    }

    /// This side's role (`None` once the connection is over).
    pub fn role(&self) -> Option<Role> {
        match &self.phase {
            Phase::Open(o) => Some(o.ws.role()),
            Phase::Accepting(_) => Some(Role::Server),
            Phase::Connecting(_) => Some(Role::Client),
            Phase::Closing(_) | Phase::Done => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What an idle open connection costs: the driver inline (in a front end's slab) and
    /// the boxed open phase with the connection state machine. Nothing else is on the
    /// heap while idle. The server's measured RSS per idle connection is in
    /// `docs/performance.md`.
    #[test]
    #[allow(clippy::print_stdout)]
    fn footprint() {
        let driver = size_of::<Driver>();
        let open = size_of::<Open>();
        let ws = size_of::<Connection>();
        println!("Driver = {driver} B, boxed Open = {open} B (Connection {ws} B)");
        // 8 of them the TLS pointer (feature `tls`).
        let most = if cfg!(feature = "tls") { 56 } else { 48 };
        assert!(driver <= most, "Driver grew to {driver} B");
        // The connection, one pointer to the rare parts, the latest `now`: 136 B, so the
        // box is a 144-byte heap block (a 16-byte step more would be 160).
        assert!(open <= ws + 24, "Open grew to {open} B");
    }
}

//! The phases of a connection's life and what each holds. Every phase's state is boxed
//! (the open phase, the handshake phases, and the short closing phase), so a driver is
//! the same small size in any phase: a tag and a pointer.

use std::time::Instant;

use sockeye_handshake::{ClientHandshake, HttpRequest, Request, RequestParser};
use sockeye_proto::{CloseCode, Connection, MaskSource};

use crate::closed::Closed;
use crate::outbox::{Parts, Waiting};
use crate::output::Boxed;
use crate::{DriverConfig, Outbox};

#[derive(Debug)]
pub(crate) enum Phase {
    Accepting(Box<Accepting>),
    Connecting(Box<Connecting>),
    Open(Box<Open>),
    /// Boxed: a connection is here once, briefly, at its end; inline, its deadline would
    /// make every driver 8 bytes larger.
    Closing(Box<Closing>),
    Done,
}

/// Server handshake: the request head so far.
#[derive(Debug)]
pub(crate) struct Accepting {
    pub(crate) parser: RequestParser,
    pub(crate) buf: Vec<u8>,
    /// Absolute, from the accept.
    pub(crate) deadline: Instant,
    /// A complete request waiting for the application's decision.
    pub(crate) request: Option<Request>,
    /// With [`DriverConfig::serve_http`]: a plain request waiting for its response.
    pub(crate) http: Option<HttpRequest>,
}

impl Accepting {
    /// Whether a complete request (upgrade or plain) waits for the application.
    pub(crate) fn pending(&self) -> bool {
        self.request.is_some() || self.http.is_some()
    }
}

/// Client handshake: connect, request sent, response head so far.
pub(crate) struct Connecting {
    pub(crate) handshake: ClientHandshake,
    pub(crate) buf: Vec<u8>,
    /// Connect deadline, then (once connected) the handshake deadline.
    pub(crate) deadline: Instant,
    pub(crate) connected: bool,
    pub(crate) masks: Option<Box<dyn MaskSource>>,
}

impl core::fmt::Debug for Connecting {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The mask source stays out of `Debug`: its upcoming keys are nobody's business
        // (§10.3: keys must not be predictable).
        f.debug_struct("Connecting")
            .field("buffered", &self.buf.len())
            .field("deadline", &self.deadline)
            .field("connected", &self.connected)
            .finish_non_exhaustive()
    }
}

/// The open connection and what the close report needs.
#[derive(Debug)]
pub(crate) struct Open {
    pub(crate) ws: Connection,
    /// What few connections have, or what comes at the end ([`Rare`]).
    pub(crate) rare: Option<Box<Rare>>,
    /// The latest `now` given: starts the linger deadline when the connection ends in a
    /// call that takes no `now` ([`Driver::poll_output`]).
    pub(crate) now: Instant,
}

/// The parts of an open connection that few have, or that come at its end: boxed, so
/// that the open phase fits a 144-byte heap block (136 bytes) instead of a 160-byte one.
#[derive(Debug, Default)]
pub(crate) struct Rare {
    /// The peer's close frame came while we had sent none (it started the closing).
    pub(crate) peer_first: bool,
    /// The peer closed its sending side (a read returned 0).
    pub(crate) peer_eof: bool,
    /// Why we ended the connection, if we did (1002, 1007, 1009, 1008, 1006...).
    pub(crate) failure: Option<CloseCode>,
    /// Pre-framed messages waiting for a fragmented message to end.
    pub(crate) waiting: Waiting,
    /// The peer's close frame (code, reason), once received.
    pub(crate) peer_close: Option<(CloseCode, String)>,
    /// The permessage-deflate parameters agreed on, if any.
    #[cfg(feature = "deflate")]
    pub(crate) deflate: Option<sockeye_handshake::DeflateParams>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Closing {
    pub(crate) deadline: Instant,
    pub(crate) write_shut: bool,
    pub(crate) peer_eof: bool,
}

impl Closing {
    pub(crate) fn new(deadline: Instant) -> Self {
        Self {
            deadline,
            write_shut: false,
            peer_eof: false,
        }
    }
}

impl Open {
    pub(crate) fn new(ws: Connection, now: Instant) -> Self {
        Self {
            ws,
            rare: None,
            now,
        }
    }

    /// With the permessage-deflate parameters agreed on.
    #[cfg(feature = "deflate")]
    pub(crate) fn with_deflate(mut self, params: Option<sockeye_handshake::DeflateParams>) -> Self {
        if params.is_some() {
            self.rare.get_or_insert_with(Box::default).deflate = params;
        }
        self
    }

    /// The rare parts, made on first use.
    pub(crate) fn rare_mut(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    /// Whether the peer closed its sending side.
    pub(crate) fn peer_eof(&self) -> bool {
        self.rare.as_ref().is_some_and(|r| r.peer_eof)
    }

    /// Records why we end the connection (the first reason stays).
    pub(crate) fn fail(&mut self, code: CloseCode) {
        self.rare_mut().failure.get_or_insert(code);
    }

    pub(crate) fn outbox<'a>(
        &'a mut self,
        out: &'a mut Boxed,
        config: &'a DriverConfig,
        now: Instant,
    ) -> Outbox<'a> {
        Outbox::new(Parts {
            sender: self.ws.sender(),
            out,
            rare: &mut self.rare,
            config,
            now,
        })
    }

    pub(crate) fn into_closed(self) -> Closed {
        let Some(rare) = self.rare else {
            return Closed::from_parts(None, false, None);
        };
        Closed::from_parts(rare.peer_close, rare.peer_first, rare.failure)
    }
}

//! Close bookkeeping: how the WebSocket connection ended, reported once.

use sockeye_proto::CloseCode;

/// How a connection that was open ended: [`Driver::take_closed`](crate::Driver::take_closed)
/// hands it out once, when the WebSocket connection is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closed {
    /// The close code: the peer's (1005 if its close frame had none); ours when we failed
    /// the connection (1002, 1007, 1009...) or closed it for a local reason (1008 on
    /// overflow); 1006 when TCP ended without a closing handshake, or a timer ran out.
    pub code: CloseCode,
    /// The peer's close reason, if it sent one.
    pub reason: String,
    /// Whether close frames were exchanged (§7.1.4: "cleanly").
    pub clean: bool,
    /// Which side started the end (what an operator's log wants next to the code).
    pub by: ClosedBy,
}

/// Which side started the end of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClosedBy {
    /// The peer's close frame came first (§7.1.2 "Start the WebSocket Closing Handshake",
    /// by the peer).
    Peer,
    /// Our close frame came first: the application closed, the server shut down, or we
    /// failed the connection on a violation or a limit (1002, 1007, 1008, 1009, 1011...).
    Local,
    /// Neither side's close frame started it: TCP ended or was reset, or a timer gave up
    /// on a silent peer (the code is then 1006, §7.1.5).
    Transport,
}

impl ClosedBy {
    /// `"peer"`, `"local"` or `"transport"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Peer => "peer",
            Self::Local => "local",
            Self::Transport => "transport",
        }
    }
}

impl Closed {
    /// From what the open phase recorded: a failure of ours wins over the peer's close; a
    /// connection with neither ended abnormally (§7.1.5: 1006).
    /// `peer_first`: the peer's close frame arrived while ours had not been sent.
    pub(crate) fn from_parts(
        peer_close: Option<(CloseCode, String)>,
        peer_first: bool,
        failure: Option<CloseCode>,
    ) -> Self {
        let by = match (failure, &peer_close) {
            (_, Some(_)) if peer_first => ClosedBy::Peer,
            // 1006 is never sent (§7.4.1): no close frame of ours started this.
            (Some(CloseCode::ABNORMAL), _) | (None, None) => ClosedBy::Transport,
            _ => ClosedBy::Local,
        };
        match (failure, peer_close) {
            (Some(code), _) => Self::unclean(code, by),
            (None, Some((code, reason))) => Self {
                code,
                reason,
                clean: true,
                by,
            },
            (None, None) => Self::unclean(CloseCode::ABNORMAL, by),
        }
    }

    pub(crate) fn unclean(code: CloseCode, by: ClosedBy) -> Self {
        Self {
            code,
            reason: String::new(),
            clean: false,
            by,
        }
    }
}

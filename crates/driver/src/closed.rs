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
}

impl Closed {
    /// From what the open phase recorded: a failure of ours wins over the peer's close; a
    /// connection with neither ended abnormally (§7.1.5: 1006).
    pub(crate) fn from_parts(
        peer_close: Option<(CloseCode, String)>,
        failure: Option<CloseCode>,
    ) -> Self {
        match (failure, peer_close) {
            (Some(code), _) => Self::unclean(code),
            (None, Some((code, reason))) => Self {
                code,
                reason,
                clean: true,
            },
            (None, None) => Self::unclean(CloseCode::ABNORMAL),
        }
    }

    pub(crate) fn unclean(code: CloseCode) -> Self {
        Self {
            code,
            reason: String::new(),
            clean: false,
        }
    }
}

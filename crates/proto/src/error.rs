//! The one error type of the connection.

use core::fmt;

use sockeye_frame::CloseCode;

/// Everything that can go wrong, in three groups:
///
/// - **Peer violations** ([`Error::Protocol`]): the peer broke RFC 6455. The connection
///   has failed (§7.1.7), the close frame with [`Error::Protocol::code`] is already queued
///   for [`poll_transmit`](crate::Connection::poll_transmit), and the driver closes TCP
///   once that is written ([`should_close_tcp`](crate::Connection::should_close_tcp)).
/// - **Connection ends** the application should hear about: [`Error::Timeout`] and
///   [`Error::AbnormalClosure`] (the peer vanished; 1006 in the terms of §7.1.5).
/// - **Local misuse** ([`Error::is_local_misuse`]): the caller asked for something that
///   may not be sent. Nothing was written and the connection is unchanged.
///
/// `Copy`, small, no strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The peer violated the protocol; the connection failed with close code `code`.
    Protocol {
        /// What the peer did.
        kind: Violation,
        /// The close code sent to the peer (1002, 1007, 1009, or an extension's choice).
        code: CloseCode,
    },
    /// A timer ran out: the connection is closed; close TCP.
    Timeout(TimeoutKind),
    /// TCP ended before the close handshake did (§7.1.5: the close code is 1006).
    AbnormalClosure,
    /// Local misuse: the connection is closing or closed; nothing more may be sent
    /// (§5.5.1: "After sending a Close frame, the endpoint MUST NOT send any more data
    /// frames").
    Closed,
    /// Local misuse: a ping or pong payload over 125 bytes (§5.5).
    ControlPayloadTooLong,
    /// Local misuse: a close code that may not be sent (1004–1006, 1015, outside §7.4).
    CloseCodeNotSendable(u16),
    /// Local misuse: a whole message was sent while a fragmented one started with
    /// [`Sender::send_fragment`](crate::Sender::send_fragment) is unfinished, or a
    /// fragment's kind differs from its message's (§5.4: fragments of different messages
    /// MUST NOT interleave).
    FragmentedMessageInProgress,
    /// Local misuse: the extension failed to encode an outgoing message.
    ExtensionEncode,
}

/// What the peer did wrong (the `kind` of [`Error::Protocol`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Violation {
    /// A frame-level rule (reserved opcode or bits, control frame rules, length encoding,
    /// frame over the limit, bad close frame body), as found by `sockeye-frame`.
    Frame(sockeye_frame::Error),
    /// A server got an unmasked frame (§5.1). 1002.
    UnmaskedFrame,
    /// A client got a masked frame (§5.1). 1002.
    MaskedFrame,
    /// A continuation frame with no message started (§5.4). 1002.
    UnexpectedContinuation,
    /// A new text or binary frame inside a fragmented message (§5.4). 1002.
    ExpectedContinuation,
    /// RSV bits on a continuation or control frame (RFC 7692 §6.1 style: extension bits
    /// belong to a message's first frame). 1002.
    ReservedBitsOnFrame,
    /// Text (or a close reason) that is not UTF-8 (§8.1). 1007.
    InvalidUtf8,
    /// A message over [`Config::max_message_size`](crate::Config::max_message_size). 1009.
    MessageTooBig,
    /// A message in more frames than its payload pays for
    /// ([`Config::fragment_allowance`](crate::Config::fragment_allowance)). 1009.
    TooManyFragments,
    /// The extension could not decode a message; the code is the extension's.
    Extension,
}

/// Which timer ran out (the payload of [`Error::Timeout`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// The peer did not answer our close frame within
    /// [`Config::close_timeout`](crate::Config::close_timeout).
    Close,
    /// Nothing arrived within [`Config::keepalive_timeout`](crate::Config::keepalive_timeout)
    /// of a keepalive ping.
    Keepalive,
}

impl Error {
    /// The close code that describes this end of the connection: the code sent for a peer
    /// violation, 1006 (abnormal) for timeouts and EOF, `None` for local misuse.
    pub const fn close_code(&self) -> Option<CloseCode> {
        match self {
            Self::Protocol { code, .. } => Some(*code),
            Self::Timeout(_) | Self::AbnormalClosure => Some(CloseCode::ABNORMAL),
            _ => None,
        }
    }

    /// Whether the peer broke the protocol.
    pub const fn is_protocol_violation(&self) -> bool {
        matches!(self, Self::Protocol { .. })
    }

    /// Whether this is the caller's own mistake (nothing was written, state unchanged).
    pub const fn is_local_misuse(&self) -> bool {
        matches!(
            self,
            Self::Closed
                | Self::ControlPayloadTooLong
                | Self::CloseCodeNotSendable(_)
                | Self::FragmentedMessageInProgress
                | Self::ExtensionEncode
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Protocol { kind, code } => write!(f, "peer violation ({kind:?}), closed {code}"),
            Self::Timeout(TimeoutKind::Close) => f.write_str("close handshake timed out"),
            Self::Timeout(TimeoutKind::Keepalive) => f.write_str("keepalive timed out"),
            Self::AbnormalClosure => f.write_str("connection closed without a close frame"),
            Self::Closed => f.write_str("connection is closing or closed"),
            Self::ControlPayloadTooLong => f.write_str("control payload over 125 bytes"),
            Self::CloseCodeNotSendable(c) => write!(f, "close code {c} may not be sent"),
            Self::FragmentedMessageInProgress => f.write_str("a fragmented message is in progress"),
            Self::ExtensionEncode => f.write_str("extension failed to encode"),
        }
    }
}

impl std::error::Error for Error {}

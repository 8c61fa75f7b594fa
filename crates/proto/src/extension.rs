//! The seam for per-message extensions such as permessage-deflate (RFC 7692).
//!
//! An extension is built by whoever negotiated it (the handshake layer parses
//! `Sec-WebSocket-Extensions` and constructs the transform with the agreed parameters) and
//! handed to [`Connection::with_extension`](crate::Connection::with_extension). The
//! connection then:
//!
//! - accepts the RSV bits [`Extension::rsv`] names on the **first frame** of a data
//!   message (RFC 7692 §6: "the RSV1 bit is set only on the first frame"); RSV bits on a
//!   continuation or control frame, or bits the extension does not name, fail with 1002;
//! - assembles a message whose first frame carried RSV bits whole (also in streaming
//!   mode), then calls [`Extension::decode`] before UTF-8 validation and the size limit;
//! - calls [`Extension::encode`] for every message given to `send_text`/`send_binary`
//!   and sets the RSV bits it returns on the message's first frame. Fragments sent with
//!   [`Sender::send_fragment`](crate::Sender::send_fragment) are sent untransformed.

use sockeye_frame::{CloseCode, Rsv};

use crate::MessageKind;

/// A decoding failure: the connection fails with `code` (for instance 1007 for corrupt
/// compressed data, or 1009 when the decoded message would be over the limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtensionError {
    /// The close code to fail the connection with.
    pub code: CloseCode,
}

/// A per-message payload transform negotiated in the opening handshake.
pub trait Extension: Send + core::fmt::Debug {
    /// The RSV bits this extension gives a meaning to (e.g. RSV1 for permessage-deflate).
    fn rsv(&self) -> Rsv;

    /// Decodes a whole received message whose first frame carried the RSV bits `rsv`
    /// (never empty), appending the result to `out`. `max_len` is the message size limit:
    /// return an error with code 1009 rather than produce more.
    fn decode(
        &mut self,
        kind: MessageKind,
        rsv: Rsv,
        input: &[u8],
        out: &mut Vec<u8>,
        max_len: u64,
    ) -> Result<(), ExtensionError>;

    /// Encodes an outgoing message, appending the wire payload to `out`, and returns the
    /// RSV bits to set on its first frame (`Rsv::NONE` to say "sent as is": then `out` is
    /// ignored and the original payload is sent).
    fn encode(
        &mut self,
        kind: MessageKind,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Rsv, ExtensionError>;
}

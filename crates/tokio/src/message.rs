//! Owned messages, as the stream yields them and the sink takes them.

use core::fmt;
use core::ops::Deref;

use bytes::Bytes;
use bytestring::ByteString;
use sockeye_driver::Event;
use sockeye_proto::{CloseCode, MessageKind, payload_to_vec, text_to_string};

/// Text that is valid UTF-8, on [`Bytes`]: cheap to clone and to slice, convertible to
/// `Bytes` without a copy.
///
/// Received text was checked by the connection (incrementally, failing at the first bad
/// byte: RFC 6455 §8.1), so making it is a copy, never a second validation.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Utf8Bytes(ByteString);

impl Utf8Bytes {
    /// Text from a static string, without a copy.
    pub const fn from_static(text: &'static str) -> Self {
        Self(ByteString::from_static(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The UTF-8 bytes, without a copy.
    pub fn into_bytes(self) -> Bytes {
        self.0.into_bytes()
    }
}

impl Deref for Utf8Bytes {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Utf8Bytes {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<[u8]> for Utf8Bytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl From<&str> for Utf8Bytes {
    fn from(text: &str) -> Self {
        Self(ByteString::from(text))
    }
}

impl From<String> for Utf8Bytes {
    fn from(text: String) -> Self {
        Self(ByteString::from(text))
    }
}

impl From<&String> for Utf8Bytes {
    fn from(text: &String) -> Self {
        Self::from(text.as_str())
    }
}

impl TryFrom<Bytes> for Utf8Bytes {
    type Error = core::str::Utf8Error;

    /// Checks that `bytes` are UTF-8; no copy.
    fn try_from(bytes: Bytes) -> Result<Self, Self::Error> {
        ByteString::try_from(bytes).map(Self)
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A close frame's body: the code and a reason (at most 123 bytes are sent, cut at a
/// character boundary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The close code (§7.4).
    pub code: CloseCode,
    /// Why.
    pub reason: Utf8Bytes,
}

/// A piece of a data message, in streaming mode
/// ([`Config::streaming`](sockeye_proto::Config::streaming)): received as it arrived,
/// without assembling the message, or sent as one frame of a message sent in pieces.
///
/// Received pieces hold what one read brought (at most 64 KiB), or at most
/// [`STREAM_CHUNK`](sockeye_proto::STREAM_CHUNK) decompressed bytes. A text message's
/// pieces together are UTF-8 (checked as they arrive), but a piece alone may end inside a
/// character: hence bytes, not text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Text or binary.
    pub kind: MessageKind,
    /// The bytes.
    pub data: Bytes,
    /// The first piece of its message.
    pub first: bool,
    /// The last piece of its message. Sending a piece with `last` ends the message.
    pub last: bool,
}

/// A WebSocket message, received or to send.
///
/// Received pings were already answered (the pong is queued before the ping is handed
/// out); received `Close` was answered too: after it the stream ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
    /// A ping (payload at most 125 bytes).
    Ping(Bytes),
    /// A pong (payload at most 125 bytes).
    Pong(Bytes),
    /// A close frame: `None` has no body (received: code 1005). Sending one starts the
    /// closing handshake; [`WebSocketStream::close`](crate::WebSocketStream::close) also
    /// waits for its end.
    Close(Option<CloseFrame>),
    /// Streaming mode: a piece of a text or binary message.
    Chunk(Chunk),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> Self {
        Self::Text(text.into())
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self::Binary(data.into())
    }

    /// Whether this is a text message.
    pub fn is_text(&self) -> bool {
        matches!(self, Self::Text(_))
    }

    /// Whether this is a binary message.
    pub fn is_binary(&self) -> bool {
        matches!(self, Self::Binary(_))
    }

    /// Whether this is a close frame.
    pub fn is_close(&self) -> bool {
        matches!(self, Self::Close(_))
    }

    /// The payload's length in bytes (a close frame's reason).
    pub fn len(&self) -> usize {
        match self {
            Self::Text(t) => t.len(),
            Self::Binary(b) | Self::Ping(b) | Self::Pong(b) => b.len(),
            Self::Close(c) => c.as_ref().map_or(0, |c| c.reason.len()),
            Self::Chunk(c) => c.data.len(),
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The payload as bytes, without a copy.
    pub fn into_data(self) -> Bytes {
        match self {
            Self::Text(t) => t.into_bytes(),
            Self::Binary(b) | Self::Ping(b) | Self::Pong(b) => b,
            Self::Close(c) => c.map(|c| c.reason.into_bytes()).unwrap_or_default(),
            Self::Chunk(c) => c.data,
        }
    }

    /// An owned copy of a driver event (one copy of the payload); `None` for the
    /// handshake's events.
    pub(crate) fn from_event(event: Event<'_>) -> Option<Self> {
        Some(match event {
            // Copied in pieces (`sockeye_proto::payload_to_vec`: glibc's large copies
            // have a cliff on AMD processors); `Bytes::from` a vector of exact capacity
            // takes it over without another copy.
            Event::Text(t) => Self::Text(Utf8Bytes::from(text_to_string(t))),
            Event::Binary(b) => Self::Binary(Bytes::from(payload_to_vec(b))),
            Event::Ping(p) => Self::Ping(Bytes::copy_from_slice(p)),
            Event::Pong(p) => Self::Pong(Bytes::copy_from_slice(p)),
            Event::Close { code, .. } if code == CloseCode::NO_STATUS_RECEIVED => Self::Close(None),
            Event::Close { code, reason } => Self::Close(Some(CloseFrame {
                code,
                reason: Utf8Bytes::from(reason),
            })),
            Event::Chunk {
                kind,
                data,
                first,
                last,
            } => Self::Chunk(Chunk {
                kind,
                data: Bytes::from(payload_to_vec(data)),
                first,
                last,
            }),
            _ => return None,
        })
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Self::text(text)
    }
}

impl From<Bytes> for Message {
    fn from(data: Bytes) -> Self {
        Self::Binary(data)
    }
}

impl From<Vec<u8>> for Message {
    fn from(data: Vec<u8>) -> Self {
        Self::Binary(data.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_converts_without_losing_the_guarantee() {
        let t = Utf8Bytes::from("héllo");
        assert_eq!(t, "héllo");
        assert_eq!(t.len(), 6);
        let bytes = t.clone().into_bytes();
        assert_eq!(Utf8Bytes::try_from(bytes).unwrap(), t);
        assert!(Utf8Bytes::try_from(Bytes::from_static(b"\xff")).is_err());
    }

    #[test]
    fn a_close_without_a_body_has_no_frame() {
        let none = Message::from_event(Event::Close {
            code: CloseCode::NO_STATUS_RECEIVED,
            reason: "",
        });
        assert_eq!(none, Some(Message::Close(None)));
        let some = Message::from_event(Event::Close {
            code: CloseCode::NORMAL,
            reason: "bye",
        });
        assert_eq!(
            some,
            Some(Message::Close(Some(CloseFrame {
                code: CloseCode::NORMAL,
                reason: "bye".into()
            })))
        );
        assert_eq!(some.unwrap().len(), 3);
    }
}

//! A message framed once for many connections (broadcast): the plain frame, and with
//! permessage-deflate a compressed one for the connections that may receive it.
//!
//! Compressed bytes made once are a fresh DEFLATE stream; a connection may receive them
//! only if the server compresses its messages without context takeover and the client's
//! window is at least the one they were compressed within (`sockeye-deflate`'s
//! `Precompressed::may_send_to` has the reasoning). Every other connection gets the plain
//! frame, which any peer can read (RFC 7692 §6: a message may always go uncompressed).

use bytes::Bytes;
use sockeye_proto::Connection;

use crate::Driver;

/// A whole message framed as a server sends it, for [`Driver::send_shared`]. Cheap to
/// clone (the bytes are shared).
#[derive(Debug, Clone)]
pub struct SharedFrame {
    plain: Bytes,
    /// The compressed frame and the window it was compressed within.
    #[cfg(feature = "deflate")]
    deflated: Option<(Bytes, u8)>,
}

impl SharedFrame {
    /// A text message.
    pub fn text(text: &str) -> Self {
        let mut frame = Vec::with_capacity(text.len() + 10);
        Connection::encode_server_text(text, &mut frame);
        Self::framed(frame)
    }

    /// A binary message.
    pub fn binary(data: &[u8]) -> Self {
        let mut frame = Vec::with_capacity(data.len() + 10);
        Connection::encode_server_binary(data, &mut frame);
        Self::framed(frame)
    }

    fn framed(frame: Vec<u8>) -> Self {
        Self {
            plain: frame.into(),
            #[cfg(feature = "deflate")]
            deflated: None,
        }
    }

    /// A text message framed once, and compressed once as well when `deflate` has servers
    /// compress without context takeover (the only connections that can take it) and the
    /// message is not under its threshold. Compresses on the calling thread, through
    /// `deflate`'s shared compressor when it has one.
    #[cfg(feature = "deflate")]
    pub fn text_compressed(text: &str, deflate: &crate::DeflateConfig) -> Self {
        Self::text(text).compress(sockeye_proto::MessageKind::Text, text.as_bytes(), deflate)
    }

    /// The binary counterpart of [`text_compressed`](Self::text_compressed).
    #[cfg(feature = "deflate")]
    pub fn binary_compressed(data: &[u8], deflate: &crate::DeflateConfig) -> Self {
        Self::binary(data).compress(sockeye_proto::MessageKind::Binary, data, deflate)
    }

    #[cfg(feature = "deflate")]
    fn compress(
        mut self,
        kind: sockeye_proto::MessageKind,
        payload: &[u8],
        deflate: &crate::DeflateConfig,
    ) -> Self {
        if !deflate.server.server_no_context_takeover || payload.len() < deflate.options.threshold {
            return self;
        }
        let made = match &deflate.shared {
            Some(compressor) => {
                sockeye_deflate::Precompressed::with_compressor(compressor, kind, payload)
            }
            None => sockeye_deflate::Precompressed::new(kind, payload, deflate.options.level, 15),
        };
        if let Ok(p) = made
            && p.frame().len() < self.plain.len()
        {
            self.deflated = Some((Bytes::copy_from_slice(p.frame()), p.window_bits()));
        }
        self
    }

    /// The plain frame.
    pub fn plain(&self) -> &Bytes {
        &self.plain
    }

    /// The compressed frame, if there is one.
    #[cfg(feature = "deflate")]
    pub fn deflated(&self) -> Option<&Bytes> {
        self.deflated.as_ref().map(|(frame, _)| frame)
    }

    /// The frame for a connection: compressed when its negotiated parameters allow it.
    pub(crate) fn for_connection(&self, driver: &Driver) -> &Bytes {
        #[cfg(feature = "deflate")]
        if let (Some((frame, bits)), Some(params)) = (&self.deflated, driver.deflate())
            && params.server_no_context_takeover
            && *bits <= params.server_max_window_bits
        {
            return frame;
        }
        let _ = driver;
        &self.plain
    }
}

impl Driver {
    /// Sends a message framed once for many connections ([`SharedFrame`]): the
    /// compressed frame where this connection may take it, the plain one otherwise. Like
    /// [`Outbox::send_frame`](crate::Outbox::send_frame) it waits while a fragmented
    /// message is being sent. Server connections only.
    ///
    /// # Errors
    /// As [`Outbox::send_frame`](crate::Outbox::send_frame).
    pub fn send_shared(
        &mut self,
        frame: &SharedFrame,
        now: std::time::Instant,
    ) -> Result<crate::Sent, crate::SendError> {
        let bytes = frame.for_connection(self).clone();
        self.outbox(now).send_frame(&bytes)
    }
}

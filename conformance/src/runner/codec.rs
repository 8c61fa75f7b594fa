//! The tester's permessage-deflate, with the workspace's `sockeye-deflate`: compressing
//! as the suite does (`compress_deflate.py`: `compressobj(Z_DEFAULT_COMPRESSION, DEFLATED,
//! -window_bits, memLevel 8)`, a sync flush with its `00 00 ff ff` tail removed, a new
//! compressor per message when our side takes no context over) and inflating what the
//! peer sends (a fresh inflater per message when the peer takes no context over).
//!
//! The compressed bytes are zlib-rs's at level 6, not Python's zlib's: both are valid
//! DEFLATE of the same message at the same level and window, but not necessarily the
//! same bits.

use sockeye_deflate::{DeflateOptions, PerMessageDeflate};
use sockeye_handshake::{DeflateParams, Side};
use sockeye_proto::{Extension, MessageKind, Role, Rsv};

/// `zlib.Z_DEFAULT_COMPRESSION`.
const LEVEL: u32 = 6;

/// The most one message may inflate to here (the suite has no limit; this only stops a
/// decompression bomb from taking the harness down).
const MAX_INFLATED: usize = 1 << 30;

/// Compression state of one connection, tester side.
#[derive(Debug)]
pub(crate) struct Codec {
    side: Side,
    params: DeflateParams,
    /// Compresses with context takeover; replaced per message when ours is off.
    tx: PerMessageDeflate,
    rx: PerMessageDeflate,
}

fn options() -> DeflateOptions {
    let mut o = DeflateOptions::new();
    o.level = LEVEL;
    // The suite compresses every message, however short.
    o.threshold = 0;
    o
}

fn role(side: Side) -> Role {
    match side {
        Side::Server => Role::Server,
        Side::Client => Role::Client,
    }
}

impl Codec {
    /// For the tester on `side` with the agreed `params`.
    pub(crate) fn new(side: Side, params: DeflateParams) -> Self {
        Self {
            side,
            params,
            tx: Self::compressor(side, params),
            rx: PerMessageDeflate::new(role(side), params, options()),
        }
    }

    /// A compressor that never declines: sockeye-deflate sends an incompressible message
    /// uncompressed when its side takes no context over, the suite never does, so the
    /// compressor is built as if context were taken over and made anew per message
    /// instead (a fresh compressor is what no context takeover means).
    fn compressor(side: Side, mut params: DeflateParams) -> PerMessageDeflate {
        match side {
            Side::Server => params.server_no_context_takeover = false,
            Side::Client => params.client_no_context_takeover = false,
        }
        PerMessageDeflate::new(role(side), params, options())
    }

    /// The compressed payload of `message` (to be sent with RSV1).
    pub(crate) fn compress(&mut self, text: bool, message: &[u8]) -> Result<Vec<u8>, String> {
        if self.params.compress_no_context_takeover(self.side) {
            self.tx = Self::compressor(self.side, self.params);
        }
        let kind = if text {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        let mut out = Vec::with_capacity(message.len() / 2 + 16);
        match self.tx.encode(kind, message, &mut out) {
            Ok(rsv) if rsv == Rsv::RSV1 => Ok(out),
            Ok(_) => Err("the compressor declined the message".into()),
            Err(e) => Err(format!("compression failed: {e:?}")),
        }
    }

    /// A compressed message from the peer begins.
    pub(crate) fn start(&mut self, text: bool) -> Result<(), String> {
        let kind = if text {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        self.rx
            .start_message(kind, Rsv::RSV1)
            .map_err(|e| format!("{e:?}"))
    }

    /// Inflates the next payload bytes (`end`: the message's last), appending to `out`.
    pub(crate) fn inflate(
        &mut self,
        mut input: &[u8],
        end: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        loop {
            let room = MAX_INFLATED.saturating_sub(out.len());
            if room == 0 {
                return Err("a compressed message inflates past 1 GiB".into());
            }
            let d = self
                .rx
                .decode(input, end, out, room)
                .map_err(|e| format!("decompression failed: {e:?}"))?;
            input = input.get(d.consumed..).unwrap_or_default();
            if input.is_empty() && (!end || d.done) {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_both_ways_without_takeover() {
        let params = DeflateParams {
            client_no_context_takeover: true,
            server_no_context_takeover: true,
            ..DeflateParams::default()
        };
        let mut client = Codec::new(Side::Client, params);
        let mut server = Codec::new(Side::Server, params);
        for msg in [
            &b"incompressible?"[..],
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            &[7u8; 3],
        ] {
            let wire = client.compress(false, msg).unwrap();
            let mut out = Vec::new();
            server.start(false).unwrap();
            server.inflate(&wire, true, &mut out).unwrap();
            assert_eq!(out, msg);
        }
    }
}

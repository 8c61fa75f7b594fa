//! What travels through the broker: the payload with its origin, so that a node skips its
//! own messages (delivered locally already) and spots duplicates and gaps per publisher.
//!
//! `{node:016x}{seq:016x}{kind}{payload}`: 33 bytes of ASCII header (readable in
//! `redis-cli MONITOR`), `kind` `t` (text) or `b` (binary), then the payload as is
//! (Redis strings are binary-safe).

/// The header's length.
pub(crate) const HEADER: usize = 33;

/// A text or binary payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Binary,
}

/// A decoded envelope, borrowing the payload.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Envelope<'a> {
    pub(crate) node: u64,
    pub(crate) seq: u64,
    pub(crate) kind: Kind,
    pub(crate) payload: &'a [u8],
}

pub(crate) fn encode(node: u64, seq: u64, kind: Kind, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(format!("{node:016x}{seq:016x}").as_bytes());
    out.push(match kind {
        Kind::Text => b't',
        Kind::Binary => b'b',
    });
    out.extend_from_slice(payload);
    out
}

/// `None` for anything that is not an envelope (another program on the same channel).
pub(crate) fn decode(bytes: &[u8]) -> Option<Envelope<'_>> {
    let hex = |b: &[u8]| u64::from_str_radix(std::str::from_utf8(b).ok()?, 16).ok();
    let node = hex(bytes.get(..16)?)?;
    let seq = hex(bytes.get(16..32)?)?;
    let kind = match bytes.get(32)? {
        b't' => Kind::Text,
        b'b' => Kind::Binary,
        _ => return None,
    };
    let payload = bytes.get(HEADER..)?;
    if kind == Kind::Text && std::str::from_utf8(payload).is_err() {
        return None;
    }
    Some(Envelope {
        node,
        seq,
        kind,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let e = encode(0xdead_beef, 7, Kind::Text, "héllo".as_bytes());
        assert_eq!(e.len(), HEADER + 6);
        let d = decode(&e).unwrap();
        assert_eq!(
            (d.node, d.seq, d.kind, d.payload),
            (0xdead_beef, 7, Kind::Text, "héllo".as_bytes())
        );
        let b = encode(u64::MAX, 0, Kind::Binary, &[0xff, 0]);
        assert_eq!(decode(&b).unwrap().payload, &[0xff, 0]);
        assert_eq!(decode(b"short"), None);
        assert_eq!(decode(&[b'z'; 40]), None);
        // Text that is not UTF-8 is refused (it would be sent as a text frame).
        assert_eq!(decode(&encode(1, 1, Kind::Text, &[0xff])), None);
        let mut bad_kind = encode(1, 1, Kind::Text, b"x");
        bad_kind[32] = b'q';
        assert_eq!(decode(&bad_kind), None);
    }
}

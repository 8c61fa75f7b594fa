//! `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 §4.1, §4.2.2).
#![deny(clippy::indexing_slicing)]

use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha1::{Digest as _, Sha1};

/// The GUID appended to the key before hashing (§1.3, §4.2.2).
pub const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A valid `Sec-WebSocket-Key`: the base64 encoding of 16 bytes, 24 ASCII characters.
///
/// §4.1: "The nonce MUST be selected randomly for each connection." This crate has no
/// random source: the client passes 16 bytes from a cryptographically secure generator
/// (§10.3), e.g. `getrandom`, to [`Key::from_nonce`]. Predictable keys let an attacker
/// who can observe them prepare cache-poisoning responses.
///
/// ```
/// use sockeye_handshake::Key;
/// // The nonce of the RFC's example (§4.1), "the sample nonce".
/// let key = Key::from_nonce(*b"the sample nonce");
/// assert_eq!(key.as_str(), "dGhlIHNhbXBsZSBub25jZQ==");
/// assert_eq!(key.accept().as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// assert_eq!(Key::parse(b"dGhlIHNhbXBsZSBub25jZQ=="), Some(key));
/// assert_eq!(Key::parse(b"dGhlIHNhbXBsZSBub25jZQ"), None); // padding required
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key([u8; 24]);

impl Key {
    /// The key for a 16-byte nonce, which must be unpredictable (§10.3).
    pub fn from_nonce(nonce: [u8; 16]) -> Self {
        let mut out = [0u8; 24];
        // 16 bytes always encode to exactly 24 characters.
        let _ = STANDARD.encode_slice(nonce, &mut out);
        Self(out)
    }

    /// A key as received: valid if it is 24 characters of canonical, padded base64 that
    /// decode to exactly 16 bytes (§4.2.1 item 5).
    pub fn parse(value: &[u8]) -> Option<Self> {
        let text: [u8; 24] = value.try_into().ok()?;
        let mut nonce = [0u8; 18];
        match STANDARD.decode_slice(text, &mut nonce) {
            Ok(16) => Some(Self(text)),
            _ => None,
        }
    }

    /// The key as sent in `Sec-WebSocket-Key`.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The `Sec-WebSocket-Accept` value the server answers this key with.
    pub fn accept(&self) -> AcceptKey {
        accept_key(&self.0)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Key").field(&self.as_str()).finish()
    }
}

/// A `Sec-WebSocket-Accept` value: base64(SHA-1(key + [`WEBSOCKET_GUID`])), 28 characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AcceptKey([u8; 28]);

impl AcceptKey {
    /// The value as sent in `Sec-WebSocket-Accept`.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The value's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for AcceptKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AcceptKey").field(&self.as_str()).finish()
    }
}

/// The `Sec-WebSocket-Accept` value for the key text `key`, as §4.2.2 item 5.4 defines it:
/// "concatenate this with the Globally Unique Identifier ... in string form ..., taking
/// the SHA-1 hash of this concatenated value to obtain a 20-byte value and base64-encoding
/// ... this 20-byte hash."
///
/// ```
/// assert_eq!(
///     sockeye_handshake::accept_key(b"dGhlIHNhbXBsZSBub25jZQ==").as_str(),
///     "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
/// );
/// ```
pub fn accept_key(key: &[u8]) -> AcceptKey {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(WEBSOCKET_GUID.as_bytes());
    let digest = sha1.finalize();
    let mut out = [0u8; 28];
    // 20 bytes always encode to exactly 28 characters.
    let _ = STANDARD.encode_slice(digest, &mut out);
    AcceptKey(out)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn rfc_sample() {
        let key = Key::parse(b"dGhlIHNhbXBsZSBub25jZQ==").unwrap();
        assert_eq!(key.accept().as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn rejects_bad_keys() {
        for bad in [
            &b""[..],
            b"dGhlIHNhbXBsZSBub25jZQ=",
            b"dGhlIHNhbXBsZSBub25jZR==", // non-canonical trailing bits
            b"dGhlIHNhbXBsZSBub25jZQ?=",
            b"dGhlIHNhbXBsZSBub25jZXk=", // 17 bytes
            b"AAAAAAAAAAAAAAAAAAAAAAAA", // 18 bytes
            b"dGhlIHNhbXBsZSBub25jZQ==\0",
        ] {
            assert_eq!(Key::parse(bad), None, "{bad:?}");
        }
    }
}

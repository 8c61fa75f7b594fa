//! Close status codes (RFC 6455 §7.4) and close frame bodies (§5.5.1).

use core::fmt;

use crate::Error;

/// A close status code (RFC 6455 §7.4).
///
/// Any `u16` can be held (so that an invalid code received can be reported); what may
/// appear on the wire is answered by [`CloseCode::is_valid_on_wire`]:
///
/// | codes | on the wire |
/// |---|---|
/// | 0–999 | never (§7.4.2: "not used") |
/// | 1000–1003, 1007–1011 | yes (§7.4.1) |
/// | 1004 | never (reserved) |
/// | 1005, 1006, 1015 | never (§7.4.1: "MUST NOT be set as a status code in a Close control frame") |
/// | 1012–1014 | yes: registered with IANA after RFC 6455 (service restart, try again later, bad gateway); peers such as servers restarting send them |
/// | 1016–2999 | never (reserved for future revisions of the protocol) |
/// | 3000–4999 | yes (registered with IANA, or private use) |
/// | 5000 and above | never |
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(u16);

impl CloseCode {
    /// 1000: normal closure.
    pub const NORMAL: Self = Self(1000);
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002: protocol error.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003: a data type the endpoint cannot accept.
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1005: no status code was present (API value only, never on the wire).
    pub const NO_STATUS_RECEIVED: Self = Self(1005);
    /// 1006: the connection closed without a close frame (API value only, never on the wire).
    pub const ABNORMAL: Self = Self(1006);
    /// 1007: data inconsistent with the message type (e.g. invalid UTF-8 in text).
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008: a policy was violated.
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009: a message too big to process.
    pub const MESSAGE_TOO_BIG: Self = Self(1009);
    /// 1010: the client expected the server to negotiate an extension.
    pub const MANDATORY_EXTENSION: Self = Self(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: Self = Self(1011);
    /// 1012: the service is restarting (IANA registry).
    pub const SERVICE_RESTART: Self = Self(1012);
    /// 1013: try again later (IANA registry).
    pub const TRY_AGAIN_LATER: Self = Self(1013);
    /// 1014: bad gateway (IANA registry).
    pub const BAD_GATEWAY: Self = Self(1014);
    /// 1015: TLS handshake failure (API value only, never on the wire).
    pub const TLS_HANDSHAKE: Self = Self(1015);

    /// Any code, valid on the wire or not.
    #[inline]
    pub const fn new(code: u16) -> Self {
        Self(code)
    }

    /// The numeric value.
    #[inline]
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// Whether this code may be sent in, and accepted from, a close frame (see the table
    /// on [`CloseCode`]).
    #[inline]
    pub const fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }

    /// Checks a code received in a close frame: `Err(InvalidCloseCode)` for any code that
    /// may not appear on the wire (§7.4; the connection fails with 1002).
    #[inline]
    pub const fn from_wire(code: u16) -> Result<Self, Error> {
        let c = Self(code);
        if c.is_valid_on_wire() {
            Ok(c)
        } else {
            Err(Error::InvalidCloseCode(code))
        }
    }
}

impl From<CloseCode> for u16 {
    fn from(c: CloseCode) -> u16 {
        c.0
    }
}

impl fmt::Debug for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CloseCode({})", self.0)
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A validated close frame body: a status code and a UTF-8 reason, borrowed from the
/// payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CloseBody<'a> {
    /// The status code; valid on the wire.
    pub code: CloseCode,
    /// The reason; valid UTF-8, at most 123 bytes when it came from a well-formed frame.
    pub reason: &'a str,
}

/// Parses and validates an (unmasked) close frame payload (§5.5.1).
///
/// - empty: `Ok(None)`, a close without status (the application sees 1005);
/// - one byte: [`Error::CloseFrameTooShort`];
/// - otherwise a code that must be valid on the wire ([`Error::InvalidCloseCode`]) and a
///   reason that must be UTF-8 ([`Error::InvalidCloseReason`]).
pub fn parse_close_payload(payload: &[u8]) -> Result<Option<CloseBody<'_>>, Error> {
    match payload {
        [] => Ok(None),
        [_] => Err(Error::CloseFrameTooShort),
        [hi, lo, reason @ ..] => {
            let code = CloseCode::from_wire(u16::from_be_bytes([*hi, *lo]))?;
            let reason = core::str::from_utf8(reason).map_err(|_| Error::InvalidCloseReason)?;
            Ok(Some(CloseBody { code, reason }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_validity_follows_section_7_4() {
        // Every code natively; a stride under Miri, which interprets each step.
        let step = if cfg!(miri) { 97 } else { 1 };
        for code in (0u16..=u16::MAX).step_by(step) {
            let valid = CloseCode::new(code).is_valid_on_wire();
            let expected = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            assert_eq!(valid, expected, "code {code}");
        }
        for never in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert_eq!(
                CloseCode::from_wire(never),
                Err(Error::InvalidCloseCode(never))
            );
        }
    }

    #[test]
    fn close_payloads() {
        assert_eq!(parse_close_payload(&[]), Ok(None));
        assert_eq!(parse_close_payload(&[0x03]), Err(Error::CloseFrameTooShort));
        assert_eq!(
            parse_close_payload(&[0x03, 0xE8, b'o', b'k']),
            Ok(Some(CloseBody {
                code: CloseCode::NORMAL,
                reason: "ok"
            }))
        );
        assert_eq!(
            parse_close_payload(&[0x03, 0xED]),
            Err(Error::InvalidCloseCode(1005))
        );
        assert_eq!(
            parse_close_payload(&[0x03, 0xE8, 0xFF]),
            Err(Error::InvalidCloseReason)
        );
        assert_eq!(
            parse_close_payload(&[0x03, 0xE8, 0xFF])
                .unwrap_err()
                .close_code(),
            CloseCode::INVALID_PAYLOAD
        );
    }
}

//! Why a TLS session failed: one small `Copy` variant per cause a user acts on, mapped
//! from rustls' errors (which carry strings and are not `Copy`).

use core::fmt;

use rustls::{CertificateError, InvalidMessage};

/// A TLS alert's description code (RFC 8446 §6; RFC 5246 §7.2 for TLS 1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TlsAlert(pub u8);

impl TlsAlert {
    /// The alert's name in the RFCs, if it is a known one.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            22 => "record_overflow",
            40 => "handshake_failure",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            44 => "certificate_revoked",
            45 => "certificate_expired",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            48 => "unknown_ca",
            49 => "access_denied",
            50 => "decode_error",
            51 => "decrypt_error",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            86 => "inappropriate_fallback",
            90 => "user_canceled",
            109 => "missing_extension",
            110 => "unsupported_extension",
            112 => "unrecognized_name",
            116 => "certificate_required",
            120 => "no_application_protocol",
            _ => return None,
        })
    }
}

impl fmt::Display for TlsAlert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "alert {}", self.0),
        }
    }
}

/// Why a TLS session ended. The certificate variants are what our side found wrong with
/// the peer's certificate; [`AlertReceived`](Self::AlertReceived) is what the peer found
/// wrong with ours (or with the session).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsError {
    /// The peer's certificate does not chain to a trusted root (unknown or self-signed
    /// issuer: add its CA).
    UnknownIssuer,
    /// The peer's certificate is not valid for the name we connected to.
    NameMismatch,
    /// The peer's certificate has expired.
    Expired,
    /// The peer's certificate is not valid yet (check the clock).
    NotYetValid,
    /// The peer's certificate was revoked.
    Revoked,
    /// The peer's certificate is otherwise unusable (encoding, signature, key usage).
    BadCertificate,
    /// The peer ended the session with a fatal alert.
    AlertReceived(TlsAlert),
    /// No TLS version, cipher suite or key exchange in common with the peer.
    Incompatible,
    /// The peer offers no application protocol we speak (ALPN `http/1.1`).
    NoApplicationProtocol,
    /// The bytes are not TLS: typically a plain `ws://` or HTTP request sent to a TLS
    /// port.
    NotTls,
    /// A record failed authentication (corrupted or forged).
    BadRecord,
    /// A record or handshake message larger than TLS allows.
    TooLarge,
    /// The peer broke the TLS protocol in another way.
    PeerMisbehaved,
    /// Server: no certificate for the name the client asked for, and no default.
    NoCertificate,
    /// Client: the host of the URL is not a valid TLS server name.
    InvalidServerName,
    /// Client: a `wss://` connection without a TLS configuration.
    NotConfigured,
    /// Anything else rustls reported (an internal or configuration error).
    Other,
}

impl TlsError {
    /// The peer's certificate was refused by our verifier (one of the certificate
    /// variants).
    pub const fn is_certificate(&self) -> bool {
        matches!(
            self,
            Self::UnknownIssuer
                | Self::NameMismatch
                | Self::Expired
                | Self::NotYetValid
                | Self::Revoked
                | Self::BadCertificate
        )
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownIssuer => {
                f.write_str("the certificate's issuer is not trusted (unknown or self-signed CA)")
            }
            Self::NameMismatch => f.write_str("the certificate is not valid for this host name"),
            Self::Expired => f.write_str("the certificate has expired"),
            Self::NotYetValid => f.write_str("the certificate is not valid yet"),
            Self::Revoked => f.write_str("the certificate was revoked"),
            Self::BadCertificate => f.write_str("the certificate is invalid"),
            Self::AlertReceived(alert) => write!(f, "the peer refused the session ({alert})"),
            Self::Incompatible => {
                f.write_str("no TLS version, cipher suite or key exchange in common")
            }
            Self::NoApplicationProtocol => f.write_str("no common application protocol (ALPN)"),
            Self::NotTls => f.write_str("the peer does not speak TLS (plain HTTP to a TLS port?)"),
            Self::BadRecord => f.write_str("a TLS record failed authentication"),
            Self::TooLarge => f.write_str("a TLS record or handshake message is too large"),
            Self::PeerMisbehaved => f.write_str("the peer broke the TLS protocol"),
            Self::NoCertificate => f.write_str("no certificate for the requested server name"),
            Self::InvalidServerName => f.write_str("the host is not a valid TLS server name"),
            Self::NotConfigured => f.write_str("wss:// needs a TLS configuration"),
            Self::Other => f.write_str("TLS error"),
        }
    }
}

impl std::error::Error for TlsError {}

impl From<&rustls::Error> for TlsError {
    fn from(e: &rustls::Error) -> Self {
        use rustls::Error as E;
        match e {
            E::InvalidCertificate(c) => certificate(c),
            E::AlertReceived(alert) => Self::AlertReceived(TlsAlert(u8::from(*alert))),
            E::PeerIncompatible(_) => Self::Incompatible,
            E::NoApplicationProtocol => Self::NoApplicationProtocol,
            E::InvalidMessage(m) => message(m),
            E::DecryptError => Self::BadRecord,
            E::PeerSentOversizedRecord => Self::TooLarge,
            E::PeerMisbehaved(_) | E::InappropriateMessage { .. } => Self::PeerMisbehaved,
            E::InappropriateHandshakeMessage { .. } => Self::PeerMisbehaved,
            E::General(m) if m.contains("no server certificate") => Self::NoCertificate,
            _ => Self::Other,
        }
    }
}

/// rustls-webpki reports expiry and name mismatch in two forms (with and without
/// context): both map to one variant.
fn certificate(e: &CertificateError) -> TlsError {
    use CertificateError as C;
    match e {
        C::UnknownIssuer => TlsError::UnknownIssuer,
        C::NotValidForName | C::NotValidForNameContext { .. } => TlsError::NameMismatch,
        C::Expired | C::ExpiredContext { .. } => TlsError::Expired,
        C::NotValidYet | C::NotValidYetContext { .. } => TlsError::NotYetValid,
        C::Revoked => TlsError::Revoked,
        _ => TlsError::BadCertificate,
    }
}

fn message(m: &InvalidMessage) -> TlsError {
    match m {
        // The first byte of every TLS record is its content type (20-23): anything else,
        // e.g. the `G` of `GET`, is not TLS.
        InvalidMessage::InvalidContentType | InvalidMessage::UnknownProtocolVersion => {
            TlsError::NotTls
        }
        InvalidMessage::MessageTooLarge | InvalidMessage::HandshakePayloadTooLarge => {
            TlsError::TooLarge
        }
        _ => TlsError::PeerMisbehaved,
    }
}

//! permessage-deflate negotiation (RFC 7692 §5, §7.1), both roles.
//!
//! - **Server**: [`negotiate_deflate`] reads the client's offers in order and accepts the
//!   first acceptable one under a [`DeflateServerPolicy`], giving the agreed
//!   [`DeflateParams`] and the [`Extension`] to put in the `101`. An offer that is
//!   malformed or asks for something unsupported is declined, never fatal (§7: "A server
//!   MUST decline an extension negotiation offer for this extension if any of the
//!   following conditions are met"), and the next offer is tried.
//! - **Client**: [`DeflateClientPolicy::offer`] builds the offer (by default
//!   `permessage-deflate; client_max_window_bits`, as browsers send), and
//!   [`DeflateClientPolicy::accept_response`] checks the server's answer (§7: "A client MUST
//!   _Fail the WebSocket Connection_ if the peer server accepted an extension negotiation
//!   offer for this extension with an extension negotiation response meeting any of the
//!   following conditions").
//!
//! Every window size from 8 to 15 bits is accepted in both directions: `sockeye-deflate`
//! can compress within a 256-byte window although zlib cannot (see its docs and
//! `docs/compression.md`), and decompressing with a larger window than the peer's is
//! always correct.

use crate::{Extension, ResponseError};

/// The extension's name (RFC 7692 §7).
pub const PERMESSAGE_DEFLATE: &str = "permessage-deflate";

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// Which end of the connection a [`DeflateParams`] question is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The end that accepted the connection.
    Server,
    /// The end that opened it.
    Client,
}

/// The agreed permessage-deflate parameters: what each side's compressor may do.
///
/// `*_max_window_bits` is 8..=15 (15, a 32 KiB window, when the parameter was absent);
/// `*_no_context_takeover` means that side starts every message with a fresh compressor
/// (RFC 7692 §7.1.1), so its peer's decompressor may start fresh too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeflateParams {
    /// The server compresses every message with a fresh LZ77 window.
    pub server_no_context_takeover: bool,
    /// The client compresses every message with a fresh LZ77 window.
    pub client_no_context_takeover: bool,
    /// The largest window (as base-2 logarithm) the server compresses with.
    pub server_max_window_bits: u8,
    /// The largest window (as base-2 logarithm) the client compresses with.
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    /// Every parameter absent: context takeover both ways, 32 KiB windows.
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

impl DeflateParams {
    /// The window bits `side` compresses with.
    pub fn compress_window_bits(&self, side: Side) -> u8 {
        match side {
            Side::Server => self.server_max_window_bits,
            Side::Client => self.client_max_window_bits,
        }
    }

    /// The window bits `side` decompresses with: its peer's compressor's.
    pub fn decompress_window_bits(&self, side: Side) -> u8 {
        self.compress_window_bits(side.peer())
    }

    /// Whether `side` compresses every message with a fresh window.
    pub fn compress_no_context_takeover(&self, side: Side) -> bool {
        match side {
            Side::Server => self.server_no_context_takeover,
            Side::Client => self.client_no_context_takeover,
        }
    }

    /// Whether every message `side` receives starts a fresh window (its peer compresses
    /// without context takeover).
    pub fn decompress_no_context_takeover(&self, side: Side) -> bool {
        self.compress_no_context_takeover(side.peer())
    }
}

impl Side {
    /// The other end.
    pub fn peer(self) -> Self {
        match self {
            Self::Server => Self::Client,
            Self::Client => Self::Server,
        }
    }
}

/// Whether `name` is the extension `permessage-deflate` (tokens compare ASCII
/// case-insensitively).
pub fn is_permessage_deflate(extension: &Extension) -> bool {
    extension.name().eq_ignore_ascii_case(PERMESSAGE_DEFLATE)
}

/// A window-bits value (§7.1.2.1: "a decimal integer value without leading zeroes between
/// 8 to 15, inclusive ... server-max-window-bits = 1*DIGIT").
fn window_bits(value: &str) -> Option<u8> {
    match value {
        "8" => Some(8),
        "9" => Some(9),
        "10" => Some(10),
        "11" => Some(11),
        "12" => Some(12),
        "13" => Some(13),
        "14" => Some(14),
        "15" => Some(15),
        _ => None,
    }
}

/// One parameter list, read with the rules both roles share: each known name at most
/// once, the no-context-takeover parameters without a value, window bits in range.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Parsed {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    /// `Some(bits)` when present (always with a value once parsed).
    server_max_window_bits: Option<u8>,
    /// `Some(None)` when present without a value (allowed in an offer only).
    client_max_window_bits: Option<Option<u8>>,
}

/// Why a parameter list was refused (mapped to a decline or a [`ResponseError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ParamError {
    Unknown,
    Duplicate(&'static str),
    InvalidValue(&'static str),
}

impl From<ParamError> for ResponseError {
    fn from(e: ParamError) -> Self {
        match e {
            ParamError::Unknown => Self::DeflateUnknownParameter,
            ParamError::Duplicate(name) => Self::DeflateDuplicateParameter(name),
            ParamError::InvalidValue(name) => Self::DeflateInvalidValue(name),
        }
    }
}

/// Reads the parameters of one `permessage-deflate` element. `offer`: whether it is an
/// offer (where `client_max_window_bits` may come without a value) or a response.
fn parse(extension: &Extension, offer: bool) -> Result<Parsed, ParamError> {
    let mut p = Parsed::default();
    for param in extension.params() {
        let name = param.name();
        let value = param.value();
        if name.eq_ignore_ascii_case(SERVER_NO_CONTEXT_TAKEOVER) {
            // §7.1.1.1: "This extension parameter has no value."
            if p.server_no_context_takeover {
                return Err(ParamError::Duplicate(SERVER_NO_CONTEXT_TAKEOVER));
            }
            if value.is_some() {
                return Err(ParamError::InvalidValue(SERVER_NO_CONTEXT_TAKEOVER));
            }
            p.server_no_context_takeover = true;
        } else if name.eq_ignore_ascii_case(CLIENT_NO_CONTEXT_TAKEOVER) {
            // §7.1.1.2: "This extension parameter has no value."
            if p.client_no_context_takeover {
                return Err(ParamError::Duplicate(CLIENT_NO_CONTEXT_TAKEOVER));
            }
            if value.is_some() {
                return Err(ParamError::InvalidValue(CLIENT_NO_CONTEXT_TAKEOVER));
            }
            p.client_no_context_takeover = true;
        } else if name.eq_ignore_ascii_case(SERVER_MAX_WINDOW_BITS) {
            // §7.1.2.1: always with a value, in an offer and in a response.
            if p.server_max_window_bits.is_some() {
                return Err(ParamError::Duplicate(SERVER_MAX_WINDOW_BITS));
            }
            let bits = value
                .and_then(window_bits)
                .ok_or(ParamError::InvalidValue(SERVER_MAX_WINDOW_BITS))?;
            p.server_max_window_bits = Some(bits);
        } else if name.eq_ignore_ascii_case(CLIENT_MAX_WINDOW_BITS) {
            // §7.1.2.2: "This parameter has no value or a decimal integer value without
            // leading zeroes between 8 to 15 inclusive" in an offer; in a response it
            // "has a decimal integer value".
            if p.client_max_window_bits.is_some() {
                return Err(ParamError::Duplicate(CLIENT_MAX_WINDOW_BITS));
            }
            let bits = match value {
                None if offer => None,
                None => return Err(ParamError::InvalidValue(CLIENT_MAX_WINDOW_BITS)),
                Some(v) => {
                    Some(window_bits(v).ok_or(ParamError::InvalidValue(CLIENT_MAX_WINDOW_BITS))?)
                }
            };
            p.client_max_window_bits = Some(bits);
        } else {
            // §7: "The negotiation offer contains an extension parameter not defined for
            // use in an offer" (or response): decline / fail.
            return Err(ParamError::Unknown);
        }
    }
    Ok(p)
}

/// What a server is willing to do (the defaults: accept, context takeover both ways,
/// 32 KiB windows, follow the client's hints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DeflateServerPolicy {
    /// Accept permessage-deflate at all. Default `true`.
    pub enabled: bool,
    /// Compress every message with a fresh window even if the client did not ask (§7.1.1.1:
    /// "A server MAY include the 'server_no_context_takeover' extension parameter in an
    /// extension negotiation response even if the extension negotiation offer being
    /// accepted by the extension negotiation response didn't include" it). Needed to share
    /// one compressor between connections. Default `false`.
    pub server_no_context_takeover: bool,
    /// Ask the client to compress every message with a fresh window, so that the server
    /// holds no decompression state between messages (§7.1.1.2: "A server MAY include the
    /// 'client_no_context_takeover' extension parameter in an extension negotiation
    /// response"). When the client offers it as a hint it is accepted whatever this says.
    /// Default `false`.
    pub client_no_context_takeover: bool,
    /// The largest window the server compresses with, 8..=15 (clamped). Smaller than 15
    /// it is announced even if not asked for (§7.1.2.1). Default 15.
    pub server_max_window_bits: u8,
    /// The window to ask the client to compress with, 8..=15 (clamped), when the client
    /// offered `client_max_window_bits` (§7.1.2.2: otherwise the response "MUST NOT
    /// include" it, and the client may use up to 15). Default 15 (nothing asked).
    pub client_max_window_bits: u8,
}

impl Default for DeflateServerPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl DeflateServerPolicy {
    /// The defaults listed on each field.
    pub const fn new() -> Self {
        Self {
            enabled: true,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }

    /// Accepts one offer, or `None` to decline it.
    fn accept(&self, offer: &Extension) -> Option<(DeflateParams, Extension)> {
        let p = parse(offer, true).ok()?;
        let own_max = self.server_max_window_bits.clamp(8, 15);
        let peer_max = self.client_max_window_bits.clamp(8, 15);
        let params = DeflateParams {
            server_no_context_takeover: p.server_no_context_takeover
                || self.server_no_context_takeover,
            client_no_context_takeover: p.client_no_context_takeover
                || self.client_no_context_takeover,
            // §7.1.2.1: accepted "with the same or smaller value as the offer".
            server_max_window_bits: p.server_max_window_bits.unwrap_or(15).min(own_max),
            client_max_window_bits: match p.client_max_window_bits {
                // §7.1.2.2: without the parameter in the offer, nothing may be asked.
                None => 15,
                // The client's own limit (a hint it will keep to) or ours, the smaller.
                Some(hint) => hint.unwrap_or(15).min(peer_max),
            },
        };
        let announce_client_window = match p.client_max_window_bits {
            None => false,
            Some(hint) => hint.is_some() || params.client_max_window_bits < 15,
        };
        let announce_server_window =
            p.server_max_window_bits.is_some() || params.server_max_window_bits < 15;
        Some((
            params,
            response(&params, announce_server_window, announce_client_window),
        ))
    }
}

/// The `permessage-deflate` element of a response carrying `params`.
fn response(params: &DeflateParams, server_window: bool, client_window: bool) -> Extension {
    let mut ext = Extension::bare(PERMESSAGE_DEFLATE);
    if params.server_no_context_takeover {
        ext.push_param(SERVER_NO_CONTEXT_TAKEOVER, None);
    }
    if params.client_no_context_takeover {
        ext.push_param(CLIENT_NO_CONTEXT_TAKEOVER, None);
    }
    if server_window {
        ext.push_param(
            SERVER_MAX_WINDOW_BITS,
            Some(&params.server_max_window_bits.to_string()),
        );
    }
    if client_window {
        ext.push_param(
            CLIENT_MAX_WINDOW_BITS,
            Some(&params.client_max_window_bits.to_string()),
        );
    }
    ext
}

/// Server side: goes through the client's offers in order (other extensions among them are
/// skipped) and accepts the first `permessage-deflate` offer that is well-formed and
/// supported (§5: a client may send several; "The order of elements is important as it
/// specifies the client's preference."). Returns the agreed parameters and the extension to
/// accept in the `101` ([`Accept::extension`](crate::Accept::extension)), or `None` when
/// every offer is declined or the policy is disabled: then the connection simply goes on
/// uncompressed.
///
/// Declined (§7 "A server MUST decline ..."): a parameter not defined for an offer, a
/// parameter twice, a value where none belongs (`*_no_context_takeover=x`), no value where
/// one is required (`server_max_window_bits`), a window value that is not one of `8` to
/// `15` written without leading zeroes (`08`, `16`, `+9`, `9.0`, `0x9`).
///
/// ```
/// use sockeye_handshake::{DeflateServerPolicy, Extension, negotiate_deflate};
/// let offers = [
///     Extension::new("x-other")?,
///     Extension::new("permessage-deflate")?.with_param("server_max_window_bits", Some("08"))?,
///     Extension::new("permessage-deflate")?.with_param("client_max_window_bits", None)?,
/// ];
/// let (params, answer) = negotiate_deflate(&offers, &DeflateServerPolicy::new()).unwrap();
/// assert_eq!(params.client_max_window_bits, 15);
/// assert_eq!(answer.to_string(), "permessage-deflate");
/// # Ok::<(), sockeye_handshake::BuildError>(())
/// ```
pub fn negotiate_deflate(
    offers: &[Extension],
    policy: &DeflateServerPolicy,
) -> Option<(DeflateParams, Extension)> {
    if !policy.enabled {
        return None;
    }
    offers
        .iter()
        .filter(|e| is_permessage_deflate(e))
        .find_map(|offer| policy.accept(offer))
}

/// What a client offers (the default: `permessage-deflate; client_max_window_bits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DeflateClientPolicy {
    /// Ask the server to compress every message with a fresh window (§7.1.1.1), so that
    /// this client holds no decompression state between messages. Default `false`.
    pub server_no_context_takeover: bool,
    /// Tell the server that this client compresses every message with a fresh window
    /// (§7.1.1.2: a hint; the client keeps to it whatever the answer). Default `false`.
    pub client_no_context_takeover: bool,
    /// Ask the server to compress with at most this window, 8..=15 (clamped); `None`
    /// asks nothing (§7.1.2.1). Default `None`.
    pub server_max_window_bits: Option<u8>,
    /// Offer `client_max_window_bits`: the server may then limit our window (§7.1.2.2).
    /// Without it some servers (Autobahn's 13.3–13.7 cases) decline. Default `true`.
    pub offer_client_max_window_bits: bool,
    /// With the parameter offered, a value below 15 is sent as a hint and kept to (the
    /// largest window this client compresses with). Default 15 (no value sent).
    pub client_max_window_bits: u8,
}

impl Default for DeflateClientPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl DeflateClientPolicy {
    /// The defaults listed on each field.
    pub const fn new() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: None,
            offer_client_max_window_bits: true,
            client_max_window_bits: 15,
        }
    }

    /// The policy whose [`offer`](Self::offer) means the same as `offer`, or `None` when
    /// `offer` is not a well-formed `permessage-deflate` offer (one a server must decline).
    /// For checking an answer to an offer built elsewhere.
    pub fn from_offer(offer: &Extension) -> Option<Self> {
        if !is_permessage_deflate(offer) {
            return None;
        }
        let p = parse(offer, true).ok()?;
        Some(Self {
            server_no_context_takeover: p.server_no_context_takeover,
            client_no_context_takeover: p.client_no_context_takeover,
            server_max_window_bits: p.server_max_window_bits,
            offer_client_max_window_bits: p.client_max_window_bits.is_some(),
            client_max_window_bits: p.client_max_window_bits.flatten().unwrap_or(15),
        })
    }

    /// The offer to send ([`ClientRequest::extension`](crate::ClientRequest::extension)).
    ///
    /// ```
    /// use sockeye_handshake::DeflateClientPolicy;
    /// let offer = DeflateClientPolicy::new().offer();
    /// assert_eq!(offer.to_string(), "permessage-deflate; client_max_window_bits");
    /// ```
    pub fn offer(&self) -> Extension {
        let mut ext = Extension::bare(PERMESSAGE_DEFLATE);
        if self.server_no_context_takeover {
            ext.push_param(SERVER_NO_CONTEXT_TAKEOVER, None);
        }
        if self.client_no_context_takeover {
            ext.push_param(CLIENT_NO_CONTEXT_TAKEOVER, None);
        }
        if let Some(bits) = self.server_max_window_bits {
            ext.push_param(SERVER_MAX_WINDOW_BITS, Some(&bits.clamp(8, 15).to_string()));
        }
        if self.offer_client_max_window_bits {
            let bits = self.client_max_window_bits.clamp(8, 15);
            let value = (bits < 15).then(|| bits.to_string());
            ext.push_param(CLIENT_MAX_WINDOW_BITS, value.as_deref());
        }
        ext
    }

    /// Client side: checks the extensions the server accepted
    /// ([`Accepted::extensions`](crate::Accepted::extensions)) against this policy's
    /// offer. `Ok(None)`: the server did not accept permessage-deflate (the connection
    /// goes on uncompressed). `Ok(Some(params))`: use these.
    ///
    /// # Errors
    /// The connection must fail (§7) when the answer has a parameter not defined for a
    /// response, one twice, an invalid value, `client_max_window_bits` although the offer
    /// did not have it (§7.1.2.2: "the corresponding extension negotiation response to the
    /// offer MUST NOT include" it), a `server_max_window_bits` larger than asked for
    /// (§7.1.2.1: "the same or smaller value as the offer"), lacks a parameter that
    /// accepting our offer requires (`server_no_context_takeover` or
    /// `server_max_window_bits` when asked for), or accepts permessage-deflate twice
    /// (RFC 7692 §5: both would claim RSV1).
    pub fn accept_response(
        &self,
        accepted: &[Extension],
    ) -> Result<Option<DeflateParams>, ResponseError> {
        let mut found = accepted.iter().filter(|e| is_permessage_deflate(e));
        let Some(answer) = found.next() else {
            return Ok(None);
        };
        if found.next().is_some() {
            return Err(ResponseError::DeflateAcceptedTwice);
        }
        let p = parse(answer, false)?;
        if self.server_no_context_takeover && !p.server_no_context_takeover {
            return Err(ResponseError::DeflateMissingParameter(
                SERVER_NO_CONTEXT_TAKEOVER,
            ));
        }
        let server_bits = match (self.server_max_window_bits, p.server_max_window_bits) {
            (Some(_), None) => {
                return Err(ResponseError::DeflateMissingParameter(
                    SERVER_MAX_WINDOW_BITS,
                ));
            }
            (Some(asked), Some(bits)) if bits > asked.clamp(8, 15) => {
                return Err(ResponseError::DeflateNotOffered(SERVER_MAX_WINDOW_BITS));
            }
            // Unasked, any valid value (§7.1.2.1: the server MAY include it anyway).
            (_, bits) => bits.unwrap_or(15),
        };
        let own_max = if self.offer_client_max_window_bits {
            self.client_max_window_bits.clamp(8, 15)
        } else {
            15
        };
        let client_bits = match p.client_max_window_bits {
            None => own_max,
            Some(_) if !self.offer_client_max_window_bits => {
                return Err(ResponseError::DeflateNotOffered(CLIENT_MAX_WINDOW_BITS));
            }
            // A value above our hint: we keep to our hint (§7.1.2.2).
            Some(bits) => bits.unwrap_or(15).min(own_max),
        };
        Ok(Some(DeflateParams {
            // §7.1.1.1: a response may carry it even if not asked for; we support it.
            server_no_context_takeover: p.server_no_context_takeover,
            // §7.1.1.2: "A client MUST support the 'client_no_context_takeover' extension
            // parameter in an extension negotiation response"; our own hint holds too.
            client_no_context_takeover: p.client_no_context_takeover
                || self.client_no_context_takeover,
            server_max_window_bits: server_bits,
            client_max_window_bits: client_bits,
        }))
    }
}

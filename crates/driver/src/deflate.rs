//! permessage-deflate (RFC 7692), negotiated here once for every front end: the server's
//! answer in [`Driver::accept`](crate::Driver::accept), the client's offer in
//! [`Driver::client`](crate::Driver::client) and its check of the `101`. The extension is
//! `sockeye-deflate`'s, installed in the connection behind `sockeye-proto`'s seam.
//!
//! Three ready-made memory modes (measured figures: `docs/compression.md`):
//!
//! | mode | server answers | zlib state an idle connection holds |
//! |---|---|---|
//! | [`DeflateConfig::context_takeover`] | takeover both ways | compressor and inflater (about 300–420 KiB) |
//! | [`DeflateConfig::shared_compressor`] | `server_no_context_takeover` | the inflater (about 47 KiB); one compressor per event loop |
//! | [`DeflateConfig::no_idle_state`] (the default) | `server_no_context_takeover; client_no_context_takeover` | none: states exist only while a message is compressed or inflated |

use sockeye_deflate::{DeflateOptions, Memory, PerMessageDeflate, SharedCompressor};
use sockeye_handshake::{
    Accept, DeflateClientPolicy, DeflateParams, DeflateServerPolicy, Extension, Request,
    ResponseError, is_permessage_deflate, negotiate_deflate,
};
use sockeye_proto::{Connection, Role};

/// permessage-deflate settings of a [`DriverConfig`](crate::DriverConfig).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeflateConfig {
    /// Server: what it accepts and asks for.
    pub server: DeflateServerPolicy,
    /// Client: what it offers.
    pub client: DeflateClientPolicy,
    /// Level, the size under which messages go uncompressed, what is kept between
    /// messages.
    pub options: DeflateOptions,
    /// Server: the compressor connections that compress without context takeover share.
    /// One per event loop: a front end with several loops gives each its own
    /// ([`for_event_loop`](Self::for_event_loop)); it is uncontended then.
    pub shared: Option<SharedCompressor>,
}

impl DeflateConfig {
    /// Context takeover in both directions: the best ratio (every message can refer to
    /// the ones before it), and a compressor and an inflater for each connection's whole
    /// life.
    pub fn context_takeover() -> Self {
        Self {
            server: DeflateServerPolicy::new(),
            client: DeflateClientPolicy::new(),
            options: DeflateOptions::new(),
            shared: None,
        }
    }

    /// The server compresses every message with a fresh window
    /// (`server_no_context_takeover`, §7.1.1.1), through one compressor per event loop
    /// (uWebSockets' shared compressor); clients keep their context, so each connection
    /// holds an inflater.
    pub fn shared_compressor() -> Self {
        let mut config = Self::context_takeover();
        config.server.server_no_context_takeover = true;
        config.shared = Some(SharedCompressor::new(config.options.level, 15));
        config
    }

    /// As [`shared_compressor`](Self::shared_compressor), and the server asks clients for
    /// `client_no_context_takeover` (§7.1.1.2) and releases its inflater after each
    /// message: an idle connection holds no zlib state at all, for a state made per
    /// received compressed message. The default.
    pub fn no_idle_state() -> Self {
        let mut config = Self::shared_compressor();
        config.server.client_no_context_takeover = true;
        config.options.memory = Memory::Release;
        config
    }

    /// Sets the zlib level (0..=9, clamped) of every compressor, the shared one included
    /// (setting `options.level` alone would leave a shared compressor at its old level).
    pub fn set_level(&mut self, level: u32) {
        self.options.level = level;
        if let Some(shared) = &self.shared {
            self.shared = Some(SharedCompressor::new(level, shared.window_bits()));
        }
    }

    /// A copy for one more event loop: its own shared compressor (if this one shares),
    /// at `options.level`.
    #[must_use]
    pub fn for_event_loop(&self) -> Self {
        let mut config = self.clone();
        if let Some(shared) = &self.shared {
            config.shared = Some(SharedCompressor::new(
                self.options.level,
                shared.window_bits(),
            ));
        }
        config
    }

    /// The extension for a connection in `role` with the negotiated `params`.
    fn extension(&self, role: Role, params: DeflateParams) -> PerMessageDeflate {
        let extension = PerMessageDeflate::new(role, params, self.options);
        match (&self.shared, role) {
            // It takes the handle only where that is correct (no takeover, window).
            (Some(shared), Role::Server) => extension.with_shared_compressor(shared.clone()),
            _ => extension,
        }
    }
}

impl Default for DeflateConfig {
    fn default() -> Self {
        Self::no_idle_state()
    }
}

/// Server: the acceptance to write, with our answer to the client's permessage-deflate
/// offers when one is acceptable and the application did not answer for it itself.
pub(crate) fn server_answer(
    config: Option<&DeflateConfig>,
    request: &Request,
    accept: &Accept,
) -> Option<(Accept, DeflateParams)> {
    let config = config?;
    if accept.get_extensions().iter().any(is_permessage_deflate) {
        return None;
    }
    let (params, answer) = negotiate_deflate(request.extensions(), &config.server)?;
    Some((accept.clone().extension(answer), params))
}

/// Installs the negotiated extension.
pub(crate) fn install(
    config: Option<&DeflateConfig>,
    ws: Connection,
    params: Option<DeflateParams>,
) -> Connection {
    match (config, params) {
        (Some(config), Some(params)) => {
            let role = ws.role();
            ws.with_extension(Box::new(config.extension(role, params)))
        }
        _ => ws,
    }
}

/// Client: the offer to add to the request.
pub(crate) fn client_offer(config: Option<&DeflateConfig>) -> Option<Extension> {
    config.map(|c| c.client.offer())
}

/// Client: what the server's `101` agreed to, checked against our offer (§7: a response
/// the client did not allow fails the connection).
pub(crate) fn client_agreed(
    config: Option<&DeflateConfig>,
    accepted: &[Extension],
) -> Result<Option<DeflateParams>, ResponseError> {
    match config {
        Some(config) => config.client.accept_response(accepted),
        None => Ok(None),
    }
}

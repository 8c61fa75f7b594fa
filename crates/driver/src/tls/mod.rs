//! TLS (`wss://`, RFC 6455 §4.1 and §11.1.2) on rustls, written once here for every front
//! end: with a TLS configuration in [`DriverConfig`](crate::DriverConfig) the driver's
//! input is ciphertext and its output is ciphertext, and a front end does nothing else
//! differently (the server, the clients and the tokio adapter have no TLS code).
//!
//! - Server: [`DriverConfig::tls_server`](crate::DriverConfig::tls_server) (a
//!   [`TlsServerConfig`]: PEM files, certificates by SNI, renewal through its
//!   [`CertStore`]); every [`Driver::server`](crate::Driver::server) speaks TLS.
//! - Client: [`Driver::client_tls`](crate::Driver::client_tls) with
//!   [`DriverConfig::tls_client`](crate::DriverConfig::tls_client) (a [`TlsClientConfig`]:
//!   system roots and CA files; the host name is always verified).
//!
//! The TLS handshake is part of the opening handshake: it counts against
//! [`DriverConfig::handshake_timeout`](crate::DriverConfig::handshake_timeout), absolute
//! from the accept (or the TCP connect). Buffers are bounded and released while idle (see
//! `layer.rs`); measured memory in `docs/tls.md`.

mod config;
#[cfg(feature = "tls-dev")]
pub mod dev;
mod error;
mod layer;

use std::time::Instant;

pub use config::{
    CertStore, TlsClientConfig, TlsConfigError, TlsServerConfig, add_ca_file, load_certificates,
    load_certified_key, provider, system_roots,
};
pub use error::{TlsAlert, TlsError};
pub(crate) use layer::TlsLayer;
/// The rustls this crate is built with, for applications' own configurations
/// ([`TlsServerConfig::from_rustls`], [`TlsClientConfig::from_rustls`]).
pub use rustls;

use crate::closed::Closed;
use crate::driver::{Core, Phase};
use crate::{Driver, Error, Outbox, Recv};

/// The answer to plain HTTP on a TLS port (what a browser shows for `http://` to an
/// `https://` port), instead of a TLS alert it cannot read.
const NOT_TLS_RESPONSE: &[u8] = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\
Content-Type: text/plain\r\nContent-Length: 44\r\n\r\nThis port speaks TLS: use wss:// or https://";

/// [`Driver::recv`] under TLS: every complete record of `input` is decrypted first (into
/// the layer), then the decrypted bytes go to the phase as plain input would, until the
/// first event. All of `input` is consumed at once; what the event left waits in the layer
/// for the next call (which the caller makes, with the empty rest, until no event).
pub(crate) fn recv<'a>(
    driver: &'a mut Driver,
    input: &'a mut [u8],
    now: Instant,
) -> Result<Recv<'a>, Error> {
    let Driver {
        phase,
        out,
        config,
        ends,
        tls,
        ..
    } = driver;
    let Some(layer) = tls.as_deref_mut() else {
        return Core {
            phase,
            out,
            config,
            ends,
        }
        .recv(input, now);
    };
    if let Phase::Accepting(a) = &*phase
        && a.request.is_some()
    {
        return Err(Error::DecisionPending);
    }
    if matches!(phase, Phase::Closing(_) | Phase::Done) {
        return Ok(Recv {
            consumed: input.len(),
            event: None,
            outbox: Outbox::inert(),
        });
    }
    let consumed = input.len();
    if let Err(e) = layer.absorb(input) {
        let mut core = Core {
            phase,
            out,
            config,
            ends,
        };
        fail(&mut core, layer, e, now);
        return Err(Error::Tls(e));
    }
    let end = layer.plain.len();
    let TlsLayer {
        plain, plain_pos, ..
    } = layer;
    // Also with nothing decrypted: the phase releases what its last event borrowed.
    let core = Core {
        phase,
        out,
        config,
        ends,
    };
    match core.recv(&mut plain[*plain_pos..], now) {
        Ok(r) => {
            *plain_pos += r.consumed;
            Ok(Recv {
                consumed,
                event: r.event,
                outbox: r.outbox,
            })
        }
        Err(e) => {
            // The connection is over: what else was decrypted is dropped.
            *plain_pos = end;
            Err(e)
        }
    }
}

/// The session failed: no more WebSocket data can go out; the alert (or, for plain HTTP
/// on our port, a `400`) is written and the connection closes. An open connection ends
/// abnormally (1006: no close frame can be sent).
fn fail(core: &mut Core<'_>, layer: &mut TlsLayer, e: TlsError, now: Instant) {
    core.out.clear();
    if e == TlsError::NotTls && matches!(core.phase, Phase::Accepting(_)) {
        layer.wire.clear();
        layer.wire.buf.extend_from_slice(NOT_TLS_RESPONSE);
    }
    if let Phase::Open(_) = core.phase {
        core.ends_mut().closed = Some(Closed::unclean(
            sockeye_proto::CloseCode::ABNORMAL,
            crate::ClosedBy::Transport,
        ));
    }
    *core.phase = core.closing(now);
}

impl Driver {
    /// Under TLS: encrypts queued output and returns the ciphertext to write.
    pub(crate) fn tls_output(&mut self) -> Option<&[u8]> {
        let layer = self.tls.as_deref_mut()?;
        let closing = matches!(self.phase, Phase::Closing(_));
        let mut none = crate::output::Output::default();
        let out = self.out.get_mut().unwrap_or(&mut none);
        layer.flush(out, closing, self.config.keep_output_capacity);
        layer.release_idle();
        Some(layer.wire.pending())
    }
}

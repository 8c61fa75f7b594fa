//! The configurations used when the caller gives none, one per thread.
//!
//! A [`DriverConfig`] with permessage-deflate's default mode holds a shared compressor
//! (zlib state of a few hundred KiB) meant for one event loop: made once per runtime thread
//! and shared by the connections that thread accepts, never once per connection.

use std::sync::Arc;

use sockeye_driver::{DeflateConfig, DriverConfig};

thread_local! {
    static SERVER: Arc<DriverConfig> = Arc::new(DriverConfig::default());
    static CLIENT: Arc<DriverConfig> = Arc::new(client_config());
}

/// The server defaults: [`DriverConfig::default`] (permessage-deflate in the mode that
/// keeps no zlib state on idle connections).
pub(crate) fn server() -> Arc<DriverConfig> {
    SERVER.with(Arc::clone)
}

/// The client defaults: [`DriverConfig::default`], offering permessage-deflate as
/// browsers do and keeping the compression context (what `sockeye-client` does too).
pub(crate) fn client() -> Arc<DriverConfig> {
    CLIENT.with(Arc::clone)
}

fn client_config() -> DriverConfig {
    let mut config = DriverConfig::default();
    config.deflate = Some(DeflateConfig::context_takeover());
    config
}

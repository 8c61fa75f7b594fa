//! `tracing` events behind the `tracing` feature. Without it the macros expand to
//! nothing: no call, no argument evaluated, no dependency.

/// `event!(level, fields..., message)`, as `tracing`'s level macros take them.
#[cfg(feature = "tracing")]
macro_rules! event {
    (error, $($t:tt)*) => { ::tracing::error!(target: "sockeye_client", $($t)*) };
    (warn, $($t:tt)*) => { ::tracing::warn!(target: "sockeye_client", $($t)*) };
    (info, $($t:tt)*) => { ::tracing::info!(target: "sockeye_client", $($t)*) };
    (debug, $($t:tt)*) => { ::tracing::debug!(target: "sockeye_client", $($t)*) };
    (trace, $($t:tt)*) => { ::tracing::trace!(target: "sockeye_client", $($t)*) };
}

#[cfg(not(feature = "tracing"))]
macro_rules! event {
    ($level:ident, $($t:tt)*) => {};
}

pub(crate) use event;

/// The server's `101`, at debug level: status, headers, what was agreed.
pub(crate) fn response(
    response: &sockeye_handshake::Response,
    protocol: Option<&str>,
    deflate: bool,
) {
    #[cfg(feature = "tracing")]
    {
        let mut head = format!("HTTP/1.1 {} {}", response.status(), response.reason());
        for (name, value) in response.headers().iter() {
            head.push_str(&format!("\n{name}: {}", String::from_utf8_lossy(value)));
        }
        event!(debug, %head, protocol, deflate, "open");
    }
    let _ = (response, protocol, deflate);
}

//! `tracing` events behind the `tracing` feature. Without it the macros expand to
//! nothing: no call, no argument evaluated, no dependency.

/// `event!(level, fields..., message)`, as `tracing`'s level macros take them.
#[cfg(feature = "tracing")]
macro_rules! event {
    (error, $($t:tt)*) => { ::tracing::error!(target: "sockeye_server", $($t)*) };
    (warn, $($t:tt)*) => { ::tracing::warn!(target: "sockeye_server", $($t)*) };
    (info, $($t:tt)*) => { ::tracing::info!(target: "sockeye_server", $($t)*) };
    (debug, $($t:tt)*) => { ::tracing::debug!(target: "sockeye_server", $($t)*) };
    (trace, $($t:tt)*) => { ::tracing::trace!(target: "sockeye_server", $($t)*) };
}

#[cfg(not(feature = "tracing"))]
macro_rules! event {
    ($level:ident, $($t:tt)*) => {};
}

pub(crate) use event;

//! Logs on stderr: tracing-subscriber's formatter under an `EnvFilter` (`RUST_LOG`, when
//! set, overrides the command's own filter).

use tracing_subscriber::EnvFilter;

/// Installs the subscriber with `default` (`sockeye_server=info`...) unless `RUST_LOG`
/// says otherwise. Without a call no event is recorded at all.
pub(crate) fn init(default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

//! `sockeye echo`: the echo server.

use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use sockeye_server::tls::TlsServerConfig;
use sockeye_server::{Echo, Server, ServerConfig, Stats};

use crate::args::EchoArgs;

/// How long Ctrl-C or SIGTERM waits for connections to finish their closing handshake.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

pub(crate) fn run(args: EchoArgs) -> Result<ExitCode, String> {
    crate::log::init(&format!("sockeye_server={}", args.log.as_str()));
    let mut config = ServerConfig::default();
    if let Some(threads) = args.threads {
        config.threads = usize::from(threads);
    }
    if args.no_compression {
        config.deflate = None;
    }
    if let (Some(level), Some(deflate)) = (args.compression_level, config.deflate.as_mut()) {
        deflate.set_level(level);
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        let tls = TlsServerConfig::from_pem_files(cert, key).map_err(|e| format!("TLS: {e}"))?;
        config.tls = Some(tls);
    }
    let scheme = if config.tls.is_some() { "wss" } else { "ws" };
    config.connection.max_message_size = args.max_message;
    config.connection.max_frame_payload = args.max_message;
    // Room for the echo of two maximal messages on top of the high-water mark.
    let needed = usize::try_from(args.max_message.saturating_mul(2))
        .unwrap_or(usize::MAX)
        .saturating_add(config.write_high_water);
    config.max_write_buffer = config.max_write_buffer.max(needed);
    let threads = config.threads;

    let server = Server::bind(args.listen, config, Echo).map_err(|e| e.to_string())?;
    let (stop_tx, stop_rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .map_err(|e| format!("cannot install the Ctrl-C/SIGTERM handler: {e}"))?;

    println!(
        "sockeye echo listening on {scheme}://{} ({threads} thread{}, messages up to {} bytes{})",
        server.local_addr(),
        if threads == 1 { "" } else { "s" },
        args.max_message,
        if args.no_compression {
            ""
        } else {
            ", permessage-deflate"
        }
    );
    let _ = std::io::Write::flush(&mut std::io::stdout());

    let handle = server.handle();
    loop {
        let wait = args.stats_every.unwrap_or(Duration::from_secs(3600));
        match stop_rx.recv_timeout(wait) {
            Err(RecvTimeoutError::Timeout) => {
                if args.stats_every.is_some() {
                    eprintln!("{}", stats_line(&handle.stats()));
                }
            }
            Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    println!("shutting down: closing connections with 1001");
    let _ = std::io::Write::flush(&mut std::io::stdout());
    server.shutdown(SHUTDOWN_GRACE);
    if args.stats_every.is_some() {
        eprintln!("{}", stats_line(&handle.stats()));
    }
    Ok(ExitCode::SUCCESS)
}

/// The counters on one line, `key=value`.
fn stats_line(s: &Stats) -> String {
    let map = |m: &std::collections::BTreeMap<u16, u64>| {
        m.iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        "stats open={} accepted={} over_limit={} upgraded={} refused={{{}}} \
         handshake_failed={} messages_in={} messages_out={} bytes_in={} bytes_out={} \
         closes={{{}}} closed_by_peer={} closed_locally={} closed_by_transport={} \
         protocol_errors={} backpressure_pauses={}",
        s.open,
        s.accepted,
        s.over_limit,
        s.upgraded,
        map(&s.refused),
        s.handshake_failed,
        s.messages_in,
        s.messages_out,
        s.bytes_in,
        s.bytes_out,
        map(&s.closes),
        s.closed_by_peer,
        s.closed_locally,
        s.closed_by_transport,
        s.protocol_errors,
        s.backpressure_pauses
    )
}

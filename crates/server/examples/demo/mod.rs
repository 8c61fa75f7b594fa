//! What the browser demos (`chat`, `ticker`, `board`) share: their arguments, the page's
//! common script and style, and the server's life from bind to the 1001 on Ctrl-C or
//! SIGTERM.
//!
//! Arguments: `ADDR [--tls] [--threads N] [--drain-ms MS] [--NAME VALUE]...` (the last
//! for a demo's own settings, e.g. the ticker's `--rate`).
//!
//! `GET /healthz` answers `200 ok`, or `503 draining` once a stop was asked for: on Ctrl-C
//! or SIGTERM the server first fails its health check and refuses new WebSocket upgrades
//! with 503 ([`admit`]) for `--drain-ms` (default 0; a load balancer's check interval or
//! more, behind one), then stops accepting, closes every connection with 1001 (going
//! away), waits up to 2 s for them, and exits 0. `ADDR` is the listen address (port 0 picks
//! one; the first line printed names the URL). `--tls` serves `https://` and `wss://`
//! with a development certificate made at start (its CA is written next to the
//! printed URL, for a browser or `curl --cacert` to trust).
#![allow(dead_code, clippy::print_stdout)]

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sockeye_server::{
    Assets, Handler, HttpRequest, Refusal, Reject, Server, ServerConfig, ServerHandle,
};

/// The page script every demo loads first: one WebSocket with reconnect and a status line.
pub(crate) const COMMON_JS: &str = include_str!("../web/common.js");
/// The style every demo shares.
pub(crate) const COMMON_CSS: &str = include_str!("../web/common.css");

/// The command line of a demo.
pub(crate) struct Args {
    pub(crate) addr: SocketAddr,
    pub(crate) tls: bool,
    pub(crate) threads: Option<usize>,
    /// `--NAME VALUE` pairs the demo reads with [`Args::get`].
    pub(crate) options: Vec<(String, String)>,
}

impl Args {
    /// `ADDR [--tls] [--threads N]`, with `default_addr` when `ADDR` is left out.
    pub(crate) fn parse(default_addr: &str) -> Result<Self, Box<dyn std::error::Error>> {
        let mut args = std::env::args().skip(1);
        let mut out = Self {
            addr: default_addr.parse()?,
            tls: false,
            threads: None,
            options: Vec::new(),
        };
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--tls" => out.tls = true,
                "--threads" => out.threads = Some(args.next().ok_or("--threads N")?.parse()?),
                a if !a.starts_with("--") => out.addr = a.parse()?,
                flag => {
                    let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
                    out.options
                        .push((flag.trim_start_matches('-').to_owned(), value));
                }
            }
        }
        Ok(out)
    }
}

impl Args {
    /// The value of `--name`, parsed, or `default`.
    pub(crate) fn get<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.options.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => v
                .parse()
                .map_err(|_| format!("--{name}: cannot parse {v:?}")),
            None => Ok(default),
        }
    }

    /// Fails on a `--NAME` the demo does not know (a typo must not pass silently);
    /// `--drain-ms` is every demo's.
    pub(crate) fn only(&self, known: &[&str]) -> Result<(), String> {
        let knows = |n: &str| n == "drain-ms" || known.contains(&n);
        match self.options.iter().find(|(n, _)| !knows(n)) {
            Some((n, _)) => Err(format!("unknown option --{n} (known: {known:?})")),
            None => Ok(()),
        }
    }
}

/// Set once a stop was asked for: `/healthz` then answers 503.
static DRAINING: AtomicBool = AtomicBool::new(false);

/// The answer to `/healthz` (`None` for any other path): what a load balancer checks.
pub(crate) fn health(request: &HttpRequest) -> Option<Reject> {
    if request.path() != "/healthz" {
        return None;
    }
    let (status, body) = if DRAINING.load(Ordering::Relaxed) {
        (503, "draining\n")
    } else {
        (200, "ok\n")
    };
    let response = Reject::new(status).ok()?;
    let response = response
        .header("Content-Type", "text/plain; charset=utf-8")
        .ok()?;
    Some(response.body(body))
}

/// Whether a stop was asked for.
pub(crate) fn draining() -> bool {
    DRAINING.load(Ordering::Relaxed)
}

/// `Err(503)` for a WebSocket upgrade while draining (the node takes no new members;
/// behind a load balancer the client retries and lands on a node that is up), `Ok` else.
pub(crate) fn admit() -> Result<(), Refusal> {
    if draining() {
        let reject = Reject::new(503).expect("503 is a valid status");
        return Err(reject.body("draining\n").into());
    }
    Ok(())
}

/// The demo's files plus `/common.js` and `/common.css`.
pub(crate) fn assets() -> Assets {
    Assets::new()
        .file("/common.js", COMMON_JS)
        .file("/common.css", COMMON_CSS)
}

/// A handle for threads and callbacks that start before the server exists (a ticker's
/// publisher, a board's tick, `on_close` broadcasts): set once the server is bound.
pub(crate) type LateHandle = Arc<OnceLock<ServerHandle>>;

/// Binds `handler` on `args.addr` with `config`, hands the server's handle to `late`,
/// prints the URL, and serves until Ctrl-C or SIGTERM; then every connection gets 1001
/// (going away) within 2 s and the process exits.
pub(crate) fn serve<H: Handler>(
    name: &str,
    mut config: ServerConfig,
    handler: H,
    args: &Args,
    late: &LateHandle,
    on_bound: impl FnOnce(&ServerHandle) -> Result<(), Box<dyn std::error::Error>>,
) -> Result<(), Box<dyn std::error::Error>> {
    let drain = Duration::from_millis(args.get("drain-ms", 0u64)?);
    if let Some(threads) = args.threads {
        config.threads = threads;
    }
    let mut scheme = "http";
    if args.tls {
        let pki = sockeye_server::tls::dev::DevPki::new()?;
        let ip = args.addr.ip().to_string();
        config.tls = Some(pki.server_config(&["localhost", &ip])?);
        let ca = std::env::temp_dir().join(format!("sockeye-{name}-ca.pem"));
        std::fs::write(&ca, pki.ca_pem())?;
        println!("{name}: development CA written to {}", ca.display());
        scheme = "https";
    }
    let server = Server::bind(args.addr, config, handler)?;
    let _ = late.set(server.handle());
    on_bound(&server.handle())?;
    // The first line a test waits for: the URL, port included.
    println!("{name}: serving {scheme}://{}/", server.local_addr());
    std::io::stdout().flush()?;
    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })?;
    let _ = stop_rx.recv();
    DRAINING.store(true, Ordering::Relaxed);
    if !drain.is_zero() {
        println!(
            "{name}: draining: /healthz answers 503 for {} ms",
            drain.as_millis()
        );
        std::io::stdout().flush()?;
        std::thread::sleep(drain);
    }
    println!("{name}: shutting down, closing connections with 1001 (going away)");
    server.shutdown(Duration::from_secs(2));
    Ok(())
}

/// Milliseconds since the Unix epoch: what a page compares with its `Date.now()`.
pub(crate) fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or_default()
}

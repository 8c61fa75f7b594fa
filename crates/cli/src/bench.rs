//! `sockeye bench`: the load generator (`sockeye-load`) against any echo server, with a
//! progress bar on a terminal and the figures at the end.

use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use sockeye_handshake::WsUrl;
use sockeye_load::{LoadReport, LoadSpec, Protocol, TlsClient};

use crate::args::BenchArgs;

pub(crate) fn run(args: BenchArgs) -> Result<ExitCode, String> {
    let url = WsUrl::parse(&args.url).map_err(|e| format!("{}: {e}", args.url))?;
    let addr: SocketAddr = (url.host(), url.port())
        .to_socket_addrs()
        .map_err(|e| format!("{}: {e}", url.host()))?
        .next()
        .ok_or_else(|| format!("{}: no address", url.host()))?;
    let tls = match (&args.ca, url.is_secure()) {
        (Some(ca), true) => Some(TlsClient::from_ca_file(ca)?),
        (None, true) => {
            return Err(
                "wss:// needs --ca FILE (the CA that signed the server's certificate)".into(),
            );
        }
        (Some(_), false) => return Err("--ca is for wss:// URLs".into()),
        (None, false) => None,
    };
    let spec = LoadSpec {
        addr,
        path: url.resource_name().to_owned(),
        protocol: Protocol::WebSocket,
        conns: args.connections,
        size: args.size,
        kind: args.kind,
        depth: args.in_flight,
        warmup: args.warmup,
        duration: args.duration,
        server_pid: args.server_pid,
        deflate: args.deflate,
        tls,
    };
    eprintln!(
        "{} connections x {} in flight, {} B {} messages, {:?} warm-up then {:?}",
        spec.conns, spec.depth, spec.size, spec.kind, spec.warmup, spec.duration
    );
    let done = Arc::new(AtomicBool::new(false));
    let bar = progress(spec.warmup + spec.duration, done.clone());
    let result = sockeye_load::run_load(&spec);
    done.store(true, Ordering::Relaxed);
    if let Some(bar) = bar {
        let _ = bar.join();
    }
    let report = result?;
    println!("{}", summary(&report));
    Ok(ExitCode::SUCCESS)
}

/// A bar over the run's wall time, on its own thread; none when stderr is not a
/// terminal (indicatif draws nothing there).
fn progress(total: Duration, done: Arc<AtomicBool>) -> Option<std::thread::JoinHandle<()>> {
    let bar = ProgressBar::new(total.as_millis() as u64);
    if bar.is_hidden() {
        return None;
    }
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    Some(std::thread::spawn(move || {
        while !done.load(Ordering::Relaxed) {
            let elapsed = started.elapsed();
            bar.set_position(elapsed.as_millis() as u64);
            bar.set_message(if elapsed < total { "" } else { "closing" });
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.finish_and_clear();
    }))
}

/// The figures, one per line.
fn summary(r: &LoadReport) -> String {
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let mut out = format!(
        "messages          {}\n\
         seconds           {:.2}\n\
         messages/s        {:.0}\n\
         round trip p50    {:.1} us\n\
         round trip p99    {:.1} us\n\
         round trip p99.9  {:.1} us\n\
         round trip max    {:.1} us\n\
         bytes out/msg     {:.1}\n\
         bytes in/msg      {:.1}",
        r.messages,
        r.seconds,
        r.messages_per_second(),
        us(r.p50),
        us(r.p99),
        us(r.p999),
        us(r.max),
        r.bytes_out as f64 / r.messages.max(1) as f64,
        r.bytes_in as f64 / r.messages.max(1) as f64,
    );
    if r.deflated_conns > 0 {
        out.push_str(&format!("\ndeflate conns     {}", r.deflated_conns));
    }
    if let (Some(cpu), Some(per_cpu)) = (r.server_cpu_seconds, r.messages_per_cpu_second()) {
        out.push_str(&format!(
            "\nserver CPU        {cpu:.2} s\nmessages/CPU-s    {per_cpu:.0}"
        ));
    }
    out
}

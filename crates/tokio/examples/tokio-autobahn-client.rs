//! Drives the Autobahn|Testsuite fuzzing server (`wstest -m fuzzingserver`, or any server
//! speaking its URL protocol) with the sockeye-tokio client:
//!
//! 1. `/getCaseCount`: one text message with the number of cases;
//! 2. for each case `N` in `1..=count`: `/runCase?case=N&agent=AGENT`, echoing every text
//!    and binary message until the connection ends;
//! 3. `/updateReports?agent=AGENT`: the server writes its reports.
//!
//! ```text
//! cargo run --release -p sockeye-tokio --example tokio-autobahn-client -- ws://127.0.0.1:9001 sockeye-tokio
//! ```
//!
//! Over TLS, a `wss://` URL; the server's certificate is checked against the system's
//! roots plus a CA file given as the third argument:
//!
//! ```text
//! cargo run --release -p sockeye-tokio --example tokio-autobahn-client -- \
//!     wss://127.0.0.1:9001 sockeye-tokio ca.pem
//! ```
//!
//! The default limits accept the suite's big cases (16 MiB messages; 4 MiB in 65,537
//! frames); a case that stalls is abandoned after a minute.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sockeye_tokio::tls::TlsClientConfig;
use sockeye_tokio::{ClientBuilder, DriverConfig, Error, Message, WebSocketStream};
use tokio::net::TcpStream;

/// For `wss://`: the system's roots plus the CA file of the third argument (read once).
static TLS: OnceLock<Option<TlsClientConfig>> = OnceLock::new();

fn builder() -> ClientBuilder {
    let mut config = DriverConfig::default();
    config.handshake_timeout = Duration::from_secs(30);
    let builder = ClientBuilder::new().config(config);
    match TLS.get() {
        Some(Some(tls)) => builder.tls(tls.clone()),
        _ => builder,
    }
}

async fn open(url: &str) -> Result<WebSocketStream<TcpStream>, Error> {
    builder().connect(url).await.map(|(ws, _)| ws)
}

/// `getCaseCount`: the first text message is the count.
async fn case_count(base: &str) -> Result<u32, Error> {
    let mut ws = open(&format!("{base}/getCaseCount")).await?;
    let mut count = None;
    while let Some(message) = ws.recv().await {
        if let Message::Text(text) = message? {
            count = text.trim().parse().ok();
            break;
        }
    }
    let _ = ws.close(None).await;
    count.ok_or(Error::ConnectionClosed)
}

/// One case: echo until the connection ends; how it ended, for the log.
async fn run_case(base: &str, case: u32, agent: &str) -> String {
    let url = format!("{base}/runCase?case={case}&agent={agent}");
    let mut ws = match open(&url).await {
        Ok(ws) => ws,
        Err(e) => return format!("connect failed: {e}"),
    };
    let mut echoed = 0u64;
    let mut ended = String::from("closed");
    loop {
        let next = tokio::time::timeout(Duration::from_secs(60), ws.recv()).await;
        let message = match next {
            Err(_) => return format!("{echoed} echoed, stalled for a minute"),
            Ok(None) => break,
            Ok(Some(Ok(message))) => message,
            Ok(Some(Err(e))) => {
                // Polling on lets our close frame out and ends the stream.
                ended = format!("ended: {e}");
                continue;
            }
        };
        match message {
            Message::Text(_) | Message::Binary(_) => {
                // Queued; written with the other echoes of this read. Refused once the
                // server has closed: the stream ends next.
                let fed = ws.feed(message).await;
                echoed += u64::from(fed.is_ok());
            }
            Message::Close(frame) => {
                ended = format!("server closed {:?}", frame.map(|f| f.code.as_u16()));
            }
            _ => {}
        }
    }
    format!("{echoed} echoed, {ended}")
}

/// The server writes its reports when the request arrives; how the connection ends
/// after that (wstest closes, then may reset) does not matter.
async fn update_reports(base: &str, agent: &str) -> Result<(), Error> {
    let mut ws = open(&format!("{base}/updateReports?agent={agent}")).await?;
    while let Some(item) = ws.recv().await {
        if let Err(e) = item {
            println!("(the report connection ended with: {e})");
        }
    }
    Ok(())
}

async fn run(base: String, agent: String) -> ExitCode {
    let count = match case_count(&base).await {
        Ok(count) => count,
        Err(e) => {
            eprintln!("getCaseCount at {base} failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{count} cases, agent {agent}");
    let started = Instant::now();
    for case in 1..=count {
        let case_started = Instant::now();
        let outcome = run_case(&base, case, &agent).await;
        println!(
            "case {case}/{count}: {outcome} ({} ms)",
            case_started.elapsed().as_millis()
        );
    }
    println!(
        "all {count} cases run in {:.1} s; updating reports",
        started.elapsed().as_secs_f64()
    );
    match update_reports(&base, &agent).await {
        Ok(()) => {
            println!("reports updated for agent {agent}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("updateReports failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "ws://127.0.0.1:9001".to_owned());
    let base = base.trim_end_matches('/').to_owned();
    let agent = args.next().unwrap_or_else(|| "sockeye-tokio".to_owned());
    if !agent
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        eprintln!("AGENT must be letters, digits, '-', '_' or '.'");
        return ExitCode::from(2);
    }
    let tls = match args.next() {
        Some(ca) => match TlsClientConfig::system(&[std::path::Path::new(&ca)]) {
            Ok(tls) => Some(tls),
            Err(e) => {
                eprintln!("CA file {ca}: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let _ = TLS.set(tls);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio-autobahn-client: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(base, agent))
}

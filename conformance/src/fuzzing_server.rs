//! Driver 3: a fuzzing server that tests any WebSocket client, speaking Autobahn's URL
//! protocol so that existing Autobahn client drivers work unchanged:
//!
//! - `GET /getCaseCount` → a text message with the number of cases, then close 1000;
//! - `GET /getCaseInfo?case=N` → a text message `{"id": ..., "description": ...}`;
//! - `GET /runCase?case=N&agent=A` → case N (1-based) runs with the tester as server;
//! - `GET /getCaseStatus?case=N&agent=A` → a text message `{"behavior": ...}`;
//! - `GET /updateReports?agent=A` → the reports are written (all agents without `agent`).

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::json;

use crate::Options;
use crate::case::Case;
use crate::handshake;
use crate::report::Report;
use crate::runner::{Opening, run_case};
use crate::tcp::{Accepted, accept};
use crate::transport::{Incoming, Transport};
use crate::verdict::CaseResult;
use crate::wire::{encode_frame, take_frames};
use sockeye_frame::OpCode;

type Results = BTreeMap<String, BTreeMap<usize, CaseResult>>;

struct Shared {
    cases: Vec<Case>,
    opts: Options,
    report_dir: Option<PathBuf>,
    results: Mutex<Results>,
    verbose: bool,
    /// Stop after this many `/updateReports` (the CLI's `--exit-after`).
    exit_after: Option<usize>,
    updates: AtomicUsize,
    done: AtomicBool,
    addr: SocketAddr,
}

/// The fuzzing server, bound and ready.
#[derive(Debug)]
pub struct FuzzingServer {
    listener: TcpListener,
    shared: Arc<SharedDebug>,
}

/// `Shared` with a `Debug` that does not print every case.
struct SharedDebug(Shared);

impl std::fmt::Debug for SharedDebug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FuzzingServer")
            .field("cases", &self.0.cases.len())
            .field("report_dir", &self.0.report_dir)
            .finish_non_exhaustive()
    }
}

impl FuzzingServer {
    /// Binds `addr` (use port 0 in tests) to serve `cases`.
    ///
    /// # Errors
    /// If the address cannot be bound.
    pub fn bind(
        addr: &str,
        cases: Vec<Case>,
        opts: Options,
        report_dir: Option<PathBuf>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        Ok(Self {
            listener,
            shared: Arc::new(SharedDebug(Shared {
                cases,
                opts,
                report_dir,
                results: Mutex::new(BTreeMap::new()),
                verbose: false,
                exit_after: None,
                updates: AtomicUsize::new(0),
                done: AtomicBool::new(false),
                addr,
            })),
        })
    }

    /// Print each agent's table to stderr when its reports are updated (for the CLI).
    pub fn verbose(mut self, verbose: bool) -> Self {
        if let Some(s) = Arc::get_mut(&mut self.shared) {
            s.0.verbose = verbose;
        }
        self
    }

    /// Stop serving once `n` agents had their reports updated (`None`: serve on).
    pub fn exit_after(mut self, n: Option<usize>) -> Self {
        if let Some(s) = Arc::get_mut(&mut self.shared) {
            s.0.exit_after = n;
        }
        self
    }

    /// The bound address.
    ///
    /// # Errors
    /// From the socket.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `stop` is set (and a connection wakes the accept loop; see
    /// [`FuzzingServerHandle::stop`]) or the [`exit_after`](Self::exit_after) count is
    /// reached. Each connection runs on its own thread; all are joined before this
    /// returns the reports, one per agent.
    pub fn serve(&self, stop: &AtomicBool) -> Vec<Report> {
        let mut workers: Vec<JoinHandle<()>> = Vec::new();
        for stream in self.listener.incoming() {
            if stop.load(Ordering::SeqCst) || self.shared.0.done.load(Ordering::SeqCst) {
                break;
            }
            let Ok(stream) = stream else { continue };
            let shared = Arc::clone(&self.shared);
            workers.push(std::thread::spawn(move || handle(&shared.0, stream)));
            workers.retain(|w| !w.is_finished());
        }
        for w in workers {
            let _ = w.join();
        }
        reports(&self.shared.0, None)
    }

    /// Serves on a background thread.
    ///
    /// # Errors
    /// If the address cannot be read.
    pub fn spawn(self) -> std::io::Result<FuzzingServerHandle> {
        let addr = self.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::clone(&self.shared);
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            self.serve(&flag);
        });
        Ok(FuzzingServerHandle {
            addr,
            stop,
            thread: Some(thread),
            shared,
        })
    }
}

/// A fuzzing server running on a background thread.
#[derive(Debug)]
pub struct FuzzingServerHandle {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    shared: Arc<SharedDebug>,
}

impl FuzzingServerHandle {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The reports so far, one per agent.
    pub fn reports(&self) -> Vec<Report> {
        reports(&self.shared.0, None)
    }

    /// Stops accepting, joins every thread, returns the reports.
    pub fn stop(mut self) -> Vec<Report> {
        self.shutdown();
        reports(&self.shared.0, None)
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for FuzzingServerHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn reports(s: &Shared, only: Option<&str>) -> Vec<Report> {
    let results = s.results.lock().unwrap_or_else(PoisonError::into_inner);
    results
        .iter()
        .filter(|(agent, _)| only.is_none_or(|a| a == agent.as_str()))
        .map(|(agent, cases)| {
            let mut r = Report::new(
                agent.clone(),
                "client",
                "fuzzing server (tcp)",
                s.opts.profile,
            );
            r.results = cases.values().cloned().collect();
            r
        })
        .collect()
}

fn handle(s: &Shared, stream: TcpStream) {
    let Ok(mut a) = accept(stream, s.opts.timing.open_handshake) else {
        return;
    };
    let agent = a.param("agent").unwrap_or("unknown").to_owned();
    let case_no = a.param("case").and_then(|c| c.parse::<usize>().ok());
    match a.path.as_str() {
        "/getCaseCount" => reply(&mut a, Some(s.cases.len().to_string())),
        "/getCaseInfo" => {
            let info = case_no
                .and_then(|n| s.cases.get(n.wrapping_sub(1)))
                .map(|c| json!({"id": c.id, "description": c.description}).to_string());
            reply(&mut a, info);
        }
        "/getCaseStatus" => {
            let results = s.results.lock().unwrap_or_else(PoisonError::into_inner);
            let status = case_no
                .and_then(|n| results.get(&agent)?.get(&(n.wrapping_sub(1))))
                .map(|r| json!({"behavior": r.behavior.as_str()}).to_string());
            drop(results);
            reply(&mut a, status);
        }
        "/runCase" => run(s, a, &agent, case_no),
        "/updateReports" => {
            let only = a.param("agent").map(str::to_owned);
            update_reports(s, only.as_deref());
            reply(&mut a, None);
            let n = s.updates.fetch_add(1, Ordering::SeqCst) + 1;
            if s.exit_after.is_some_and(|max| n >= max) {
                s.done.store(true, Ordering::SeqCst);
                // Wake the accept loop.
                let _ = TcpStream::connect_timeout(&s.addr, Duration::from_secs(1));
            }
        }
        _ => reply(&mut a, None),
    }
}

#[allow(clippy::print_stderr)]
fn update_reports(s: &Shared, only: Option<&str>) {
    for report in reports(s, only) {
        if let Some(dir) = &s.report_dir
            && let Err(e) = report.write_dir(dir)
        {
            eprintln!("writing reports to {}: {e}", dir.display());
        }
        if s.verbose {
            eprintln!("{}", report.table());
        }
    }
}

fn run(s: &Shared, mut a: Accepted, agent: &str, case_no: Option<usize>) {
    let Some(index) = case_no
        .and_then(|n| n.checked_sub(1))
        .filter(|i| *i < s.cases.len())
    else {
        reply(&mut a, None);
        return;
    };
    let case = &s.cases[index];
    let result = run_case(
        case,
        Opening::Server(&a.request, &a.leftover),
        &mut a.transport,
        &s.opts.timing,
        s.opts.seed.wrapping_add(index as u64),
    );
    drop(a);
    s.results
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(agent.to_owned())
        .or_default()
        .insert(index, result);
}

/// Accepts, sends an optional text message, then closes (1000) and waits briefly for the
/// answer.
fn reply(a: &mut Accepted, text: Option<String>) {
    let t = &mut a.transport;
    if handshake::server(t, &a.request, &a.leftover, None).is_err() {
        return;
    }
    let mut out = Vec::new();
    if let Some(text) = text {
        out.extend_from_slice(&encode_frame(true, 0, 1, None, text.as_bytes()));
    }
    out.extend_from_slice(&encode_frame(true, 0, 8, None, &1000u16.to_be_bytes()));
    if t.send(&out).is_err() {
        return;
    }
    // Wait for the client's close (or EOF), then close TCP (the server closes first).
    let mut buf = Vec::new();
    for _ in 0..20 {
        match t.recv(Duration::from_millis(100)) {
            Incoming::Data(d) => {
                buf.extend_from_slice(&d);
                let (frames, error) = take_frames(&mut buf);
                if error.is_some() || frames.iter().any(|f| f.opcode == OpCode::Close) {
                    break;
                }
            }
            Incoming::Eof => break,
            Incoming::Timeout => {}
        }
    }
    t.close();
}

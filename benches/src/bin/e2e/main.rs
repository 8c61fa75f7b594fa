//! `e2e`: the end-to-end echo comparison, Sockeye beside a raw TCP echo, fastwebsockets and
//! tokio-tungstenite, measured side by side in one run.
//!
//! ```text
//! cargo build --release -p sockeye-cli -p sockeye-benches --bins
//! cargo run --release -p sockeye-benches --bin e2e [-- --quick]
//! ```
//!
//! It builds nothing: it runs the binaries next to its own executable (`sockeye` from
//! `sockeye-cli`; `echo-raw`, `echo-fastws`, `echo-tungstenite` and `loadgen` from this
//! crate), and says which are missing and how to build them.
//!
//! For each round, each scenario and each server (the order of scenarios and of servers
//! rotated every round): start a fresh server pinned to CPU 0 (`taskset -c 0`), run
//! `loadgen` pinned to CPU 1 against it, stop the server (SIGKILL, by PID). Open-file
//! limits are raised to the hard limit for both (`prlimit`), for the 10,000 idle
//! connections. Then it prints medians, per-round ratios (messages per server-CPU-second,
//! Sockeye over each peer), the targets' standing, and writes an SVG plot.
//!
//! Options: `--quick` (one short round, 1,000 idle connections: a smoke check, plot to the
//! temporary directory), `--rounds N`, `--warmup SECS`, `--duration SECS`,
//! `--idle-conns N`, `--scenarios ID,ID` and `--servers ID,ID` (subsets), `--plot PATH`,
//! `--bin-dir DIR`, and `--peer 'NAME=PATH [ARG...]'` (repeatable): any other WebSocket echo
//! server in the same run, e.g. a build of another library or an earlier Sockeye, as long
//! as it takes `--listen 127.0.0.1:0` after its arguments and prints its `ws://` address on
//! its first line (`--peer 'before=/tmp/sockeye echo --threads 1'`); `--plain-peer` for one
//! without permessage-deflate (`--plain-peer 'uws=/path/to/uws-echo'`, see
//! `benches/peers/build-uws.sh`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod plot;
mod report;
mod scenarios;
mod servers;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use report::{Results, machine, report, thousands, today};
use scenarios::{SCENARIOS, Sample, Scenario, Work};
use servers::{Launcher, Peer, Server, ServerProcess, Tls, servers};
use sockeye_benches::procfs;

/// Where a hold's connections come from, in turn: one loopback address has ~28,000
/// ephemeral ports towards one server address, so 19,000 from one would leave little room
/// for the next run's while the last one's are still being torn down.
const HOLD_SOURCES: &str = "127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4";

/// The command documented for a full run.
const COMMAND: &str = "cargo run --release -p sockeye-benches --bin e2e";

pub(crate) struct Settings {
    rounds: usize,
    warmup: f64,
    duration: f64,
    idle_conns: usize,
    settle: f64,
    scenarios: Vec<usize>,
    servers: Vec<usize>,
    /// Every server known to this run (built in, then `--peer`s); `servers` indexes it.
    server_list: Vec<Server>,
    plot: PathBuf,
    bin_dir: PathBuf,
    quick: bool,
    /// For the TLS scenarios: a CA and a certificate for 127.0.0.1 made for this run.
    pki: Option<Pki>,
}

/// `ca.pem`, `cert.pem`, `key.pem` in a directory of the run's own, removed at the end.
pub(crate) struct Pki {
    dir: PathBuf,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl Pki {
    fn new() -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!("sockeye-e2e-pki-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let pki = sockeye_driver::tls::dev::DevPki::new().map_err(|e| e.to_string())?;
        let [ca, cert, key] = pki
            .write_files(&dir, &["127.0.0.1", "localhost"])
            .map_err(|e| e.to_string())?;
        Ok(Self { dir, ca, cert, key })
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn pick<T>(
    all: &[T],
    id: impl Fn(&T) -> &str,
    default: impl Fn(&T) -> bool,
    list: Option<String>,
) -> Result<Vec<usize>, String> {
    let Some(list) = list else {
        return Ok((0..all.len()).filter(|&i| default(&all[i])).collect());
    };
    list.split(',')
        .map(|want| {
            all.iter()
                .position(|x| id(x) == want)
                .ok_or(format!("unknown id `{want}`"))
        })
        .collect()
}

/// The end-to-end echo comparison (see the module docs).
#[derive(Debug, clap::Parser)]
struct Cli {
    /// One short round, 1,000 idle connections: a smoke check, plot to the temporary
    /// directory.
    #[arg(long)]
    quick: bool,
    /// Rounds [default: 3, 1 with --quick].
    #[arg(long, value_name = "N")]
    rounds: Option<usize>,
    /// Seconds of load before each measurement [default: 0.5, 0.2 with --quick].
    #[arg(long, value_name = "SECS")]
    warmup: Option<f64>,
    /// Seconds measured per scenario and server [default: 2, 0.5 with --quick].
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// Idle connections of the memory scenarios [default: 19,000, 1,000 with --quick]:
    /// as many as a process may hold here (the hard open-file limit is 20,000), from
    /// 127.0.0.1–127.0.0.4 in turn.
    #[arg(long, value_name = "N")]
    idle_conns: Option<usize>,
    /// Seconds before the idle RSS is read [default: 1, 0.3 with --quick].
    #[arg(long, value_name = "SECS")]
    settle: Option<f64>,
    /// A subset of scenarios, `ID,ID`.
    #[arg(long, value_name = "IDS")]
    scenarios: Option<String>,
    /// A subset of servers, `ID,ID`.
    #[arg(long, value_name = "IDS")]
    servers: Option<String>,
    /// Another echo server in the run, `NAME=PATH [ARG...]` (repeatable).
    #[arg(long, value_name = "NAME=PATH [ARG...]")]
    peer: Vec<String>,
    /// Like `--peer`, for a server without permessage-deflate: the compressed scenarios
    /// leave it out instead of failing it.
    #[arg(long, value_name = "NAME=PATH [ARG...]")]
    plain_peer: Vec<String>,
    /// Where the SVG plot goes [default: docs/perf/e2e-echo.svg].
    #[arg(long, value_name = "PATH")]
    plot: Option<PathBuf>,
    /// Where the server and loadgen binaries are [default: next to this one].
    #[arg(long, value_name = "DIR")]
    bin_dir: Option<PathBuf>,
}

fn settings() -> Result<Settings, String> {
    let args: Cli = clap::Parser::parse();
    let quick = args.quick;
    let scenarios = pick(SCENARIOS, |s| s.id, |_| true, args.scenarios.clone())?;
    let mut peers = Vec::new();
    let all_peers = args.peer.iter().map(|p| (p, true));
    for (peer, deflate) in all_peers.chain(args.plain_peer.iter().map(|p| (p, false))) {
        let (name, command) = peer
            .split_once('=')
            .ok_or(format!("--peer {peer}: expected NAME=PATH [ARG...]"))?;
        let mut words = command.split_whitespace();
        let path = words.next().ok_or(format!("--peer {name}: no program"))?;
        // Absolute, but not canonical: a virtualenv's `python` is a symlink that only
        // finds its packages when started through the link.
        let path = std::path::absolute(path)
            .ok()
            .filter(|p| p.is_file())
            .ok_or(format!("--peer {name}: {path}: no such file"))?;
        peers.push(Peer {
            name: name.to_owned(),
            path,
            args: words.map(str::to_owned).collect(),
            deflate,
        });
    }
    let server_list = servers(peers);
    let servers = pick(&server_list, |s| &s.id, |s| s.default, args.servers.clone())?;
    let default_plot = if quick {
        std::env::temp_dir().join("e2e-echo-quick.svg")
    } else {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        crate_dir
            .parent()
            .unwrap_or(crate_dir)
            .join("docs/perf/e2e-echo.svg")
    };
    let exe = std::env::current_exe().map_err(|e| format!("own path: {e}"))?;
    let default_bins = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    let s = Settings {
        rounds: args.rounds.unwrap_or(if quick { 1 } else { 3 }),
        warmup: args.warmup.unwrap_or(if quick { 0.2 } else { 0.5 }),
        duration: args.duration.unwrap_or(if quick { 0.5 } else { 2.0 }),
        idle_conns: args
            .idle_conns
            .unwrap_or(if quick { 1_000 } else { 19_000 }),
        settle: args.settle.unwrap_or(if quick { 0.3 } else { 1.0 }),
        scenarios,
        servers,
        server_list,
        plot: args.plot.unwrap_or(default_plot),
        bin_dir: args.bin_dir.unwrap_or(default_bins),
        quick,
        pki: None,
    };
    if s.rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    Ok(s)
}

/// Whether `server` takes part in `scenario`: compressed scenarios only on servers that
/// compress, TLS scenarios only on servers that serve TLS (and TLS-only servers in
/// nothing else).
pub(crate) fn runs(server: &Server, scenario: &Scenario) -> bool {
    let tls = match server.tls {
        Tls::No => !scenario.work.tls(),
        Tls::Yes => true,
        Tls::Only => scenario.work.tls(),
    };
    let deflate = match scenario.work {
        Work::Load { deflate: true, .. } => server.deflate,
        _ => true,
    };
    tls && deflate
}

/// `PATH` lookup for the helper tools.
fn have(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
}

/// Parses `result key=value ...`.
fn parse_result(stdout: &str) -> Option<BTreeMap<String, f64>> {
    let line = stdout.lines().find_map(|l| l.strip_prefix("result "))?;
    Some(
        line.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .filter_map(|(k, v)| Some((k.to_owned(), v.parse().ok()?)))
            .collect(),
    )
}

fn run_one(
    settings: &Settings,
    launcher: &Launcher,
    server: &Server,
    scenario: &Scenario,
) -> Result<Sample, String> {
    let mut extra = match scenario.work {
        Work::Load { size, .. } if server.whole => vec!["--whole".to_owned(), size.to_string()],
        _ => Vec::new(),
    };
    let pki = match (scenario.work.tls(), &settings.pki) {
        (true, Some(pki)) => Some(pki),
        (true, None) => return Err("a TLS scenario without certificates".into()),
        (false, _) => None,
    };
    if let Some(pki) = pki {
        extra.extend([
            "--tls-cert".to_owned(),
            pki.cert.display().to_string(),
            "--tls-key".to_owned(),
            pki.key.display().to_string(),
        ]);
    }
    let process = ServerProcess::start(launcher, &settings.bin_dir, server, &extra)?;
    let mut command = launcher.command("1", &settings.bin_dir.join("loadgen"));
    let addr = process.addr.to_string();
    let pid = process.pid().to_string();
    let protocol = server.protocol.to_string();
    match scenario.work {
        Work::Load {
            conns,
            size,
            kind,
            depth,
            deflate,
            ..
        } => {
            command.args(["load", "--addr", &addr, "--protocol", &protocol]);
            if deflate {
                command.arg("--deflate");
            }
            command.args(["--conns", &conns.to_string(), "--size", &size.to_string()]);
            command.args(["--kind", &kind.to_string(), "--depth", &depth.to_string()]);
            command.args(["--warmup", &settings.warmup.to_string()]);
            command.args(["--duration", &settings.duration.to_string()]);
        }
        Work::Hold { .. } => {
            command.args(["hold", "--addr", &addr, "--protocol", &protocol]);
            command.args(["--conns", &settings.idle_conns.to_string()]);
            command.args(["--settle", &settings.settle.to_string()]);
            command.args(["--sources", HOLD_SOURCES]);
        }
    }
    if let Some(pki) = pki {
        command.arg("--tls-ca").arg(&pki.ca);
    }
    command.args(["--server-pid", &pid]);
    let output = command.output().map_err(|e| format!("run loadgen: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("loadgen failed: {}", stderr.trim()));
    }
    let r = parse_result(&stdout).ok_or_else(|| format!("no result in `{}`", stdout.trim()))?;
    let get = |k: &str| r.get(k).copied().unwrap_or(f64::NAN);
    drop(process);
    if let Work::Load {
        conns,
        deflate: true,
        ..
    } = scenario.work
    {
        let deflated = get("deflated_conns");
        if deflated < conns as f64 {
            return Err(format!(
                "permessage-deflate negotiated on {deflated} of {conns} connections"
            ));
        }
    }
    // Let the kernel finish tearing down the connections (10,000 of them after a hold)
    // before the next run measures anything.
    std::thread::sleep(match scenario.work {
        Work::Hold { .. } => Duration::from_secs(2),
        Work::Load { .. } => Duration::from_millis(200),
    });
    Ok(match scenario.work {
        Work::Load { .. } => Sample::Load {
            msgs_per_s: get("msgs_per_s"),
            p50_us: get("p50_us"),
            p99_us: get("p99_us"),
            p999_us: get("p999_us"),
            cpu_share: get("server_cpu_s") / get("seconds"),
            msgs_per_cpu_s: get("msgs_per_cpu_s"),
            wire_out: get("wire_out_per_msg"),
            wire_in: get("wire_in_per_msg"),
        },
        Work::Hold { .. } => Sample::Hold {
            conns: get("conns") as usize,
            bytes_per_conn: get("bytes_per_conn"),
            setups_per_s: get("setups_per_s"),
            setups_per_cpu_s: get("setups_per_cpu_s"),
        },
    })
}

fn main() -> ExitCode {
    let settings = match settings().and_then(|mut s| {
        if s.scenarios.iter().any(|&sc| SCENARIOS[sc].work.tls()) {
            s.pki = Some(Pki::new()?);
        }
        Ok(s)
    }) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("e2e: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut missing: Vec<String> = Vec::new();
    for program in settings
        .servers
        .iter()
        .map(|&s| settings.server_list[s].program.clone())
        .chain([PathBuf::from("loadgen")])
    {
        let name = program.display().to_string();
        if !settings.bin_dir.join(&program).is_file() && !missing.contains(&name) {
            missing.push(name);
        }
    }
    if !missing.is_empty() {
        eprintln!(
            "e2e: missing in {}: {}\nbuild them first (same profile and target directory):\n    \
             cargo build --release -p sockeye-cli -p sockeye-benches --bins",
            settings.bin_dir.display(),
            missing.join(", ")
        );
        return ExitCode::FAILURE;
    }
    let hard = procfs::max_open_files_hard().unwrap_or(1024);
    let launcher = Launcher {
        taskset: have("taskset"),
        nofile: have("prlimit").then_some(hard.min(1 << 20)),
    };
    if !launcher.taskset {
        eprintln!("e2e: taskset not found (util-linux): processes are not pinned");
    }
    let needed = settings.idle_conns as u64 + 64;
    if launcher.nofile.unwrap_or(0) < needed {
        eprintln!(
            "e2e: open-file limit {hard} (hard), {needed} needed for {} idle connections: \
             expect the idle scenario to fail",
            settings.idle_conns
        );
    }

    println!(
        "e2e: {} round(s) × {} scenario(s) × {} server(s); binaries from {}",
        settings.rounds,
        settings.scenarios.len(),
        settings.servers.len(),
        settings.bin_dir.display()
    );
    let started = Instant::now();
    let mut results: Results =
        vec![vec![vec![None; settings.rounds]; settings.server_list.len()]; SCENARIOS.len()];
    let mut failures = Vec::new();
    // `round` also rotates the orders, so it is more than an index into `results`.
    #[allow(clippy::needless_range_loop)]
    for round in 0..settings.rounds {
        let n_sc = settings.scenarios.len();
        let n_sv = settings.servers.len();
        for k in 0..n_sc {
            let sc = settings.scenarios[(k + round) % n_sc];
            let scenario = &SCENARIOS[sc];
            for j in 0..n_sv {
                let sv = settings.servers[(j + round) % n_sv];
                let server = &settings.server_list[sv];
                if !runs(server, scenario) {
                    continue;
                }
                match run_one(&settings, &launcher, server, scenario) {
                    Ok(sample) => {
                        results[sc][sv][round] = Some(sample);
                        let what = match sample {
                            Sample::Load {
                                msgs_per_s,
                                p50_us,
                                p99_us,
                                p999_us,
                                cpu_share,
                                msgs_per_cpu_s,
                                wire_out,
                                wire_in,
                            } => format!(
                                "{:>11} msg/s  p50 {:>6.0} µs  p99 {:>6.0} µs  p99.9 {:>6.0} µs  CPU {:>3.0} %  {:>11} msg/CPU-s  wire {:.0}/{:.0} B",
                                thousands(msgs_per_s),
                                p50_us,
                                p99_us,
                                p999_us,
                                cpu_share * 100.0,
                                thousands(msgs_per_cpu_s),
                                wire_out,
                                wire_in
                            ),
                            Sample::Hold {
                                conns,
                                bytes_per_conn,
                                setups_per_s,
                                setups_per_cpu_s,
                            } => format!(
                                "{} idle connections: {} bytes each; set up at {}/s, {} per server-CPU-s",
                                thousands(conns as f64),
                                thousands(bytes_per_conn),
                                thousands(setups_per_s),
                                thousands(setups_per_cpu_s)
                            ),
                        };
                        println!(
                            "round {}/{}  {:<9} {:<15} {what}",
                            round + 1,
                            settings.rounds,
                            scenario.id,
                            server.id
                        );
                    }
                    Err(e) => {
                        let f = format!("round {} {} {}: {e}", round + 1, scenario.id, server.id);
                        println!("{f}");
                        failures.push(f);
                    }
                }
            }
        }
    }
    report(&settings, &results, &failures, started);

    let panels = plot::panels(&settings, &results);
    let subtitle = [
        format!(
            "{} · {} · `{COMMAND}`{}",
            today(),
            machine(),
            if settings.quick { " -- --quick" } else { "" }
        ),
        format!(
            "Messages per second of server CPU time (higher is better): medians of {} round(s), \
             whiskers the range. Servers single-threaded on CPU 0, load generator on CPU 1.",
            settings.rounds
        ),
    ];
    let svg = plot::svg(&panels, &subtitle);
    if let Some(dir) = settings.plot.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(&settings.plot, svg) {
        Ok(()) => println!("\nplot: {}", settings.plot.display()),
        Err(e) => eprintln!("e2e: cannot write {}: {e}", settings.plot.display()),
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

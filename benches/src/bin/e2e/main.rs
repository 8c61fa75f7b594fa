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
//! `--bin-dir DIR`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod plot;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use sockeye_benches::args::Args;
use sockeye_benches::load::{Kind, Protocol};
use sockeye_benches::procfs;

/// The command documented for a full run.
const COMMAND: &str = "cargo run --release -p sockeye-benches --bin e2e";

/// One server under test.
struct Server {
    id: &'static str,
    label: &'static str,
    program: &'static str,
    args: &'static [&'static str],
    protocol: Protocol,
    /// Passed `--whole SIZE` (the scenario's message size).
    whole: bool,
    /// Run unless `--servers` says otherwise.
    default: bool,
}

const SERVERS: &[Server] = &[
    Server {
        id: "sockeye",
        label: "Sockeye",
        program: "sockeye",
        args: &["echo", "--threads", "1"],
        protocol: Protocol::WebSocket,
        whole: false,
        default: true,
    },
    Server {
        id: "raw",
        label: "raw TCP echo",
        program: "echo-raw",
        args: &[],
        protocol: Protocol::Raw,
        whole: false,
        default: true,
    },
    Server {
        id: "fastws",
        label: "fastwebsockets",
        program: "echo-fastws",
        args: &[],
        protocol: Protocol::WebSocket,
        whole: false,
        default: true,
    },
    Server {
        id: "tungstenite",
        label: "tokio-tungstenite",
        program: "echo-tungstenite",
        args: &[],
        protocol: Protocol::WebSocket,
        whole: false,
        default: true,
    },
    Server {
        id: "tungstenite-4k",
        label: "tokio-tungstenite, 4 KiB read buffer",
        program: "echo-tungstenite",
        args: &["--read-buffer", "4096"],
        protocol: Protocol::WebSocket,
        whole: false,
        default: true,
    },
    Server {
        id: "raw-whole",
        label: "raw TCP echo, whole messages",
        program: "echo-raw",
        args: &[],
        protocol: Protocol::Raw,
        whole: true,
        default: false,
    },
];

/// What a scenario does.
#[derive(Clone, Copy)]
enum Work {
    Load {
        conns: usize,
        size: usize,
        kind: Kind,
        depth: usize,
    },
    /// Idle connections (the count comes from the run's settings).
    Hold,
}

struct Scenario {
    id: &'static str,
    label: &'static str,
    work: Work,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        id: "20b",
        label: "100 conns × 20 B text",
        work: Work::Load {
            conns: 100,
            size: 20,
            kind: Kind::Ascii,
            depth: 1,
        },
    },
    Scenario {
        id: "16k-bin",
        label: "10 conns × 16 KiB binary",
        work: Work::Load {
            conns: 10,
            size: 16 << 10,
            kind: Kind::Binary,
            depth: 1,
        },
    },
    Scenario {
        id: "16k-text",
        label: "10 conns × 16 KiB text, non-ASCII",
        work: Work::Load {
            conns: 10,
            size: 16 << 10,
            kind: Kind::Utf8,
            depth: 1,
        },
    },
    Scenario {
        id: "20b-d16",
        label: "100 conns × 20 B text, 16 in flight",
        work: Work::Load {
            conns: 100,
            size: 20,
            kind: Kind::Ascii,
            depth: 16,
        },
    },
    Scenario {
        id: "1m",
        label: "1 conn × 1 MiB binary",
        work: Work::Load {
            conns: 1,
            size: 1 << 20,
            kind: Kind::Binary,
            depth: 1,
        },
    },
    Scenario {
        id: "idle",
        label: "idle connections: server RSS per connection",
        work: Work::Hold,
    },
];

/// A target from the issue: Sockeye over a peer, CPU-normalised, in a scenario.
struct Target {
    scenario: &'static str,
    peer: &'static str,
    at_least: f64,
}

const TARGETS: &[Target] = &[
    Target {
        scenario: "20b",
        peer: "raw",
        at_least: 0.95,
    },
    Target {
        scenario: "20b",
        peer: "fastws",
        at_least: 1.2,
    },
    Target {
        scenario: "20b-d16",
        peer: "raw",
        at_least: 0.9,
    },
    Target {
        scenario: "16k-text",
        peer: "raw",
        at_least: 0.8,
    },
    Target {
        scenario: "1m",
        peer: "raw",
        at_least: 0.85,
    },
];

/// Most server RSS per idle connection (the memory target).
const MEMORY_TARGET: f64 = 1024.0;

/// One measurement.
#[derive(Debug, Clone, Copy)]
enum Sample {
    Load {
        msgs_per_s: f64,
        p50_us: f64,
        p99_us: f64,
        cpu_share: f64,
        msgs_per_cpu_s: f64,
    },
    Hold {
        conns: usize,
        bytes_per_conn: f64,
    },
}

struct Settings {
    rounds: usize,
    warmup: f64,
    duration: f64,
    idle_conns: usize,
    settle: f64,
    scenarios: Vec<usize>,
    servers: Vec<usize>,
    plot: PathBuf,
    bin_dir: PathBuf,
    quick: bool,
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

fn settings() -> Result<Settings, String> {
    let mut args = Args::from_env();
    let quick = args.flag("--quick");
    let scenarios = pick(SCENARIOS, |s| s.id, |_| true, args.value("--scenarios")?)?;
    let servers = pick(SERVERS, |s| s.id, |s| s.default, args.value("--servers")?)?;
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
        rounds: args.value_or("--rounds", if quick { 1 } else { 3 })?,
        warmup: args.value_or("--warmup", if quick { 0.2 } else { 0.5 })?,
        duration: args.value_or("--duration", if quick { 0.5 } else { 2.0 })?,
        idle_conns: args.value_or("--idle-conns", if quick { 1_000 } else { 10_000 })?,
        settle: args.value_or("--settle", if quick { 0.3 } else { 1.0 })?,
        scenarios,
        servers,
        plot: args.value_or("--plot", default_plot)?,
        bin_dir: args.value_or("--bin-dir", default_bins)?,
        quick,
    };
    args.finish()?;
    if s.rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    Ok(s)
}

/// `PATH` lookup for the helper tools.
fn have(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
}

/// How child processes are started: pinned to a CPU, with a raised open-file limit.
struct Launcher {
    taskset: bool,
    /// `prlimit --nofile=N:N`, when `prlimit` exists.
    nofile: Option<u64>,
}

impl Launcher {
    fn command(&self, cpu: u32, program: &Path) -> Command {
        let mut argv: Vec<String> = Vec::new();
        if let Some(n) = self.nofile {
            argv.push("prlimit".into());
            argv.push(format!("--nofile={n}:{n}"));
        }
        if self.taskset {
            argv.push("taskset".into());
            argv.push("-c".into());
            argv.push(cpu.to_string());
        }
        // prlimit and taskset exec the program: the child's PID is the program's.
        let mut command = match argv.first() {
            Some(first) => {
                let mut c = Command::new(first);
                c.args(&argv[1..]).arg(program);
                c
            }
            None => Command::new(program),
        };
        command.stdin(Stdio::null());
        command
    }
}

/// A running server; killed (SIGKILL, by PID) and reaped on drop.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address in a server's first line: what follows `://`, up to a space or `/`.
fn address_in(line: &str) -> Option<SocketAddr> {
    let rest = &line[line.find("://")? + 3..];
    let end = rest.find([' ', '/']).unwrap_or(rest.len());
    rest[..end].parse().ok()
}

impl ServerProcess {
    fn start(
        launcher: &Launcher,
        bin_dir: &Path,
        server: &Server,
        extra: &[String],
    ) -> Result<Self, String> {
        let mut command = launcher.command(0, &bin_dir.join(server.program));
        command
            .args(server.args)
            .args(extra)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command
            .spawn()
            .map_err(|e| format!("start {}: {e}", server.program))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("no stdout".into());
        };
        let (tx, rx) = mpsc::channel();
        // Reads the first line, then drains the rest so the server never blocks on a
        // full pipe; ends at EOF, when the server is gone.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let mut process = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let line = match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Some(Ok(line))) => line,
            _ => return Err(format!("{} printed no address", server.program)),
        };
        process.addr = address_in(&line)
            .ok_or_else(|| format!("{}: no address in `{line}`", server.program))?;
        Ok(process)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
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
    let extra = match scenario.work {
        Work::Load { size, .. } if server.whole => vec!["--whole".to_owned(), size.to_string()],
        _ => Vec::new(),
    };
    let process = ServerProcess::start(launcher, &settings.bin_dir, server, &extra)?;
    let mut command = launcher.command(1, &settings.bin_dir.join("loadgen"));
    let addr = process.addr.to_string();
    let pid = process.pid().to_string();
    let protocol = server.protocol.to_string();
    match scenario.work {
        Work::Load {
            conns,
            size,
            kind,
            depth,
        } => {
            command.args(["load", "--addr", &addr, "--protocol", &protocol]);
            command.args(["--conns", &conns.to_string(), "--size", &size.to_string()]);
            command.args(["--kind", &kind.to_string(), "--depth", &depth.to_string()]);
            command.args(["--warmup", &settings.warmup.to_string()]);
            command.args(["--duration", &settings.duration.to_string()]);
        }
        Work::Hold => {
            command.args(["hold", "--addr", &addr, "--protocol", &protocol]);
            command.args(["--conns", &settings.idle_conns.to_string()]);
            command.args(["--settle", &settings.settle.to_string()]);
        }
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
    // Let the kernel finish tearing down the connections (10,000 of them after a hold)
    // before the next run measures anything.
    std::thread::sleep(match scenario.work {
        Work::Hold => Duration::from_secs(2),
        Work::Load { .. } => Duration::from_millis(200),
    });
    Ok(match scenario.work {
        Work::Load { .. } => Sample::Load {
            msgs_per_s: get("msgs_per_s"),
            p50_us: get("p50_us"),
            p99_us: get("p99_us"),
            cpu_share: get("server_cpu_s") / get("seconds"),
            msgs_per_cpu_s: get("msgs_per_cpu_s"),
        },
        Work::Hold => Sample::Hold {
            conns: get("conns") as usize,
            bytes_per_conn: get("bytes_per_conn"),
        },
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// `1234567.8` → `1,234,568`.
fn thousands(x: f64) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 { format!("-{out}") } else { out }
}

fn ratio(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        "—".into()
    }
}

/// Today's date (UTC), `YYYY-MM-DD`, from the system clock.
fn today() -> String {
    let days = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Howard Hinnant's civil-from-days algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{}, {cpus} CPUs, Linux {}",
        procfs::cpu_model().unwrap_or_else(|| "unknown CPU".into()),
        procfs::kernel_release().unwrap_or_else(|| "?".into())
    )
}

/// All samples: `[scenario][server][round]`.
type Results = Vec<Vec<Vec<Option<Sample>>>>;

fn load_values(samples: &[Option<Sample>], f: impl Fn(&Sample) -> Option<f64>) -> Vec<f64> {
    samples
        .iter()
        .map(|s| s.as_ref().and_then(&f).unwrap_or(f64::NAN))
        .collect()
}

fn mpcs(s: &Sample) -> Option<f64> {
    match s {
        Sample::Load { msgs_per_cpu_s, .. } => Some(*msgs_per_cpu_s),
        Sample::Hold { .. } => None,
    }
}

fn bytes_per_conn(s: &Sample) -> Option<f64> {
    match s {
        Sample::Hold { bytes_per_conn, .. } => Some(*bytes_per_conn),
        Sample::Load { .. } => None,
    }
}

/// Sockeye over `peer` per round (messages per server-CPU-second), for a scenario.
fn round_ratios(results: &Results, scenario: usize, peer: usize) -> Vec<f64> {
    let ours = load_values(&results[scenario][0], mpcs);
    let theirs = load_values(&results[scenario][peer], mpcs);
    ours.iter().zip(&theirs).map(|(a, b)| a / b).collect()
}

fn report(settings: &Settings, results: &Results, failures: &[String], started: Instant) {
    println!();
    println!("## End-to-end echo: results");
    println!();
    println!(
        "{} — {}; {} round(s), {} s warm-up + {} s measured per run; servers on CPU 0, \
         load generator on CPU 1; {:.0} s in all.",
        today(),
        machine(),
        settings.rounds,
        settings.warmup,
        settings.duration,
        started.elapsed().as_secs_f64()
    );
    println!();
    println!("Medians over the rounds:");
    println!();
    println!(
        "| scenario | server | msgs/s | p50 RTT µs | p99 RTT µs | server CPU | msgs per server-CPU-s |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    for &sc in &settings.scenarios {
        let scenario = &SCENARIOS[sc];
        if let Work::Hold = scenario.work {
            continue;
        }
        for &sv in &settings.servers {
            let samples = &results[sc][sv];
            let get = |f: fn(&Sample) -> Option<f64>| median(load_values(samples, f));
            let mps = get(|s| match s {
                Sample::Load { msgs_per_s, .. } => Some(*msgs_per_s),
                Sample::Hold { .. } => None,
            });
            let p50 = get(|s| match s {
                Sample::Load { p50_us, .. } => Some(*p50_us),
                Sample::Hold { .. } => None,
            });
            let p99 = get(|s| match s {
                Sample::Load { p99_us, .. } => Some(*p99_us),
                Sample::Hold { .. } => None,
            });
            let cpu = get(|s| match s {
                Sample::Load { cpu_share, .. } => Some(*cpu_share),
                Sample::Hold { .. } => None,
            });
            println!(
                "| {} | {} | {} | {:.0} | {:.0} | {:.0} % | {} |",
                scenario.label,
                SERVERS[sv].label,
                thousands(mps),
                p50,
                p99,
                cpu * 100.0,
                thousands(get(mpcs))
            );
        }
    }

    let peers: Vec<usize> = settings
        .servers
        .iter()
        .copied()
        .filter(|&s| s != 0)
        .collect();
    if settings.servers.contains(&0) && !peers.is_empty() {
        println!();
        println!("Sockeye over each peer, messages per server-CPU-second: median (per round):");
        println!();
        let head: Vec<String> = peers
            .iter()
            .map(|&p| format!("Sockeye / {}", SERVERS[p].label))
            .collect();
        println!("| scenario | {} |", head.join(" | "));
        println!("|---|{}", "---:|".repeat(peers.len()));
        for &sc in &settings.scenarios {
            if let Work::Hold = SCENARIOS[sc].work {
                continue;
            }
            let cells: Vec<String> = peers
                .iter()
                .map(|&p| {
                    let rounds = round_ratios(results, sc, p);
                    let each: Vec<String> = rounds.iter().map(|r| ratio(*r)).collect();
                    format!("**{}** ({})", ratio(median(rounds)), each.join(", "))
                })
                .collect();
            println!("| {} | {} |", SCENARIOS[sc].label, cells.join(" | "));
        }
    }

    if let Some(&idle) = settings
        .scenarios
        .iter()
        .find(|&&sc| matches!(SCENARIOS[sc].work, Work::Hold))
    {
        println!();
        println!("Server RSS growth per idle connection:");
        println!();
        println!("| server | connections | bytes per connection: median (per round) |");
        println!("|---|---:|---:|");
        for &sv in &settings.servers {
            let samples = &results[idle][sv];
            let values = load_values(samples, bytes_per_conn);
            let conns = samples
                .iter()
                .flatten()
                .find_map(|s| match s {
                    Sample::Hold { conns, .. } => Some(*conns),
                    Sample::Load { .. } => None,
                })
                .unwrap_or(0);
            let each: Vec<String> = values.iter().map(|v| thousands(*v)).collect();
            println!(
                "| {} | {} | **{}** ({}) |",
                SERVERS[sv].label,
                thousands(conns as f64),
                thousands(median(values.clone())),
                each.join(", ")
            );
        }
    }

    println!();
    println!("Targets (median of the per-round ratios of this run):");
    println!();
    for target in TARGETS {
        let (Some(sc), Some(peer)) = (
            SCENARIOS.iter().position(|s| s.id == target.scenario),
            SERVERS.iter().position(|s| s.id == target.peer),
        ) else {
            continue;
        };
        if !settings.scenarios.contains(&sc)
            || !settings.servers.contains(&peer)
            || !settings.servers.contains(&0)
        {
            continue;
        }
        let got = median(round_ratios(results, sc, peer));
        println!(
            "- {}: Sockeye / {} = {} (target ≥ {}): {}",
            SCENARIOS[sc].label,
            SERVERS[peer].label,
            ratio(got),
            target.at_least,
            if got >= target.at_least {
                "met"
            } else {
                "MISSED"
            }
        );
    }
    if let Some(idle) = SCENARIOS.iter().position(|s| matches!(s.work, Work::Hold))
        && settings.scenarios.contains(&idle)
        && settings.servers.contains(&0)
    {
        let got = median(load_values(&results[idle][0], bytes_per_conn));
        println!(
            "- idle connections ({}): Sockeye {} bytes each (target ≤ {}): {}",
            thousands(settings.idle_conns as f64),
            thousands(got),
            MEMORY_TARGET,
            if got <= MEMORY_TARGET {
                "met"
            } else {
                "MISSED"
            }
        );
    }
    if !failures.is_empty() {
        println!();
        println!("Failed runs:");
        for f in failures {
            println!("- {f}");
        }
    }
}

fn main() -> ExitCode {
    let settings = match settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("e2e: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut missing: Vec<&str> = Vec::new();
    for program in settings
        .servers
        .iter()
        .map(|&s| SERVERS[s].program)
        .chain(["loadgen"])
    {
        if !settings.bin_dir.join(program).is_file() && !missing.contains(&program) {
            missing.push(program);
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
        vec![vec![vec![None; settings.rounds]; SERVERS.len()]; SCENARIOS.len()];
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
                let server = &SERVERS[sv];
                match run_one(&settings, &launcher, server, scenario) {
                    Ok(sample) => {
                        results[sc][sv][round] = Some(sample);
                        let what = match sample {
                            Sample::Load {
                                msgs_per_s,
                                p50_us,
                                p99_us,
                                cpu_share,
                                msgs_per_cpu_s,
                            } => format!(
                                "{:>11} msg/s  p50 {:>6.0} µs  p99 {:>6.0} µs  CPU {:>3.0} %  {:>11} msg/CPU-s",
                                thousands(msgs_per_s),
                                p50_us,
                                p99_us,
                                cpu_share * 100.0,
                                thousands(msgs_per_cpu_s)
                            ),
                            Sample::Hold {
                                conns,
                                bytes_per_conn,
                            } => format!(
                                "{} idle connections: {} bytes each",
                                thousands(conns as f64),
                                thousands(bytes_per_conn)
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

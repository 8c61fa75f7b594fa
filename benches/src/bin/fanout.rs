//! `fanout`: one publisher, many subscribers, messages delivered per server-CPU-second and
//! delivery latency. Two modes:
//!
//! ```text
//! fanout --chat target/release/examples/chat [--subscribers 1000] [--rate 200]
//!        [--duration 5] [--rounds 3]
//! fanout --broadcast [--servers sockeye,tungstenite,fastws] [--loads 1000x200,10000x20]
//!        [--duration 5] [--rounds 3]
//! ```
//!
//! **`--broadcast`**: the broadcast servers of this crate side by side (`bcast-sockeye`,
//! `bcast-tungstenite`, `bcast-fastws`, next to this binary: every text message goes to
//! every connection), each pinned to CPU 0, for each load `SUBSCRIBERSxRATE` (messages a
//! second from the publisher); servers interleaved, order rotated each round. The
//! publisher sends `t<micros>` text; each subscriber records the latency of each.
//!
//! **`--chat`**: cross-node fan-out of the chat example, 1 node against 3 behind HAProxy,
//! all sharing lines through Redis (`sockeye-pubsub`).
//!
//! Each round starts, for each setup in turn (interleaved): a `redis-server`, the chat
//! nodes (`--redis`), and an `haproxy` in front of them (round robin), all pinned to
//! CPU 0; the subscribers and one publisher run here, pinned to CPU 1 (one mio loop).
//! The publisher posts `rate` lines a second, each carrying its send time; every
//! subscriber gets every line. Reported per setup (median of the rounds): deliveries a
//! second, deliveries per server-CPU-second (the nodes, Redis and HAProxy together, from
//! /proc), and delivery latency p50/p99/p99.9. Every process is stopped by its PID.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use mio::{Events, Poll, Token};
use sockeye_client::{ClientBuilder, ClientEvent, MioClient};
use sockeye_load::procfs::cpu_seconds;

#[derive(Debug, Parser)]
struct Cli {
    /// The chat example binary (release build): the cross-node mode.
    #[arg(
        long,
        conflicts_with = "broadcast",
        required_unless_present = "broadcast"
    )]
    chat: Option<PathBuf>,
    /// The broadcast servers side by side instead.
    #[arg(long)]
    broadcast: bool,
    /// With --broadcast: which servers.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "sockeye,tungstenite,fastws"
    )]
    servers: Vec<String>,
    /// With --broadcast: `SUBSCRIBERSxRATE` loads.
    #[arg(long, value_delimiter = ',', default_value = "1000x200,10000x20")]
    loads: Vec<String>,
    /// With --chat: subscribers.
    #[arg(long, default_value_t = 1000)]
    subscribers: usize,
    /// With --chat: lines a second from the publisher.
    #[arg(long, default_value_t = 200)]
    rate: u32,
    /// Seconds measured per setup and round.
    #[arg(long, default_value_t = 5)]
    duration: u64,
    #[arg(long, default_value_t = 3)]
    rounds: usize,
}

/// A process stopped by its PID when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn pinned(cpu: &str, program: &Path) -> Command {
    let mut c = Command::new("taskset");
    c.args(["-c", cpu]).arg(program);
    c
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_listening(port: u16) {
    let until = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < until, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Redis, the nodes and HAProxy for one setup; the front port.
struct Cluster {
    procs: Vec<Proc>,
    front: u16,
}

impl Cluster {
    fn start(chat: &Path, nodes: usize, dir: &Path) -> Self {
        let redis_port = free_port();
        let redis = Command::new("taskset")
            .args([
                "-c",
                "0",
                "redis-server",
                "--port",
                &redis_port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server");
        let mut procs = vec![Proc(redis)];
        wait_listening(redis_port);
        let url = format!("redis://127.0.0.1:{redis_port}/");
        let mut ports = Vec::new();
        for _ in 0..nodes {
            let mut child = pinned("0", chat)
                .args(["127.0.0.1:0", "--redis", &url, "--threads", "1"])
                .stdout(Stdio::piped())
                .spawn()
                .expect("the chat example");
            let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
            procs.push(Proc(child));
            let url = lines
                .by_ref()
                .map_while(Result::ok)
                .find_map(|l| l.split("serving ").nth(1).map(str::to_owned))
                .expect("the node's URL");
            std::thread::spawn(move || for _ in lines {});
            ports.push(
                url.trim_end_matches('/')
                    .rsplit(':')
                    .next()
                    .unwrap()
                    .parse::<u16>()
                    .unwrap(),
            );
        }
        let front = free_port();
        let servers: String = ports
            .iter()
            .enumerate()
            .map(|(i, p)| format!("  server n{i} 127.0.0.1:{p}\n"))
            .collect();
        let cfg = format!(
            "global\n  maxconn 8000\n  nbthread 1\n\
             defaults\n  mode http\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n  timeout tunnel 1h\n\
             frontend fe\n  bind 127.0.0.1:{front}\n  default_backend chat\n\
             backend chat\n  balance roundrobin\n{servers}"
        );
        let path = dir.join(format!("fanout-{front}.cfg"));
        std::fs::write(&path, cfg).unwrap();
        let haproxy = Command::new("taskset")
            .args(["-c", "0", "haproxy", "-db", "-f"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy");
        procs.push(Proc(haproxy));
        wait_listening(front);
        Self { procs, front }
    }

    fn cpu(&self) -> f64 {
        self.procs
            .iter()
            .filter_map(|p| cpu_seconds(p.0.id()))
            .sum()
    }
}

/// One broadcast server (`bcast-NAME` next to this binary), pinned to CPU 0.
struct Broadcaster {
    proc: Proc,
    url: String,
}

impl Broadcaster {
    fn start(name: &str) -> Self {
        let exe = std::env::current_exe().unwrap();
        let program = exe.with_file_name(format!("bcast-{name}"));
        let mut child = pinned("0", &program)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let proc = Proc(child);
        let url = lines
            .next()
            .and_then(Result::ok)
            .and_then(|l| l.split("listening on ").nth(1).map(str::to_owned))
            .expect("the server's URL");
        std::thread::spawn(move || for _ in lines {});
        Self { proc, url }
    }
}

/// What the clients say and expect: the chat's JSON (join, welcome, lines) or plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    Chat,
    Plain,
}

/// One measured round's parameters.
struct Drive<'a> {
    url: &'a str,
    wire: Wire,
    subscribers: usize,
    rate: u32,
    duration: u64,
    /// The server side's CPU seconds so far (all its processes).
    cpu: &'a dyn Fn() -> f64,
}

/// What one round of one setup measured.
#[derive(Debug, Clone, Copy)]
struct Round {
    per_sec: f64,
    per_cpu: f64,
    p50: f64,
    p99: f64,
    p999: f64,
    lost: u64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64) * p) as usize;
    sorted
        .get(i.min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN)
}

fn join_text(name: &str) -> String {
    format!("{{\"type\":\"join\",\"name\":\"{name}\"}}")
}

fn run_round(d: &Drive<'_>) -> Round {
    // The broadcast peers have no permessage-deflate, so the plain clients offer none (and
    // 10,000 clients each with an inflater would weigh on this process); the chat clients
    // keep the client's default offer, as in the runs documented for that mode.
    let builder = match d.wire {
        Wire::Chat => ClientBuilder::new(),
        Wire::Plain => ClientBuilder::new().deflate(None),
    };
    let n = d.subscribers + 1; // the last one publishes
    let mut poll = Poll::new().unwrap();
    let mut clients: Vec<MioClient> = Vec::with_capacity(n);
    for i in 0..n {
        let mut c = builder.connect_mio(d.url).expect("connect");
        c.register(poll.registry(), Token(i)).unwrap();
        clients.push(c);
    }
    let mut welcomed = vec![false; n];
    let mut events = Events::with_capacity(1024);
    let mut scratch = vec![0u8; 64 << 10];
    let epoch = Instant::now();
    let mut latencies: Vec<f64> = Vec::new();
    let mut received: u64 = 0;
    let mut measuring = false;
    let mut sent: u64 = 0;
    let mut next_send = Instant::now();
    let step = Duration::from_secs_f64(1.0 / f64::from(d.rate.max(1)));
    let (mut t0, mut cpu0) = (Instant::now(), 0.0);
    let mut stop_sending: Option<Instant> = None;
    let give_up = Instant::now() + Duration::from_secs(d.duration + 60);
    loop {
        let now = Instant::now();
        assert!(
            now < give_up,
            "the round did not finish: {received} received of {}",
            sent * d.subscribers as u64
        );
        let all_in = welcomed.iter().all(|w| *w);
        if all_in && !measuring {
            // Everyone has joined: the measured part starts.
            measuring = true;
            t0 = now;
            cpu0 = (d.cpu)();
            next_send = now;
        }
        if measuring
            && stop_sending.is_none()
            && now.duration_since(t0) >= Duration::from_secs(d.duration)
        {
            stop_sending = Some(now);
        }
        if measuring && stop_sending.is_none() {
            while next_send <= now {
                let micros = now.duration_since(epoch).as_micros();
                let say = match d.wire {
                    Wire::Chat => format!("{{\"type\":\"say\",\"text\":\"t{micros}\"}}"),
                    Wire::Plain => format!("t{micros}"),
                };
                let publisher = &mut clients[n - 1];
                publisher.send_text(&say, now).expect("publish");
                publisher.on_writable(now).expect("publish");
                sent += 1;
                next_send += step;
            }
        }
        if let Some(stopped) = stop_sending {
            let expected = sent * d.subscribers as u64;
            if received >= expected || now.duration_since(stopped) > Duration::from_secs(5) {
                let elapsed = stopped.duration_since(t0).as_secs_f64();
                let cpu = (d.cpu)() - cpu0;
                latencies.sort_by(f64::total_cmp);
                return Round {
                    per_sec: received as f64 / elapsed,
                    per_cpu: received as f64 / cpu,
                    p50: percentile(&latencies, 0.5),
                    p99: percentile(&latencies, 0.99),
                    p999: percentile(&latencies, 0.999),
                    lost: expected.saturating_sub(received),
                };
            }
        }
        let timeout = if measuring {
            next_send
                .saturating_duration_since(now)
                .min(Duration::from_millis(5))
        } else {
            Duration::from_millis(20)
        };
        poll.poll(&mut events, Some(timeout)).unwrap();
        let now = Instant::now();
        for event in events.iter() {
            let i = event.token().0;
            let c = &mut clients[i];
            if event.is_writable() {
                c.on_writable(now).expect("write");
            }
            let subscriber = i < n - 1;
            let (w, lat, rec) = (&mut welcomed[i], &mut latencies, &mut received);
            let wire = d.wire;
            c.on_readable(&mut scratch, now, |out, ev| match ev {
                ClientEvent::Open { .. } if wire == Wire::Plain => *w = true,
                ClientEvent::Open { .. } => {
                    let name = if subscriber {
                        format!("s{i}")
                    } else {
                        "publisher".to_owned()
                    };
                    out.send_text(&join_text(&name)).expect("join");
                }
                ClientEvent::Text(t) if wire == Wire::Plain => {
                    if let Some(us) = subscriber
                        .then(|| t.strip_prefix('t'))
                        .flatten()
                        .and_then(|u| u.parse::<u128>().ok())
                    {
                        let at = Instant::now().duration_since(epoch).as_micros();
                        lat.push(at.saturating_sub(us) as f64 / 1000.0);
                        *rec += 1;
                    }
                }
                ClientEvent::Text(t) => {
                    // By the type's text, not by parsing every message (the load
                    // generator must not be the bottleneck) and not by key order. A
                    // welcome or history message holds lines (with their own "type")
                    // that are not live deliveries. Quotes inside strings are escaped,
                    // so no text can fake these.
                    if t.contains("\"type\":\"welcome\"") {
                        *w = true;
                    } else if subscriber
                        && !t.contains("\"type\":\"history\"")
                        && t.contains("\"type\":\"line\"")
                    {
                        // "text":"t<micros>"
                        if let Some(us) = t
                            .split("\"text\":\"t")
                            .nth(1)
                            .and_then(|r| r.split('"').next())
                            .and_then(|u| u.parse::<u128>().ok())
                        {
                            let at = Instant::now().duration_since(epoch).as_micros();
                            lat.push(at.saturating_sub(us) as f64 / 1000.0);
                            *rec += 1;
                        }
                    }
                }
                _ => {}
            })
            .expect("read");
            c.reregister(poll.registry()).unwrap();
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn print_round(round: usize, name: &str, r: &Round) {
    println!(
        "round {} {name}: {:.0} deliveries/s, {:.0} per server-CPU-s, p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, lost {}",
        round + 1,
        r.per_sec,
        r.per_cpu,
        r.p50,
        r.p99,
        r.p999,
        r.lost
    );
}

fn print_table(names: &[String], results: &[Vec<Round>]) {
    println!("\n| setup | deliveries/s | per server-CPU-s | p50 ms | p99 ms | p99.9 ms | lost |");
    println!("|---|---|---|---|---|---|---|");
    for (name, r) in names.iter().zip(results) {
        let m = |f: fn(&Round) -> f64| median(r.iter().map(f).collect());
        println!(
            "| {name} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
            m(|r| r.per_sec),
            m(|r| r.per_cpu),
            m(|r| r.p50),
            m(|r| r.p99),
            m(|r| r.p999),
            r.iter().map(|r| r.lost).sum::<u64>()
        );
    }
}

/// `SUBSCRIBERSxRATE`.
fn parse_load(load: &str) -> (usize, u32) {
    let (subs, rate) = load
        .split_once('x')
        .unwrap_or_else(|| panic!("--loads: `{load}` is not SUBSCRIBERSxRATE"));
    (
        subs.parse().expect("subscribers"),
        rate.parse().expect("rate"),
    )
}

fn main() {
    let cli = Cli::parse();
    // This process runs the clients: CPU 1.
    let _ = Command::new("taskset")
        .args(["-cp", "1", &std::process::id().to_string()])
        .stdout(Stdio::null())
        .status();
    if let Some(chat) = &cli.chat {
        let dir = std::env::temp_dir();
        let setups = [("1 node", 1usize), ("3 nodes", 3)];
        let mut results: Vec<Vec<Round>> = vec![Vec::new(); setups.len()];
        for round in 0..cli.rounds {
            for (k, (name, nodes)) in setups.iter().enumerate() {
                let cluster = Cluster::start(chat, *nodes, &dir);
                std::thread::sleep(Duration::from_millis(300));
                let url = format!("ws://127.0.0.1:{}/chat", cluster.front);
                let r = run_round(&Drive {
                    url: &url,
                    wire: Wire::Chat,
                    subscribers: cli.subscribers,
                    rate: cli.rate,
                    duration: cli.duration,
                    cpu: &|| cluster.cpu(),
                });
                print_round(round, name, &r);
                results[k].push(r);
                drop(cluster);
            }
        }
        let names: Vec<String> = setups.iter().map(|(n, _)| (*n).to_owned()).collect();
        print_table(&names, &results);
        return;
    }
    let loads: Vec<(usize, u32)> = cli.loads.iter().map(|l| parse_load(l)).collect();
    let mut names = Vec::new();
    let mut results: Vec<Vec<Round>> = Vec::new();
    for &(subs, rate) in &loads {
        for server in &cli.servers {
            names.push(format!("{server}, {subs} subscribers × {rate}/s"));
            results.push(Vec::new());
        }
    }
    let n_sv = cli.servers.len();
    for round in 0..cli.rounds {
        for (l, &(subscribers, rate)) in loads.iter().enumerate() {
            for j in 0..n_sv {
                let k = (j + round) % n_sv;
                let server = Broadcaster::start(&cli.servers[k]);
                std::thread::sleep(Duration::from_millis(200));
                let pid = server.proc.0.id();
                let r = run_round(&Drive {
                    url: &server.url,
                    wire: Wire::Plain,
                    subscribers,
                    rate,
                    duration: cli.duration,
                    cpu: &|| cpu_seconds(pid).unwrap_or(f64::NAN),
                });
                print_round(round, &names[l * n_sv + k], &r);
                results[l * n_sv + k].push(r);
                drop(server);
                // The kernel tears down thousands of sockets before the next server.
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
    print_table(&names, &results);
}

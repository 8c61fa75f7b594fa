//! The report: medians, per-round ratios, the targets' standing; number formatting.

use std::time::Instant;

use sockeye_benches::procfs;

use crate::scenarios::{MEMORY_TARGET, SCENARIOS, Sample, TARGETS, Work};
use crate::{Settings, runs};

pub(crate) fn median(mut values: Vec<f64>) -> f64 {
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
pub(crate) fn thousands(x: f64) -> String {
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

pub(crate) fn ratio(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2}")
    } else {
        "—".into()
    }
}

/// Today's date (UTC), `YYYY-MM-DD`, from the system clock.
pub(crate) fn today() -> String {
    time::OffsetDateTime::now_utc().date().to_string()
}

pub(crate) fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{}, {cpus} CPUs, Linux {}",
        procfs::cpu_model().unwrap_or_else(|| "unknown CPU".into()),
        procfs::kernel_release().unwrap_or_else(|| "?".into())
    )
}

/// All samples: `[scenario][server][round]`.
pub(crate) type Results = Vec<Vec<Vec<Option<Sample>>>>;

pub(crate) fn load_values(
    samples: &[Option<Sample>],
    f: impl Fn(&Sample) -> Option<f64>,
) -> Vec<f64> {
    samples
        .iter()
        .map(|s| s.as_ref().and_then(&f).unwrap_or(f64::NAN))
        .collect()
}

pub(crate) fn mpcs(s: &Sample) -> Option<f64> {
    match s {
        Sample::Load { msgs_per_cpu_s, .. } => Some(*msgs_per_cpu_s),
        Sample::Hold { .. } => None,
    }
}

pub(crate) fn bytes_per_conn(s: &Sample) -> Option<f64> {
    match s {
        Sample::Hold { bytes_per_conn, .. } => Some(*bytes_per_conn),
        Sample::Load { .. } => None,
    }
}

/// Sockeye over `peer` per round (messages per server-CPU-second), for a scenario.
pub(crate) fn round_ratios(results: &Results, scenario: usize, peer: usize) -> Vec<f64> {
    let ours = load_values(&results[scenario][0], mpcs);
    let theirs = load_values(&results[scenario][peer], mpcs);
    ours.iter().zip(&theirs).map(|(a, b)| a / b).collect()
}

pub(crate) fn report(
    settings: &Settings,
    results: &Results,
    failures: &[String],
    started: Instant,
) {
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
        "| scenario | server | msgs/s | p50 RTT µs | p99 RTT µs | p99.9 RTT µs | server CPU \
         | msgs per server-CPU-s | wire bytes per message, out / in |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for &sc in &settings.scenarios {
        let scenario = &SCENARIOS[sc];
        if let Work::Hold { .. } = scenario.work {
            continue;
        }
        for &sv in &settings.servers {
            if !runs(&settings.server_list[sv], scenario) {
                continue;
            }
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
            let p999 = get(|s| match s {
                Sample::Load { p999_us, .. } => Some(*p999_us),
                Sample::Hold { .. } => None,
            });
            let cpu = get(|s| match s {
                Sample::Load { cpu_share, .. } => Some(*cpu_share),
                Sample::Hold { .. } => None,
            });
            let out = get(|s| match s {
                Sample::Load { wire_out, .. } => Some(*wire_out),
                Sample::Hold { .. } => None,
            });
            let back = get(|s| match s {
                Sample::Load { wire_in, .. } => Some(*wire_in),
                Sample::Hold { .. } => None,
            });
            println!(
                "| {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} % | {} | {} / {} |",
                scenario.label,
                settings.server_list[sv].label,
                thousands(mps),
                p50,
                p99,
                p999,
                cpu * 100.0,
                thousands(get(mpcs)),
                thousands(out),
                thousands(back)
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
            .map(|&p| format!("Sockeye / {}", settings.server_list[p].label))
            .collect();
        println!("| scenario | {} |", head.join(" | "));
        println!("|---|{}", "---:|".repeat(peers.len()));
        for &sc in &settings.scenarios {
            if let Work::Hold { .. } = SCENARIOS[sc].work {
                continue;
            }
            let cells: Vec<String> = peers
                .iter()
                .map(|&p| {
                    if !runs(&settings.server_list[p], &SCENARIOS[sc]) {
                        return "not run (no permessage-deflate or no TLS)".to_owned();
                    }
                    let rounds = round_ratios(results, sc, p);
                    let each: Vec<String> = rounds.iter().map(|r| ratio(*r)).collect();
                    format!("**{}** ({})", ratio(median(rounds)), each.join(", "))
                })
                .collect();
            println!("| {} | {} |", SCENARIOS[sc].label, cells.join(" | "));
        }
    }

    for &idle in settings
        .scenarios
        .iter()
        .filter(|&&sc| matches!(SCENARIOS[sc].work, Work::Hold { .. }))
    {
        println!();
        println!("{}:", SCENARIOS[idle].label);
        println!();
        println!(
            "| server | connections | bytes per connection: median (per round) \
             | set-ups per second | set-ups per server-CPU-second |"
        );
        println!("|---|---:|---:|---:|---:|");
        for &sv in &settings.servers {
            if !runs(&settings.server_list[sv], &SCENARIOS[idle]) {
                continue;
            }
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
            let rate = median(load_values(samples, |s| match s {
                Sample::Hold { setups_per_s, .. } => Some(*setups_per_s),
                Sample::Load { .. } => None,
            }));
            let rate_cpu = median(load_values(samples, |s| match s {
                Sample::Hold {
                    setups_per_cpu_s, ..
                } => Some(*setups_per_cpu_s),
                Sample::Load { .. } => None,
            }));
            println!(
                "| {} | {} | **{}** ({}) | {} | {} |",
                settings.server_list[sv].label,
                thousands(conns as f64),
                thousands(median(values.clone())),
                each.join(", "),
                thousands(rate),
                thousands(rate_cpu)
            );
        }
    }

    println!();
    println!("Targets (median of the per-round ratios of this run):");
    println!();
    for target in TARGETS {
        let (Some(sc), Some(peer)) = (
            SCENARIOS.iter().position(|s| s.id == target.scenario),
            settings
                .server_list
                .iter()
                .position(|s| s.id == target.peer),
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
            settings.server_list[peer].label,
            ratio(got),
            target.at_least,
            if got >= target.at_least {
                "met"
            } else {
                "MISSED"
            }
        );
    }
    if let Some(idle) = SCENARIOS
        .iter()
        .position(|s| matches!(s.work, Work::Hold { tls: false }))
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

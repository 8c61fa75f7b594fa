//! The plot: one panel per scenario, one horizontal bar per server, written as SVG by
//! hand (no plotting dependency).

use std::fmt::Write as _;

use crate::report::{Results, bytes_per_conn, load_values, median, mpcs, thousands};
use crate::scenarios::{SCENARIOS, Sample, Work};
use crate::{Settings, runs};

/// One bar: a server's median and the range over the rounds.
pub(crate) struct Bar {
    label: String,
    color: &'static str,
    median: f64,
    min: f64,
    max: f64,
}

/// One panel: a scenario.
pub(crate) struct Panel {
    title: String,
    /// Log scale (the memory panel: its values span three orders of magnitude).
    log: bool,
    unit: &'static str,
    bars: Vec<Bar>,
}

const COLORS: [&str; 6] = [
    "#0b7a75", "#8c8c8c", "#e07b39", "#3a6ea5", "#8fb3d9", "#c9c9c9",
];

pub(crate) fn panels(settings: &Settings, results: &Results) -> Vec<Panel> {
    settings
        .scenarios
        .iter()
        .map(|&sc| {
            let scenario = &SCENARIOS[sc];
            let hold = matches!(scenario.work, Work::Hold { .. });
            let bars = settings
                .servers
                .iter()
                .filter(|&&sv| runs(&settings.server_list[sv], scenario))
                .map(|&sv| {
                    let f: fn(&Sample) -> Option<f64> = if hold { bytes_per_conn } else { mpcs };
                    let values: Vec<f64> = load_values(&results[sc][sv], f)
                        .into_iter()
                        .filter(|v| v.is_finite())
                        .collect();
                    Bar {
                        label: settings.server_list[sv].label.clone(),
                        color: COLORS[sv % COLORS.len()],
                        median: median(values.clone()),
                        min: values.iter().copied().fold(f64::INFINITY, f64::min),
                        max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    }
                })
                .collect();
            let title = if hold {
                format!(
                    "{} idle connections: RSS per connection (lower is better)",
                    thousands(settings.idle_conns as f64)
                )
            } else {
                format!("{}: messages per server-CPU-second", scenario.label)
            };
            Panel {
                title,
                log: hold,
                unit: if hold { " B" } else { "" },
                bars,
            }
        })
        .collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Compact figure: 1,234,567 → "1.23 M", 45,678 → "45.7 k".
fn short(x: f64) -> String {
    if !x.is_finite() {
        "—".into()
    } else if x >= 1e6 {
        format!("{:.2} M", x / 1e6)
    } else if x >= 1e4 {
        format!("{:.1} k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

const WIDTH: f64 = 1000.0;
const COLS: usize = 2;
const PANEL_W: f64 = 480.0;
const LABEL_W: f64 = 235.0;
const BAR_H: f64 = 18.0;
const BAR_GAP: f64 = 6.0;
const TOP: f64 = 84.0;

pub(crate) fn svg(panels: &[Panel], subtitle: &[String]) -> String {
    let bars = panels.iter().map(|p| p.bars.len()).max().unwrap_or(0) as f64;
    let panel_h = 40.0 + bars * (BAR_H + BAR_GAP) + 10.0;
    let rows = panels.len().div_ceil(COLS) as f64;
    let height = TOP + rows * panel_h + 10.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="20" y="26" font-size="17" font-weight="bold">End-to-end echo, one server core: Sockeye beside a raw TCP echo, fastwebsockets, tokio-tungstenite</text>"#
    );
    for (i, line) in subtitle.iter().enumerate() {
        let _ = writeln!(
            s,
            r##"<text x="20" y="{}" font-size="11" fill="#444">{}</text>"##,
            44.0 + 14.0 * i as f64,
            escape(line)
        );
    }
    for (i, panel) in panels.iter().enumerate() {
        let x0 = 20.0 + (i % COLS) as f64 * (PANEL_W + 20.0);
        let y0 = TOP + (i / COLS) as f64 * panel_h;
        let _ = writeln!(
            s,
            r#"<text x="{x0}" y="{}" font-weight="bold">{}</text>"#,
            y0 + 14.0,
            escape(&panel.title)
        );
        let plot_w = PANEL_W - LABEL_W - 70.0;
        let top = panel
            .bars
            .iter()
            .map(|b| if b.max.is_finite() { b.max } else { b.median })
            .filter(|v| v.is_finite())
            .fold(0.0_f64, f64::max);
        let scale = |v: f64| -> f64 {
            if !v.is_finite() || v <= 0.0 || top <= 0.0 {
                return 0.0;
            }
            if panel.log {
                // From 10 B to the largest value.
                let lo = 1.0_f64;
                let hi = top.log10().max(lo + 1.0);
                ((v.log10() - lo) / (hi - lo)).clamp(0.0, 1.0) * plot_w
            } else {
                v / top * plot_w
            }
        };
        if panel.log {
            let _ = writeln!(
                s,
                r##"<text x="{}" y="{}" font-size="10" fill="#666">log scale, from 10 B</text>"##,
                x0 + LABEL_W,
                y0 + 28.0
            );
        }
        for (j, bar) in panel.bars.iter().enumerate() {
            let y = y0 + 36.0 + j as f64 * (BAR_H + BAR_GAP);
            let _ = writeln!(
                s,
                r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
                x0 + LABEL_W - 8.0,
                y + BAR_H - 5.0,
                escape(&bar.label)
            );
            let w = scale(bar.median);
            let _ = writeln!(
                s,
                r#"<rect x="{}" y="{y}" width="{w:.1}" height="{BAR_H}" fill="{}"/>"#,
                x0 + LABEL_W,
                bar.color
            );
            if bar.min.is_finite() && bar.max.is_finite() && bar.max > bar.min {
                let (a, b) = (scale(bar.min), scale(bar.max));
                let ym = y + BAR_H / 2.0;
                let _ = writeln!(
                    s,
                    r##"<path d="M{:.1} {ym} H{:.1} M{:.1} {} V{} M{:.1} {} V{}" stroke="#222" stroke-width="1"/>"##,
                    x0 + LABEL_W + a,
                    x0 + LABEL_W + b,
                    x0 + LABEL_W + a,
                    ym - 4.0,
                    ym + 4.0,
                    x0 + LABEL_W + b,
                    ym - 4.0,
                    ym + 4.0
                );
            }
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{}">{}{}</text>"#,
                x0 + LABEL_W + w.max(scale(bar.max)) + 5.0,
                y + BAR_H - 5.0,
                if panel.log {
                    thousands(bar.median)
                } else {
                    short(bar.median)
                },
                if bar.median.is_finite() {
                    panel.unit
                } else {
                    ""
                }
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

//! The browser demos (`crates/server/examples/{chat,ticker,board}.rs`) as a person uses
//! them: each example binary is started on port 0, and `apps_playwright.py` drives two or
//! more Chromium pages through Playwright (Debian's chromium, `executable_path`), checks
//! what they show, screenshots them, stops the server with SIGTERM and checks the pages
//! show 1001 (going away). See `docs/browser-apps.md`.
//!
//! The example binaries are the ones `cargo test` builds next to this test
//! (`target/<profile>/examples/`); `cargo test --workspace` builds them first. Screenshots
//! go to `target/browser-screenshots/`, or `$SOCKEYE_SCREENSHOTS`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use crate::support;

/// One browser at a time: two cores do not run three Chromiums and three servers well.
static BROWSER: Mutex<()> = Mutex::new(());

/// `target/<profile>/examples/<name>`, beside this test's own `deps/` directory.
fn example(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("examples").join(name);
    if path.exists() {
        Some(path)
    } else {
        support::missing(
            &format!("{name} browser demo"),
            &format!(
                "no example binary at {} (`cargo test --workspace` builds it; or \
                 `cargo build -p sockeye-server --examples`)",
                path.display()
            ),
        )
    }
}

fn run(app: &str) {
    run_as(app, app);
}

/// `app` through `example`'s binary (`chat-tls` is the chat with `--tls`).
fn run_as(app: &str, name: &str) {
    let _one = BROWSER.lock().unwrap_or_else(|p| p.into_inner());
    let Some(python) = support::python_with("playwright") else {
        return;
    };
    let Some(chromium) = support::chromium() else {
        return;
    };
    let Some(binary) = example(name) else {
        return;
    };
    let shots = std::env::var_os("SOCKEYE_SCREENSHOTS").map_or_else(
        || support::root().join("target/browser-screenshots"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&shots).unwrap();
    let mut cmd = Command::new(python);
    cmd.arg(support::script("apps_playwright.py")).args([
        app.as_ref(),
        binary.as_os_str(),
        chromium.as_os_str(),
        shots.as_os_str(),
    ]);
    let report = support::run_json_script(cmd, Duration::from_secs(180));
    eprintln!("{app}: {report}");
    assert_eq!(report["app"], app);
    let checks = report["checks"].as_array().expect("a list of checks");
    assert!(
        checks
            .iter()
            .any(|c| c.as_str().is_some_and(|c| c.contains("1001"))),
        "{report}"
    );
    if app == name {
        assert!(shots.join(format!("{app}.png")).exists(), "no screenshot");
    }
}

#[test]
fn chat_in_chromium() {
    run("chat");
}

#[test]
fn ticker_in_chromium() {
    run("ticker");
}

#[test]
fn board_in_chromium() {
    run("board");
}

#[test]
fn chat_over_tls_in_chromium() {
    run_as("chat-tls", "chat");
}

/// Two chat nodes through a `redis-server` the script starts (`--redis`), a page on each.
#[test]
fn chat_as_a_cluster_in_chromium() {
    let redis = Command::new("redis-server").arg("--version").output();
    if let Err(e) = redis {
        let why = format!("no redis-server ({e}; `bash .ci/cluster-setup.sh` installs it)");
        support::missing::<()>("chat cluster browser", &why);
        return;
    }
    run_as("chat-cluster", "chat");
}

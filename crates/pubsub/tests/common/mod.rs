//! What the cluster tests share: a `redis-server` of their own on a free loopback port,
//! stopped by its PID however the test ends.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::panic,
    missing_docs
)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` on a free loopback port, killed by its PID on drop.
pub struct Redis {
    child: Child,
    pub port: u16,
}

impl Redis {
    pub fn start() -> Option<Self> {
        let port = TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        Self::start_on(port)
    }

    pub fn start_on(port: u16) -> Option<Self> {
        let child = match Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "CI=true: redis-server is needed ({e}); .ci/run installs it"
                );
                eprintln!("NOTICE: skipping: no redis-server ({e})");
                return None;
            }
        };
        let redis = Self { child, port };
        let until = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < until,
                "redis-server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(redis)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// SIGSTOP (`true`) or SIGCONT: a broker that keeps its connections open and
    /// stops answering, then answers again.
    pub fn pause(&self, paused: bool) {
        let signal = if paused { "-STOP" } else { "-CONT" };
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub fn stop(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `f` holds, for at most 10 s.
pub fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// An example binary of the workspace (`target/<profile>/examples/NAME`, which
/// `cargo test --workspace` builds); `None` with a notice if it is missing (a failure
/// under `CI=true`).
pub fn example(name: &str) -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let path = exe.parent()?.parent()?.join("examples").join(name);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: no {name} example at {} (`cargo test --workspace` builds it)",
        path.display()
    );
    eprintln!("NOTICE: skipping: no {name} example at {}", path.display());
    None
}

/// A demo started on `127.0.0.1:0` with `args`, and the address it printed; the child
/// is killed if it prints no URL. Its stdout is drained by a thread.
pub fn spawn_demo(binary: &std::path::Path, args: &[&str]) -> (Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(binary)
        .arg("127.0.0.1:0")
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Lines before the URL (a node's cluster identity) are skipped.
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.split("serving ").nth(1).map(str::to_owned));
    let Some(url) = url else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{} printed no URL", binary.display());
    };
    std::thread::spawn(move || for _ in lines {});
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    (child, addr)
}

//! What the tests of the real binary share: the command, a guard that stops a child by
//! PID, waiting for an exit, the URL a server prints on its first line.

#![allow(dead_code)] // each test binary uses its own part

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, ExitStatus};
use std::time::{Duration, Instant};

/// A child process that is killed (by PID) if the test ends early.
pub(crate) struct Guard(pub(crate) Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `sockeye` binary of this build.
pub(crate) fn sockeye() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sockeye"))
}

/// Waits for the child to exit, at most `limit`.
pub(crate) fn wait_exit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The first word starting with `scheme` (`ws://`, `wss://`) on the server's first line of
/// stdout, and the rest of its stdout (keep it: a closed pipe would fail the server's
/// later prints).
pub(crate) fn first_url(guard: &mut Guard, scheme: &str) -> (String, BufReader<ChildStdout>) {
    let mut stdout = BufReader::new(guard.0.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with(scheme))
        .unwrap_or_else(|| panic!("no {scheme} URL in {line:?}"))
        .to_owned();
    (url, stdout)
}

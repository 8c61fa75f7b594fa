//! Peers in child processes, for comparing the harness with the real suite on the same
//! implementations (`tests/suite_agreement.rs`, `benches/tests/suite_agreement.rs`): a
//! child is always stopped by its PID (SIGTERM, then SIGKILL, reaped), also when the test
//! panics, and never waited on without a deadline.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// A running child process, with its output lines on a channel.
#[derive(Debug)]
pub struct Spawned {
    child: Child,
    lines: Receiver<String>,
    /// What it printed so far (first lines), for error messages.
    pub seen: Vec<String>,
}

fn forward(out: impl Read + Send + 'static, tx: std::sync::mpsc::Sender<String>) {
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
}

impl Spawned {
    /// Starts `cmd` with stdin piped (peers started with `--stdin-watch` exit when it
    /// closes, should this process die without stopping them) and its output captured.
    ///
    /// # Errors
    /// If it cannot be started.
    pub fn start(mut cmd: Command) -> std::io::Result<Self> {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let (tx, lines) = channel();
        if let Some(out) = child.stdout.take() {
            forward(out, tx.clone());
        }
        if let Some(err) = child.stderr.take() {
            forward(err, tx);
        }
        Ok(Self {
            child,
            lines,
            seen: Vec::new(),
        })
    }

    /// The first `ws://` URL it prints, within `timeout`.
    ///
    /// # Errors
    /// What it printed instead, if it exits or says nothing usable in time.
    pub fn url(&mut self, timeout: Duration) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line
                        .split_whitespace()
                        .find(|w| w.starts_with("ws://"))
                        .map(|w| w.trim_end_matches([')', ',', '.']).to_owned());
                    self.seen.push(line);
                    if let Some(url) = found {
                        return Ok(url);
                    }
                }
                Err(_) => {
                    return Err(format!(
                        "no ws:// URL within {timeout:?}; output: {:?}",
                        self.seen
                    ));
                }
            }
        }
    }

    /// The first line it prints, within `timeout` (the peers print their version).
    pub fn first_line(&mut self, timeout: Duration) -> Option<String> {
        if let Some(l) = self.seen.first() {
            return Some(l.clone());
        }
        let line = self.lines.recv_timeout(timeout).ok()?;
        self.seen.push(line.clone());
        Some(line)
    }

    /// Waits for it to exit by itself, at most `timeout`.
    pub fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            while let Ok(line) = self.lines.try_recv() {
                if self.seen.len() < 2000 {
                    self.seen.push(line);
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Stops it by its PID: SIGTERM, SIGKILL after 5 s, then reaps it.
    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        if self.wait(Duration::from_secs(5)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.stop();
    }
}

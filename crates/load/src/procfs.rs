//! What the benchmark reads about a server process from `/proc` (Linux only).

use std::fs;

/// Clock ticks per second of the `utime`/`stime` fields of `/proc/PID/stat`: `USER_HZ`,
/// which the kernel reports to user space as 100 on every Linux architecture.
pub const TICKS_PER_SECOND: f64 = 100.0;

/// CPU time a process has used, user plus system, in seconds (all its threads, from
/// fields 14 and 15 of `/proc/PID/stat`), or `None` if it cannot be read.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count fields
    // after the last ')'. Field 3 (state) is the first one after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    let utime: u64 = fields.nth(11)?.parse().ok()?; // field 14
    let stime: u64 = fields.next()?.parse().ok()?; // field 15
    Some((utime + stime) as f64 / TICKS_PER_SECOND)
}

/// Resident set size of a process in bytes (`VmRSS` of `/proc/PID/status`).
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// The hard limit on open files of this process (`/proc/self/limits`).
pub fn max_open_files_hard() -> Option<u64> {
    let limits = fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let mut values = line.trim_start_matches("Max open files").split_whitespace();
    let _soft = values.next()?;
    match values.next()? {
        "unlimited" => Some(u64::MAX),
        hard => hard.parse().ok(),
    }
}

/// The CPU model (first `model name` of `/proc/cpuinfo`).
pub fn cpu_model() -> Option<String> {
    let info = fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("model name"))?;
    Some(line.split_once(':')?.1.trim().to_owned())
}

/// The kernel release (`/proc/sys/kernel/osrelease`).
pub fn kernel_release() -> Option<String> {
    Some(
        fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()?
            .trim()
            .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let pid = std::process::id();
        assert!(cpu_seconds(pid).is_some());
        assert!(rss_bytes(pid).unwrap() > 0);
        assert!(max_open_files_hard().unwrap() > 0);
    }
}

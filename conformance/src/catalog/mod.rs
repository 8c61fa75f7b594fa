//! The catalog: Autobahn|Testsuite 25.10.1's cases, replayed exactly — the suite's ids in
//! the suite's order (so `/runCase?case=N` and `/getCaseCount` agree with the real
//! fuzzing server), its frames (sizes, payload bytes, fragmentation including the empty
//! final frame, RSV bits, opcodes), its write grouping and chopping, its timers and its
//! expectations. Each section file cites the suite's case classes it follows.
//!
//! [`Profile::Full`] is that catalog. [`Profile::Reduced`] shrinks sections 9, 12 and 13
//! (for in-memory runs in debug builds) and is **not** the suite's catalog: its verdicts
//! are never compared with the suite's.

mod s12_13_deflate;
mod s1_framing;
mod s2_pings;
mod s3_rsv;
mod s4_opcodes;
mod s5_fragments;
mod s6_tables;
mod s6_utf8;
mod s7_close;
mod s9_limits;

use crate::case::{Case, FrameSpec, Step, Write, op};
use crate::expect::{Expect, Item};
use crate::payload::Payload;

/// Which catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// The suite's cases, byte for byte: messages up to 16 MiB, 1,000 round trips.
    Full,
    /// Not the suite's: section 9's message sizes divided by 16 (fragment and chop sizes
    /// kept, so 9.3.1 is 256 KiB in 4,096 fragments of 64 bytes), 100 round trips in 9.7
    /// and 9.8, 2 compressed round trips in 12 and 13. For in-memory runs in debug
    /// builds, where the full sizes are slow.
    Reduced,
}

impl Profile {
    /// [`Profile::Full`] in release builds, [`Profile::Reduced`] in debug builds.
    pub fn for_build() -> Self {
        if cfg!(debug_assertions) {
            Self::Reduced
        } else {
            Self::Full
        }
    }

    /// A section 9 message size.
    pub fn size(self, full: usize) -> usize {
        match self {
            Self::Full => full,
            Self::Reduced => full / 16,
        }
    }

    /// A round-trip count (9.7, 9.8: 1,000; 12, 13: 1,000).
    pub fn count(self, full: u32, reduced: u32) -> u32 {
        match self {
            Self::Full => full,
            Self::Reduced => reduced,
        }
    }

    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Full => "full (the suite's cases)",
            Self::Reduced => "reduced (not the suite's sizes)",
        }
    }
}

/// Every case, ordered by id as the suite orders them.
pub fn catalog(profile: Profile) -> Vec<Case> {
    let mut cases = Vec::new();
    s1_framing::cases(&mut cases);
    s2_pings::cases(&mut cases);
    s3_rsv::cases(&mut cases);
    s4_opcodes::cases(&mut cases);
    s5_fragments::cases(&mut cases);
    s6_utf8::cases(&mut cases);
    s7_close::cases(&mut cases);
    s9_limits::cases(&mut cases, profile);
    s12_13_deflate::cases(&mut cases, profile);
    cases.sort_by_key(Case::sort_key);
    cases
}

/// Section titles.
pub fn section_title(section: u32) -> &'static str {
    match section {
        1 => "Framing",
        2 => "Pings/Pongs",
        3 => "Reserved Bits",
        4 => "Opcodes",
        5 => "Fragmentation",
        6 => "UTF-8 Handling",
        7 => "Close Handling",
        9 => "Limits/Performance",
        10 => "Misc",
        12 => "WebSocket Compression (different payloads)",
        13 => "WebSocket Compression (different parameters)",
        _ => "Other",
    }
}

// ---- small builders shared by the section tables ----

pub(crate) fn case(
    id: impl Into<String>,
    description: impl Into<String>,
    steps: Vec<Step>,
    expect: Expect,
) -> Case {
    Case {
        id: id.into(),
        description: description.into(),
        steps,
        expect,
    }
}

/// `sendFrame(...)`: written with the callback's other writes.
pub(crate) fn plain(f: FrameSpec) -> Step {
    Step::Frame {
        frame: f,
        write: Write::Plain,
    }
}

/// `sendFrame(..., chopsize = n)`.
pub(crate) fn chopped(f: FrameSpec, n: usize) -> Step {
    Step::Frame {
        frame: f,
        write: Write::Chop(n),
    }
}

/// The frames written one way: plain, sync or octet-wise chops.
pub(crate) fn written(frames: Vec<FrameSpec>, how: Write) -> Vec<Step> {
    frames
        .into_iter()
        .map(|frame| Step::Frame { frame, write: how })
        .collect()
}

pub(crate) fn frame(opcode: u8, payload: impl AsRef<[u8]>) -> FrameSpec {
    FrameSpec::new(opcode, Payload::bytes(payload))
}

pub(crate) fn text(s: impl AsRef<[u8]>) -> FrameSpec {
    frame(op::TEXT, s)
}

pub(crate) fn binary(s: impl AsRef<[u8]>) -> FrameSpec {
    frame(op::BINARY, s)
}

pub(crate) fn cont(s: impl AsRef<[u8]>) -> FrameSpec {
    frame(op::CONT, s)
}

pub(crate) fn ping(s: impl AsRef<[u8]>) -> FrameSpec {
    frame(op::PING, s)
}

pub(crate) fn pong(s: impl AsRef<[u8]>) -> FrameSpec {
    frame(op::PONG, s)
}

pub(crate) fn got_text(s: impl AsRef<[u8]>) -> Item {
    Item::text(Payload::bytes(s))
}

pub(crate) fn got_pong(s: impl AsRef<[u8]>) -> Item {
    Item::Pong(Payload::bytes(s))
}

/// `killAfter(s)`.
pub(crate) fn kill(secs: f64) -> Step {
    Step::KillAfter((secs * 1000.0) as u64)
}

/// `closeAfter(s)`.
pub(crate) fn close_after(secs: f64) -> Step {
    Step::CloseAfter((secs * 1000.0) as u64)
}

/// `sendClose(code)` / `sendCloseFrame(code, reason)`.
pub(crate) fn close(code: Option<u16>, reason: &[u8]) -> Step {
    Step::Close {
        code,
        reason: reason.to_vec(),
    }
}

/// "Hello, world!", the suite's small payload in sections 3–5.
pub(crate) const HELLO: &[u8] = b"Hello, world!";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suites_ids_in_the_suites_order() {
        let cases = catalog(Profile::Reduced);
        let mut seen = std::collections::HashSet::new();
        for c in &cases {
            assert!(seen.insert(c.id.clone()), "duplicate {}", c.id);
        }
        assert!(cases.windows(2).all(|w| w[0].sort_key() < w[1].sort_key()));
        let per_section = |s: u32| cases.iter().filter(|c| c.section() == s).count();
        let counts: Vec<usize> = [1, 2, 3, 4, 5, 6, 7, 9, 10, 12, 13]
            .iter()
            .map(|s| per_section(*s))
            .collect();
        assert_eq!(counts, [16, 11, 7, 10, 20, 145, 37, 54, 1, 90, 126]);
        assert_eq!(cases.len(), 517);
        // The fuzzing server's case numbers: 6.5.1 is 78, 10.1.1 is 301, 13.7.18 is 517.
        assert_eq!(cases[77].id, "6.5.1");
        assert_eq!(cases[300].id, "10.1.1");
        assert_eq!(cases[516].id, "13.7.18");
    }
}

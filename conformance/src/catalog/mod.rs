//! The catalog: every case, written from RFC 6455, numbered like Autobahn|Testsuite's
//! sections 1–7, 9 and 10 so that reports line up.
//!
//! Each section is a table (arrays of typed rows) turned into [`Case`]s by a few builder
//! functions; nothing here is a test function.

mod s1_framing;
mod s2_pings;
mod s3_rsv;
mod s4_opcodes;
mod s5_fragments;
mod s6_utf8;
mod s7_close;
mod s9_limits;

use crate::case::{Case, Expect, FrameSpec, Item, Payload, Step, op};

/// Sizes for section 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// The sizes Autobahn uses: messages up to 16 MiB, 4 MiB in 65,536 fragments.
    Full,
    /// One sixteenth of those message sizes (fragments keep the suite's sizes, so 9.3.1
    /// is 256 KiB in 4,096 fragments of 64 bytes), for debug builds and `cargo test`.
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

    /// Scales a Full-profile size.
    pub fn size(self, full: usize) -> usize {
        match self {
            Self::Full => full,
            Self::Reduced => full / 16,
        }
    }

    /// Name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Reduced => "reduced",
        }
    }
}

/// Default pause inside cases (ms): long enough for a peer on loopback to react.
pub const PAUSE_MS: u64 = 200;

/// Every case, ordered by id.
pub fn catalog(profile: Profile) -> Vec<Case> {
    let mut cases = Vec::new();
    s1_framing::cases(&mut cases);
    s2_pings::cases(&mut cases);
    s3_rsv::cases(&mut cases);
    s4_opcodes::cases(&mut cases);
    s5_fragments::cases(&mut cases);
    s6_utf8::cases(&mut cases);
    s7_close::cases(&mut cases, profile);
    s9_limits::cases(&mut cases, profile);
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
        10 => "Auto-Fragmentation",
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

pub(crate) fn frame(f: FrameSpec) -> Step {
    Step::Frame {
        frame: f,
        chop: None,
    }
}

pub(crate) fn chopped(f: FrameSpec, chop: usize) -> Step {
    Step::Frame {
        frame: f,
        chop: Some(chop),
    }
}

pub(crate) fn text(s: impl AsRef<[u8]>) -> FrameSpec {
    FrameSpec::new(op::TEXT, Payload::bytes(s))
}

pub(crate) fn binary(s: impl AsRef<[u8]>) -> FrameSpec {
    FrameSpec::new(op::BINARY, Payload::bytes(s))
}

pub(crate) fn cont(s: impl AsRef<[u8]>) -> FrameSpec {
    FrameSpec::new(op::CONT, Payload::bytes(s))
}

pub(crate) fn ping(s: impl AsRef<[u8]>) -> FrameSpec {
    FrameSpec::new(op::PING, Payload::bytes(s))
}

pub(crate) fn pong(s: impl AsRef<[u8]>) -> FrameSpec {
    FrameSpec::new(op::PONG, Payload::bytes(s))
}

pub(crate) fn echo_text(s: impl AsRef<[u8]>) -> Item {
    Item::text(Payload::bytes(s))
}

pub(crate) fn pong_item(s: impl AsRef<[u8]>) -> Item {
    Item::Pong(Payload::bytes(s))
}

/// How a list of frames is written: all at once, each frame as soon as the previous
/// one is written; one frame per write with a pause in between; or in 1-byte writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    Whole,
    FramePause,
    Octets,
}

impl Delivery {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Whole => "",
            Self::FramePause => " Frames are sent one by one with pauses.",
            Self::Octets => " Octets are sent in octet-wise chops.",
        }
    }
}

/// The steps that send `frames` the way `delivery` says.
pub(crate) fn deliver(frames: Vec<FrameSpec>, delivery: Delivery) -> Vec<Step> {
    let mut steps = Vec::new();
    let n = frames.len();
    for (i, f) in frames.into_iter().enumerate() {
        match delivery {
            Delivery::Whole => steps.push(frame(f)),
            Delivery::Octets => steps.push(chopped(f, 1)),
            Delivery::FramePause => {
                steps.push(frame(f));
                if i + 1 < n {
                    steps.push(Step::Pause(PAUSE_MS));
                }
            }
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_sorted() {
        let cases = catalog(Profile::Reduced);
        let mut seen = std::collections::HashSet::new();
        for c in &cases {
            assert!(seen.insert(c.id.clone()), "duplicate {}", c.id);
        }
        assert!(cases.windows(2).all(|w| w[0].sort_key() < w[1].sort_key()));
        assert!(cases.len() > 280, "{} cases", cases.len());
    }
}

//! The crate's only `unsafe`: the masking loop compiled for AVX2 and chosen at run time.
//!
//! The code is the portable loop itself ([`crate::mask`]), compiled a second time with the
//! `avx2` target feature so that the compiler uses 32-byte vectors. Calling a function
//! compiled for a target feature is `unsafe` because running it on a CPU without the
//! feature is undefined behaviour; the call below happens only after
//! `is_x86_feature_detected!("avx2")` said the CPU has it.
//!
//! Miri checks this call too: run with the feature enabled so that detection answers yes
//! and the `unsafe` call is interpreted (Miri reports calling a function whose target
//! features are unavailable as undefined behaviour):
//! `RUSTFLAGS="-Ctarget-feature=+avx2" cargo +nightly miri test -p sockeye-frame --lib`.
//! Without the flag Miri takes the portable path.
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicU8, Ordering};

/// 0 = not probed yet, 1 = absent, 2 = present.
static AVX2: AtomicU8 = AtomicU8::new(0);

/// Whether the running CPU has AVX2 (probed once, then cached).
#[inline]
pub(crate) fn avx2_available() -> bool {
    match AVX2.load(Ordering::Relaxed) {
        0 => {
            let has = std::is_x86_feature_detected!("avx2");
            AVX2.store(if has { 2 } else { 1 }, Ordering::Relaxed);
            has
        }
        v => v == 2,
    }
}

/// [`crate::mask::apply_mask_portable`] with AVX2 code generation.
#[inline]
pub(crate) fn apply_mask_avx2(buf: &mut [u8], key: [u8; 4]) {
    debug_assert!(avx2_available());
    // SAFETY: the only caller, `crate::apply_mask`, checks `avx2_available()` first, which
    // is true only when `is_x86_feature_detected!("avx2")` reported the feature on this CPU;
    // `masked_avx2` has no other precondition (it is safe code compiled with AVX2 enabled).
    unsafe { masked_avx2(buf, key) }
}

#[target_feature(enable = "avx2")]
fn masked_avx2(buf: &mut [u8], key: [u8; 4]) {
    crate::mask::apply_mask_portable(buf, key);
}

//! Randomness from the operating system: client masking keys (RFC 6455 §5.3: "derived
//! from a strong source of entropy", §10.3) and the `Sec-WebSocket-Key` nonce (§4.1).
//!
//! No seeded generator: every byte comes from `getrandom`. To avoid a system call per
//! frame, keys are handed out of a pool of 256 bytes (64 keys per system call); a used
//! byte is wiped. If the OS source fails, a shared flag turns on and the connection sends
//! nothing more ([`Error::Random`](crate::Error::Random)): a frame masked with a
//! predictable key never leaves.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sockeye_proto::MaskSource;

const POOL_LEN: usize = 256;

/// Masking keys from the OS, pooled. Neither `Clone` (two copies would hand out the same
/// keys) nor showing its pool in `Debug` (the keys to come are secret).
pub(crate) struct OsMasks {
    pool: [u8; POOL_LEN],
    /// Next unused byte; `POOL_LEN` when empty.
    next: usize,
    failed: Arc<AtomicBool>,
}

impl OsMasks {
    /// An empty pool (the first key fills it) and the flag that reports a failure of the
    /// OS source after the pool has moved into a connection.
    pub(crate) fn new() -> (Self, Arc<AtomicBool>) {
        let failed = Arc::new(AtomicBool::new(false));
        let masks = Self {
            pool: [0; POOL_LEN],
            next: POOL_LEN,
            failed: Arc::clone(&failed),
        };
        (masks, failed)
    }
}

impl core::fmt::Debug for OsMasks {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OsMasks")
            .field("failed", &self.failed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl MaskSource for OsMasks {
    fn mask_key(&mut self) -> [u8; 4] {
        if self.next + 4 > POOL_LEN {
            if getrandom::fill(&mut self.pool).is_err() {
                self.failed.store(true, Ordering::Relaxed);
            }
            self.next = 0;
        }
        let mut key = [0u8; 4];
        if let Some(bytes) = self.pool.get_mut(self.next..self.next + 4) {
            key.copy_from_slice(bytes);
            bytes.fill(0);
        }
        self.next += 4;
        key
    }
}

/// 16 fresh bytes for a `Sec-WebSocket-Key` (§4.1: "selected randomly for each
/// connection").
pub(crate) fn nonce() -> Result<[u8; 16], crate::Error> {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).map_err(|_| crate::Error::Random)?;
    Ok(nonce)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_fresh_across_refills_and_not_shown() {
        let (mut masks, failed) = OsMasks::new();
        let keys: Vec<[u8; 4]> = (0..200).map(|_| masks.mask_key()).collect();
        assert!(!failed.load(Ordering::Relaxed));
        let mut distinct = keys.clone();
        distinct.sort_unstable();
        distinct.dedup();
        // 200 random 32-bit keys over four refills: a repeat is astronomically unlikely;
        // a pool that was never filled would hand out zeros.
        assert!(distinct.len() >= 199, "{} distinct", distinct.len());
        assert_eq!(format!("{masks:?}"), "OsMasks { failed: false, .. }");
        assert_ne!(nonce().unwrap(), nonce().unwrap());
    }
}

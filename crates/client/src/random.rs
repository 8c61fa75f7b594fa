//! Randomness from the operating system: masking keys (RFC 6455 §5.3, §10.3) and the
//! `Sec-WebSocket-Key` nonce (§4.1).
//!
//! Nothing here is a seeded generator: every byte comes from [`getrandom`] (on Linux the
//! `getrandom(2)` system call). To avoid one system call per frame, [`OsMasks`] keeps a
//! pool of [`OsMasks::POOL_LEN`] bytes, hands them out four at a time, and refills the
//! whole pool from the OS when it is used up: one system call per 64 frames.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sockeye_proto::MaskSource;

/// Masking keys from the OS random source, buffered.
///
/// Implements [`MaskSource`], so it can be given to
/// [`Connection::client`](sockeye_proto::Connection::client) directly. The clients of this
/// crate use it for every connection.
///
/// If the OS random source ever fails (it does not on any supported system once the
/// kernel's pool is initialised, but the API can report it), the key returned is not
/// random: [`OsMasks::failed`] turns true, and the clients of this crate check it before
/// writing anything, failing the connection with [`Error::Random`](crate::Error::Random)
/// instead of sending a frame masked with a predictable key.
///
/// ```
/// use sockeye_proto::MaskSource;
/// let mut masks = sockeye_client::OsMasks::new();
/// let a = masks.mask_key();
/// let b = masks.mask_key();
/// assert!(!masks.failed());
/// # let _ = (a, b);
/// ```
///
/// It is neither `Clone` (two copies would hand out the same keys) nor does its `Debug`
/// show the pool (the keys to come are secret, §10.3):
///
/// ```compile_fail
/// let masks = sockeye_client::OsMasks::new();
/// let twin = masks.clone(); // does not compile
/// ```
pub struct OsMasks {
    pool: [u8; Self::POOL_LEN],
    /// Next unused byte of `pool`; `POOL_LEN` when empty.
    next: usize,
    failed: Arc<AtomicBool>,
}

impl OsMasks {
    /// Bytes fetched from the OS at a time: 256, i.e. 64 masking keys per system call.
    pub const POOL_LEN: usize = 256;

    /// An empty pool; the first key fills it.
    pub fn new() -> Self {
        Self {
            pool: [0; Self::POOL_LEN],
            next: Self::POOL_LEN,
            failed: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether the OS random source failed at some point (see the type's docs).
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// A handle that reads [`failed`](Self::failed) after the source has been moved into
    /// a connection.
    pub(crate) fn failure_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.failed)
    }

    fn refill(&mut self) {
        // One retry: a transient EINTR-like failure is handled inside getrandom already,
        // so a second failure means the source is really unavailable.
        if getrandom::fill(&mut self.pool).is_err() && getrandom::fill(&mut self.pool).is_err() {
            self.failed.store(true, Ordering::Relaxed);
        }
        self.next = 0;
    }
}

impl core::fmt::Debug for OsMasks {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OsMasks")
            .field(
                "keys_left",
                &((Self::POOL_LEN - self.next.min(Self::POOL_LEN)) / 4),
            )
            .field("failed", &self.failed())
            .finish_non_exhaustive()
    }
}

impl Default for OsMasks {
    fn default() -> Self {
        Self::new()
    }
}

impl MaskSource for OsMasks {
    fn mask_key(&mut self) -> [u8; 4] {
        if self.next + 4 > Self::POOL_LEN {
            self.refill();
        }
        let mut key = [0u8; 4];
        if let Some(bytes) = self.pool.get(self.next..self.next + 4) {
            key.copy_from_slice(bytes);
            // Never reuse a byte: wipe what was handed out.
            if let Some(used) = self.pool.get_mut(self.next..self.next + 4) {
                used.fill(0);
            }
        }
        self.next += 4;
        key
    }
}

/// 16 fresh bytes from the OS for a `Sec-WebSocket-Key` (§4.1: "a randomly selected
/// 16-byte value ... selected randomly for each connection").
///
/// # Errors
/// [`Error::Random`](crate::Error::Random) if the OS random source fails.
pub fn nonce() -> Result<[u8; 16], crate::Error> {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).map_err(|_| crate::Error::Random)?;
    Ok(nonce)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_hands_out_distinct_keys_and_refills() {
        let mut masks = OsMasks::new();
        let keys: Vec<[u8; 4]> = (0..1000).map(|_| masks.mask_key()).collect();
        assert!(!masks.failed());
        // 1000 random 32-bit keys: a repeat is possible but astronomically unlikely to
        // be frequent; all-zero keys would mean the pool was not filled.
        let zeros = keys.iter().filter(|k| **k == [0; 4]).count();
        assert!(zeros <= 1, "{zeros} zero keys");
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert!(sorted.len() >= 995);
    }

    /// The debug output names no key: neither the pool nor the next key shows.
    #[test]
    fn debug_shows_no_keys() {
        let mut masks = OsMasks::new();
        let _ = masks.mask_key(); // the pool is filled
        assert_eq!(
            format!("{masks:?}"),
            "OsMasks { keys_left: 63, failed: false, .. }"
        );
    }

    #[test]
    fn nonces_differ() {
        let a = nonce().unwrap();
        let b = nonce().unwrap();
        assert_ne!(a, b);
    }
}

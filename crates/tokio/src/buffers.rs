//! One read buffer and one output buffer per thread, lent to the connection being polled,
//! so that an idle connection owns neither (the mio server's shape, per runtime thread).
//!
//! A buffer is only ever held during one synchronous poll, so connections on the same
//! thread never see each other's bytes. It is taken out of its slot while in use: a
//! transport whose own poll polls another connection (a tunnel) finds the slot empty and
//! works with a fresh buffer instead of a shared one.

use std::cell::{Cell, RefCell};

use sockeye_driver::Driver;

/// The read size: what one `poll_read` may bring (the mio server reads 64 KiB too).
pub(crate) const READ_LEN: usize = 64 << 10;

thread_local! {
    static READ: RefCell<Option<Box<[u8]>>> = const { RefCell::new(None) };
    static OUTPUT: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Runs `f` with this thread's read buffer (`READ_LEN` bytes).
pub(crate) fn with_read_buffer<R>(f: impl FnOnce(&mut [u8]) -> R) -> R {
    let taken = READ.with(|slot| slot.borrow_mut().take());
    let mut buf = taken.unwrap_or_else(|| vec![0u8; READ_LEN].into_boxed_slice());
    let result = f(&mut buf);
    READ.with(|slot| *slot.borrow_mut() = Some(buf));
    result
}

/// Lends this thread's output buffer to `driver` if the driver has none (it frames into
/// it directly).
pub(crate) fn lend_output(driver: &mut Driver) {
    OUTPUT.with(|slot| {
        let mut spare = slot.take();
        driver.lend_buffer(&mut spare);
        slot.set(spare);
    });
}

/// Takes the output buffer back if everything in it was written; a connection with
/// output still queued keeps it (it is that connection's own until it drains).
pub(crate) fn reclaim_output(driver: &mut Driver) {
    OUTPUT.with(|slot| {
        let mut spare = slot.take();
        driver.reclaim_buffer(&mut spare);
        slot.set(spare);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_use_gets_its_own_read_buffer() {
        with_read_buffer(|outer| {
            outer[0] = 7;
            with_read_buffer(|inner| {
                assert_eq!(inner.len(), READ_LEN);
                assert_eq!(inner[0], 0, "the nested call must not see the outer bytes");
            });
            assert_eq!(outer[0], 7);
        });
    }
}

//! One read buffer and one output buffer per thread, lent to the connection being polled,
//! so that an idle connection owns neither (the mio server's shape, per runtime thread).
//!
//! A buffer is only ever held during one synchronous poll, so connections on the same
//! thread never see each other's bytes. It is taken out of its slot while in use: a
//! transport whose own poll polls another connection (a tunnel) finds the slot empty and
//! works with a fresh buffer instead of a shared one.
//!
//! The read buffer is a [`BytesMut`]: a large message is handed out as a slice of it
//! (zero-copy, see `conn.rs`), which keeps that part of the allocation alive while the
//! application holds the message. Reads go into what is left of the allocation while at
//! least [`MIN_READ`] is; then a new one is made (or the old one reused in place, when
//! nothing points into it any more, which is the steady state of an echo or a relay).

use std::cell::{Cell, RefCell};

use bytes::BytesMut;
use sockeye_driver::{Driver, OutputBuffer};

/// The size of a new read buffer: what one `poll_read` may bring at most (the mio server
/// reads 64 KiB too).
pub(crate) const READ_LEN: usize = 64 << 10;

/// Below this much room left, the next read gets a new (or reclaimed) buffer.
pub(crate) const MIN_READ: usize = 16 << 10;

thread_local! {
    static READ: RefCell<Option<BytesMut>> = const { RefCell::new(None) };
    static OUTPUT: Cell<OutputBuffer> = const { Cell::new(OutputBuffer::new()) };
}

/// This thread's read buffer: empty, with room for at least [`MIN_READ`] bytes. Give it
/// back with [`return_read_buffer`] (a connection keeps only what it stashes of it).
pub(crate) fn take_read_buffer() -> BytesMut {
    let mut buf = READ
        .with(|slot| slot.borrow_mut().take())
        .unwrap_or_default();
    buf.clear();
    if buf.capacity() < MIN_READ {
        // Reuses the allocation in place when no message points into it any more.
        buf.reserve(READ_LEN);
    }
    buf
}

/// Puts the read buffer back for the next connection polled on this thread.
pub(crate) fn return_read_buffer(buf: BytesMut) {
    READ.with(|slot| *slot.borrow_mut() = Some(buf));
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
        let mut outer = take_read_buffer();
        outer.extend_from_slice(&[7]);
        let inner = take_read_buffer();
        assert!(inner.is_empty() && inner.capacity() >= MIN_READ);
        return_read_buffer(inner);
        assert_eq!(&outer[..], &[7]);
        return_read_buffer(outer);
    }

    #[test]
    fn a_buffer_nothing_points_into_is_reused_in_place() {
        let mut buf = take_read_buffer();
        buf.extend_from_slice(&[1; READ_LEN - 100]);
        let ptr = buf.as_ptr();
        let message = buf.split_to(READ_LEN - 200).freeze();
        return_read_buffer(buf);
        // Room left is under MIN_READ and `message` holds the allocation: a new one.
        let next = take_read_buffer();
        assert_ne!(next.as_ptr(), ptr);
        assert!(next.capacity() >= MIN_READ);
        return_read_buffer(next);
        drop(message);
    }

    #[test]
    fn the_allocation_comes_back_once_the_messages_are_dropped() {
        let mut buf = take_read_buffer();
        let ptr = buf.as_ptr();
        buf.extend_from_slice(&[1; READ_LEN - 100]);
        let message = buf.split_to(READ_LEN - 200).freeze();
        return_read_buffer(buf);
        drop(message);
        let next = take_read_buffer();
        assert_eq!(next.as_ptr(), ptr, "reused in place, not reallocated");
        return_read_buffer(next);
    }
}

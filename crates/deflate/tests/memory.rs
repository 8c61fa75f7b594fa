//! Idle memory per connection for each memory mode and window size, measured with a
//! counting global allocator; prints the table of `docs/compression.md`:
//! `cargo test -p sockeye-deflate --test memory -- --nocapture`
//!
//! The counter is per thread: the test harness's own thread allocates while a test starts
//! (its bookkeeping, at a time that depends on the scheduler), and a process-wide counter
//! once charged those bytes to the first measurement on a loaded CI machine.
#![allow(unsafe_code, clippy::print_stdout)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::time::Instant;

use sockeye_deflate::{DeflateOptions, Memory, PerMessageDeflate, SharedCompressor};
use sockeye_handshake::DeflateParams;
use sockeye_proto::test_support::feed;
use sockeye_proto::{Config, Connection, Role};

struct Counting;

thread_local! {
    // `const` initialisation: reading it never allocates, so the allocator may use it.
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

/// Charges `delta` bytes to the calling thread. Every measured block is allocated and freed
/// on the test's thread, so per-thread sums are exact for what is measured.
fn charge(delta: isize) {
    // `try_with`: during thread teardown the slot may be gone; those bytes are not measured.
    let _ = LIVE.try_with(|l| l.set(l.get() + delta));
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// GlobalAlloc contract holds as it does for `System`; the counter is only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        charge(layout.size() as isize);
        // SAFETY: forwarded as received (see the impl).
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        charge(-(layout.size() as isize));
        // SAFETY: forwarded as received (see the impl).
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        charge(layout.size() as isize);
        // SAFETY: forwarded as received (see the impl).
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        charge(new_size as isize - layout.size() as isize);
        // SAFETY: forwarded as received (see the impl).
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

/// Heap bytes an idle server connection holds after one compressed message each way, of
/// 40 KiB: more than the largest window, so the inflater's copy of its window (kept to
/// restart after a final block, RFC 7692 §7.2.1) is full, as on a busy connection.
fn idle_bytes(p: DeflateParams, memory: Memory, shared: Option<&SharedCompressor>) -> isize {
    let text = "memory per connection, memory per connection ".repeat(900);
    // The client's message, compressed by a throwaway client-side extension.
    let wire = {
        let mut c = Connection::client(
            Config::default(),
            Box::new(sockeye_proto::test_support::CounterMasks::default()),
            Instant::now(),
        )
        .with_extension(Box::new(PerMessageDeflate::new(
            Role::Client,
            p,
            DeflateOptions::new(),
        )));
        let mut w = Vec::new();
        c.send_text(&text, &mut w).unwrap();
        w
    };
    assert_eq!(wire[0] & 0x40, 0x40);
    // The limits are shared by a front end's connections (`DriverConfig::shared_connection`),
    // so they are made before counting, as they are before a connection is accepted.
    let config = Arc::new(Config::default());
    let before = live();
    let mut o = DeflateOptions::new();
    o.memory = memory;
    let mut ext = PerMessageDeflate::new(Role::Server, p, o);
    if let Some(s) = shared {
        ext = ext.with_shared_compressor(s.clone());
    }
    let mut conn =
        Connection::server(Arc::clone(&config), Instant::now()).with_extension(Box::new(ext));
    let seen = feed(&mut conn, &wire, &[1000], Instant::now());
    assert_eq!(seen.events.len(), 1);
    drop(seen);
    let mut out = Vec::new();
    conn.send_text(&text, &mut out).unwrap();
    drop(out);
    assert!(conn.recv(&mut [], Instant::now()).unwrap().event.is_none());
    assert!(conn.is_idle());
    let held = live() - before;
    drop(conn);
    held
}

fn params(snct: bool, cnct: bool, bits: u8) -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: snct,
        client_no_context_takeover: cnct,
        server_max_window_bits: bits,
        client_max_window_bits: bits,
    }
}

#[test]
fn idle_memory_per_connection() {
    // The plain connection's own box (mask source / extension holder) for reference.
    let config = Arc::new(Config::default());
    let before = live();
    let plain = Connection::server(Arc::clone(&config), Instant::now());
    let plain_bytes = live() - before;
    drop(plain);
    println!(
        "| window bits | takeover both ways (`Keep`) | no takeover both ways, `Keep` | shared compressor + client takeover | shared compressor, no takeover, `Release` | no takeover both ways, `Release` |"
    );
    println!("|---|---|---|---|---|---|");
    // One unmeasured run first, so that anything initialised once per thread or process on
    // first use is not charged to the first row.
    let _ = idle_bytes(params(false, false, 15), Memory::Keep, None);
    let mut last_keep = 0;
    for bits in 8u8..=15 {
        let keep = idle_bytes(params(false, false, bits), Memory::Keep, None);
        let fresh_keep = idle_bytes(params(true, true, bits), Memory::Keep, None);
        let shared = SharedCompressor::new(1, bits);
        let shared_takeover = idle_bytes(params(true, false, bits), Memory::Keep, Some(&shared));
        let shared_release = idle_bytes(params(true, true, bits), Memory::Release, Some(&shared));
        let release = idle_bytes(params(true, true, bits), Memory::Release, None);
        println!(
            "| {bits} | {} | {} | {} | {} | {} |",
            kib(keep),
            kib(fresh_keep),
            kib(shared_takeover),
            kib(shared_release),
            kib(release)
        );
        assert!(keep >= last_keep, "larger windows hold more");
        last_keep = keep;
        assert!(shared_takeover < keep);
        assert!(
            release <= 512,
            "Release holds no zlib state: {release} bytes"
        );
        assert!(shared_release <= 512);
    }
    println!("(a plain connection's extras box: {plain_bytes} bytes)");
}

fn kib(bytes: isize) -> String {
    if bytes < 4096 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

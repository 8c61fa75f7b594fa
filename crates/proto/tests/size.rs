//! The memory budget: a connection is small and an idle one owns no heap buffer.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use sockeye_proto::test_support::Pair;
use sockeye_proto::{Config, Connection};

/// 112 bytes today: the receiver's frame state (64, its assembly buffer behind one
/// pointer), the sender's flags, deadline and three pointers (the shared `Config`, the
/// boxed control queue, the boxed extras).
#[test]
fn connection_is_at_most_112_bytes() {
    let size = size_of::<Connection>();
    println!("size_of::<Connection>() = {size} bytes");
    assert!(size <= 112, "Connection is {size} bytes");
}

#[test]
fn idle_connection_owns_no_buffer() {
    let conn = Connection::server(Config::default(), Instant::now());
    assert_eq!(conn.buffered_capacity(), 0);
    assert!(conn.is_idle());

    // A fragmented message grows the buffer; delivering it releases it.
    let mut pair = Pair::new();
    let wire = pair.client_sends(|c, out| {
        c.send_fragment(sockeye_proto::MessageKind::Binary, &[7; 5000], false, out)?;
        c.send_fragment(sockeye_proto::MessageKind::Binary, &[8; 5000], true, out)
    });
    let seen = sockeye_proto::test_support::feed(&mut pair.server, &wire, &[1000], pair.now);
    assert_eq!(seen.events.len(), 1);
    // The buffer is released at the next call.
    let r = pair.server.recv(&mut [], pair.now).unwrap();
    assert!(r.event.is_none());
    assert_eq!(pair.server.buffered_capacity(), 0);
    assert!(pair.server.is_idle());
}

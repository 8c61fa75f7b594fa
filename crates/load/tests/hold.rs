//! A hold spreads its connections over the source addresses it is given, and reports the
//! accept rate beside the memory.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::sync::mpsc;
use std::time::Duration;

use sockeye_load::{HoldSpec, Protocol, run_hold};

#[test]
fn connections_come_from_each_source_address_in_turn() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    // Accepts the hold's connections and keeps them open until the hold drops them.
    let acceptor = std::thread::spawn(move || {
        let mut held = Vec::new();
        for _ in 0..6 {
            let (stream, peer) = listener.accept().unwrap();
            tx.send(peer.ip()).unwrap();
            held.push(stream);
        }
        held
    });
    let sources: Vec<IpAddr> = [2, 3]
        .map(|last| IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .to_vec();
    let report = run_hold(&HoldSpec {
        addr,
        protocol: Protocol::Raw,
        conns: 6,
        settle: Duration::from_millis(10),
        // This process: its RSS and CPU time are as readable as a server's.
        server_pid: std::process::id(),
        tls: None,
        sources: sources.clone(),
    })
    .unwrap();
    let held = acceptor.join().unwrap();
    assert_eq!(held.len(), 6);
    let mut seen: BTreeMap<IpAddr, usize> = BTreeMap::new();
    for ip in rx.try_iter() {
        *seen.entry(ip).or_default() += 1;
    }
    assert_eq!(seen, sources.iter().map(|ip| (*ip, 3)).collect());
    assert_eq!(report.conns, 6);
    assert!(report.setup_seconds > 0.0);
    assert!(report.setups_per_second().is_finite());
    let line = report.to_line();
    assert!(line.contains("setups_per_s="), "{line}");
}

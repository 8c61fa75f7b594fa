//! The load generator over TLS against Sockeye's TLS echo, in process: every echo is
//! checked byte for byte by the load generator itself (a mismatch is an error), so a
//! report with messages in it means the TLS link carried them intact; and idle TLS
//! connections are held open.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use sockeye_benches::load::{self, HoldSpec, Kind, LoadSpec, Protocol, TlsClient};
use sockeye_server::tls::TlsServerConfig;
use sockeye_server::tls::dev::DevPki;
use sockeye_server::{Echo, Server, ServerConfig};

#[test]
fn load_and_hold_over_wss() {
    let dir = std::env::temp_dir().join(format!("sockeye-loadgen-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let [ca, cert, key] = DevPki::new()
        .unwrap()
        .write_files(&dir, &["127.0.0.1"])
        .unwrap();
    let mut config = ServerConfig::default();
    config.threads = 1;
    config.tls = Some(TlsServerConfig::from_pem_files(&cert, &key).unwrap());
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), config, Echo).unwrap();
    let tls = TlsClient::from_ca_file(&ca).unwrap();
    let pid = std::process::id();

    for (size, kind, depth) in [(20, Kind::Ascii, 4), (100_000, Kind::Binary, 1)] {
        let report = load::run_load(&LoadSpec {
            addr: server.local_addr(),
            path: "/".into(),
            protocol: Protocol::WebSocket,
            conns: 3,
            size,
            kind,
            depth,
            warmup: Duration::from_millis(50),
            duration: Duration::from_millis(300),
            server_pid: Some(pid),
            deflate: false,
            tls: Some(tls.clone()),
        })
        .unwrap_or_else(|e| panic!("{size} B over wss: {e}"));
        assert!(report.messages > 0, "{size} B: no echo in 300 ms");
    }
    let held = load::run_hold(&HoldSpec {
        addr: server.local_addr(),
        protocol: Protocol::WebSocket,
        conns: 20,
        settle: Duration::from_millis(50),
        server_pid: pid,
        tls: Some(tls),
        sources: Vec::new(),
    })
    .unwrap();
    assert_eq!(held.conns, 20);
    assert!(held.setups_per_second() > 0.0);

    // A client that trusts another CA does not get through.
    let stranger = dir.join("stranger.pem");
    std::fs::write(&stranger, DevPki::new().unwrap().ca_pem()).unwrap();
    let e = load::run_load(&LoadSpec {
        addr: server.local_addr(),
        path: "/".into(),
        protocol: Protocol::WebSocket,
        conns: 1,
        size: 20,
        kind: Kind::Ascii,
        depth: 1,
        warmup: Duration::ZERO,
        duration: Duration::from_millis(100),
        server_pid: None,
        deflate: false,
        tls: Some(TlsClient::from_ca_file(&stranger).unwrap()),
    })
    .unwrap_err();
    assert!(
        e.contains("UnknownIssuer") || e.contains("certificate"),
        "{e}"
    );
    server.shutdown(Duration::from_secs(1));
    let _ = std::fs::remove_dir_all(&dir);
}

//! The server over `wss://` on loopback, with a CA and certificates made at test time:
//! echoes through sockeye-client, a certificate replaced while the server runs, and
//! hostile TLS peers (garbage, a trickled or abandoned handshake, plain HTTP on the port,
//! a ClientHello flood), each ending bounded while a canary connection keeps echoing.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sockeye_client::{ClientBuilder, Error as ClientError, Message, WebSocket};
use sockeye_server::tls::dev::DevPki;
use sockeye_server::tls::{TlsError, TlsServerConfig};
use sockeye_server::{Echo, Server, ServerConfig};

struct Setup {
    pki: DevPki,
    server: Server,
    dir: tempdir::Dir,
}

/// A directory of its own under the target directory, removed on drop.
mod tempdir {
    use std::path::{Path, PathBuf};

    pub(crate) struct Dir(PathBuf);

    impl Dir {
        pub(crate) fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "sockeye-tls-{name}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }
        pub(crate) fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn setup(name: &str, handshake_timeout: Duration) -> Setup {
    let pki = DevPki::new().unwrap();
    let dir = tempdir::Dir::new(name);
    let [_, cert, key] = pki
        .write_files(dir.path(), &["localhost", "127.0.0.1"])
        .unwrap();
    let mut config = ServerConfig::default();
    config.threads = 1;
    config.handshake_timeout = handshake_timeout;
    config.tls = Some(TlsServerConfig::from_pem_files(&cert, &key).unwrap());
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), config, Echo).unwrap();
    Setup { pki, server, dir }
}

fn client_for(pki: &DevPki) -> ClientBuilder {
    ClientBuilder::new()
        .tls(pki.client_config().unwrap())
        .read_timeout(Some(Duration::from_secs(10)))
}

fn wss(addr: SocketAddr, host: &str) -> String {
    format!("wss://{host}:{}/echo", addr.port())
}

fn echo_once(ws: &mut WebSocket, text: &str) {
    ws.send_text(text).unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Text(text.into()));
}

#[test]
fn wss_echo_of_every_size_by_ip_and_by_name() {
    let s = setup("echo", Duration::from_secs(10));
    let addr = s.server.local_addr();
    for host in ["127.0.0.1", "localhost"] {
        let mut ws = client_for(&s.pki).connect(&wss(addr, host)).unwrap();
        // permessage-deflate still negotiated inside TLS
        assert!(ws.deflate().is_some());
        for size in [0usize, 1, 125, 16 << 10, 100_000, 2 << 20] {
            let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            ws.send_binary(&data).unwrap();
            assert_eq!(ws.recv().unwrap(), Message::Binary(data), "{host} {size}");
        }
        echo_once(&mut ws, "κόσμε over TLS");
        ws.close(sockeye_server::CloseCode::NORMAL, "done").unwrap();
    }
}

#[test]
fn a_client_that_does_not_trust_the_ca_gets_its_own_error() {
    let s = setup("untrusted", Duration::from_secs(10));
    let stranger = DevPki::new().unwrap();
    let e = client_for(&stranger)
        .connect(&wss(s.server.local_addr(), "localhost"))
        .unwrap_err();
    assert!(
        matches!(e, ClientError::Tls(TlsError::UnknownIssuer)),
        "{e}"
    );
    // a plain ws:// client on the TLS port: the server answers 400 in the clear
    let e = ClientBuilder::new()
        .connect(&format!("ws://127.0.0.1:{}/", s.server.local_addr().port()))
        .unwrap_err();
    match e {
        ClientError::Rejected(r) => assert_eq!(r.status(), 400),
        other => panic!("{other}"),
    }
}

#[test]
fn the_certificate_is_replaced_while_the_server_runs() {
    let s = setup("reload", Duration::from_secs(10));
    let addr = s.server.local_addr();
    let mut before = client_for(&s.pki).connect(&wss(addr, "localhost")).unwrap();
    // A renewal from another CA: new handshakes present it, the open connection goes on.
    let renewed = DevPki::new().unwrap();
    let dir = tempdir::Dir::new("reload-new");
    let [_, cert, key] = renewed.write_files(dir.path(), &["localhost"]).unwrap();
    let handle = s.server.handle();
    handle.reload_certificate(&cert, &key).unwrap();
    let mut after = client_for(&renewed)
        .connect(&wss(addr, "localhost"))
        .unwrap();
    echo_once(&mut after, "renewed");
    let e = client_for(&s.pki)
        .connect(&wss(addr, "localhost"))
        .unwrap_err();
    assert!(
        matches!(e, ClientError::Tls(TlsError::UnknownIssuer)),
        "{e}"
    );
    echo_once(&mut before, "still the old session");
    // A bad renewal keeps the current certificate.
    let missing = s.dir.path().join("missing.pem");
    assert!(handle.reload_certificate(&missing, &key).is_err());
    echo_once(
        &mut client_for(&renewed)
            .connect(&wss(addr, "localhost"))
            .unwrap(),
        "kept",
    );
}

#[test]
fn sni_picks_a_certificate_by_name() {
    let s = setup("sni", Duration::from_secs(10));
    let store = s.server.handle().cert_store().unwrap().clone();
    let other = DevPki::new().unwrap();
    let cert = other.server_cert(&["localhost"]).unwrap();
    store.insert("LocalHost", cert.certified_key().unwrap());
    let addr = s.server.local_addr();
    // by name: the certificate stored for it; by IP (no SNI): the default
    echo_once(
        &mut client_for(&other).connect(&wss(addr, "localhost")).unwrap(),
        "by name",
    );
    echo_once(
        &mut client_for(&s.pki).connect(&wss(addr, "127.0.0.1")).unwrap(),
        "by IP",
    );
    assert!(store.remove("localhost"));
    echo_once(
        &mut client_for(&s.pki).connect(&wss(addr, "localhost")).unwrap(),
        "default again",
    );
}

/// Reads until EOF or reset, at most `within`; what arrived, and whether it ended.
fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (Vec<u8>, bool) {
    let until = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (got, true),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("read: {e}"),
        }
    }
    (got, false)
}

/// The first flight of a real TLS client, taken from sockeye's own client driver.
fn client_hello(pki: &DevPki) -> Vec<u8> {
    use sockeye_driver::{Driver, DriverConfig};
    let mut config = DriverConfig::default();
    config.tls_client = Some(pki.client_config().unwrap());
    let url = sockeye_handshake::WsUrl::parse("wss://localhost/").unwrap();
    let request = sockeye_handshake::ClientRequest::new(&url, [7; 16]);
    let now = Instant::now();
    let masks = Box::new(sockeye_client::OsMasks::new());
    let mut driver =
        Driver::client_tls(Arc::new(config), request, "localhost", masks, now).unwrap();
    driver.connected(now);
    driver.poll_output().to_vec()
}

#[test]
fn hostile_tls_peers_end_bounded_and_the_canary_goes_on() {
    let s = setup("hostile", Duration::from_millis(500));
    let addr = s.server.local_addr();
    let mut canary = client_for(&s.pki).connect(&wss(addr, "localhost")).unwrap();
    echo_once(&mut canary, "before");

    // Garbage instead of a ClientHello: closed at once.
    let mut garbage = TcpStream::connect(addr).unwrap();
    garbage
        .write_all(&[0x16, 0x03, 0x01, 0xff, 0xff, 1, 2, 3])
        .unwrap();
    let (_, closed) = read_until_closed(&mut garbage, Duration::from_secs(2));
    assert!(closed, "garbage");

    // Plain HTTP: a 400 in the clear, then closed.
    let mut http = TcpStream::connect(addr).unwrap();
    http.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (got, closed) = read_until_closed(&mut http, Duration::from_secs(2));
    assert!(closed && got.starts_with(b"HTTP/1.1 400 "), "{got:?}");

    // A ClientHello trickled a byte every 100 ms: cut at the handshake deadline (500 ms,
    // absolute), long before it is complete.
    let hello = client_hello(&s.pki);
    let mut slow = TcpStream::connect(addr).unwrap();
    let started = Instant::now();
    let mut cut = None;
    for byte in &hello {
        if slow.write_all(&[*byte]).is_err() {
            cut = Some(started.elapsed());
            break;
        }
        let (_, closed) = read_until_closed(&mut slow, Duration::from_millis(100));
        if closed {
            cut = Some(started.elapsed());
            break;
        }
    }
    let cut = cut.expect("the trickled handshake was never cut");
    assert!(cut < Duration::from_secs(3), "{cut:?}");

    // A client that stops mid-handshake, and a flood of them: each answered, then cut at
    // the deadline; the server's count comes back to the canary alone.
    let handle = s.server.handle();
    let mut flood: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut c = TcpStream::connect(addr).unwrap();
            c.write_all(&hello).unwrap();
            c
        })
        .collect();
    echo_once(&mut canary, "during the flood");
    for c in &mut flood {
        let (got, closed) = read_until_closed(c, Duration::from_secs(3));
        assert!(closed, "an abandoned handshake outlived the deadline");
        assert_eq!(got.first(), Some(&0x16), "a ServerHello first");
    }
    let until = Instant::now() + Duration::from_secs(3);
    while handle.connections() > 1 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(handle.connections(), 1);
    echo_once(&mut canary, "after");
}

/// The non-blocking client over TLS: twenty connections on one `mio::Poll`, each sends a
/// message once open and closes when its echo is back.
#[test]
fn many_mio_clients_over_wss_on_one_poll() {
    use mio::{Events, Poll, Token};
    use sockeye_client::{ClientEvent, MioClient};
    let s = setup("mio", Duration::from_secs(10));
    let builder = client_for(&s.pki);
    let url = wss(s.server.local_addr(), "localhost");
    let mut clients: Vec<MioClient> = (0..20)
        .map(|_| builder.connect_mio(&url).unwrap())
        .collect();
    let mut poll = Poll::new().unwrap();
    for (i, c) in clients.iter_mut().enumerate() {
        c.register(poll.registry(), Token(i)).unwrap();
    }
    let mut events = Events::with_capacity(64);
    let mut scratch = vec![0u8; 64 << 10];
    let mut echoed = vec![false; clients.len()];
    let give_up = Instant::now() + Duration::from_secs(10);
    while clients.iter().any(|c| !c.is_finished()) {
        assert!(Instant::now() < give_up, "echoed {echoed:?}");
        poll.poll(&mut events, Some(Duration::from_millis(50)))
            .unwrap();
        let now = Instant::now();
        for event in events.iter() {
            let i = event.token().0;
            let c = &mut clients[i];
            if c.is_finished() {
                continue;
            }
            if event.is_writable() {
                c.on_writable(now).unwrap();
            }
            let seen = &mut echoed[i];
            c.on_readable(&mut scratch, now, |out, ev| match ev {
                ClientEvent::Open { .. } => {
                    out.send_text(&format!("hello {i}")).unwrap();
                }
                ClientEvent::Text(t) => {
                    assert_eq!(t, format!("hello {i}"));
                    *seen = true;
                    out.close(sockeye_server::CloseCode::NORMAL, "").unwrap();
                }
                _ => {}
            })
            .unwrap();
            if c.is_finished() {
                c.deregister(poll.registry()).unwrap();
            } else {
                c.reregister(poll.registry()).unwrap();
            }
        }
    }
    assert!(echoed.iter().all(|e| *e));
}

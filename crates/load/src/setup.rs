//! Opening the load generator's connections: TCP, then the client handshake built and
//! checked by `sockeye-handshake` (with a permessage-deflate offer when asked).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use sockeye_handshake::{ClientRequest, DeflateClientPolicy, Outcome, WsUrl};

use super::conn::Conn;
use super::link::{Link, TlsClient};
use super::{MAX_CONNECTING, Protocol, SETUP_TIMEOUT};
use rand::RngExt;
use socket2::{Domain, Protocol as SockProtocol, Socket, Type};

/// Where a connection is in its setup.
enum Setup {
    Connecting,
    Handshaking {
        handshake: sockeye_handshake::ClientHandshake,
        buf: Vec<u8>,
    },
    /// Raw protocol over TLS: the TLS handshake is under way.
    TlsHandshaking,
    /// Handshake complete, this step still to count it.
    Ready,
    /// Counted; later events (none are expected while idle) are ignored here.
    Done,
}

/// Where and how [`connect_all`] connects.
pub(crate) struct Dial<'a> {
    pub(crate) addr: SocketAddr,
    /// The request path (and query) of the upgrade.
    pub(crate) path: &'a str,
    pub(crate) protocol: Protocol,
    /// Offer permessage-deflate.
    pub(crate) deflate: bool,
    pub(crate) tls: Option<&'a TlsClient>,
    /// Source addresses, in turn (empty: the OS picks). One loopback address has only
    /// ~28,000 ephemeral ports to one server address: several 127.0.0.x spread tens of
    /// thousands of connections.
    pub(crate) sources: &'a [IpAddr],
}

/// Opens `n` connections as `dial` says and completes their handshakes; at most
/// [`MAX_CONNECTING`] are in progress at once. Every connection is registered with
/// READABLE interest under `Token(index)`; connection `i` comes from
/// `dial.sources[i % len]` when sources are given.
pub(crate) fn connect_all(poll: &mut Poll, dial: &Dial<'_>, n: usize) -> Result<Vec<Conn>, String> {
    let Dial {
        addr,
        path,
        protocol,
        deflate,
        tls,
        sources,
    } = *dial;
    // A fresh window both ways: every message compressed alone, so that the frames are
    // prepared once and each echo inflates on its own.
    let mut policy = DeflateClientPolicy::new();
    policy.server_no_context_takeover = true;
    policy.client_no_context_takeover = true;
    policy.offer_client_max_window_bits = false;
    let deadline = Instant::now() + SETUP_TIMEOUT;
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    let url = WsUrl::parse(&format!("{scheme}://{addr}{path}")).map_err(|e| format!("url: {e}"))?;
    let host = addr.ip().to_string();
    // Nonces for the handshakes' keys (a benchmark's, not a browser's: any fresh bytes do).
    let mut rng = rand::rng();
    let mut conns: Vec<Conn> = Vec::with_capacity(n);
    let mut setup: Vec<Setup> = Vec::with_capacity(n);
    let mut in_progress = 0;
    let mut ready = 0;
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 4096];
    while ready < n {
        while conns.len() < n && in_progress < MAX_CONNECTING {
            let source = sources.get(conns.len() % sources.len().max(1)).copied();
            let mut stream = open(addr, source).map_err(|e| match source {
                Some(from) => format!("connect to {addr} from {from}: {e}"),
                None => format!("connect to {addr}: {e}"),
            })?;
            let _ = stream.set_nodelay(true);
            let token = Token(conns.len());
            poll.registry()
                .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
                .map_err(|e| format!("register: {e}"))?;
            let link = Link::new(stream, tls.map(|t| (t, host.as_str())))
                .map_err(|e| format!("TLS: {e}"))?;
            conns.push(Conn::new(link));
            setup.push(Setup::Connecting);
            in_progress += 1;
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(format!(
                "only {ready} of {n} connections set up in {SETUP_TIMEOUT:?}"
            ));
        }
        match poll.poll(&mut events, Some(deadline - now)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("poll: {e}")),
        }
        for event in &events {
            let i = event.token().0;
            let conn = &mut conns[i];
            if let Setup::Connecting = setup[i] {
                if let Ok(Some(e)) | Err(e) = conn.link.stream.take_error() {
                    return Err(format!("connect to {addr}: {e}"));
                }
                match conn.link.stream.peer_addr() {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => continue,
                    Err(e) => return Err(format!("connect to {addr}: {e}")),
                }
                match protocol {
                    Protocol::Raw if conn.link.is_tls() => {
                        // Ready once the TLS handshake is: rustls says so.
                        flush(&mut conn.link)?;
                        setup[i] = Setup::TlsHandshaking;
                    }
                    Protocol::Raw => setup[i] = Setup::Ready,
                    Protocol::WebSocket => {
                        let mut request = Vec::new();
                        let mut offer = ClientRequest::new(&url, rng.random());
                        if deflate {
                            offer = offer.extension(policy.offer());
                        }
                        let handshake = offer.write(&mut request);
                        // A ~150-byte request into an empty socket buffer (or into
                        // rustls, sent when the TLS handshake is done).
                        conn.link
                            .write_request(&request)
                            .map_err(|e| format!("write the handshake request: {e}"))?;
                        setup[i] = Setup::Handshaking {
                            handshake,
                            buf: Vec::new(),
                        };
                    }
                }
            }
            if let Setup::TlsHandshaking = setup[i] {
                flush(&mut conn.link)?;
                match conn.link.read(&mut buf) {
                    Ok(0) => return Err("the server closed during the TLS handshake".into()),
                    Ok(_) => return Err("bytes from a raw TLS echo before any were sent".into()),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(format!("TLS handshake: {e}")),
                }
                if conn.link.handshake_done() {
                    setup[i] = Setup::Ready;
                }
            }
            if let Setup::Handshaking {
                handshake,
                buf: head,
            } = &mut setup[i]
            {
                flush(&mut conn.link)?;
                loop {
                    match conn.link.read(&mut buf) {
                        Ok(0) => return Err("the server closed during the handshake".into()),
                        Ok(k) => head.extend_from_slice(&buf[..k]),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(format!("read the handshake response: {e}")),
                    }
                }
                match handshake
                    .parse_response(head)
                    .map_err(|e| format!("handshake response: {e}"))?
                {
                    sockeye_handshake::Status::Incomplete => continue,
                    sockeye_handshake::Status::Complete(Outcome::Accepted(accepted)) => {
                        if head.len() != accepted.head_len() {
                            return Err("bytes after the 101 before any message".into());
                        }
                        conn.deflate = policy
                            .accept_response(accepted.extensions())
                            .map_err(|e| format!("permessage-deflate answer: {e}"))?
                            .is_some();
                        setup[i] = Setup::Ready;
                    }
                    sockeye_handshake::Status::Complete(Outcome::Rejected(response)) => {
                        return Err(format!("handshake refused: {}", response.status()));
                    }
                }
            }
            if let Setup::Ready = setup[i] {
                poll.registry()
                    .reregister(&mut conn.link.stream, Token(i), Interest::READABLE)
                    .map_err(|e| format!("reregister: {e}"))?;
                in_progress -= 1;
                ready += 1;
                setup[i] = Setup::Done;
            }
        }
    }
    Ok(conns)
}

/// A non-blocking connect to `addr`, from `source` (any port) when given.
fn open(addr: SocketAddr, source: Option<IpAddr>) -> io::Result<TcpStream> {
    let Some(source) = source else {
        return TcpStream::connect(addr);
    };
    let socket = Socket::new(
        Domain::for_address(addr),
        Type::STREAM,
        Some(SockProtocol::TCP),
    )?;
    socket.set_nonblocking(true)?;
    socket.bind(&SocketAddr::new(source, 0).into())?;
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        // The connect goes on in the background; its end shows as writable (EINPROGRESS,
        // which std has no stable kind for yet).
        Err(e) if e.raw_os_error() == Some(EINPROGRESS) => {}
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) => return Err(e),
    }
    Ok(TcpStream::from_std(socket.into()))
}

/// `EINPROGRESS`: Linux's and Android's value, illumos' and Solaris', and the BSDs' and
/// macOS's.
#[cfg(any(target_os = "linux", target_os = "android"))]
const EINPROGRESS: i32 = 115;
#[cfg(any(target_os = "illumos", target_os = "solaris"))]
const EINPROGRESS: i32 = 150;
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "illumos",
    target_os = "solaris"
)))]
const EINPROGRESS: i32 = 36;

/// Sends waiting TLS records; the socket being full is fine (the writable edge comes).
fn flush(link: &mut Link) -> Result<(), String> {
    match link.flush_tls() {
        Err(e) if e.kind() != io::ErrorKind::WouldBlock => Err(format!("TLS write: {e}")),
        _ => Ok(()),
    }
}

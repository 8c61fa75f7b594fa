//! The Python `websockets` client against our server.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::pki::Pki;
use crate::support::{self, HANDLE_CLOSE, SERVER_PING, SIZES, Seen, TestServer};

/// Asserts every echo a script reported: same kind, same length, same content.
pub fn assert_echoes(echoes: &Value, expected: usize) {
    let echoes = echoes.as_array().expect("an echoes array");
    assert_eq!(echoes.len(), expected, "{echoes:?}");
    for e in echoes {
        assert_eq!(e["got_kind"], e["kind"], "{e}");
        assert_eq!(e["got_len"], e["len"], "{e}");
        assert_eq!(e["equal"], true, "{e}");
    }
}

#[test]
fn websockets_client_against_our_server() {
    websockets_client(None);
}

/// The same exchanges over `wss://`: Python's `ssl` checks our certificate against the
/// test CA and the host name (the IP address in the URL), TLS 1.3, ALPN `http/1.1`.
#[test]
fn websockets_client_against_our_server_over_wss() {
    websockets_client(Some(&Pki::new()));
}

fn websockets_client(tls: Option<&Pki>) {
    let Some(python) = support::python_with("websockets") else {
        return;
    };
    let server = TestServer::start_on(tls.map(Pki::server_config));
    let sizes: Vec<String> = SIZES.iter().map(usize::to_string).collect();
    let mut cmd = Command::new(python);
    cmd.arg(support::script("websockets_client.py"))
        .arg(server.url(""))
        .arg(sizes.join(","));
    if let Some(pki) = tls {
        cmd.arg(&pki.ca);
    }
    let r = support::run_json_script(cmd, Duration::from_secs(30));
    eprintln!("python websockets client reported: {r}");

    assert_eq!(r["subprotocol"], "chat");
    match tls {
        Some(_) => assert_eq!(
            r["tls"],
            serde_json::json!({"version": "TLSv1.3", "alpn": "http/1.1"})
        ),
        None => assert!(r.get("tls").is_none(), "{r}"),
    }
    // Text and binary of every size, then two non-ASCII texts (one of 600 KB).
    assert_echoes(&r["echoes"], SIZES.len() * 2 + 2);
    assert_eq!(r["fragmented_text"], "Hello, fragments");
    assert_eq!(
        r["fragmented_binary"]["equal"], true,
        "{}",
        r["fragmented_binary"]
    );
    assert_eq!(r["ping"]["answered"], true);
    assert_eq!(
        r["server_ping"],
        format!("pong:{}", String::from_utf8_lossy(SERVER_PING))
    );

    // The client's close: our server answers with the same code (§5.5.1) and closes TCP
    // promptly (websockets waits for that before close() returns).
    let close = &r["close"];
    assert_eq!(close["sent_code"], 4321, "{close}");
    assert_eq!(close["code"], 4321, "{close}");
    assert_eq!(close["rcvd_then_sent"], false, "{close}");
    assert!(close["seconds"].as_f64().unwrap() < 2.0, "{close}");

    // The server's close through its handle: the client sees that code and reason.
    let sc = &r["server_close"];
    assert_eq!(sc["code"], HANDLE_CLOSE.0, "{sc}");
    assert_eq!(sc["reason"], HANDLE_CLOSE.1, "{sc}");
    assert_eq!(sc["rcvd_then_sent"], true, "{sc}");

    // What the server saw.
    let seen = server.seen(2);
    let main = TestServer::conn(&seen, "/python");
    assert!(
        seen.iter().any(|s| matches!(s, Seen::Open { id, protocols, .. } if *id == main && protocols == &["chat"])),
        "{seen:?}"
    );
    let other = TestServer::conn(&seen, "/python-server-close");
    assert!(
        seen.iter().any(
            |s| matches!(s, Seen::Ping { id, payload } if *id == main && payload == b"python-ping")
        ),
        "{seen:?}"
    );
    let closed = TestServer::closed(&seen, main);
    assert_eq!(
        (closed.code.as_u16(), closed.reason.as_str(), closed.clean),
        (4321, "python done", true)
    );
    let closed = TestServer::closed(&seen, other);
    assert_eq!(
        (closed.code.as_u16(), closed.clean),
        (HANDLE_CLOSE.0, true),
        "{closed:?}"
    );
}

#[test]
fn wsproto_client_against_our_server() {
    let Some(python) = support::python_with("wsproto") else {
        return;
    };
    let server = TestServer::start();
    let addr = server.addr();
    let mut cmd = Command::new(python);
    cmd.arg(support::script("wsproto_client.py"))
        .arg(addr.ip().to_string())
        .arg(addr.port().to_string());
    let r = support::run_json_script(cmd, Duration::from_secs(40));
    eprintln!("python wsproto client reported: {r}");

    assert_eq!(r["accepted"], true);
    assert_eq!(r["subprotocol"], "chat");
    // A ping between fragments is answered at once; the message arrives whole.
    assert_eq!(r["pong_between_fragments"], "between fragments");
    assert_eq!(r["fragmented_text"], "Hello été");
    assert_eq!(r["empty_pong"], true);
    // 16 MiB in 65,536 fragments: exactly at the default size limit, echoed whole.
    assert_eq!(
        r["limit_message"],
        serde_json::json!({"len": 16 << 20, "equal": true})
    );
    // A close without a status code is answered without one, then TCP is closed.
    assert_eq!(
        r["close_without_code"],
        serde_json::json!({"reply_code": 1005, "tcp_closed": true})
    );
    // A flood of one-byte fragments: 1009 once past the fragment rule (4,096 frames, plus
    // one per 64 bytes: after about 4,160 frames).
    assert_eq!(r["too_many_fragments"], 1009);

    let seen = server.seen(2);
    let main = TestServer::conn(&seen, "/wsproto");
    let closed = TestServer::closed(&seen, main);
    assert_eq!((closed.code.as_u16(), closed.clean), (1005, true));
    let other = TestServer::conn(&seen, "/wsproto-too-many-fragments");
    let closed = TestServer::closed(&seen, other);
    assert_eq!((closed.code.as_u16(), closed.clean), (1009, false));
}

/// Our blocking client against a Python `websockets` server over `wss://` (OpenSSL on the
/// other side): it trusts the test CA from a file, checks the IP address in the URL
/// against the certificate, and echoes every size; a client trusting another CA gets
/// [`TlsError::UnknownIssuer`], not a generic I/O error.
#[test]
fn our_client_against_websockets_server_over_wss() {
    use sockeye_client::{ClientBuilder, Error, Message};
    use sockeye_server::tls::{TlsError, dev::DevPki};

    let Some(python) = support::python_with("websockets") else {
        return;
    };
    let pki = Pki::new();
    let mut cmd = Command::new(python);
    cmd.arg(support::script("tls_websockets_server.py"))
        .arg(&pki.cert)
        .arg(&pki.key);
    let mut proc = support::Proc::spawn(cmd, false);
    let lines = proc.stdout_lines();
    let stderr = proc.stderr_text();
    let next = || -> Value {
        let line = lines
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("the Python server printed nothing more ({e})"));
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    };
    let hello = next();
    eprintln!("python websockets wss server: {hello}");
    let port = hello["port"].as_u64().expect("a port");
    let url = format!("wss://127.0.0.1:{port}/sockeye");
    let client = ClientBuilder::new()
        .protocol("chat")
        .tls(pki.client_config())
        .read_timeout(Some(Duration::from_secs(10)))
        .write_timeout(Some(Duration::from_secs(10)));

    let mut ws = client.connect(&url).unwrap();
    assert_eq!(ws.protocol(), Some("chat"));
    assert_eq!(
        next(),
        serde_json::json!({"tls": "TLSv1.3", "alpn": "http/1.1", "path": "/sockeye"})
    );
    for len in SIZES.into_iter().chain([16 << 20]) {
        let data = support::binary_of(len);
        ws.send_binary(&data).unwrap();
        assert!(
            ws.recv().unwrap() == Message::Binary(data),
            "binary of {len}"
        );
        let text = "é🦀".repeat(len / 6);
        ws.send_text(&text).unwrap();
        assert_eq!(ws.recv().unwrap(), Message::Text(text), "text of {len}");
    }
    ws.ping(b"over tls").unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Pong(b"over tls".to_vec()));
    ws.close(sockeye_proto::CloseCode::NORMAL, "bye").unwrap();
    assert!(ws.is_closed());

    // Another CA: rustls refuses the server's certificate, and says why.
    let stranger = DevPki::new().unwrap().client_config().unwrap();
    let e = ClientBuilder::new()
        .tls(stranger)
        .read_timeout(Some(Duration::from_secs(10)))
        .connect(&url)
        .unwrap_err();
    assert!(
        matches!(e, Error::Tls(TlsError::UnknownIssuer)),
        "{e}\n{}",
        stderr.get()
    );
}

//! The Node `ws` client against our server, and our blocking client against a Node `ws`
//! server.

use std::process::Command;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use serde_json::Value;
use sockeye_client::{ClientBuilder, Error, Message};
use sockeye_proto::{CloseCode, MessageKind};

use crate::pki::Pki;
use crate::python::assert_echoes;
use crate::support::{
    self, CALLBACK_CLOSE, HANDLE_CLOSE, Proc, SERVER_PING, SIZES, Seen, TestServer,
};

pub fn node_command(node: &std::path::Path, modules: &std::path::Path, script: &str) -> Command {
    let mut cmd = Command::new(node);
    cmd.env("NODE_PATH", modules).arg(support::script(script));
    cmd
}

#[test]
fn ws_client_against_our_server() {
    ws_client(None);
}

/// Every exchange above over `wss://`: Node's TLS (OpenSSL) checks our certificate
/// against the test CA and the IP address in the URL; TLS 1.3, ALPN `http/1.1`.
#[test]
fn ws_client_against_our_server_over_wss() {
    ws_client(Some(&Pki::new()));
}

fn ws_client(tls: Option<&Pki>) {
    let Some((node, modules)) = support::node_with_ws() else {
        return;
    };
    let server = TestServer::start_on(tls.map(Pki::server_config));
    let sizes: Vec<String> = SIZES.iter().map(usize::to_string).collect();
    let mut cmd = node_command(&node, &modules, "ws_client.js");
    cmd.arg(server.url("")).arg(sizes.join(","));
    if let Some(pki) = tls {
        cmd.arg(&pki.ca);
    }
    let r = support::run_json_script(cmd, Duration::from_secs(30));
    eprintln!("node ws client reported: {r}");

    assert_eq!(r["subprotocol"], "chat");
    match tls {
        Some(_) => assert_eq!(
            r["tls"],
            serde_json::json!({"version": "TLSv1.3", "alpn": "http/1.1"})
        ),
        None => assert!(r.get("tls").is_none(), "{r}"),
    }
    assert_echoes(&r["echoes"], SIZES.len() * 2 + 2);
    assert_eq!(r["fragmented_text"], "Hello, fragments");
    assert_eq!(
        r["fragmented_binary"]["equal"], true,
        "{}",
        r["fragmented_binary"]
    );
    // Our pong carried the ping's payload back.
    assert_eq!(r["pongs"], serde_json::json!(["node-ping"]));
    // ws answered our ping with the same payload.
    assert_eq!(
        r["server_ping"],
        format!("pong:{}", String::from_utf8_lossy(SERVER_PING))
    );

    // The client's close: answered with the same code, TCP closed promptly.
    assert_eq!(r["close"]["code"], 4321, "{}", r["close"]);
    assert_eq!(r["close"]["before"], serde_json::json!(["last words"]));
    assert!(r["close"]["ms"].as_u64().unwrap() < 2000, "{}", r["close"]);
    // The server's closes: from the callback, through the handle, on shutdown.
    assert_eq!(r["callback_close"]["code"], CALLBACK_CLOSE.0);
    assert_eq!(r["callback_close"]["reason"], CALLBACK_CLOSE.1);
    assert_eq!(r["handle_close"]["code"], HANDLE_CLOSE.0);
    assert_eq!(r["handle_close"]["reason"], HANDLE_CLOSE.1);
    assert_eq!(r["shutdown_close"]["code"], 1001, "{}", r["shutdown_close"]);
    assert_eq!(
        r["burst"],
        serde_json::json!({"sent": 1000, "in_order": true}),
        "1000 messages written at once come back complete and in order"
    );
    // Broken rules: the server fails the connection with its code, and ws reads it.
    assert_eq!(r["too_big_close"]["code"], 1009, "{}", r["too_big_close"]);
    assert_eq!(r["bad_utf8_close"]["code"], 1007, "{}", r["bad_utf8_close"]);

    // A client that stops reading while sending 64 MiB: the server stops reading too
    // (the client's own buffer fills), then recovers: every echo whole, in order.
    let slow = &r["slow_reader"];
    assert_eq!(
        (&slow["sent"], &slow["intact"]),
        (&64.into(), &64.into()),
        "{slow}"
    );
    assert_eq!(slow["close"]["code"], 1000, "{slow}");
    assert!(
        slow["buffered_while_paused"].as_u64().unwrap() > 0,
        "{slow}"
    );

    let seen = server.seen(7);
    let main = TestServer::conn(&seen, "/node");
    assert!(
        seen.iter().any(
            |s| matches!(s, Seen::Ping { id, payload } if *id == main && payload == b"node-ping")
        ),
        "{seen:?}"
    );
    let closed = TestServer::closed(&seen, main);
    assert_eq!(
        (closed.code.as_u16(), closed.reason.as_str(), closed.clean),
        (4321, "node done ✓", true)
    );
    for (path, code) in [
        ("/node-callback-close", CALLBACK_CLOSE.0),
        ("/node-handle-close", HANDLE_CLOSE.0),
        ("/node-shutdown", 1001),
        ("/node-slow-reader", 1000),
    ] {
        let closed = TestServer::closed(&seen, TestServer::conn(&seen, path));
        assert_eq!((closed.code.as_u16(), closed.clean), (code, true), "{path}");
    }
    for (path, code) in [("/node-too-big", 1009), ("/node-bad-utf8", 1007)] {
        let closed = TestServer::closed(&seen, TestServer::conn(&seen, path));
        assert_eq!(
            (closed.code.as_u16(), closed.clean),
            (code, false),
            "{path}"
        );
    }
}

/// The Node server's JSON lines; its TLS handshakes (`{"event": "tls"}`, wss:// only)
/// are set aside in `tls` so that the test reads the other events in order.
struct Events {
    lines: Receiver<String>,
    tls: Vec<Value>,
}

impl Events {
    /// The next JSON line that is not a TLS handshake, at most 10 s away.
    fn next(&mut self) -> Value {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(10))
                .expect("the Node ws server printed nothing more");
            let event: Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
            if event["event"] == "tls" {
                self.tls.push(event);
            } else {
                return event;
            }
        }
    }
}

#[test]
fn our_client_against_ws_server() {
    our_client_against_ws(None);
}

/// Our blocking client against Node's https server with ws on it: the whole exchange
/// over TLS 1.3 with ALPN `http/1.1`, trusting the test CA from a file.
#[test]
fn our_client_against_ws_server_over_wss() {
    our_client_against_ws(Some(&Pki::new()));
}

fn our_client_against_ws(tls: Option<&Pki>) {
    let Some((node, modules)) = support::node_with_ws() else {
        return;
    };
    let mut cmd = node_command(&node, &modules, "ws_server.js");
    if let Some(pki) = tls {
        cmd.arg(&pki.cert).arg(&pki.key);
    }
    let mut proc = Proc::spawn(cmd, false);
    let mut events = Events {
        lines: proc.stdout_lines(),
        tls: Vec::new(),
    };
    let _stderr = proc.stderr_text();
    let hello = events.next();
    eprintln!("node ws server: {hello}");
    let port = hello["port"].as_u64().expect("a port");
    let mut client = ClientBuilder::new()
        .protocol("chat")
        .read_timeout(Some(Duration::from_secs(10)))
        .write_timeout(Some(Duration::from_secs(10)))
        .close_timeout(Duration::from_secs(5));
    let url = match tls {
        Some(pki) => {
            client = client.tls(pki.client_config());
            format!("wss://127.0.0.1:{port}")
        }
        None => format!("ws://127.0.0.1:{port}"),
    };

    let mut ws = client.connect(&format!("{url}/sockeye")).unwrap();
    assert_eq!(ws.protocol(), Some("chat"));
    for len in SIZES {
        let text: String = (0..len)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        ws.send_text(&text).unwrap();
        assert_eq!(ws.recv().unwrap(), Message::Text(text), "text of {len}");
        let data = support::binary_of(len);
        ws.send_binary(&data).unwrap();
        assert_eq!(ws.recv().unwrap(), Message::Binary(data), "binary of {len}");
    }
    for text in ["ünïcødé 🦀 — 日本語".to_owned(), "é🦀".repeat(100_000)] {
        ws.send_text(&text).unwrap();
        assert_eq!(ws.recv().unwrap(), Message::Text(text));
    }
    // A fragmented text message (with an empty middle frame) and a fragmented binary one.
    ws.send_fragment(MessageKind::Text, "Hel".as_bytes(), false)
        .unwrap();
    ws.send_fragment(MessageKind::Text, b"", false).unwrap();
    // A character split across frames: é is C3 A9.
    ws.send_fragment(MessageKind::Text, b"lo \xC3", false)
        .unwrap();
    ws.send_fragment(MessageKind::Text, b"\xA9t\xC3\xA9", true)
        .unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Text("Hello été".into()));
    ws.send_fragment(MessageKind::Binary, &[0, 1], false)
        .unwrap();
    ws.send_fragment(MessageKind::Binary, &[2; 70_000], true)
        .unwrap();
    let mut expected = vec![0, 1];
    expected.extend_from_slice(&[2; 70_000]);
    assert_eq!(ws.recv().unwrap(), Message::Binary(expected));
    // 16 MiB, the default message limit of both ends.
    let data = support::binary_of(16 << 20);
    ws.send_binary(&data).unwrap();
    assert!(ws.recv().unwrap() == Message::Binary(data), "16 MiB echo");

    // ws sends a fragmented message with a ping between the fragments: the ping is
    // surfaced (and answered) first, then the whole message; ws got our pong.
    ws.send_text("cmd:fragments").unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Ping(b"between".to_vec()));
    assert_eq!(ws.recv().unwrap(), Message::Text("Hello".into()));
    assert_eq!(ws.recv().unwrap(), Message::Text("pong:between".into()));

    // Our ping, ws's pong.
    ws.ping(b"sockeye-client-ping").unwrap();
    assert_eq!(
        ws.recv().unwrap(),
        Message::Pong(b"sockeye-client-ping".to_vec())
    );
    let ping = events.next();
    assert_eq!(
        (&ping["event"], &ping["data"]),
        (&"ping".into(), &"sockeye-client-ping".into())
    );
    // ws's ping, our (automatic) pong.
    ws.send_text("cmd:ping").unwrap();
    assert_eq!(ws.recv().unwrap(), Message::Ping(b"node-ping".to_vec()));
    assert_eq!(ws.recv().unwrap(), Message::Text("pong:node-ping".into()));

    // Our close: ws answers with the same code; ws saw our code and reason.
    ws.close(CloseCode::NORMAL, "sockeye done").unwrap();
    assert_eq!(ws.peer_close().map(|(c, _)| c), Some(CloseCode::NORMAL));
    assert!(ws.is_closed());
    let close = events.next();
    assert_eq!(close["event"], "close", "{close}");
    assert_eq!(close["path"], "/sockeye", "{close}");
    assert_eq!(close["code"], 1000, "{close}");
    assert_eq!(close["reason"], "sockeye done", "{close}");

    // ws closes: we see its code and reason, answer, and the connection ends.
    let mut ws = client.connect(&format!("{url}/server-close")).unwrap();
    ws.send_text("cmd:close").unwrap();
    assert_eq!(
        ws.recv().unwrap(),
        Message::Close {
            code: CloseCode::new(4003),
            reason: "node says bye".into()
        }
    );
    assert!(matches!(ws.recv(), Err(Error::ConnectionClosed)));
    let close = events.next();
    assert_eq!(
        (&close["path"], &close["code"]),
        (&"/server-close".into(), &4003.into()),
        "{close}"
    );
    // One TLS handshake per connection, each TLS 1.3 with ALPN http/1.1.
    let expected = serde_json::json!({"event": "tls", "version": "TLSv1.3", "alpn": "http/1.1"});
    let handshakes = if tls.is_some() { 2 } else { 0 };
    assert_eq!(events.tls, vec![expected; handshakes]);
}

//! Headless Chromium against our server: a page served over plain HTTP (from a
//! `std::net::TcpListener` on loopback) opens a WebSocket, exchanges text and binary
//! messages, closes, and POSTs a JSON report back to the same HTTP server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::mpsc::{Sender, channel};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::pki::{Pki, TempDir};
use crate::python::assert_echoes;
use crate::support::{self, HANDLE_CLOSE, Proc, SERVER_PING, SIZES, TestServer};

/// Serves `page` at `/page.html`, and sends each `POST /result` body on `results`. One
/// request per connection; the accept thread lives as long as the test process.
fn serve_http(page: String, results: Sender<String>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (page, results) = (page.clone(), results.clone());
            thread::spawn(move || {
                let _ = answer(stream, &page, &results);
            });
        }
    });
    port
}

fn answer(stream: TcpStream, page: &str, results: &Sender<String>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut content_length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, content_type, body) = match (method, path) {
        ("GET", "/page.html") => ("200 OK", "text/html; charset=utf-8", page.to_owned()),
        ("POST", "/result") => {
            let mut body = vec![0; content_length];
            reader.read_exact(&mut body)?;
            let _ = results.send(String::from_utf8_lossy(&body).into_owned());
            ("200 OK", "text/plain", "thanks".to_owned())
        }
        _ => ("404 Not Found", "text/plain", "not found".to_owned()),
    };
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

#[test]
fn headless_chromium_page_against_our_server() {
    chromium_page(None);
}

/// The same page against `wss://`: Chromium's own TLS stack (BoringSSL) with our
/// certificate allowed by its SPKI pin for this run only (the test CA is not installed
/// anywhere). A page served over plain http may open `wss://`, so only the WebSocket is
/// encrypted here.
#[test]
fn headless_chromium_page_against_our_server_over_wss() {
    chromium_page(Some(&Pki::new()));
}

fn chromium_page(tls: Option<&Pki>) {
    let Some(chromium) = support::chromium() else {
        return;
    };
    let pin = match tls {
        Some(pki) => match pki.spki_pin() {
            Some(pin) => Some(pin),
            None => return,
        },
        None => None,
    };
    let server = TestServer::start_on(tls.map(Pki::server_config));
    let page = std::fs::read_to_string(support::script("page.html")).unwrap();
    let (tx, results) = channel();
    let http_port = serve_http(page, tx);
    let sizes: Vec<String> = SIZES.iter().map(usize::to_string).collect();
    let url = format!(
        "http://127.0.0.1:{http_port}/page.html?ws={}&sizes={}",
        server.url(""),
        sizes.join(",")
    );

    let profile = TempDir::new("chromium");
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--disable-extensions",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()));
    if let Some(pin) = pin {
        cmd.arg(format!("--ignore-certificate-errors-spki-list={pin}"));
    }
    cmd.arg(&url);
    let mut browser = Proc::spawn(cmd, true);
    let _stdout = browser.stdout_lines();
    let stderr = browser.stderr_text();

    // The page's report, at most 40 s away; a browser that exits first fails at once.
    let until = Instant::now() + Duration::from_secs(40);
    let mut exited = None;
    let report = loop {
        match results.recv_timeout(Duration::from_millis(200)) {
            Ok(report) => break Some(report),
            Err(_) if Instant::now() >= until => break None,
            Err(_) => {
                exited = browser.wait_timeout(Duration::ZERO);
                if exited.is_some() {
                    break None;
                }
            }
        }
    };
    drop(browser); // SIGTERM to the browser, SIGKILL to its process group if needed
    let report = report.unwrap_or_else(|| {
        panic!(
            "no report from the page ({}); chromium's stderr:\n{}",
            exited.map_or("within 40 s".to_owned(), |s| format!(
                "chromium exited: {s}"
            )),
            stderr.get()
        )
    });
    let r: Value = serde_json::from_str(&report).unwrap();
    eprintln!("chromium page reported: {r}");
    assert!(r.get("error").is_none(), "the page failed: {}", r["error"]);

    assert_eq!(r["protocol"], "chat");
    // Chromium offers `permessage-deflate; client_max_window_bits`; the server's default
    // answers for a fresh window both ways (no zlib state while idle), and every message
    // below is exchanged compressed from there on (those over the 64-byte threshold).
    assert_eq!(
        r["extensions"],
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        "permessage-deflate was negotiated"
    );
    // Text and ArrayBuffer of every size, two non-ASCII texts, a Uint8Array view, a Blob,
    // and a binary message received as a Blob.
    assert_echoes(&r["echoes"], SIZES.len() * 2 + 5);
    assert_eq!(
        r["burst"],
        serde_json::json!({"sent": 1000, "in_order": true}),
        "1000 messages sent at once come back complete and in order"
    );
    // The browser answered the server's ping with its payload.
    assert_eq!(
        r["server_ping"],
        format!("pong:{}", String::from_utf8_lossy(SERVER_PING))
    );
    // A clean close with the browser's code; and the server's close through its handle.
    let close = &r["close"];
    assert_eq!(
        (&close["code"], &close["wasClean"]),
        (&1000.into(), &true.into()),
        "{close}"
    );
    let hc = &r["handle_close"];
    assert_eq!(hc["code"], HANDLE_CLOSE.0, "{hc}");
    assert_eq!(hc["reason"], HANDLE_CLOSE.1, "{hc}");
    assert_eq!(hc["wasClean"], true, "{hc}");

    // What the server saw: the browser's origin, its close code and reason.
    let seen = server.seen(2);
    let main = TestServer::conn(&seen, "/browser");
    let origin = seen.iter().find_map(|s| match s {
        support::Seen::Open { id, origin, .. } if *id == main => Some(origin.clone()),
        _ => None,
    });
    assert_eq!(
        origin,
        Some(Some(format!("http://127.0.0.1:{http_port}"))),
        "{seen:?}"
    );
    let closed = TestServer::closed(&seen, main);
    assert_eq!(
        (closed.code.as_u16(), closed.reason.as_str(), closed.clean),
        (1000, "browser done", true)
    );
}

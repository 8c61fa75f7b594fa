//! Headless Chromium against the tokio server: a page served over plain HTTP (a
//! `std::net::TcpListener` on loopback) talks to the server and POSTs its report back.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::mpsc::{Sender, channel};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::support::{self, Proc, SERVER_CLOSE, SERVER_PING, SIZES};

/// Serves `page` at `/page.html` and sends each `POST /result` body on `results`.
fn serve_http(page: String, results: Sender<String>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let (page, results) = (page.clone(), results.clone());
            thread::spawn(move || answer(stream, &page, &results));
        }
    });
    port
}

fn answer(stream: TcpStream, page: &str, results: &Sender<String>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
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
    let body = if request_line.starts_with("POST /result") {
        let mut body = vec![0; content_length];
        reader.read_exact(&mut body)?;
        let _ = results.send(String::from_utf8_lossy(&body).into_owned());
        "thanks".to_owned()
    } else {
        page.to_owned()
    };
    let mut stream = reader.into_inner();
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

#[test]
fn headless_chromium_against_the_tokio_server() {
    let Some(chromium) = support::chromium() else {
        return;
    };
    let page = std::fs::read_to_string(support::script("page.html")).unwrap();
    let (tx, results) = channel();
    let http_port = serve_http(page, tx);
    let sizes: Vec<String> = SIZES.iter().map(usize::to_string).collect();
    let url = format!(
        "http://127.0.0.1:{http_port}/page.html?ws={}&sizes={}",
        support::server(),
        sizes.join(",")
    );
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let profile = std::env::temp_dir().join(format!(
        "sockeye-tokio-chromium-{}-{nanos}",
        std::process::id()
    ));
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
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(&url);
    let mut browser = Proc::spawn(cmd, true);
    let (_stdout, stderr) = browser.output();
    let until = Instant::now() + Duration::from_secs(60);
    let report = loop {
        match results.recv_timeout(Duration::from_millis(200)) {
            Ok(report) => break Some(report),
            Err(_) if Instant::now() >= until || browser.wait_timeout(Duration::ZERO).is_some() => {
                break None;
            }
            Err(_) => {}
        }
    };
    drop(browser);
    let _ = std::fs::remove_dir_all(&profile);
    let report = report.unwrap_or_else(|| {
        panic!(
            "no report from the page; chromium's stderr:\n{}",
            stderr
                .recv_timeout(Duration::from_secs(5))
                .unwrap_or_default()
        )
    });
    let r: Value = serde_json::from_str(&report).unwrap();
    eprintln!("chromium reported: {r}");
    assert!(r.get("error").is_none(), "the page failed: {}", r["error"]);
    assert_eq!(r["protocol"], "chat");
    // Chromium offers permessage-deflate; the server's default answers for a fresh window
    // both ways (no zlib state on idle connections).
    assert_eq!(
        r["extensions"],
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
    );
    support::assert_echoes(&r["echoes"], SIZES.len() * 2 + 1);
    assert_eq!(
        r["burst"],
        serde_json::json!({"sent": 1000, "in_order": true})
    );
    assert_eq!(
        r["server_ping"],
        format!("pong:{}", String::from_utf8_lossy(SERVER_PING))
    );
    assert_eq!(
        r["close"],
        serde_json::json!({"code": 1000, "reason": "", "wasClean": true})
    );
    let (code, reason) = SERVER_CLOSE;
    assert_eq!(
        r["server_close"],
        serde_json::json!({"code": code, "reason": reason, "wasClean": true})
    );
}

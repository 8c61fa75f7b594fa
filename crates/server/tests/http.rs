//! Plain HTTP beside the WebSocket on one port (`Handler::SERVES_HTTP`), over loopback.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::RawClient;
use sockeye_frame::OpCode;
use sockeye_server::{
    Accept, Assets, ConnId, Context, Echo, Handler, HttpRequest, Message, Refusal, Reject, Request,
    Server, ServerConfig,
};

struct Site {
    assets: Assets,
}

impl Handler for Site {
    type State = ();
    const SERVES_HTTP: bool = true;

    fn on_http(&self, request: &HttpRequest) -> Reject {
        assert!(request.path() != "/panic", "a handler bug");
        self.assets.respond(request)
    }

    fn on_open(&self, _: &Request, _: ConnId) -> Result<((), Accept), Refusal> {
        Ok(((), Accept::new()))
    }

    fn on_message(&self, cx: &mut Context<'_>, _: &mut (), message: Message<'_>) {
        if let Message::Text(t) = message {
            let _ = cx.send_text(t);
        }
    }
}

fn site() -> Server {
    let assets = Assets::new()
        .file("/", "<!doctype html><title>t</title>")
        .file("/app.js", "console.log(1)");
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    Server::bind(addr, ServerConfig::default(), Site { assets }).unwrap()
}

/// Sends `head` and reads the whole response (the server closes after it).
fn exchange(addr: SocketAddr, head: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn pages_assets_head_and_404_beside_the_websocket() {
    let server = site();
    let addr = server.local_addr();
    let page = exchange(addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
    assert!(page.contains("Content-Type: text/html; charset=utf-8\r\n"));
    assert!(page.contains("Connection: close\r\n"));
    assert!(page.ends_with("<!doctype html><title>t</title>"));
    let js = exchange(addr, "GET /app.js?v=3 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(
        js.contains("Content-Type: text/javascript; charset=utf-8\r\n"),
        "{js}"
    );
    let head = exchange(addr, "HEAD /app.js HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(
        head.contains("Content-Length: 14\r\n") && head.ends_with("\r\n\r\n"),
        "{head}"
    );
    let missing = exchange(addr, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(missing.starts_with("HTTP/1.1 404 "), "{missing}");
    let post = exchange(
        addr,
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    );
    assert!(post.starts_with("HTTP/1.1 405 "), "{post}");
    let panicked = exchange(addr, "GET /panic HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(panicked.starts_with("HTTP/1.1 500 "), "{panicked}");
    // The WebSocket on the same port.
    let mut ws = RawClient::connect(addr, "/ws");
    ws.send(OpCode::Text, b"still a websocket");
    assert_eq!(ws.recv_message().2, b"still a websocket");
    // Each loop publishes its counts at the start of its next turn, and with several
    // loops the one that answered the last page may not have turned yet: wait for it.
    let handle = server.handle();
    let deadline = Instant::now() + Duration::from_secs(10);
    while handle.stats().http_responses < 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        handle.stats().http_responses,
        6 - 1,
        "the 405 is refused by the handshake rules"
    );
    server.shutdown(Duration::from_secs(1));
}

#[test]
fn a_server_that_serves_no_http_refuses_a_page_request() {
    let server = Server::bind(
        "127.0.0.1:0".parse().unwrap(),
        ServerConfig::default(),
        Echo,
    )
    .unwrap();
    let answer = exchange(server.local_addr(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    assert!(
        !answer.starts_with("HTTP/1.1 404"),
        "a handshake error, not a page: {answer}"
    );
    server.shutdown(Duration::from_secs(1));
}

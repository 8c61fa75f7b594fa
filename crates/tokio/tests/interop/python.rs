//! The Python `websockets` client against the tokio server.

use std::process::Command;
use std::time::Duration;

use crate::support::{self, SERVER_CLOSE, SERVER_PING, SIZES};

#[test]
fn websockets_client_against_the_tokio_server() {
    let Some(python) = support::python_with("websockets") else {
        return;
    };
    let sizes: Vec<String> = SIZES.iter().map(usize::to_string).collect();
    let mut cmd = Command::new(python);
    cmd.arg(support::script("websockets_client.py"))
        .arg(support::server())
        .arg(sizes.join(","));
    let r = support::run_json_script(cmd, Duration::from_secs(60));
    eprintln!("python websockets reported: {r}");
    assert_eq!(r["subprotocol"], "chat");
    // websockets offers permessage-deflate; our default answers without context takeover.
    let extensions = r["extensions"].as_str().unwrap_or_default();
    assert!(extensions.starts_with("permessage-deflate"), "{extensions}");
    support::assert_echoes(&r["echoes"], SIZES.len() * 2 + 2);
    assert_eq!(r["fragmented"], "Hello, fragments");
    assert_eq!(r["ping_answered"], true);
    assert_eq!(
        r["server_ping"],
        format!("pong:{}", String::from_utf8_lossy(SERVER_PING))
    );
    // Our reply carries the client's code (§5.5.1; no reason), and TCP closes promptly
    // (websockets waits for that).
    assert_eq!(
        (&r["close"]["code"], &r["close"]["reason"]),
        (&4321.into(), &"".into())
    );
    assert!(
        r["close"]["seconds"].as_f64().unwrap() < 2.0,
        "{}",
        r["close"]
    );
    assert!(r["plain_extensions"].is_null(), "{}", r["plain_extensions"]);
    assert_eq!(r["plain_echo"], "no compression");
    let (code, reason) = SERVER_CLOSE;
    assert_eq!(
        (&r["server_close"]["code"], &r["server_close"]["reason"]),
        (&code.into(), &reason.into())
    );
}

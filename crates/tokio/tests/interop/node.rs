//! The Node `ws` client against the tokio server.

use std::process::Command;
use std::time::Duration;

use crate::support::{self, SERVER_CLOSE, SERVER_PING, SIZES};

#[test]
fn ws_client_against_the_tokio_server() {
    let Some((node, modules)) = support::node_with_ws() else {
        return;
    };
    let sizes: Vec<String> = SIZES.iter().map(usize::to_string).collect();
    let mut cmd = Command::new(node);
    cmd.env("NODE_PATH", modules)
        .arg(support::script("ws_client.js"))
        .arg(support::server())
        .arg(sizes.join(","));
    let r = support::run_json_script(cmd, Duration::from_secs(60));
    eprintln!("node ws reported: {r}");
    assert!(r.get("error").is_none(), "{}", r["error"]);
    assert_eq!(r["protocol"], "chat");
    let extensions = r["extensions"].as_str().unwrap_or_default();
    assert!(extensions.starts_with("permessage-deflate"), "{extensions}");
    support::assert_echoes(&r["echoes"], SIZES.len() * 2);
    assert_eq!(r["fragmented"], "Hello, pieces");
    assert_eq!(r["pongs"], serde_json::json!(["node-ping"]));
    assert_eq!(
        r["server_ping"],
        format!("pong:{}", String::from_utf8_lossy(SERVER_PING))
    );
    // Our reply carries the client's code (§5.5.1), no reason.
    assert_eq!(r["close"], serde_json::json!({"code": 4321, "reason": ""}));
    assert_eq!(r["plain_extensions"], "");
    let (code, reason) = SERVER_CLOSE;
    assert_eq!(
        r["server_close"],
        serde_json::json!({"code": code, "reason": reason})
    );
}

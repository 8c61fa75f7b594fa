//! permessage-deflate (RFC 7692) with peers no one here wrote, both directions: the
//! Python `websockets` and Node `ws` clients against our server in each of its memory
//! modes, over every client-side combination their libraries offer; our client against
//! their servers over every server-side combination. Every echo is compared; the
//! negotiated parameters are checked against what each side asked for.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use serde_json::Value;
use sockeye_client::{ClientBuilder, Message};
use sockeye_server::{
    Accept, ConnId, Context, DeflateConfig, Echo, Handler, Message as ServerMessage, Refusal,
    Request, Server, ServerConfig,
};

use crate::node::node_command;
use crate::support::{self, Proc};

/// A whole-message echo (the streaming `Echo` sends its echo in pieces): both send paths
/// of the extension are exercised.
struct WholeEcho;

impl Handler for WholeEcho {
    type State = ();
    fn on_open(&self, _: &Request, _: ConnId) -> Result<((), Accept), Refusal> {
        Ok(((), Accept::new()))
    }
    fn on_message(&self, cx: &mut Context<'_>, _: &mut (), message: ServerMessage<'_>) {
        let _ = match message {
            ServerMessage::Text(t) => cx.send_text(t),
            ServerMessage::Binary(b) => cx.send_binary(b),
        };
    }
}

/// Our servers: the three memory modes with the streaming `Echo`, and the default mode
/// with whole-message echoes. Named by what a peer should see in the `101`.
fn our_servers() -> Vec<(&'static str, Server)> {
    let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let config = |deflate: DeflateConfig| {
        let mut c = ServerConfig::default();
        c.threads = 1;
        c.deflate = Some(deflate);
        c
    };
    vec![
        (
            "context_takeover",
            Server::bind(loopback, config(DeflateConfig::context_takeover()), Echo).unwrap(),
        ),
        (
            "shared_compressor",
            Server::bind(loopback, config(DeflateConfig::shared_compressor()), Echo).unwrap(),
        ),
        (
            "no_idle_state",
            Server::bind(loopback, config(DeflateConfig::no_idle_state()), Echo).unwrap(),
        ),
        (
            "no_idle_state_whole",
            Server::bind(loopback, config(DeflateConfig::no_idle_state()), WholeEcho).unwrap(),
        ),
    ]
}

/// What a server mode always answers, whatever the client asked.
fn mode_params(mode: &str) -> &'static [&'static str] {
    match mode {
        "shared_compressor" => &["server_no_context_takeover"],
        "no_idle_state" | "no_idle_state_whole" => {
            &["server_no_context_takeover", "client_no_context_takeover"]
        }
        _ => &[],
    }
}

/// What a client combination makes the server answer.
fn combination_params(combination: &str) -> &'static [&'static str] {
    match combination {
        "server_no_context_takeover" | "serverNoContextTakeover" => &["server_no_context_takeover"],
        "client_no_context_takeover" | "clientNoContextTakeover" => &["client_no_context_takeover"],
        "no_takeover_both" | "noTakeoverBoth" => {
            &["server_no_context_takeover", "client_no_context_takeover"]
        }
        "server_max_window_bits_10" | "serverMaxWindowBits10" => &["server_max_window_bits=10"],
        "server_max_window_bits_8" | "serverMaxWindowBits8" => &["server_max_window_bits=8"],
        "client_max_window_bits_9" | "clientMaxWindowBits9" => &["client_max_window_bits=9"],
        "everything" => &[
            "server_no_context_takeover",
            "client_no_context_takeover",
            "server_max_window_bits=9",
            "client_max_window_bits=9",
        ],
        _ => &[],
    }
}

/// Checks every run a client script reported against our servers.
fn check_client_runs(r: &Value, servers: &[(&str, Server)], combinations: usize) {
    let runs = r["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), servers.len() * combinations, "{r}");
    for run in runs {
        assert!(run.get("error").is_none(), "{run}");
        assert_eq!(run["bad"], serde_json::json!([]), "echoes differ: {run}");
        let agreed = run["extensions"].as_str().unwrap_or_default();
        assert!(agreed.starts_with("permessage-deflate"), "{run}");
        let url = run["url"].as_str().unwrap();
        let (mode, _) = servers
            .iter()
            .find(|(_, s)| url.contains(&s.local_addr().port().to_string()))
            .unwrap();
        let combination = run["combination"].as_str().unwrap();
        for param in mode_params(mode)
            .iter()
            .chain(combination_params(combination))
        {
            assert!(agreed.contains(param), "{mode} / {combination}: {agreed}");
        }
    }
}

fn urls(servers: &[(&str, Server)]) -> String {
    servers
        .iter()
        .map(|(_, s)| format!("ws://{}/", s.local_addr()))
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn websockets_clients_against_our_server_modes() {
    let Some(python) = support::python_with("websockets") else {
        return;
    };
    let servers = our_servers();
    let mut cmd = Command::new(python);
    cmd.arg(support::script("deflate_websockets_client.py"))
        .arg(urls(&servers));
    let r = support::run_json_script(cmd, Duration::from_secs(120));
    eprintln!(
        "websockets {}: {} runs",
        r["websockets"],
        r["runs"].as_array().map_or(0, Vec::len)
    );
    check_client_runs(&r, &servers, 8);
}

#[test]
fn ws_clients_against_our_server_modes() {
    let Some((node, modules)) = support::node_with_ws() else {
        return;
    };
    let servers = our_servers();
    let mut cmd = node_command(&node, &modules, "deflate_ws_client.js");
    cmd.arg(urls(&servers));
    let r = support::run_json_script(cmd, Duration::from_secs(120));
    eprintln!(
        "ws {}: {} runs",
        r["ws"],
        r["runs"].as_array().map_or(0, Vec::len)
    );
    check_client_runs(&r, &servers, 8);
}

/// Messages of several sizes and kinds (JSON, random, non-ASCII, empty).
fn messages() -> Vec<Message> {
    let line = r#"{"symbol":"ACME","price":123.45,"volume":1000,"note":"chat and ticker"}"#;
    let json = |n: usize| -> String {
        let mut s = String::from("[");
        while s.len() < n {
            s.push_str(line);
            s.push(',');
        }
        s.truncate(n);
        s
    };
    let mut out = Vec::new();
    for n in [0, 10, 200, 5_000, 70_000] {
        out.push(Message::Text(json(n)));
        out.push(Message::Binary(json(n).into_bytes()));
    }
    out.push(Message::Binary(support::binary_of(1 << 20)));
    out.push(Message::Text("ünïcødé 🦀 ".repeat(3_000)));
    out
}

/// Our client's offers: the default (browsers' offer), and one that asks the server for
/// a fresh window and a smaller one.
fn our_offers() -> Vec<(&'static str, DeflateConfig)> {
    let mut asking = DeflateConfig::context_takeover();
    asking.client.server_no_context_takeover = true;
    asking.client.server_max_window_bits = Some(10);
    vec![
        ("default", DeflateConfig::context_takeover()),
        ("asking", asking),
    ]
}

/// Our client against each of a script's servers (`{"servers": {NAME: PORT}}`), with
/// each of our offers; `expected(server, offer)` is what the agreed parameters must show.
fn our_client_against(lines: &Receiver<String>, peer: &str) {
    let line = lines
        .recv_timeout(Duration::from_secs(20))
        .expect("the peer printed no ports");
    let hello: Value = serde_json::from_str(&line).unwrap();
    eprintln!("{peer}: {hello}");
    let servers = hello["servers"].as_object().expect("servers");
    assert!(servers.len() >= 6, "{hello}");
    for (name, port) in servers {
        for (offer, deflate) in our_offers() {
            let url = format!("ws://127.0.0.1:{port}/");
            let mut ws = ClientBuilder::new()
                .deflate(Some(deflate))
                .read_timeout(Some(Duration::from_secs(10)))
                .connect(&url)
                .unwrap_or_else(|e| panic!("{peer} {name} / {offer}: {e}"));
            let agreed = *ws
                .deflate()
                .unwrap_or_else(|| panic!("{peer} {name} / {offer}: no deflate"));
            let what = format!("{peer} {name} / {offer}: {agreed:?}");
            let lower = name.to_ascii_lowercase().replace('_', "");
            if lower.contains("servernocontexttakeover")
                || offer == "asking"
                || name == "everything"
            {
                assert!(agreed.server_no_context_takeover, "{what}");
            }
            if lower.contains("clientnocontexttakeover") || name == "everything" {
                assert!(agreed.client_no_context_takeover, "{what}");
            }
            if lower.contains("servermaxwindowbits10") || offer == "asking" {
                assert!(agreed.server_max_window_bits <= 10, "{what}");
            }
            if lower.contains("clientmaxwindowbits9") || name == "everything" {
                assert_eq!(agreed.client_max_window_bits, 9, "{what}");
            }
            for m in messages() {
                match &m {
                    Message::Text(t) => ws.send_text(t).unwrap(),
                    Message::Binary(b) => ws.send_binary(b).unwrap(),
                    _ => unreachable!(),
                }
                assert!(ws.recv().unwrap() == m, "{what}: an echo differs");
            }
            ws.close(sockeye_proto::CloseCode::NORMAL, "").unwrap();
        }
    }
}

#[test]
fn our_client_against_websockets_servers() {
    let Some(python) = support::python_with("websockets") else {
        return;
    };
    let mut cmd = Command::new(python);
    cmd.arg(support::script("deflate_websockets_server.py"));
    let mut proc = Proc::spawn(cmd, false);
    let lines = proc.stdout_lines();
    let _stderr = proc.stderr_text();
    our_client_against(&lines, "websockets");
}

#[test]
fn our_client_against_ws_servers() {
    let Some((node, modules)) = support::node_with_ws() else {
        return;
    };
    let mut proc = Proc::spawn(node_command(&node, &modules, "deflate_ws_server.js"), false);
    let lines = proc.stdout_lines();
    let _stderr = proc.stderr_text();
    our_client_against(&lines, "ws");
}

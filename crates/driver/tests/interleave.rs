//! What goes out is always a valid sequence of frames, whatever the application does and
//! however input and writes are cut: never a frame inside a fragmented message (RFC 6455
//! §5.4), never a frame after our close (§5.5.1), every pong before data sent later
//! (§5.5.2: "as soon as is practical").

mod common;

use std::time::Instant;

use common::*;
use proptest::prelude::*;
use sockeye_driver::{Bytes, Driver, SendError};
use sockeye_frame::OpCode;
use sockeye_proto::test_support::Frame;
use sockeye_proto::{CloseCode, Connection, MessageKind};

fn preframed(text: &str) -> Bytes {
    let mut frame = Vec::new();
    Connection::encode_server_text(text, &mut frame);
    Bytes::from(frame)
}

/// The regression: a streaming reply is open when a broadcast arrives.
#[test]
fn a_broadcast_waits_for_the_fragmented_message_to_end() {
    let now = Instant::now();
    let mut server = open_server(config(), now);
    server
        .outbox(now)
        .send_fragment(MessageKind::Text, b"Hel", false)
        .unwrap();
    server.outbox(now).send_frame(&preframed("news")).unwrap();
    server.outbox(now).send_frame(&preframed("more")).unwrap();
    assert_eq!(server.queued(), 5 + 6 + 6);
    server
        .outbox(now)
        .send_fragment(MessageKind::Text, b"lo", true)
        .unwrap();
    let sent = frames(&take_output(&mut server));
    let shape: Vec<_> = sent
        .iter()
        .map(|f| {
            (
                f.opcode,
                f.fin,
                String::from_utf8(f.payload.clone()).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (OpCode::Text, false, "Hel".into()),
            (OpCode::Continuation, true, "lo".into()),
            (OpCode::Text, true, "news".into()),
            (OpCode::Text, true, "more".into()),
        ]
    );
}

#[test]
fn a_close_drops_waiting_broadcasts_and_nothing_follows_it() {
    let now = Instant::now();
    let mut server = open_server(config(), now);
    let mut outbox = server.outbox(now);
    outbox
        .send_fragment(MessageKind::Binary, b"a", false)
        .unwrap();
    outbox.send_frame(&preframed("late")).unwrap();
    outbox.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(outbox.send_frame(&preframed("x")), Err(SendError::Closed));
    assert_eq!(outbox.queued(), 3 + 4, "the waiting frame is gone");
    let sent = frames(&take_output(&mut server));
    assert_eq!(
        sent.iter().map(|f| f.opcode).collect::<Vec<_>>(),
        [OpCode::Binary, OpCode::Close]
    );
}

#[derive(Debug, Clone)]
enum Action {
    Text,
    Fragment {
        fin: bool,
    },
    Broadcast,
    Ping,
    Close,
    /// A ping from the peer, cut in two reads; with `reply` the application answers its
    /// event with a broadcast and a text message, from inside the event.
    PeerPing {
        cut: usize,
        reply: bool,
    },
    PeerText,
    /// The socket takes this many bytes.
    Write(usize),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => Just(Action::Text),
        4 => any::<bool>().prop_map(|fin| Action::Fragment { fin }),
        4 => Just(Action::Broadcast),
        1 => Just(Action::Ping),
        1 => Just(Action::Close),
        3 => (1usize..12, any::<bool>()).prop_map(|(cut, reply)| Action::PeerPing { cut, reply }),
        1 => Just(Action::PeerText),
        3 => (0usize..64).prop_map(Action::Write),
    ]
}

/// The action step a frame came from: payloads carry it (`kind:step`).
fn step_of(frame: &Frame) -> Option<(char, usize)> {
    let text = std::str::from_utf8(&frame.payload).ok()?;
    let (kind, step) = text.split_once(':')?;
    Some((kind.chars().next()?, step.parse().ok()?))
}

fn run(actions: &[Action]) -> Result<(), TestCaseError> {
    let now = Instant::now();
    let mut server = open_server(config(), now);
    let mut wire = Vec::new();
    // Step of each peer ping the server processed while it could still answer.
    let mut answered_pings = Vec::new();
    for (step, action) in actions.iter().enumerate() {
        let open = server.can_send();
        let mut outbox = server.outbox(now);
        match action {
            Action::Text => {
                let fragmenting = outbox.is_fragmenting();
                let r = outbox.send_text(&format!("t:{step}"));
                prop_assert_eq!(r.is_ok(), open && !fragmenting);
            }
            Action::Fragment { fin } => {
                let _ =
                    outbox.send_fragment(MessageKind::Text, format!("f:{step}").as_bytes(), *fin);
            }
            Action::Broadcast => {
                let r = outbox.send_frame(&preframed(&format!("b:{step}")));
                prop_assert_eq!(r.is_ok(), open);
            }
            Action::Ping => {
                let _ = outbox.ping(format!("p:{step}").as_bytes());
            }
            Action::Close => {
                let _ = outbox.close(CloseCode::NORMAL, "");
            }
            Action::PeerPing { cut, reply } => {
                let frame = masked(0x89, format!("q:{step}").as_bytes());
                let cut = (*cut).min(frame.len());
                feed(&mut server, &frame[..cut], now, false);
                let mut input = frame[cut..].to_vec();
                let mut at = 0;
                loop {
                    let r = server.recv(&mut input[at..], now);
                    prop_assert!(r.is_ok());
                    let Ok(r) = r else { break };
                    at += r.consumed;
                    let mut outbox = r.outbox;
                    match r.event {
                        Some(sockeye_driver::Event::Ping(_)) if *reply => {
                            let _ = outbox.send_frame(&preframed(&format!("r:{step}")));
                            let _ = outbox.send_text(&format!("s:{step}"));
                        }
                        Some(_) => {}
                        None => break,
                    }
                }
                if open {
                    answered_pings.push(step);
                }
            }
            Action::PeerText => {
                let fed = feed(&mut server, &masked(0x81, b"hi"), now, false);
                prop_assert!(fed.error.is_none());
            }
            Action::Write(n) => {
                let out = server.poll_output();
                let n = (*n).min(out.len());
                wire.extend_from_slice(&out[..n]);
                server.written(n);
            }
        }
    }
    wire.extend_from_slice(&take_output(&mut server));
    let frames = sockeye_proto::test_support::parse_frames(&wire);
    prop_assert!(frames.is_some(), "output is whole, valid frames");
    let frames = frames.unwrap_or_default();

    // §5.4 and §5.5.1.
    let mut fragmenting = false;
    let mut closed = false;
    for f in &frames {
        prop_assert!(!closed, "a frame after our close: {:?}", f);
        match f.opcode {
            OpCode::Text | OpCode::Binary => {
                prop_assert!(!fragmenting, "a new message inside a fragmented one");
                fragmenting = !f.fin;
            }
            OpCode::Continuation => {
                prop_assert!(fragmenting, "a continuation outside a message");
                fragmenting = !f.fin;
            }
            OpCode::Close => closed = true,
            _ => {}
        }
    }
    // §5.5.2: a pong is answered before anything the application sent after the ping.
    for &ping in &answered_pings {
        let pong = frames
            .iter()
            .position(|f| f.opcode == OpCode::Pong && step_of(f) == Some(('q', ping)));
        let later_data = frames.iter().position(|f| {
            !f.opcode.is_control()
                && step_of(f)
                    .is_some_and(|(k, s)| s > ping || (s == ping && matches!(k, 'r' | 's')))
        });
        if let Some(data) = later_data {
            prop_assert!(
                pong.is_some_and(|p| p < data),
                "pong for the ping of step {} after later data",
                ping
            );
        }
    }
    // Broadcasts keep their order.
    let broadcasts: Vec<usize> = frames
        .iter()
        .filter_map(step_of)
        .filter(|(k, _)| *k == 'b')
        .map(|(_, s)| s)
        .collect();
    prop_assert!(broadcasts.windows(2).all(|w| w[0] < w[1]));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn output_is_always_a_valid_frame_sequence(actions in prop::collection::vec(action(), 0..40)) {
        run(&actions)?;
    }
}

#[test]
fn a_whole_message_while_fragmenting_is_misuse_not_interleaved() {
    let now = Instant::now();
    let mut server: Driver = open_server(config(), now);
    let mut outbox = server.outbox(now);
    outbox
        .send_fragment(MessageKind::Text, b"a", false)
        .unwrap();
    assert!(matches!(outbox.send_text("b"), Err(SendError::Misuse(_))));
}

//! A ready-made handler: echo every message back.

use sockeye_handshake::{Accept, Request};

use crate::{Chunk, ConnId, Context, Handler, Message, Refusal};

/// Echoes every text and binary message back to its sender, on any request path, choosing
/// no subprotocol. The `sockeye echo` command and the benchmarks run it.
///
/// It streams: each piece of a message goes back as a fragment as soon as it arrives (a
/// message that arrives in one read goes back as one frame), so a large message is never
/// buffered whole and its echo overlaps its arrival.
#[derive(Debug, Clone, Copy, Default)]
pub struct Echo;

impl Handler for Echo {
    type State = ();

    fn on_open(&self, _request: &Request, _id: ConnId) -> Result<((), Accept), Refusal> {
        Ok(((), Accept::new()))
    }

    const STREAMING: bool = true;

    fn on_chunk(&self, cx: &mut Context<'_>, _state: &mut (), chunk: Chunk<'_>) {
        // As in `on_message`, the status is left to the server's back-pressure.
        let _ = cx.send_fragment(chunk.kind, chunk.data, chunk.last);
    }

    fn on_message(&self, cx: &mut Context<'_>, _state: &mut (), message: Message<'_>) {
        // The status is deliberately ignored: over the high-water mark the server stops
        // reading from this peer by itself, and an overflow closes it (the default policy).
        let _ = match message {
            Message::Text(text) => cx.send_text(text),
            Message::Binary(data) => cx.send_binary(data),
        };
    }
}

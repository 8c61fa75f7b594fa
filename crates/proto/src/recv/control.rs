//! Control frames (§5.5): pings answered, pongs passed on, the peer's close handled.

use std::time::Instant;

use sockeye_frame::{CloseCode, OpCode, parse_close_payload};

use super::{Loc, Pending};
use crate::{Error, Sender, State, Violation};

/// A whole control frame arrived (§5.5).
pub(super) fn control(
    tx: &mut Sender,
    opcode: OpCode,
    payload: &[u8],
    loc: Loc,
    now: Instant,
) -> Result<Pending, Error> {
    match opcode {
        OpCode::Ping => {
            // §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in
            // response, unless it already received a Close frame." §5.5.3: "A Pong frame
            // sent in response to a Ping frame must have identical 'Application data'".
            if tx.state == State::Open && tx.config.auto_pong {
                let mask = tx.mask_key();
                if let Ok(pong) = sockeye_frame::ControlFrame::pong(payload, mask) {
                    tx.queue.push_pong(&pong, tx.config.max_pending_pongs);
                }
            }
            Ok(Pending::Ping(loc))
        }
        OpCode::Pong => Ok(Pending::Pong(loc)),
        _ => {
            // §5.5.1: an optional body of a 2-byte code and a UTF-8 reason.
            let code = match parse_close_payload(payload) {
                Ok(Some(body)) => body.code,
                Ok(None) => CloseCode::NO_STATUS_RECEIVED,
                Err(e) => return Err(tx.fail(Violation::Frame(e), e.close_code())),
            };
            tx.on_peer_close(code, now);
            let reason = match loc {
                Loc::Input(a, b) => Loc::Input((a + 2).min(b), b),
                Loc::Buf(a, b) => Loc::Buf((a + 2).min(b), b),
            };
            Ok(Pending::Close(code, reason))
        }
    }
}

//! Input: [`Driver::recv`] in every phase, and the open phase's receive path.

use std::time::Instant;

use sockeye_proto::CloseCode;

use crate::driver::{Core, Open, Phase};
use crate::outbox::Parts;
use crate::{Driver, Error, Event, Outbox, Recv};

impl Driver {
    /// Processes received bytes: the opening handshake, then frames. Payload is unmasked
    /// in place in `input`.
    ///
    /// Returns after the first event, with the bytes consumed up to its end, or once all
    /// of `input` is consumed without one. Call it again with the rest of the input until
    /// it returns no event — also with an empty rest: then nothing is pending inside the
    /// driver either. After the connection is over, input is consumed and discarded.
    ///
    /// # Errors
    /// The connection is over ([`Error`]): stop feeding this input; what is left to do is
    /// in [`poll_output`](Self::poll_output) (a close frame, an HTTP error response).
    /// [`Error::DecisionPending`] (local misuse) consumes nothing.
    // Inlined down to the connection's common case (sockeye-proto's `recv/whole.rs`): a
    // returned event that goes through memory costs a store-forwarding stall per message.
    #[inline(always)]
    pub fn recv<'a>(&'a mut self, input: &'a mut [u8], now: Instant) -> Result<Recv<'a>, Error> {
        self.advance();
        #[cfg(feature = "tls")]
        if self.tls.is_some() {
            return crate::tls::recv(self, input, now);
        }
        self.core().recv(input, now)
    }
}

impl<'a> Core<'a> {
    /// Received bytes (decrypted ones under TLS) into the phase they belong to.
    #[inline(always)]
    pub(crate) fn recv(self, input: &'a mut [u8], now: Instant) -> Result<Recv<'a>, Error> {
        match self.phase {
            Phase::Accepting(_) => self.recv_request(input, now),
            Phase::Connecting(_) => self.recv_response(input, now),
            Phase::Open(_) => self.recv_frames(input, now),
            Phase::Closing(_) | Phase::Done => Ok(Recv {
                consumed: input.len(),
                event: None,
                outbox: Outbox::inert(),
            }),
        }
    }

    /// The open phase: frames through the connection state machine. The move to Closing,
    /// when the connection ends here, waits for the next `&mut` call (see
    /// `Driver::advance`): the event borrows the connection.
    #[inline(always)]
    fn recv_frames(self, input: &'a mut [u8], now: Instant) -> Result<Recv<'a>, Error> {
        let Phase::Open(open) = self.phase else {
            return Err(Error::HandshakeEof);
        };
        let Open {
            ws,
            rare,
            now: latest,
        } = &mut **open;
        *latest = now;
        let we_had_not_closed = ws.state() == sockeye_proto::State::Open;
        match ws.recv(input, now) {
            Ok(r) => {
                if let Some(sockeye_proto::Event::Close { code, reason }) = r.event {
                    let rare = rare.get_or_insert_with(Box::default);
                    rare.peer_close = Some((code, reason.to_owned()));
                    rare.peer_first = we_had_not_closed;
                }
                Ok(Recv {
                    consumed: r.consumed,
                    event: r.event.map(Event::from),
                    outbox: Outbox::new(Parts {
                        sender: r.sender,
                        out: self.out,
                        rare,
                        config: self.config,
                        now,
                    }),
                })
            }
            Err(e) => {
                // §7.1.7: the close frame with the RFC's code is queued in the connection.
                let rare = rare.get_or_insert_with(Box::default);
                rare.failure
                    .get_or_insert(e.close_code().unwrap_or(CloseCode::PROTOCOL_ERROR));
                Err(Error::Protocol(e))
            }
        }
    }
}

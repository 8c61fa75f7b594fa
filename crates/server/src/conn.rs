//! One connection as the event loop holds it: socket, phase, pending output.

use std::io::{self, Write};
use std::time::Instant;

use mio::net::TcpStream;
use sockeye_handshake::RequestParser;
use sockeye_proto::{CloseCode, Connection};

/// Where a connection is in its life.
pub(crate) enum Phase<S> {
    /// Reading the HTTP upgrade request. `buf` holds the head so far (bounded by the
    /// handshake limits); `deadline` is absolute from accept.
    Handshake {
        parser: RequestParser,
        buf: Vec<u8>,
        deadline: Instant,
    },
    /// A WebSocket connection.
    Open(Box<Open<S>>),
    /// TCP is being closed: flush what is queued, shut down our sending side, and discard
    /// input until the peer closes or `deadline` passes.
    Closing { deadline: Instant, write_shut: bool },
}

/// The open phase's data. Boxed so that a connection in any phase has the same small
/// footprint in the slab; the box is the connection's one fixed heap allocation.
pub(crate) struct Open<S> {
    pub(crate) ws: Connection,
    pub(crate) state: S,
    /// The peer's close frame (code, reason), once received.
    pub(crate) peer_close: Option<(CloseCode, String)>,
    /// Why we failed the connection, if we did (1002, 1007, 1009, 1011, 1006).
    pub(crate) failure: Option<CloseCode>,
}

pub(crate) struct Conn<S> {
    pub(crate) stream: TcpStream,
    pub(crate) phase: Phase<S>,
    /// Output not yet written: `out[out_pos..]`. Empty, with no capacity, while idle.
    pub(crate) out: Vec<u8>,
    pub(crate) out_pos: usize,
    /// The deadline this connection has in the loop's timer heap, if any.
    pub(crate) timer_at: Option<Instant>,
    /// Whether WRITABLE is in the registered interest.
    pub(crate) write_interest: bool,
    /// Reading stopped because output is over the high-water mark.
    pub(crate) read_paused: bool,
    /// Queued for a flush at the end of this loop turn.
    pub(crate) dirty: bool,
    /// The peer closed its sending side (read returned 0).
    pub(crate) peer_eof: bool,
}

impl<S> Conn<S> {
    pub(crate) fn new(stream: TcpStream, phase: Phase<S>) -> Self {
        Self {
            stream,
            phase,
            out: Vec::new(),
            out_pos: 0,
            timer_at: None,
            write_interest: false,
            read_paused: false,
            dirty: false,
            peer_eof: false,
        }
    }

    /// Bytes queued and not yet written.
    pub(crate) fn queued(&self) -> usize {
        self.out.len() - self.out_pos
    }

    /// Writes queued output until done or the socket would block: one `write` call for
    /// everything queued this turn, more only if the kernel took part of it.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        while self.out_pos < self.out.len() {
            let pending = self.out.get(self.out_pos..).unwrap_or_default();
            match self.stream.write(pending) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.out_pos += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.out.clear();
        self.out_pos = 0;
        Ok(())
    }

    /// The next moment the loop must look at this connection.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Handshake { deadline, .. } | Phase::Closing { deadline, .. } => Some(*deadline),
            Phase::Open(open) => open.ws.poll_timeout(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slab holds one `Conn` per connection; with the open phase boxed, the fixed
    /// part stays small whatever phase a connection is in. The idle total (this, the box
    /// with the proto connection, the slab slot) must stay well under 1 KiB.
    #[test]
    #[allow(clippy::print_stdout)]
    fn connection_footprint() {
        let conn = size_of::<Conn<()>>();
        let open = size_of::<Open<()>>();
        println!("Conn<()> = {conn} bytes, boxed Open<()> = {open} bytes");
        assert!(conn <= 192, "Conn<()> grew to {conn} bytes");
        assert!(
            conn + open <= 640,
            "idle open connection grew to {} bytes",
            conn + open
        );
    }
}

//! One connection as the event loop holds it: the socket, the driver that owns its
//! WebSocket life, the handler's state, and the loop's bookkeeping.

use mio::net::TcpStream;
use sockeye_driver::Driver;

use crate::timers::Tick;

pub(crate) struct Conn<S> {
    pub(crate) stream: TcpStream,
    pub(crate) driver: Driver,
    /// The handler's state, from `on_open` until `on_close` takes it back.
    pub(crate) state: Option<S>,
    /// The deadline this connection has in the loop's timer heap, if any.
    pub(crate) timer_at: Option<Tick>,
    /// Whether WRITABLE is in the registered interest.
    pub(crate) write_interest: bool,
    /// The driver did not want input at the last settle, or a read loop stopped because it
    /// did not (back-pressure), possibly leaving bytes in the socket: when it wants input
    /// again, the loop reads without waiting for an edge (none comes for bytes already
    /// queued).
    pub(crate) paused: bool,
    /// Back-pressure paused reading at the last settle (to count each pause once).
    pub(crate) backpressured: bool,
    /// Queued for a flush at the end of this loop turn.
    pub(crate) dirty: bool,
    /// A handler callback panicked: the connection is closing with 1011 and the handler
    /// hears nothing more of it but `on_close`.
    pub(crate) poisoned: bool,
    /// The slab's generation of the slot it was stored in (in the connection's padding,
    /// not beside it).
    pub(crate) generation: u32,
}

impl<S> crate::slab::Generation for Conn<S> {
    fn generation(&self) -> u32 {
        self.generation
    }
}

impl<S> Conn<S> {
    pub(crate) fn new(stream: TcpStream, driver: Driver, generation: u32) -> Self {
        Self {
            stream,
            driver,
            state: None,
            timer_at: None,
            write_interest: false,
            paused: false,
            backpressured: false,
            dirty: false,
            poisoned: false,
            generation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slab holds one `Conn` per connection, whatever its phase; the open phase's
    /// state (the proto connection) is boxed inside the driver. The idle total must stay
    /// well under 1 KiB: see `docs/performance.md` for the measured RSS per connection.
    #[test]
    #[allow(clippy::print_stdout)]
    fn connection_footprint() {
        let conn = size_of::<Conn<()>>();
        let driver = size_of::<Driver>();
        println!("Conn<()> = {conn} bytes (driver {driver})");
        // 80 in release; debug builds add mio's selector id to the socket (16 bytes with
        // its padding).
        let most = if cfg!(debug_assertions) { 96 } else { 80 };
        assert!(conn <= most, "Conn<()> grew to {conn} bytes");
        // The slab's slot is the connection itself: `None` fits in one of its niches, and
        // the generation is inside it.
        assert_eq!(size_of::<Option<Conn<()>>>(), conn);
    }
}

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
}

impl<S> Conn<S> {
    pub(crate) fn new(stream: TcpStream, driver: Driver) -> Self {
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
        assert!(conn <= 88, "Conn<()> grew to {conn} bytes");
    }
}

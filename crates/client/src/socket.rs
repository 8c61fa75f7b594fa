//! The blocking client's socket calls: connecting within a timeout, writing out what the
//! driver has, and the timeouts std's sockets take (never zero).

use std::io::{self, ErrorKind, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use sockeye_driver::Driver;
use sockeye_handshake::WsUrl;

use crate::builder::resolve;
use crate::{Error, Timeout};

/// Time left of the handshake (never zero: std refuses a zero timeout).
pub(crate) fn handshake_left(driver: &Driver) -> Result<Duration, Error> {
    driver
        .poll_timeout()
        .and_then(|t| t.checked_duration_since(Instant::now()))
        .filter(|d| !d.is_zero())
        .map(round_up)
        .ok_or(Error::Timeout(Timeout::Handshake))
}

/// Connects to the first address that answers.
pub(crate) fn tcp_connect(url: &WsUrl, timeout: Duration) -> Result<TcpStream, Error> {
    let timeout = round_up(timeout);
    let mut last = Error::NoAddress;
    for addr in resolve(url)? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) if is_timeout(&e) => last = Error::Timeout(Timeout::Connect),
            Err(e) => last = Error::Io(e),
        }
    }
    Err(last)
}

/// A socket timeout must not be zero (std refuses it).
pub(crate) fn round_up(d: Duration) -> Duration {
    d.max(Duration::from_millis(1))
}

pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

/// Writes everything the driver has (blocking, within the socket's write timeout).
pub(crate) fn write_driver(mut stream: &TcpStream, driver: &mut Driver) -> Result<(), Error> {
    loop {
        let out = driver.poll_output();
        if out.is_empty() {
            return Ok(());
        }
        match stream.write(out) {
            Ok(0) => return Err(Error::Io(ErrorKind::WriteZero.into())),
            Ok(n) => driver.written(n),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => return Err(Error::Timeout(Timeout::Write)),
            Err(e) => return Err(Error::Io(e)),
        }
    }
}

//! Exit statuses that say what happened (also in `sockeye --help` and the README).

use std::process::ExitCode;

use sockeye_server::CloseCode;

/// The command failed before or outside a connection: it could not connect, the
/// handshake was refused, a file could not be read, the address is in use.
pub(crate) const FAILURE: u8 = 1;
/// `connect`: the server closed with a code other than 1000 (1001 going away, 1008
/// policy, 1011 internal error...).
pub(crate) const CLOSED_WITH_ERROR: u8 = 3;
/// `connect`: the connection ended abnormally: no closing handshake (1006), a protocol
/// violation by the server, a keepalive or close timeout.
pub(crate) const ABNORMAL: u8 = 4;

/// The status for a connection that ended with a closing handshake; `code` is the
/// server's close code (`None`: it never sent one, which the client reports as an error
/// before getting here).
pub(crate) fn for_close(code: Option<CloseCode>) -> ExitCode {
    match code.map(CloseCode::as_u16) {
        // §7.4.1 1000 "normal closure"; 1005: the server's close frame had no code.
        Some(1000 | 1005) => ExitCode::SUCCESS,
        Some(_) => ExitCode::from(CLOSED_WITH_ERROR),
        None => ExitCode::from(ABNORMAL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_codes_map_to_statuses() {
        let status = |c: Option<u16>| for_close(c.map(CloseCode::new));
        assert_eq!(status(Some(1000)), ExitCode::SUCCESS);
        assert_eq!(status(Some(1005)), ExitCode::SUCCESS);
        assert_eq!(status(Some(1001)), ExitCode::from(CLOSED_WITH_ERROR));
        assert_eq!(status(Some(4000)), ExitCode::from(CLOSED_WITH_ERROR));
        assert_eq!(status(None), ExitCode::from(ABNORMAL));
    }
}

//! The server's error types.

use std::fmt;
use std::io;
use std::net::SocketAddr;

/// Why a server could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Binding or listening on the address failed (address in use, permission denied,
    /// address not available).
    Listen {
        /// The address.
        addr: SocketAddr,
        /// What the operating system said.
        source: io::Error,
    },
    /// Creating an event loop (epoll, waker) or a thread failed.
    EventLoop(io::Error),
    /// The configuration cannot work (e.g. zero threads).
    Config(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Listen { addr, source } => {
                let hint = match source.kind() {
                    io::ErrorKind::AddrInUse => " (another process listens there)",
                    io::ErrorKind::PermissionDenied => " (ports below 1024 need privileges)",
                    io::ErrorKind::AddrNotAvailable => " (no such local address)",
                    _ => "",
                };
                write!(f, "cannot listen on {addr}: {source}{hint}")
            }
            Self::EventLoop(e) => write!(f, "cannot start the event loop: {e}"),
            Self::Config(what) => write!(f, "invalid server configuration: {what}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Listen { source, .. } | Self::EventLoop(source) => Some(source),
            Self::Config(_) => None,
        }
    }
}

/// Why a [`ServerHandle`](crate::ServerHandle) could not hand a command to a connection's
/// event loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SendError {
    /// The id names no thread of this server.
    UnknownConnection,
    /// The thread's command queue is full ([`ServerConfig::max_queued_commands`]).
    ///
    /// [`ServerConfig::max_queued_commands`]: crate::ServerConfig::max_queued_commands
    QueueFull,
    /// The server is shutting down or stopped.
    ShuttingDown,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UnknownConnection => "no such connection",
            Self::QueueFull => "the event loop's command queue is full",
            Self::ShuttingDown => "the server is shutting down",
        })
    }
}

impl std::error::Error for SendError {}

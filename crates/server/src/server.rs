//! Starting and stopping a server.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use mio::net::TcpListener;
use mio::{Interest, Poll, Waker};
use socket2::{Domain, Protocol, Socket, Type};

use sockeye_driver::DeflateConfig;

use crate::handle::{ServerHandle, Shared, WorkerShared};
use crate::slab::Slab;
use crate::timers::Timers;
use crate::worker::{LISTENER, WAKER, Worker};
use crate::{Error, Handler, ServerConfig};

/// A running server: its threads, its address, a [`ServerHandle`].
///
/// Dropping it does not stop the threads; call [`Server::shutdown`] (or
/// [`ServerHandle::shutdown`] and then [`Server::join`]).
#[derive(Debug)]
pub struct Server {
    handle: ServerHandle,
    local_addr: SocketAddr,
    threads: Vec<JoinHandle<()>>,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port) and starts `config.threads` event loops,
    /// each with its own `SO_REUSEPORT` listener on the same address, so the kernel spreads
    /// new connections over the threads.
    ///
    /// # Errors
    /// [`Error::Listen`] when the address cannot be bound (in use, permission denied),
    /// [`Error::EventLoop`] when epoll or a thread cannot be created, [`Error::Config`] for
    /// an unusable configuration (zero threads, a read buffer under 1 KiB,
    /// `max_write_buffer` under `write_high_water`, `connection.streaming` for a handler
    /// that does not stream).
    pub fn bind<H: Handler>(
        addr: SocketAddr,
        config: ServerConfig,
        handler: H,
    ) -> Result<Self, Error> {
        if config.threads == 0 || config.threads > usize::from(u16::MAX) {
            return Err(Error::Config("threads must be between 1 and 65535"));
        }
        if config.read_buffer_size < 1024 {
            return Err(Error::Config("read_buffer_size must be at least 1024"));
        }
        if config.max_write_buffer < config.write_high_water {
            return Err(Error::Config(
                "max_write_buffer must be at least write_high_water",
            ));
        }
        // Whole messages to the handler, or pieces as they arrive if it streams: the
        // handler decides. A configuration asking for pieces a handler cannot take is a
        // mistake, said out loud rather than overwritten.
        if config.connection.streaming && !H::STREAMING {
            return Err(Error::Config(
                "connection.streaming needs a handler with Handler::STREAMING = true",
            ));
        }

        let first = listen(addr, config.backlog)?;
        let local_addr = first
            .local_addr()
            .map_err(|source| Error::Listen { addr, source })?;
        let mut listeners = vec![first];
        for _ in 1..config.threads {
            listeners.push(listen(local_addr, config.backlog)?);
        }

        let mut polls = Vec::with_capacity(config.threads);
        let mut workers = Vec::with_capacity(config.threads);
        for _ in 0..config.threads {
            let poll = Poll::new().map_err(Error::EventLoop)?;
            let waker = Waker::new(poll.registry(), WAKER).map_err(Error::EventLoop)?;
            workers.push(WorkerShared {
                queue: Mutex::new(Vec::new()),
                waker,
                totals: Mutex::new(crate::Stats::default()),
            });
            polls.push(poll);
        }
        let handle = ServerHandle {
            shared: Arc::new(Shared {
                workers,
                shutting_down: AtomicBool::new(false),
                connections: AtomicUsize::new(0),
                max_queued: config.max_queued_commands,
                deflate: config.deflate.as_ref().map(DeflateConfig::for_event_loop),
                #[cfg(feature = "tls")]
                tls: config.tls.clone(),
            }),
        };
        let config = Arc::new(config);
        let handler = Arc::new(handler);
        let mut threads = Vec::with_capacity(config.threads);
        for (ix, (poll, std_listener)) in polls.into_iter().zip(listeners).enumerate() {
            let mut listener = TcpListener::from_std(std_listener);
            poll.registry()
                .register(&mut listener, LISTENER, Interest::READABLE)
                .map_err(Error::EventLoop)?;
            let worker = Worker {
                ix: u16::try_from(ix).unwrap_or(u16::MAX),
                poll,
                listener: Some(listener),
                accept_resume_at: None,
                conns: Slab::new(),
                timers: Timers::default(),
                read_buf: vec![0; config.read_buffer_size],
                scratch: sockeye_driver::OutputBuffer::new(),
                handler: handler.clone(),
                config: config.clone(),
                // Each loop its own: its own shared compressor.
                driver_config: Arc::new(config.driver_config(H::STREAMING, H::SERVES_HTTP)),
                handle: handle.clone(),
                resume: Vec::new(),
                dirty: Vec::new(),
                shutdown_deadline: None,
                stats: crate::Stats::default(),
            };
            let thread = std::thread::Builder::new()
                .name(format!("sockeye-{ix}"))
                .spawn(move || worker.run())
                .map_err(Error::EventLoop)?;
            threads.push(thread);
        }
        Ok(Self {
            handle,
            local_addr,
            threads,
        })
    }

    /// The address the server listens on (with the port the OS chose for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle to the server (cloneable, usable from any thread).
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }

    /// Graceful shutdown: stop accepting, close every connection with 1001, wait until all
    /// are closed or `grace` has passed, then join the threads.
    pub fn shutdown(self, grace: Duration) {
        self.handle.shutdown(grace);
        self.join();
    }

    /// Waits for the threads to exit (after a [`ServerHandle::shutdown`]).
    pub fn join(self) {
        for thread in self.threads {
            let _ = thread.join();
        }
    }

    /// Runs until a shutdown, then returns: for a `main` that does nothing else.
    pub fn run_until_shutdown(self) {
        self.join();
    }
}

/// A non-blocking listening socket with `SO_REUSEADDR` and `SO_REUSEPORT`.
fn listen(addr: SocketAddr, backlog: i32) -> Result<std::net::TcpListener, Error> {
    let err = |source| Error::Listen { addr, source };
    let socket =
        Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP)).map_err(err)?;
    socket.set_reuse_address(true).map_err(err)?;
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    socket.set_reuse_port(true).map_err(err)?;
    socket.set_nonblocking(true).map_err(err)?;
    socket.bind(&addr.into()).map_err(err)?;
    socket.listen(backlog).map_err(err)?;
    Ok(socket.into())
}

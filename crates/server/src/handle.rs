//! The cross-thread handle: send, close, broadcast, shut down.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sockeye_driver::{DeflateConfig, SharedFrame};
use sockeye_proto::CloseCode;

use crate::{ConnId, SendError};

/// A command for one event loop.
pub(crate) enum Command {
    /// Send this (already framed) message to one connection.
    Send { id: ConnId, frame: SharedFrame },
    /// Send one shared frame to many connections (`None`: every open connection).
    Broadcast {
        frame: SharedFrame,
        only: Option<Vec<ConnId>>,
    },
    /// Start the closing handshake of one connection.
    Close {
        id: ConnId,
        code: CloseCode,
        reason: String,
    },
    /// Stop accepting, close every connection with 1001, exit by the deadline.
    Shutdown { deadline: Instant },
}

/// What each worker shares with handles.
pub(crate) struct WorkerShared {
    pub(crate) queue: Mutex<Vec<Command>>,
    pub(crate) waker: mio::Waker,
    /// The loop's counters, added once per loop turn.
    pub(crate) totals: Mutex<crate::Stats>,
}

/// What all workers and handles share.
pub(crate) struct Shared {
    pub(crate) workers: Vec<WorkerShared>,
    pub(crate) shutting_down: AtomicBool,
    pub(crate) connections: AtomicUsize,
    pub(crate) max_queued: usize,
    /// The server's permessage-deflate settings (with a compressor of the handles' own), to
    /// compress a message once for every connection that may take it compressed.
    pub(crate) deflate: Option<DeflateConfig>,
    /// The server's TLS, for certificate renewals.
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<sockeye_driver::tls::TlsServerConfig>,
}

/// A cloneable, thread-safe handle to a running server: send to or close any connection,
/// broadcast, shut down. Commands go to the owning event loop's queue and wake it; they
/// are carried out on that loop's next turn, in the order given. A message for a
/// connection that is in the middle of sending a fragmented message (a streaming handler's
/// reply) waits for its final fragment (RFC 6455 §5.4).
#[derive(Clone)]
pub struct ServerHandle {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("threads", &self.shared.workers.len())
            .field("connections", &self.connections())
            .finish()
    }
}

impl ServerHandle {
    /// Replaces the server's default certificate with the PEM files' (a renewal), without
    /// a restart: new TLS handshakes use it, connections already open keep theirs. On
    /// error the current certificate stays.
    ///
    /// # Errors
    /// The files cannot be loaded ([`TlsConfigError`](sockeye_driver::tls::TlsConfigError)),
    /// or the server has no TLS configuration made with a certificate store
    /// ([`TlsConfigError::Rejected`](sockeye_driver::tls::TlsConfigError::Rejected)).
    #[cfg(feature = "tls")]
    pub fn reload_certificate(
        &self,
        chain: &std::path::Path,
        key: &std::path::Path,
    ) -> Result<(), sockeye_driver::tls::TlsConfigError> {
        let store = self
            .shared
            .tls
            .as_ref()
            .and_then(sockeye_driver::tls::TlsServerConfig::cert_store)
            .ok_or_else(|| {
                sockeye_driver::tls::TlsConfigError::Rejected(
                    "the server's TLS configuration has no certificate store".into(),
                )
            })?;
        store.reload_default(chain, key)
    }

    /// The certificate store behind the server's TLS, if it was made with one (to add
    /// certificates for more names, by SNI).
    #[cfg(feature = "tls")]
    pub fn cert_store(&self) -> Option<&Arc<sockeye_driver::tls::CertStore>> {
        self.shared
            .tls
            .as_ref()
            .and_then(sockeye_driver::tls::TlsServerConfig::cert_store)
    }

    /// Open connections now (handshakes in progress included).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shutting_down(&self) -> bool {
        self.shared.shutting_down.load(Ordering::Relaxed)
    }

    /// The server's counters since it started, summed over its event loops: connections
    /// open and accepted, refusals by status, messages and bytes in and out, closes by
    /// code and by who started them, protocol errors, back-pressure pauses. Each loop adds
    /// its counts once per loop turn, so a snapshot may be one turn behind.
    pub fn stats(&self) -> crate::Stats {
        let mut stats = crate::Stats::default();
        for worker in &self.shared.workers {
            let totals = worker.totals.lock().unwrap_or_else(|p| p.into_inner());
            stats.add(&totals);
        }
        stats.open = self.connections();
        stats
    }

    /// Sends a text message to one connection (dropped if it has closed meanwhile).
    pub fn send_text(&self, id: ConnId, text: &str) -> Result<(), SendError> {
        let frame = self.text_frame(text);
        self.push(id.worker(), Command::Send { id, frame })
    }

    /// Sends a binary message to one connection (dropped if it has closed meanwhile).
    pub fn send_binary(&self, id: ConnId, data: &[u8]) -> Result<(), SendError> {
        let frame = self.binary_frame(data);
        self.push(id.worker(), Command::Send { id, frame })
    }

    /// Starts the closing handshake of one connection.
    pub fn close(&self, id: ConnId, code: CloseCode, reason: &str) -> Result<(), SendError> {
        self.push(
            id.worker(),
            Command::Close {
                id,
                code,
                reason: reason.to_owned(),
            },
        )
    }

    /// Sends a text message to every open connection. The frame is encoded once and the
    /// same bytes are shared by every connection (market data, chat fan-out); with
    /// permessage-deflate it is also compressed once, for every connection whose server
    /// side compresses without context takeover (the default `DeflateConfig`), and the
    /// other connections get it uncompressed.
    pub fn broadcast_text(&self, text: &str) -> Result<(), SendError> {
        self.broadcast(self.text_frame(text), None)
    }

    /// Sends a binary message to every open connection, encoded once.
    pub fn broadcast_binary(&self, data: &[u8]) -> Result<(), SendError> {
        self.broadcast(self.binary_frame(data), None)
    }

    /// Sends a text message to the given connections, encoded once.
    pub fn broadcast_text_to(&self, ids: &[ConnId], text: &str) -> Result<(), SendError> {
        self.broadcast(self.text_frame(text), Some(ids))
    }

    /// Sends a binary message to the given connections, encoded once.
    pub fn broadcast_binary_to(&self, ids: &[ConnId], data: &[u8]) -> Result<(), SendError> {
        self.broadcast(self.binary_frame(data), Some(ids))
    }

    /// Graceful shutdown: every thread stops accepting, sends close 1001 ("going away") to
    /// each connection, and exits once all are closed or `grace` has passed.
    pub fn shutdown(&self, grace: Duration) {
        self.shared.shutting_down.store(true, Ordering::Relaxed);
        let deadline = Instant::now() + grace;
        for worker in 0..self.shared.workers.len() {
            // A full queue still takes the shutdown: it is pushed past the limit.
            let _ = self.push_unbounded(worker, Command::Shutdown { deadline });
        }
    }

    /// A text message framed once, and compressed once for the connections that may take
    /// it compressed (those whose server side compresses without context takeover).
    fn text_frame(&self, text: &str) -> SharedFrame {
        match &self.shared.deflate {
            Some(deflate) => SharedFrame::text_compressed(text, deflate),
            None => SharedFrame::text(text),
        }
    }

    /// The binary counterpart of `text_frame`.
    fn binary_frame(&self, data: &[u8]) -> SharedFrame {
        match &self.shared.deflate {
            Some(deflate) => SharedFrame::binary_compressed(data, deflate),
            None => SharedFrame::binary(data),
        }
    }

    fn broadcast(&self, frame: SharedFrame, only: Option<&[ConnId]>) -> Result<(), SendError> {
        let workers = self.shared.workers.len();
        let mut result = Ok(());
        for worker in 0..workers {
            let only = match only {
                None => None,
                Some(ids) => {
                    let mine: Vec<ConnId> = ids
                        .iter()
                        .copied()
                        .filter(|id| id.worker() == worker)
                        .collect();
                    if mine.is_empty() {
                        continue;
                    }
                    Some(mine)
                }
            };
            if let Err(e) = self.push(
                worker,
                Command::Broadcast {
                    frame: frame.clone(),
                    only,
                },
            ) {
                result = Err(e);
            }
        }
        result
    }

    fn push(&self, worker: usize, command: Command) -> Result<(), SendError> {
        if self.is_shutting_down() {
            return Err(SendError::ShuttingDown);
        }
        let w = self
            .shared
            .workers
            .get(worker)
            .ok_or(SendError::UnknownConnection)?;
        let was_empty = {
            let mut queue = w.queue.lock().unwrap_or_else(|p| p.into_inner());
            if queue.len() >= self.shared.max_queued {
                return Err(SendError::QueueFull);
            }
            queue.push(command);
            queue.len() == 1
        };
        // One wake per batch: the loop drains the whole queue when it wakes.
        if was_empty {
            w.waker.wake().map_err(|_| SendError::ShuttingDown)?;
        }
        Ok(())
    }

    fn push_unbounded(&self, worker: usize, command: Command) -> Result<(), SendError> {
        let w = self
            .shared
            .workers
            .get(worker)
            .ok_or(SendError::UnknownConnection)?;
        w.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(command);
        w.waker.wake().map_err(|_| SendError::ShuttingDown)
    }
}

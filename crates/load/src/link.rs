//! A load-generator connection's byte stream: the TCP socket itself, or TLS over it
//! (rustls' buffered client, trusting the CA the run was given). The rest of the load
//! generator reads and writes plaintext through it and never sees the difference, except
//! that a short read of plaintext says nothing about the socket (see [`Link::is_tls`]).

use std::io::{self, IoSlice, Read, Write};
use std::path::Path;
use std::sync::Arc;

use mio::net::TcpStream;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};

/// The TLS side of a run: one client configuration for every connection.
#[derive(Clone)]
pub struct TlsClient {
    config: Arc<ClientConfig>,
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsClient")
    }
}

impl TlsClient {
    /// Trusts the CA certificates in `ca_file` (PEM) only; offers ALPN `http/1.1` (what a
    /// WebSocket client offers; the raw TLS echo ignores it). TLS 1.3 and 1.2 with ring,
    /// the provider Sockeye's TLS feature uses by default.
    ///
    /// # Errors
    /// The file cannot be read or holds no certificate rustls accepts.
    pub fn from_ca_file(ca_file: &Path) -> Result<Self, String> {
        let mut roots = RootCertStore::empty();
        let certs = CertificateDer::pem_file_iter(ca_file)
            .map_err(|e| format!("{}: {e}", ca_file.display()))?;
        for cert in certs {
            let cert = cert.map_err(|e| format!("{}: {e}", ca_file.display()))?;
            roots
                .add(cert)
                .map_err(|e| format!("{}: {e}", ca_file.display()))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS versions: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            config: Arc::new(config),
        })
    }

    fn connect(&self, host: &str) -> io::Result<ClientConnection> {
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        ClientConnection::new(self.config.clone(), name).map_err(io::Error::other)
    }
}

/// A connection's stream.
pub(crate) struct Link {
    pub(crate) stream: TcpStream,
    tls: Option<Box<ClientConnection>>,
}

impl Link {
    /// `stream` in the clear, or under a TLS session for `host` (the ClientHello is
    /// queued at once and goes out with the first [`flush_tls`](Self::flush_tls)).
    pub(crate) fn new(stream: TcpStream, tls: Option<(&TlsClient, &str)>) -> io::Result<Self> {
        let tls = match tls {
            Some((client, host)) => Some(Box::new(client.connect(host)?)),
            None => None,
        };
        Ok(Self { stream, tls })
    }

    /// Whether this is TLS: then a short read of plaintext does not mean the socket is
    /// empty, and reading must go on until it would block.
    pub(crate) fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The TLS handshake is complete (always, in the clear).
    pub(crate) fn handshake_done(&self) -> bool {
        self.tls.as_ref().is_none_or(|t| !t.is_handshaking())
    }

    /// Ciphertext is waiting for the socket.
    pub(crate) fn wants_write(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.wants_write())
    }

    /// Writes waiting ciphertext until done (Ok) or the socket would block (the error).
    pub(crate) fn flush_tls(&mut self) -> io::Result<()> {
        if let Some(tls) = &mut self.tls {
            while tls.wants_write() {
                tls.write_tls(&mut self.stream)?;
            }
        }
        Ok(())
    }

    /// Plaintext into `buf`: from the socket, or decrypted from what it had. `Ok(0)` is
    /// the end of the stream (TCP EOF, or TLS close_notify).
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(tls) = &mut self.tls else {
            return self.stream.read(buf);
        };
        loop {
            match tls.reader().read(buf) {
                Ok(n) => return Ok(n),
                // No plaintext yet: records (or more of one) from the socket.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            if tls.read_tls(&mut self.stream)? == 0 {
                return Ok(0);
            }
            tls.process_new_packets()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            // Handshake replies (and key updates) go out as soon as they exist.
            while tls.wants_write() {
                match tls.write_tls(&mut self.stream) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
        }
    }

    /// Plaintext out: the socket's vectored write, or encrypted into records (rustls
    /// takes plaintext up to its buffer limit) that go out as far as the socket takes
    /// them. `Err(WouldBlock)` when nothing could be taken.
    pub(crate) fn write_vectored(&mut self, iov: &[IoSlice<'_>]) -> io::Result<usize> {
        if self.tls.is_none() {
            return self.stream.write_vectored(iov);
        }
        self.flush_tls()?;
        let Some(tls) = &mut self.tls else {
            return Ok(0);
        };
        let n = tls.writer().write_vectored(iov)?;
        match self.flush_tls() {
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
            _ => {}
        }
        if n == 0 && iov.iter().any(|s| !s.is_empty()) {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(n)
    }

    /// The handshake request: into the socket (it fits an empty socket buffer), or into
    /// rustls, which sends it once the TLS handshake is done.
    pub(crate) fn write_request(&mut self, request: &[u8]) -> io::Result<()> {
        match &mut self.tls {
            None => match self.stream.write(request) {
                Ok(k) if k == request.len() => Ok(()),
                Ok(_) => Err(io::Error::other("short write of the handshake request")),
                Err(e) => Err(e),
            },
            Some(tls) => {
                tls.writer().write_all(request)?;
                match self.flush_tls() {
                    Err(e) if e.kind() != io::ErrorKind::WouldBlock => Err(e),
                    _ => Ok(()),
                }
            }
        }
    }
}

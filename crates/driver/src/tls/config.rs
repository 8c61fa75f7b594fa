//! TLS configurations for [`DriverConfig`](crate::DriverConfig): certificates from PEM
//! files, chosen by SNI and replaceable at run time ([`CertStore`]), client roots and CA
//! files. rustls' own configuration types are accepted as they are, for anything these
//! helpers do not cover.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// The one application protocol a WebSocket handshake needs (RFC 6455 §1.7: it is an HTTP/1.1
/// request), offered and accepted by ALPN.
const ALPN_HTTP_1_1: &[u8] = b"http/1.1";

/// The crypto provider of the helpers here: aws-lc-rs with the `tls-aws-lc-rs` feature
/// (post-quantum key exchange, FIPS), else ring (half the build time, see
/// `docs/tls.md`).
pub fn provider() -> Arc<CryptoProvider> {
    #[cfg(feature = "tls-aws-lc-rs")]
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    #[cfg(not(feature = "tls-aws-lc-rs"))]
    let provider = rustls::crypto::ring::default_provider();
    Arc::new(provider)
}

/// A TLS configuration could not be made: a file, its PEM, or the certificate and key
/// themselves.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// A file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A file holds no usable PEM section of the kind expected (certificates, a private
    /// key).
    Pem {
        /// The file.
        path: PathBuf,
        /// What was expected and found.
        what: String,
    },
    /// rustls refused the certificate or key (the key does not match the certificate, an
    /// unsupported key type...).
    Rejected(String),
    /// The system's root certificates could not be loaded at all.
    NoRoots(String),
}

impl fmt::Display for TlsConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, error } => write!(f, "{}: {error}", path.display()),
            Self::Pem { path, what } => write!(f, "{}: {what}", path.display()),
            Self::Rejected(why) => write!(f, "certificate or key refused: {why}"),
            Self::NoRoots(why) => write!(f, "no system root certificates: {why}"),
        }
    }
}

impl std::error::Error for TlsConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { error, .. } => Some(error),
            _ => None,
        }
    }
}

fn pem_error(path: &Path, e: rustls::pki_types::pem::Error) -> TlsConfigError {
    use rustls::pki_types::pem::Error as E;
    match e {
        E::Io(error) => TlsConfigError::Io {
            path: path.to_owned(),
            error,
        },
        other => TlsConfigError::Pem {
            path: path.to_owned(),
            what: other.to_string(),
        },
    }
}

/// The certificates of a PEM file, in order (a chain: the leaf first).
///
/// # Errors
/// The file cannot be read, is malformed, or holds no certificate.
pub fn load_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| pem_error(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(path, e))?;
    if certs.is_empty() {
        return Err(TlsConfigError::Pem {
            path: path.to_owned(),
            what: "no CERTIFICATE section".into(),
        });
    }
    Ok(certs)
}

/// A certificate chain and its private key (PKCS#8, PKCS#1 or SEC1 PEM), checked to
/// belong together.
///
/// # Errors
/// Either file cannot be read or parsed, or the key does not match the certificate.
pub fn load_certified_key(chain: &Path, key: &Path) -> Result<CertifiedKey, TlsConfigError> {
    let certs = load_certificates(chain)?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| pem_error(key, e))?;
    CertifiedKey::from_der(certs, key, &provider())
        .map_err(|e| TlsConfigError::Rejected(e.to_string()))
}

/// Server certificates: one by default, more chosen by the name the client asks for (SNI),
/// each replaceable while the server runs (renewals): handshakes in progress keep the
/// certificate they started with.
#[derive(Default)]
pub struct CertStore {
    default: RwLock<Option<Arc<CertifiedKey>>>,
    by_name: RwLock<HashMap<String, Arc<CertifiedKey>>>,
}

impl fmt::Debug for CertStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self
            .by_name
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        f.debug_struct("CertStore")
            .field("names", &names)
            .finish_non_exhaustive()
    }
}

impl CertStore {
    /// A store with `key` as the certificate for every name.
    pub fn new(key: CertifiedKey) -> Self {
        let store = Self::default();
        store.set_default(key);
        store
    }

    /// Replaces the certificate used when the client names no host (clients connecting by
    /// IP address send no SNI) or one the store has no entry for.
    pub fn set_default(&self, key: CertifiedKey) {
        *self.default.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(key));
    }

    /// Adds or replaces the certificate for `name` (a DNS name; compared without case).
    pub fn insert(&self, name: &str, key: CertifiedKey) {
        self.by_name
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_ascii_lowercase(), Arc::new(key));
    }

    /// Removes the certificate for `name`; whether there was one.
    pub fn remove(&self, name: &str) -> bool {
        self.by_name
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&name.to_ascii_lowercase())
            .is_some()
    }

    /// Replaces the default certificate with the PEM files' (see [`load_certified_key`]);
    /// on error the current one stays.
    ///
    /// # Errors
    /// As [`load_certified_key`].
    pub fn reload_default(&self, chain: &Path, key: &Path) -> Result<(), TlsConfigError> {
        self.set_default(load_certified_key(chain, key)?);
        Ok(())
    }

    /// The certificate for a handshake naming `name` (or none).
    fn lookup(&self, name: Option<&str>) -> Option<Arc<CertifiedKey>> {
        if let Some(name) = name {
            let by_name = self.by_name.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(key) = by_name.get(&name.to_ascii_lowercase()) {
                return Some(key.clone());
            }
        }
        self.default
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.lookup(hello.server_name())
    }
}

/// A server's TLS: the rustls configuration every connection shares, and the certificate
/// store behind it when it was made here (for renewals through the server's handle).
#[derive(Debug, Clone)]
pub struct TlsServerConfig {
    config: Arc<ServerConfig>,
    certs: Option<Arc<CertStore>>,
}

impl TlsServerConfig {
    /// TLS 1.2 and 1.3, ALPN `http/1.1`, certificates from `store`.
    ///
    /// # Errors
    /// The crypto provider supports none of rustls' default versions (not ring, not
    /// aws-lc-rs).
    pub fn with_cert_store(store: Arc<CertStore>) -> Result<Self, TlsConfigError> {
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsConfigError::Rejected(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(store.clone());
        config.alpn_protocols = vec![ALPN_HTTP_1_1.to_vec()];
        Ok(Self {
            config: Arc::new(config),
            certs: Some(store),
        })
    }

    /// A certificate chain and key from PEM files, for every name.
    ///
    /// # Errors
    /// As [`load_certified_key`].
    pub fn from_pem_files(chain: &Path, key: &Path) -> Result<Self, TlsConfigError> {
        let key = load_certified_key(chain, key)?;
        Self::with_cert_store(Arc::new(CertStore::new(key)))
    }

    /// An application's own rustls configuration (client authentication, other versions,
    /// session tickets...). Set `alpn_protocols` to `http/1.1` (or leave it empty).
    pub fn from_rustls(config: Arc<ServerConfig>) -> Self {
        Self {
            config,
            certs: None,
        }
    }

    /// The rustls configuration.
    pub fn rustls(&self) -> &Arc<ServerConfig> {
        &self.config
    }

    /// The certificate store, when this configuration was made with one.
    pub fn cert_store(&self) -> Option<&Arc<CertStore>> {
        self.certs.as_ref()
    }
}

/// A client's TLS: the rustls configuration with the roots it trusts. Hostname
/// verification is always on.
#[derive(Debug, Clone)]
pub struct TlsClientConfig {
    config: Arc<ClientConfig>,
}

impl TlsClientConfig {
    /// Trusts the certificates in `roots` only; ALPN `http/1.1`.
    ///
    /// # Errors
    /// As [`TlsServerConfig::with_cert_store`].
    pub fn with_roots(roots: RootCertStore) -> Result<Self, TlsConfigError> {
        let mut config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsConfigError::Rejected(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![ALPN_HTTP_1_1.to_vec()];
        Ok(Self {
            config: Arc::new(config),
        })
    }

    /// The system's roots ([`system_roots`]), plus the CA certificates of each file.
    ///
    /// # Errors
    /// No system roots could be loaded, or a CA file is unreadable or holds no
    /// certificate.
    pub fn system(ca_files: &[&Path]) -> Result<Self, TlsConfigError> {
        let mut roots = system_roots()?;
        for file in ca_files {
            add_ca_file(&mut roots, file)?;
        }
        Self::with_roots(roots)
    }

    /// [`system`](Self::system) with no CA file, loaded once per process and then shared
    /// (reading the CA bundle takes milliseconds): what the clients trust for `wss://`
    /// when given no configuration. The error is the first attempt's message, kept.
    ///
    /// # Errors
    /// No system roots could be loaded.
    pub fn system_shared() -> Result<Self, String> {
        use std::sync::OnceLock;
        static SYSTEM: OnceLock<Result<TlsClientConfig, String>> = OnceLock::new();
        SYSTEM
            .get_or_init(|| Self::system(&[]).map_err(|e| e.to_string()))
            .clone()
    }

    /// Only the CA certificates of `ca_file` (a private CA, a test CA).
    ///
    /// # Errors
    /// The file is unreadable or holds no usable certificate.
    pub fn with_ca_file(ca_file: &Path) -> Result<Self, TlsConfigError> {
        let mut roots = RootCertStore::empty();
        add_ca_file(&mut roots, ca_file)?;
        Self::with_roots(roots)
    }

    /// An application's own rustls configuration (client certificates, another
    /// verifier). Set `alpn_protocols` to `http/1.1` (or leave it empty).
    pub fn from_rustls(config: Arc<ClientConfig>) -> Self {
        Self { config }
    }

    /// The rustls configuration.
    pub fn rustls(&self) -> &Arc<ClientConfig> {
        &self.config
    }
}

/// The operating system's trusted roots (on Linux the distribution's CA bundle;
/// `SSL_CERT_FILE` and `SSL_CERT_DIR` override it), via rustls-native-certs.
///
/// # Errors
/// Not one root certificate could be loaded.
pub fn system_roots() -> Result<RootCertStore, TlsConfigError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = found
            .errors
            .first()
            .map_or_else(|| "none found".to_owned(), ToString::to_string);
        return Err(TlsConfigError::NoRoots(why));
    }
    Ok(roots)
}

/// Adds the certificates of a PEM file to `roots`; how many.
///
/// # Errors
/// The file is unreadable, malformed, or holds no certificate rustls accepts as a root.
pub fn add_ca_file(roots: &mut RootCertStore, path: &Path) -> Result<usize, TlsConfigError> {
    let (added, _) = roots.add_parsable_certificates(load_certificates(path)?);
    if added == 0 {
        return Err(TlsConfigError::Pem {
            path: path.to_owned(),
            what: "no certificate usable as a trust anchor".into(),
        });
    }
    Ok(added)
}

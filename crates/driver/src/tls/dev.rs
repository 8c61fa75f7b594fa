//! Development certificates made on the spot (feature `tls-dev`): a private CA and
//! server certificates it signs, for tests, demos and `sockeye echo --tls-dev`. Nothing
//! here is for production: the CA's key lives only in this process (and in the files
//! [`DevPki::write_files`] writes, if asked).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::CertifiedKey;

use super::{CertStore, TlsClientConfig, TlsConfigError, TlsServerConfig, provider};

/// A certificate and its private key, in PEM and DER.
#[derive(Debug, Clone)]
pub struct DevCert {
    /// The certificate (PEM).
    pub cert_pem: String,
    /// Its private key (PKCS#8 PEM).
    pub key_pem: String,
    cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl DevCert {
    /// The certificate and key as rustls uses them (the chain is the leaf alone: the CA is
    /// the trust anchor).
    ///
    /// # Errors
    /// rustls refuses the key (cannot happen for what [`DevPki`] makes).
    pub fn certified_key(&self) -> Result<CertifiedKey, TlsConfigError> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        CertifiedKey::from_der(vec![self.cert_der.clone()], key, &provider())
            .map_err(|e| TlsConfigError::Rejected(e.to_string()))
    }

    /// The DER certificate.
    pub fn der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }
}

/// A throwaway CA ("Sockeye development CA") and what it signs.
pub struct DevPki {
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl std::fmt::Debug for DevPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevPki").finish_non_exhaustive()
    }
}

/// A calendar day, `(year, month, day)`.
pub type Day = (i32, u8, u8);

fn rcgen_error(e: rcgen::Error) -> TlsConfigError {
    TlsConfigError::Rejected(e.to_string())
}

impl DevPki {
    /// A new CA (ECDSA P-256), valid from 1975 to 4096 (rcgen's defaults).
    ///
    /// # Errors
    /// Key generation failed.
    pub fn new() -> Result<Self, TlsConfigError> {
        let key = KeyPair::generate().map_err(rcgen_error)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(rcgen_error)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        // A name of its own (from its key), so that two development CAs are two issuers.
        let id: String = key.public_key_raw()[1..5]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        params
            .distinguished_name
            .push(DnType::CommonName, format!("Sockeye development CA {id}"));
        let ca = CertifiedIssuer::self_signed(params, key).map_err(rcgen_error)?;
        Ok(Self { ca })
    }

    /// The CA certificate (PEM): what a client trusts.
    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// The CA certificate (DER).
    pub fn ca_der(&self) -> &CertificateDer<'static> {
        self.ca.der()
    }

    /// A server certificate for `names` (DNS names and IP addresses), signed by the CA.
    ///
    /// # Errors
    /// A name is malformed, or key generation failed.
    pub fn server_cert(&self, names: &[&str]) -> Result<DevCert, TlsConfigError> {
        self.sign(names, None)
    }

    /// As [`server_cert`](Self::server_cert), valid only from `not_before` to `not_after`
    /// (`(year, month, day)`): an expired or not yet valid certificate, for tests.
    ///
    /// # Errors
    /// As [`server_cert`](Self::server_cert).
    pub fn server_cert_valid(
        &self,
        names: &[&str],
        not_before: Day,
        not_after: Day,
    ) -> Result<DevCert, TlsConfigError> {
        self.sign(names, Some((not_before, not_after)))
    }

    fn sign(
        &self,
        names: &[&str],
        validity: Option<(Day, Day)>,
    ) -> Result<DevCert, TlsConfigError> {
        let key = KeyPair::generate().map_err(rcgen_error)?;
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).map_err(rcgen_error)?;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params
            .distinguished_name
            .push(DnType::CommonName, "Sockeye development server");
        if let Some(((y0, m0, d0), (y1, m1, d1))) = validity {
            params.not_before = rcgen::date_time_ymd(y0, m0, d0);
            params.not_after = rcgen::date_time_ymd(y1, m1, d1);
        }
        let cert = params.signed_by(&key, &self.ca).map_err(rcgen_error)?;
        Ok(DevCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().clone(),
            key_der: key.serialize_der(),
        })
    }

    /// A server configuration serving a new certificate for `names`.
    ///
    /// # Errors
    /// As [`server_cert`](Self::server_cert).
    pub fn server_config(&self, names: &[&str]) -> Result<TlsServerConfig, TlsConfigError> {
        let key = self.server_cert(names)?.certified_key()?;
        TlsServerConfig::with_cert_store(Arc::new(CertStore::new(key)))
    }

    /// A client configuration trusting this CA only.
    ///
    /// # Errors
    /// rustls refuses the CA certificate (cannot happen for this one).
    pub fn client_config(&self) -> Result<TlsClientConfig, TlsConfigError> {
        let mut roots = RootCertStore::empty();
        roots
            .add(self.ca.der().clone())
            .map_err(|e| TlsConfigError::Rejected(e.to_string()))?;
        TlsClientConfig::with_roots(roots)
    }

    /// Writes `ca.pem`, `cert.pem` and `key.pem` (a new certificate for `names`) into
    /// `dir`; their paths, in that order.
    ///
    /// # Errors
    /// A file cannot be written, or as [`server_cert`](Self::server_cert).
    pub fn write_files(&self, dir: &Path, names: &[&str]) -> Result<[PathBuf; 3], TlsConfigError> {
        let cert = self.server_cert(names)?;
        let paths = [
            dir.join("ca.pem"),
            dir.join("cert.pem"),
            dir.join("key.pem"),
        ];
        for (path, text) in
            paths
                .iter()
                .zip([self.ca_pem(), cert.cert_pem.clone(), cert.key_pem.clone()])
        {
            std::fs::write(path, text).map_err(|error| TlsConfigError::Io {
                path: path.clone(),
                error,
            })?;
        }
        Ok(paths)
    }
}
